#!/bin/sh
# auc.sh - exact validation metrics across ranks (issue 5): a
# ChestX-ray14-shaped multi-label run (tests/e2e/multilabel.sh: "odd" and
# "big" digits, binary cross-entropy, per-class AUC) trained one epoch in
# one process; --eval-only of its checkpoint under mpirun -np 2 and -np 3
# gives the val.auc (mean and per class), val.loss and val.accuracy of the
# same checkpoint evaluated by one process, equal (every value of the --log
# row, %.9g, and the printed metrics lines), not an average of per-rank
# values.  The validation split is split over the ranks: 2000 samples at
# batch 32 are 63 batches (the last padded), 32 + 31 on 2 ranks, 21 each
# on 3 (the printed batches per rank); under parameter_server(servers = 1)
# with 3 ranks the 2 workers evaluate (32 + 31) and the server none.
# Then the single-label case: 10 digit classes, 3 ranks print the loss,
# accuracy, top-3 and confusion matrix of one process.
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
mpi -np 3 ./ml --threads 1 --eval-only --resume $ck --log three >three.out 2>&1 ||
	{ cat three.out; fail "--eval-only under mpirun -np 3"; }
sed 's/allreduce/parameter_server(servers = 1)/' ml.net >ps.net
"$NETC" build ps.net -o ps >build.log 2>&1 || { cat build.log; fail "netc build (ps)"; }
mpi -np 3 ./ps --threads 1 --eval-only --resume $ck --log ps >ps.out 2>&1 ||
	{ cat ps.out; fail "--eval-only under parameter_server, mpirun -np 3"; }
cat one.out two.out three.out ps.out
grep -q 'evaluated by' one.out && fail "one process printed a split evaluation"
grep -qx 'val: evaluated by 2 data ranks, batches per rank: 32 31' two.out ||
	fail "2 ranks did not evaluate 32 + 31 of the 63 val batches"
grep -qx 'val: evaluated by 3 data ranks, batches per rank: 21 21 21' three.out ||
	fail "3 ranks did not evaluate 21 val batches each"
grep -qx 'val: evaluated by 2 data ranks, batches per rank: 32 31' ps.out ||
	fail "the 2 workers of parameter_server did not evaluate 32 + 31 val batches"
metrics() { grep -e '^val: [0-9]' -e '^  auc per class' "$1"; }
for f in two three ps; do
	metrics one.out >m1; metrics $f.out >m2
	test -s m1 && cmp -s m1 m2 || { diff m1 m2; fail "the printed val metrics of $f differ"; }
done
python3 - one.jsonl two.jsonl three.jsonl ps.jsonl <<'PY' || fail "the multi-rank validation metrics differ from one process's"
import json, sys
one, two, three, ps = [json.loads(open(f).read().splitlines()[-1]) for f in sys.argv[1:5]]
keys = ['val.auc', 'val.auc.odd', 'val.auc.big', 'val.loss', 'val.accuracy']
bad = 0
for k in keys:
    if k not in one or k not in two:
        print('FAIL: %s missing (%s)' % (k, sorted(one))); sys.exit(1)
    print('%-14s 1 process %.9f  2 ranks %.9f  3 ranks %.9f  ps %.9f' %
          (k, one[k], two[k], three[k], ps[k]))
for k in sorted(one):
    for name, row in (('2 ranks', two), ('3 ranks', three), ('parameter_server', ps)):
        if row.get(k) != one[k]:
            print('FAIL: %s: %s %r, 1 process %r' % (k, name, row.get(k), one[k]))
            bad += 1
if not 0.5 < one['val.auc'] <= 1:
    print('FAIL: val.auc %g is no better than chance: the test proves little' % one['val.auc'])
    bad += 1
sys.exit(1 if bad else 0)
PY

cat >d10.net <<NET
import "lenet"

data mnist {
    source  = csv("$data/labels.csv", image = "Image Index", labels = "Finding Labels",
                  sep = "", root = "$data/images/")
    classes = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
    split   = ratio(train = 0.8, val = 0.2, test = 0, seed = 1)
    decode  = gray(28, 28)
    augment = normalize(mean = 0.1307, std = 0.3081)
}

train d10 {
    network    = lenet(classes = 10)
    data       = mnist
    loss       = cross_entropy
    optimizer  = adam(lr = 0.002)
    batch      = 32
    epochs     = 1
    metrics    = [accuracy, top_k(3)]
    checkpoint = every(1, to = "ckpt/d10")
    distribute = allreduce
}
NET
"$NETC" build d10.net -o d10 >build.log 2>&1 || { cat build.log; fail "netc build d10.net"; }
./d10 --threads 1 --steps 40 --log none --quiet >train.log 2>&1 || { cat train.log; fail "training d10"; }
./d10 --threads 1 --eval-only --resume ckpt/d10-last.safetensors >d1.out 2>&1 ||
	{ cat d1.out; fail "d10 --eval-only alone"; }
mpi -np 3 ./d10 --threads 1 --eval-only --resume ckpt/d10-last.safetensors >d3.out 2>&1 ||
	{ cat d3.out; fail "d10 --eval-only under mpirun -np 3"; }
cat d3.out
grep -qx 'val: evaluated by 3 data ranks, batches per rank: 21 21 21' d3.out ||
	fail "3 ranks did not evaluate 21 of the 63 d10 val batches each"
sed -n '/^val: [0-9]/,$p' d1.out >m1
sed -n '/^val: [0-9]/,$p' d3.out >m3
grep -q '^ *true' m1 || grep -qi 'confusion' m1 || { cat m1; fail "no confusion matrix printed"; }
cmp -s m1 m3 || { diff m1 m3; fail "the 3-rank val metrics and confusion matrix of d10 differ"; }
echo "PASS: val metrics of 2 and 3 ranks and of parameter_server = 1 process, the split over the ranks"
