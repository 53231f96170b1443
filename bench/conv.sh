#!/bin/sh
# bench/conv.sh - the fast conv against sgemm on the ResNet-18 (CIFAR) 3x3
# layers, 1 and 2 threads, measured in this run (bench/conv.c says what
# each column means).  Prints figures; asserts nothing.
#
#   make bench-conv     or     bench/conv.sh [seconds per measurement]
#
# It compiles bench/conv.c into a temporary directory, against
# runtime/libnetrt.a: LIBNETRT, or else `make runtime/libnetrt.a` in the
# build tree NETC_BUILDDIR (default: the source tree).  CC, CFLAGS,
# CPPFLAGS, LDFLAGS, BLAS_CFLAGS and BLAS_LIBS are taken from the
# environment (make bench-conv passes configure's), BLAS from pkg-config
# openblas when they are not set.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${LIBNETRT:-}" ]; then
	build=${NETC_BUILDDIR:-$top}
	make -C "$build" runtime/libnetrt.a >&2
	LIBNETRT=$build/runtime/libnetrt.a
fi
if [ -z "${BLAS_CFLAGS+set}${BLAS_LIBS+set}" ]; then
	BLAS_CFLAGS=$(pkg-config --cflags openblas 2>/dev/null || :)
	BLAS_LIBS=$(pkg-config --libs openblas 2>/dev/null || echo -lopenblas)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# word splitting of the flag variables is wanted
# shellcheck disable=SC2086
${CC:-cc} ${CFLAGS:--std=c11 -O2} -I"$top/runtime/kernels" -I"$top/runtime/cpu" \
	${BLAS_CFLAGS:-} ${CPPFLAGS:-} ${LDFLAGS:-} -o "$tmp/conv" "$top/bench/conv.c" \
	"$LIBNETRT" ${BLAS_LIBS:-} -lpthread -lm
echo "host: $(uname -m), $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs online"
"$tmp/conv" "$@"
