#!/bin/sh
# tests/e2e/resume.sh - checkpoints resume exactly (issue 4): 200 train
# steps straight against 60 steps, a new process resumed from the
# checkpoint for 140 more (across the end of epoch 1 at step 125, with its
# validation): the two final checkpoints are byte-identical (parameters,
# batchnorm statistics, optimizer state, step, data order, schedule).  A
# run killed with SIGKILL after its checkpoint resumes the same way, and
# SIGINT saves where it stopped.  Checkpoints of another program are
# refused.
set -u
. "$abs_top_srcdir/tests/e2e/common.sh"

"$NETC" build "$abs_top_srcdir/examples/mnist.net" -o "$tmp/mnist" || fail "netc build exited $?"
cd "$tmp" || exit 99
mkdir a b c
(cd a && ../mnist --steps 200 --quiet --log none) >a.out 2>&1 || { cat a.out; fail "straight run"; }
(cd b && ../mnist --steps 60 --quiet --log none) >b.out 2>&1 || { cat b.out; fail "first half"; }
(cd b && ../mnist --steps 200 --resume --log none) >b2.out 2>&1 || { cat b2.out; fail "resumed run"; }
grep -q '^resumed from ckpt/mnist-last.safetensors: epoch 0, batch 60, step 60$' b2.out ||
	{ cat b2.out; fail "the resumed run does not say where it resumed"; }
cmp a/ckpt/mnist-last.safetensors b/ckpt/mnist-last.safetensors ||
	fail "200 steps straight and 60 + 140 resumed differ"
echo "ok: 200 straight = 60 + resume 140, byte for byte"

# --threads 2 gives the same bytes as 1 thread
(cd c && ../mnist --steps 200 --threads 2 --workers 2 --quiet --log none) >c.out 2>&1 ||
	{ cat c.out; fail "2 threads"; }
cmp a/ckpt/mnist-last.safetensors c/ckpt/mnist-last.safetensors || fail "1 and 2 threads differ"

# kill -9 after the step-30 checkpoint, then resume to 200
mkdir d
(cd d && exec ../mnist --checkpoint-steps 30 --log none >../d.out 2>&1) &
pid=$!
n=0
while ! grep -q 'step 60)' d.out 2>/dev/null; do
	n=`expr $n + 1`
	test $n -lt 600 || { kill -9 $pid; fail "no checkpoint at step 60 within 60 s"; }
	sleep 0.1
done
kill -9 $pid
wait $pid 2>/dev/null
(cd d && ../mnist --steps 200 --resume --log none) >d2.out 2>&1 || { cat d2.out; fail "resume after kill -9"; }
grep -q '^resumed from ckpt/mnist-last.safetensors: epoch 0, batch [0-9]*, step [0-9]*$' d2.out ||
	{ cat d2.out; fail "resume after kill -9: where?"; }
cmp a/ckpt/mnist-last.safetensors d/ckpt/mnist-last.safetensors ||
	fail "killed at a checkpoint and resumed differs from straight"
echo "ok: kill -9 and resume"

# SIGINT: finish the step, save -last, exit 130
mkdir e
(cd e && exec ../mnist --log none >../e.out 2>&1) &
pid=$!
sleep 2
kill -INT $pid
wait $pid
rc=$?
test $rc = 130 || { cat e.out; fail "SIGINT: status $rc, expected 130"; }
grep -q '^saved ckpt/mnist-last.safetensors' e.out || { cat e.out; fail "SIGINT did not save"; }

# a checkpoint of another program (batch 8) is refused with the reason
"$NETC" build "$abs_top_srcdir/examples/mnist.net" --batch 8 -o m8 || fail "build --batch 8"
(cd a && ../m8 --resume ckpt/mnist-last.safetensors --steps 1 --log none) >f.out 2>&1
test $? = 1 || { cat f.out; fail "another program's checkpoint was not refused"; }
grep -q 'cannot resume' f.out || { cat f.out; fail "no reason given"; }
cat f.out
echo ok
