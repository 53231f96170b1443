# netc_mpi.m4 - find MPI for distributed training                -*- Autoconf -*-
#
# NETC_CHECK_MPI
#
# --with-mpi (default: auto) / --without-mpi.  Looks at pkg-config ompi-c
# (then mpi-c, mpich), then asks the mpicc wrapper for its flags
# (Open MPI --showme, MPICH -show).  The flags are verified by linking a
# program that calls MPI_Init.
#
# On success: defines HAVE_MPI, substitutes MPI_CFLAGS MPI_LIBS MPICC MPIRUN,
# sets netc_have_mpi=yes.
AC_DEFUN([NETC_CHECK_MPI], [
AC_REQUIRE([PKG_PROG_PKG_CONFIG])
AC_ARG_WITH([mpi],
  [AS_HELP_STRING([--with-mpi], [build with MPI for data-parallel training (default: auto)])],
  [], [with_mpi=auto])
AC_ARG_VAR([MPICC], [MPI C compiler wrapper, asked for MPI flags])
netc_have_mpi=no
netc_mpi_how=
AS_IF([test "x$with_mpi" != xno], [
  AS_IF([test -z "$MPI_CFLAGS$MPI_LIBS"], [
    for netc_mpi_pc in ompi-c mpi-c mpich; do
      AS_IF([test -n "$PKG_CONFIG" && $PKG_CONFIG --exists $netc_mpi_pc 2>/dev/null], [
        MPI_CFLAGS=`$PKG_CONFIG --cflags $netc_mpi_pc`
        MPI_LIBS=`$PKG_CONFIG --libs $netc_mpi_pc`
        netc_mpi_how="pkg-config $netc_mpi_pc"
        break
      ])
    done
  ], [netc_mpi_how="MPI_CFLAGS/MPI_LIBS"])
  AC_PATH_PROGS([MPICC], [mpicc mpicc.openmpi mpicc.mpich])
  AS_IF([test -z "$netc_mpi_how" && test -n "$MPICC"], [
    AS_IF([netc_mpi_c=`$MPICC --showme:compile 2>/dev/null` &&
           netc_mpi_l=`$MPICC --showme:link 2>/dev/null`], [
      MPI_CFLAGS=$netc_mpi_c
      MPI_LIBS=$netc_mpi_l
      netc_mpi_how="$MPICC --showme"
    ], [netc_mpi_show=`$MPICC -show 2>/dev/null`], [
      # MPICH: "gcc -I... -L... -lmpi"; keep the flags, drop the compiler.
      MPI_CFLAGS=
      MPI_LIBS=
      for netc_mpi_w in $netc_mpi_show; do
        AS_CASE([$netc_mpi_w],
          [-I*|-D*|-pthread], [MPI_CFLAGS="$MPI_CFLAGS $netc_mpi_w"],
          [-L*|-l*|-Wl,*], [MPI_LIBS="$MPI_LIBS $netc_mpi_w"])
      done
      netc_mpi_how="$MPICC -show"
    ])
  ])
  AS_IF([test -n "$netc_mpi_how"], [
    netc_save_CPPFLAGS=$CPPFLAGS
    netc_save_LIBS=$LIBS
    CPPFLAGS="$CPPFLAGS $MPI_CFLAGS"
    LIBS="$MPI_LIBS $LIBS"
    AC_MSG_CHECKING([whether MPI programs link (flags from $netc_mpi_how)])
    AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <mpi.h>]],
        [[int argc = 0; char **argv = 0; MPI_Init(&argc, &argv); MPI_Finalize();]])],
      [netc_have_mpi=yes], [])
    AC_MSG_RESULT([$netc_have_mpi])
    CPPFLAGS=$netc_save_CPPFLAGS
    LIBS=$netc_save_LIBS
  ])
  AS_IF([test "x$netc_have_mpi" = xno], [
    MPI_CFLAGS=
    MPI_LIBS=
    AS_IF([test "x$with_mpi" = xyes],
      [AC_MSG_ERROR([--with-mpi given but no usable MPI found: install libopenmpi-dev openmpi-bin (Debian)])],
      [AC_MSG_WARN([MPI not found: distributed training disabled (install libopenmpi-dev openmpi-bin)])])
  ])
])
AS_IF([test "x$netc_have_mpi" = xyes], [
  AC_DEFINE([HAVE_MPI], [1], [Define to 1 if MPI is available.])
  AC_PATH_PROGS([MPIRUN], [mpirun mpiexec])
])
MPI_CFLAGS=`echo $MPI_CFLAGS`
MPI_LIBS=`echo $MPI_LIBS`
AC_ARG_VAR([MPI_CFLAGS], [C preprocessor flags for MPI, overriding detection])
AC_ARG_VAR([MPI_LIBS], [linker flags for MPI, overriding detection])
AC_SUBST([MPIRUN])
AM_CONDITIONAL([HAVE_MPI], [test "x$netc_have_mpi" = xyes])
])
