# netc_cuda.m4 - find the CUDA toolkit (NVRTC, cuBLAS, driver API) -*- Autoconf -*-
#
# NETC_CHECK_CUDA
#
# --with-cuda=DIR (default: /usr/local/cuda, used when found) / --without-cuda.
# netc compiles kernels with NVRTC at build time, calls cuBLAS, and links the
# driver API against the toolkit's stub libcuda.so (lib64/stubs) so that the
# build works on machines without a GPU or driver.
#
# On success: defines HAVE_CUDA, substitutes CUDA_HOME CUDA_CFLAGS CUDA_LIBS
# (NVRTC + cuBLAS, with an rpath to the toolkit) and CUDA_DRIVER_LIBS (the
# stub -lcuda, kept apart so that a program may load the driver lazily),
# sets netc_have_cuda=yes and netc_cuda_version.
AC_DEFUN([NETC_CHECK_CUDA], [
AC_ARG_WITH([cuda],
  [AS_HELP_STRING([--with-cuda=DIR], [CUDA toolkit prefix (default: /usr/local/cuda if present); --without-cuda disables])],
  [], [with_cuda=auto])
netc_have_cuda=no
netc_cuda_version=
CUDA_HOME=
CUDA_CFLAGS=
CUDA_LIBS=
CUDA_DRIVER_LIBS=
AS_CASE([$with_cuda],
  [no], [],
  [yes|auto], [netc_cuda_dir=/usr/local/cuda],
  [netc_cuda_dir=$with_cuda])
AS_IF([test "x$with_cuda" != xno], [
  AC_MSG_CHECKING([for the CUDA toolkit in $netc_cuda_dir])
  netc_cuda_why=
  netc_cuda_libdir=
  for netc_d in "$netc_cuda_dir/lib64" "$netc_cuda_dir/lib" "$netc_cuda_dir/targets/x86_64-linux/lib"; do
    AS_IF([test -f "$netc_d/libnvrtc.so"], [netc_cuda_libdir=$netc_d; break])
  done
  AS_IF([test ! -f "$netc_cuda_dir/include/nvrtc.h"], [netc_cuda_why="no include/nvrtc.h"],
        [test ! -f "$netc_cuda_dir/include/cuda.h"], [netc_cuda_why="no include/cuda.h"],
        [test -z "$netc_cuda_libdir"], [netc_cuda_why="no lib64/libnvrtc.so"],
        [test ! -f "$netc_cuda_libdir/libcublas.so"], [netc_cuda_why="no lib64/libcublas.so"],
        [test ! -f "$netc_cuda_libdir/stubs/libcuda.so"], [netc_cuda_why="no lib64/stubs/libcuda.so"])
  AS_IF([test -z "$netc_cuda_why"], [
    AC_MSG_RESULT([yes])
    netc_save_CPPFLAGS=$CPPFLAGS
    netc_save_LIBS=$LIBS
    netc_cuda_cflags="-I$netc_cuda_dir/include"
    netc_cuda_libs="-L$netc_cuda_libdir -Wl,-rpath,$netc_cuda_libdir -Wl,-rpath-link,$netc_cuda_libdir -lnvrtc -lcublas"
    netc_cuda_drv="-L$netc_cuda_libdir/stubs -lcuda"
    CPPFLAGS="$CPPFLAGS $netc_cuda_cflags"
    LIBS="$netc_cuda_libs $netc_cuda_drv $LIBS"
    AC_MSG_CHECKING([whether NVRTC, cuBLAS and the driver API link])
    AC_LINK_IFELSE([AC_LANG_PROGRAM([[
#include <cuda.h>
#include <nvrtc.h>
#include <cublas_v2.h>
]], [[
  int maj, min; cublasHandle_t h;
  nvrtcVersion(&maj, &min);
  cuInit(0);
  cublasCreate(&h);
]])], [netc_have_cuda=yes], [netc_cuda_why="test program does not link (see config.log)"])
    AC_MSG_RESULT([$netc_have_cuda])
    CPPFLAGS=$netc_save_CPPFLAGS
    LIBS=$netc_save_LIBS
  ], [AC_MSG_RESULT([no ($netc_cuda_why)])])
  AS_IF([test "x$netc_have_cuda" = xyes], [
    CUDA_HOME=$netc_cuda_dir
    CUDA_CFLAGS=$netc_cuda_cflags
    CUDA_LIBS=$netc_cuda_libs
    CUDA_DRIVER_LIBS=$netc_cuda_drv
    # cuda.h: CUDA_VERSION = 1000 * major + 10 * minor
    netc_cuda_v=`sed -n 's/^#define CUDA_VERSION \(@<:@0-9@:>@*\).*/\1/p' "$netc_cuda_dir/include/cuda.h"`
    AS_IF([test -n "$netc_cuda_v"],
      [netc_cuda_version=`expr $netc_cuda_v / 1000`.`expr $netc_cuda_v % 1000 / 10`])
    AC_DEFINE([HAVE_CUDA], [1], [Define to 1 if the CUDA toolkit (NVRTC, cuBLAS, driver API) is available.])
    AC_DEFINE_UNQUOTED([NETC_CUDA_HOME], ["$CUDA_HOME"], [The CUDA toolkit netc was configured with.])
  ], [test "x$with_cuda" != xauto], [
    AC_MSG_ERROR([--with-cuda=$with_cuda: CUDA toolkit not usable: $netc_cuda_why])
  ])
])
AC_SUBST([CUDA_HOME])
AC_SUBST([CUDA_CFLAGS])
AC_SUBST([CUDA_LIBS])
AC_SUBST([CUDA_DRIVER_LIBS])
AM_CONDITIONAL([HAVE_CUDA], [test "x$netc_have_cuda" = xyes])
])
