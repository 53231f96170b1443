# netc_llvm.m4 - find LLVM >= 15 through llvm-config            -*- Autoconf -*-
#
# NETC_CHECK_LLVM([MIN-MAJOR])
#
# Honours --with-llvm[=LLVM-CONFIG] / --without-llvm and the LLVM_CONFIG
# variable.  Without either it tries llvm-config-19 ... llvm-config-15 and
# then plain llvm-config, taking the first one that is new enough (Debian's
# plain llvm-config may be an older default such as 14).
#
# On success: defines HAVE_LLVM and LLVM_VERSION_STRING, substitutes
# LLVM_CONFIG LLVM_VERSION LLVM_CFLAGS LLVM_LDFLAGS LLVM_LIBS LLVM_BINDIR,
# sets netc_have_llvm=yes.  Nothing links LLVM yet; the values are there for
# the backends.
AC_DEFUN([NETC_CHECK_LLVM], [
m4_pushdef([netc_llvm_min], m4_default([$1], [15]))
AC_ARG_VAR([LLVM_CONFIG], [path to llvm-config (LLVM >= ]netc_llvm_min[)])
AC_ARG_WITH([llvm],
  [AS_HELP_STRING([--with-llvm@<:@=LLVM-CONFIG@:>@],
    [use LLVM >= ]netc_llvm_min[ found through llvm-config (default: yes; the path of llvm-config may be given)])],
  [], [with_llvm=yes])

netc_have_llvm=no
LLVM_VERSION=
LLVM_CFLAGS=
LLVM_LDFLAGS=
LLVM_LIBS=
LLVM_BINDIR=
AS_CASE([$with_llvm],
  [no], [],
  [yes], [],
  [LLVM_CONFIG=$with_llvm])

AS_IF([test "x$with_llvm" != xno], [
  # llvm-config's major version, or empty.
  netc_llvm_major() {
    "$[1]" --version 2>/dev/null | sed -n '1s/^\([[0-9]][[0-9]]*\)\..*/\1/p'
  }
  AS_IF([test -n "$LLVM_CONFIG"], [
    AC_MSG_CHECKING([for llvm-config])
    AS_IF([netc_llvm_cfg=`command -v "$LLVM_CONFIG" 2>/dev/null`], [LLVM_CONFIG=$netc_llvm_cfg])
    AC_MSG_RESULT([$LLVM_CONFIG])
    netc_llvm_v=`netc_llvm_major "$LLVM_CONFIG"`
    AS_IF([test -z "$netc_llvm_v"],
      [AC_MSG_ERROR([$LLVM_CONFIG does not run or does not print a version])])
    AS_IF([test "$netc_llvm_v" -lt netc_llvm_min],
      [AC_MSG_ERROR([$LLVM_CONFIG is LLVM $netc_llvm_v; netc needs LLVM >= ]netc_llvm_min[ (Debian: apt-get install llvm-19-dev)])])
  ], [
    AC_MSG_CHECKING([for llvm-config of LLVM >= ]netc_llvm_min)
    for netc_llvm_cand in llvm-config-19 llvm-config-18 llvm-config-17 llvm-config-16 llvm-config-15 llvm-config; do
      netc_llvm_path=`command -v "$netc_llvm_cand" 2>/dev/null` || continue
      netc_llvm_v=`netc_llvm_major "$netc_llvm_path"`
      test -n "$netc_llvm_v" || continue
      test "$netc_llvm_v" -ge netc_llvm_min || continue
      LLVM_CONFIG=$netc_llvm_path
      break
    done
    AS_IF([test -n "$LLVM_CONFIG"], [AC_MSG_RESULT([$LLVM_CONFIG])], [
      AC_MSG_RESULT([no])
      AC_MSG_ERROR([LLVM >= ]netc_llvm_min[ not found: install llvm-19-dev (Debian), set LLVM_CONFIG=/path/to/llvm-config, or configure --without-llvm])
    ])
  ])

  LLVM_VERSION=`"$LLVM_CONFIG" --version`
  LLVM_CFLAGS=`"$LLVM_CONFIG" --cflags`
  LLVM_LDFLAGS=`"$LLVM_CONFIG" --ldflags`
  LLVM_LIBS="`"$LLVM_CONFIG" --libs core analysis target native orcjit passes` `"$LLVM_CONFIG" --system-libs`"
  LLVM_BINDIR=`"$LLVM_CONFIG" --bindir`
  # A static LLVM is C++: a C link needs the C++ runtime too.
  AS_IF([test "x`"$LLVM_CONFIG" --shared-mode 2>/dev/null`" = xstatic],
    [LLVM_LIBS="$LLVM_LIBS -lstdc++"])
  LLVM_LIBS=`echo $LLVM_LIBS`

  netc_save_CPPFLAGS=$CPPFLAGS
  netc_save_LDFLAGS=$LDFLAGS
  netc_save_LIBS=$LIBS
  CPPFLAGS="$CPPFLAGS $LLVM_CFLAGS"
  LDFLAGS="$LDFLAGS $LLVM_LDFLAGS"
  LIBS="$LLVM_LIBS $LIBS"
  AC_MSG_CHECKING([whether the LLVM C API compiles and links])
  AC_LINK_IFELSE([AC_LANG_PROGRAM([[
#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Orc.h>
#include <llvm-c/LLJIT.h>
]], [[
  LLVMContextRef c = LLVMContextCreate();
  LLVMContextDispose(c);
  (void)LLVMGetDefaultTargetTriple;
]])], [AC_MSG_RESULT([yes])], [
    AC_MSG_RESULT([no])
    AC_MSG_ERROR([cannot build against LLVM $LLVM_VERSION with $LLVM_CONFIG (see config.log)])
  ])
  CPPFLAGS=$netc_save_CPPFLAGS
  LDFLAGS=$netc_save_LDFLAGS
  LIBS=$netc_save_LIBS

  netc_have_llvm=yes
  AC_DEFINE([HAVE_LLVM], [1], [Define to 1 if LLVM (C API) is available.])
  AC_DEFINE_UNQUOTED([LLVM_VERSION_STRING], ["$LLVM_VERSION"], [The LLVM version netc was configured with.])
])
AC_SUBST([LLVM_VERSION])
AC_SUBST([LLVM_CFLAGS])
AC_SUBST([LLVM_LDFLAGS])
AC_SUBST([LLVM_LIBS])
AC_SUBST([LLVM_BINDIR])
AM_CONDITIONAL([HAVE_LLVM], [test "x$netc_have_llvm" = xyes])
m4_popdef([netc_llvm_min])
])
