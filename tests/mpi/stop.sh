#!/bin/sh
# stop.sh - a stopped rank (SIGSTOP of rank 1 mid-epoch, issue 5): rank 0's
# next collective does not complete, and it exits non-zero within
# --comm-timeout (5 s) + 10 s with its own message naming rank 1, the
# collective and the step; mpirun then ends the job and no process is left
# (a stopped process still dies of SIGKILL).
. "$abs_top_srcdir/tests/mpi/common.sh"
build 32 "$tmp/m32"
cd "$tmp" || exit 99
MPI_GUARD=60 mpi -np 2 "$tmp/m32" --data-root "$data" --log none --no-checkpoint --comm-timeout 5 \
	--epochs 50 >"$tmp/out" 2>&1 &
run=$!
wait_for "step [1-9][0-9]*/"
rank_pid "$tmp/m32" 1
r1=$pid
[ -n "$r1" ] || { kill $run; fail "rank 1 not found"; }
t0=`date +%s`
kill -STOP "$r1"
wait $run
rc=$?
t1=`date +%s`
cat "$tmp/out"
[ $rc -ne 0 ] || fail "exit status 0 with rank 1 stopped"
[ $rc -ne 124 ] || fail "it hung past the guard (status $rc)"   # 137: mpirun, a rank killed
[ `expr $t1 - $t0` -le 15 ] || fail "took `expr $t1 - $t0` s (timeout 5 s + 10 s)"
grep -q "did not complete within 5 s at step [0-9]*.*rank 1" "$tmp/out" ||
	fail "no timeout message naming the collective, the step and rank 1"
kill -CONT "$r1" 2>/dev/null
none_left
echo "PASS: rank 1 stopped: exit $rc after `expr $t1 - $t0` s, timeout message names rank 1"
