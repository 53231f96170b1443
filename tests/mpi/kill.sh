#!/bin/sh
# kill.sh - kill -9 of rank 1 in the middle of an epoch: rank 0 exits non
# zero within --comm-timeout (5 s) with a message naming rank 1, and no
# process of the run is left; then mpirun -np 2 --resume last continues
# from the last checkpoint (saved every 5 steps) and finishes the epoch
# with status 0.
. "$abs_top_srcdir/tests/mpi/common.sh"
build 32 "$tmp/m32"
cd "$tmp" || exit 99
MPI_GUARD=60 mpi -np 2 "$tmp/m32" --data-root "$data" --log none --comm-timeout 5 --epochs 50 \
	--checkpoint-steps 5 \
	>"$tmp/out" 2>&1 &
run=$!
# wait for training to be under way and a checkpoint saved, then kill rank 1
wait_for "step [1-9][0-9]*/" "saved ckpt/lenet-last"
rank_pid "$tmp/m32" 1
r1=$pid
[ -n "$r1" ] || { kill $run; fail "rank 1 not found"; }
kill -9 "$r1"
wait $run
rc=$?
cat "$tmp/out"
[ $rc -ne 0 ] || fail "exit status 0 after rank 1 died"
[ $rc -ne 124 ] || fail "it hung past the guard (timeout)"
grep -q "rank 1" "$tmp/out" || fail "no message naming rank 1"
none_left
# resume from the last checkpoint, to the end of epoch 1
MPI_GUARD=90 mpi -np 2 "$tmp/m32" --data-root "$data" --log none --epochs 1 --resume last \
	>"$tmp/resume.out" 2>&1 || { cat "$tmp/resume.out"; fail "--resume last after the kill"; }
tr '\r' '\n' <"$tmp/resume.out" | grep -v ETA
grep -q "^resumed from ckpt/lenet-last.safetensors: epoch 0, batch [1-9]" "$tmp/resume.out" ||
	fail "it did not resume mid-epoch from the last checkpoint"
grep -q "^val: 2000 samples" "$tmp/resume.out" || fail "the resumed run did not finish"
echo "PASS: rank 1 killed: exit $rc, rank 1 named, no process left; --resume last finished"
