#!/bin/sh
# auc.sh - exact validation metrics across ranks (issue 5): a
# ChestX-ray14-shaped multi-label run (tests/e2e/multilabel.sh: "odd" and
# "big" digits, binary cross-entropy, per-class AUC) trained one epoch in
# one process; --eval-only of its checkpoint under mpirun -np 2 gives the
# val.auc (mean and per class), val.loss and val.accuracy of the same
# checkpoint evaluated by one process, to 1e-9 (the --log row, %.9g), not
# an average of per-rank values.
. "$abs_top_srcdir/tests/mpi/common.sh"
cd "$tmp" || exit 99
sh "$abs_top_srcdir/tests/e2e/odd_big.sh" "$data" >ml.net || fail "odd_big.sh"
cat >>ml.net <<NET

train odd_big {
    network    = lenet(classes = 2)
    data       = digits
    loss       = binary_cross_entropy
    optimizer  = adam(lr = 0.002)
    batch      = 32
    epochs     = 1
    metrics    = [auc(per_class), accuracy]
    checkpoint = every(1, to = "ckpt/ml")
    distribute = allreduce
}
NET
"$NETC" build ml.net -o ml >build.log 2>&1 || { cat build.log; fail "netc build"; }
./ml --threads 1 --steps 60 --log none --quiet >train.log 2>&1 || { cat train.log; fail "training"; }
ck=ckpt/ml-last.safetensors
test -f $ck || fail "no $ck"
./ml --threads 1 --eval-only --resume $ck --log one >one.out 2>&1 || { cat one.out; fail "--eval-only alone"; }
mpi -np 2 ./ml --threads 1 --eval-only --resume $ck --log two >two.out 2>&1 ||
	{ cat two.out; fail "--eval-only under mpirun -np 2"; }
cat one.out
python3 - one.jsonl two.jsonl <<'PY' || fail "the 2-rank validation metrics differ from one process's"
import json, sys
one, two = [json.loads(open(f).read().splitlines()[-1]) for f in sys.argv[1:3]]
keys = ['val.auc', 'val.auc.odd', 'val.auc.big', 'val.loss', 'val.accuracy']
bad = 0
for k in keys:
    if k not in one or k not in two:
        print('FAIL: %s missing (%s)' % (k, sorted(one))); sys.exit(1)
    d = abs(one[k] - two[k])
    print('%-14s 1 process %.9f  2 ranks %.9f  |diff| %.3g' % (k, one[k], two[k], d))
    bad += d > 1e-9
if not 0.5 < one['val.auc'] <= 1:
    print('FAIL: val.auc %g is no better than chance: the test proves little' % one['val.auc'])
    bad += 1
sys.exit(1 if bad else 0)
PY
echo "PASS: val.auc (mean and per class) of 2 ranks = 1 process to 1e-9"
