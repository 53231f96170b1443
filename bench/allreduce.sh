#!/bin/sh
# bench/allreduce.sh - allreduce of a 100 MB float blob over 2 ranks
# through the comm layer (runtime/comm/) against a bare MPI_Allreduce,
# measured in this run (bench/allreduce.c).  Prints figures; asserts
# nothing.
#
#   bench/allreduce.sh [repetitions]
#
# It compiles bench/allreduce.c with mpicc into a temporary directory
# against runtime/libnetrt.a of the build tree NETC_BUILDDIR (default: the
# source tree), configured with MPI.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${NETC_BUILDDIR:-$top}
make -C "$build" runtime/libnetrt.a >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
${MPICC:-mpicc} -std=c11 -O2 -I"$top/runtime/comm" -o "$tmp/allreduce" "$top/bench/allreduce.c" \
	"$build/runtime/libnetrt.a" -lm
${MPIRUN:-mpirun} --oversubscribe --allow-run-as-root -np 2 "$tmp/allreduce" "${1:-5}"
