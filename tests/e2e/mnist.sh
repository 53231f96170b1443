#!/bin/sh
# tests/e2e/mnist.sh - the product's main job (issue 4): examples/mnist.net
# built with netc build, then ./mnist trains 10 epochs on the 8,000 training
# digits of /work/shared/data/mnist (../shared beside the tree) and must reach
# at least 98.5% accuracy on the 2,000 held-out ones.  Also: the epoch logs
# (CSV and JSON lines) have one row per epoch, the checkpoints exist, and
# --eval-only of the last checkpoint gives the same accuracy.
set -u
. "$abs_top_srcdir/tests/e2e/common.sh"

"$NETC" build "$abs_top_srcdir/examples/mnist.net" -o "$tmp/mnist" || fail "netc build exited $?"
cd "$tmp" || exit 99
start=`date +%s`
./mnist --threads 2 --workers 1 >out 2>err || { cat out err; fail "mnist exited $?"; }
end=`date +%s`
cat out
echo "trained in `expr $end - $start` s"
acc=`sed -n 's/^val: 2000 samples, loss [^,]*, accuracy \([0-9.]*\)$/\1/p' out`
test -n "$acc" || fail "no final 'val: 2000 samples ... accuracy' line"
awk -v a="$acc" 'BEGIN { exit !(a >= 0.985) }' || fail "held-out accuracy $acc < 0.985"
test `grep -c '^epoch [0-9]*/10  train.loss' out` = 10 || fail "expected 10 epoch lines"
test `wc -l <ckpt/mnist-log.csv` = 11 || fail "the CSV log should have a header and 10 rows"
test `wc -l <ckpt/mnist-log.jsonl` = 10 || fail "the JSON-lines log should have 10 lines"
head -1 ckpt/mnist-log.csv | grep -q '^epoch,step,lr,train.loss,train.accuracy' ||
	fail "CSV log header: `head -1 ckpt/mnist-log.csv`"
test -f ckpt/mnist-last.safetensors || fail "no ckpt/mnist-last.safetensors"
test -f ckpt/mnist-epoch0010.safetensors || fail "no epoch 10 checkpoint"
test ! -f ckpt/mnist-epoch0001.safetensors || fail "keep-last kept the epoch 1 checkpoint"
./mnist --eval-only --resume >eval 2>&1 || { cat eval; fail "--eval-only exited $?"; }
grep -q "^val: 2000 samples, loss [^,]*, accuracy $acc\$" eval ||
	{ cat eval; fail "--eval-only of the last checkpoint does not give accuracy $acc"; }
echo "ok: held-out accuracy $acc"
