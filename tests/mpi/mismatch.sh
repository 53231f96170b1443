#!/bin/sh
# mismatch.sh - two ranks running different programs (batch 32 and 64)
# stop at start-up with one clear error, and no hang.
. "$abs_top_srcdir/tests/mpi/common.sh"
build 32 "$tmp/m32"
build 64 "$tmp/m64"
cd "$tmp" || exit 99
MPI_GUARD=60 mpi -np 1 ./m32 --steps 5 --data-root "$data" --log none --comm-timeout 10 : \
	-np 1 ./m64 --steps 5 --data-root "$data" --log none --comm-timeout 10 >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
[ $rc -ne 0 ] || fail "mpirun exited 0"
[ $rc -ne 124 ] || fail "it hung (timeout)"
grep -q "rank 1 runs a different program" "$tmp/out" || fail "no message naming rank 1"
echo "PASS: different programs: one error at start-up"
