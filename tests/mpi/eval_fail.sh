#!/bin/sh
# eval_fail.sh - a bad sample on one rank of the split validation (issue 5):
# 400 digits (200 val) at batch 4, 2 ranks, so rank 1 evaluates val batches
# 1, 3, 5, ...  The test finds val sample 4 (the first of batch 1) by
# corrupting every image and restoring the first one an --eval-only
# reports skipped, five times; then only that image is bad.  With --strict
# rank 1 fails and rank 0 says so (no collective left to its deadline);
# without it the bad sample is skipped and counted by rank 0 (its first
# message is on rank 1), and the metrics cover the 199 good samples.
. "$abs_top_srcdir/tests/mpi/common.sh"
cd "$tmp" || exit 99
mkdir good img || exit 99
head -401 "$data/labels.csv" >labels.csv
tail -n +2 labels.csv | cut -d, -f1 | while read -r f; do cp "$data/images/$f" good/ || exit 1; done ||
	fail "copying digits"
cp good/* img/
cat >f.net <<NET
import "lenet"

data few {
    source  = csv("labels.csv", image = "Image Index", labels = "Finding Labels",
                  sep = "", root = "img/")
    classes = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
    split   = ratio(train = 0.5, val = 0.5, test = 0, seed = 1)
    decode  = gray(28, 28)
    augment = normalize(mean = 0.1307, std = 0.3081)
}

train f {
    network    = lenet(classes = 10)
    data       = few
    loss       = cross_entropy
    optimizer  = adam(lr = 0.002)
    batch      = 4
    epochs     = 1
    metrics    = [accuracy]
    checkpoint = every(1, to = "ckpt/f")
    distribute = allreduce
}
NET
"$NETC" build f.net -o f >build.log 2>&1 || { cat build.log; fail "netc build f.net"; }
./f --threads 1 --steps 2 --log none --quiet >train.log 2>&1 || { cat train.log; fail "training"; }
ck=ckpt/f-last.safetensors
test -f $ck || fail "no $ck"
for f in img/*; do echo "not a png" >"$f"; done
for i in 0 1 2 3 4; do
	./f --threads 1 --eval-only --resume $ck --max-bad 1 >find.out 2>&1 || { cat find.out; fail "finding val sample $i"; }
	bad=`sed -n 's/^val: skipped [0-9]* bad samples (first: .*\([0-9]\{5\}\.png\).*/\1/p' find.out`
	test -n "$bad" || { cat find.out; fail "no skipped val sample named"; }
	cp "good/$bad" img/
done
echo "val sample 4 (batch 1, rank 1 of 2): $bad"
cp good/* img/
echo "not a png" >"img/$bad"
mpi -np 2 ./f --threads 1 --eval-only --resume $ck --strict --comm-timeout 60 >strict.out 2>&1 &&
	{ cat strict.out; fail "--strict under mpirun -np 2 did not fail on the bad $bad"; }
cat strict.out
grep "$bad" strict.out >/dev/null || fail "rank 1's message does not name $bad"
grep 'rank 1 failed in the val evaluation' strict.out >/dev/null || fail "rank 0 did not name rank 1"
grep 'did not complete within' strict.out >/dev/null && fail "a rank waited for its deadline"
mpi -np 2 ./f --threads 1 --eval-only --resume $ck >skip.out 2>&1 || { cat skip.out; fail "skipping $bad"; }
cat skip.out
grep -x 'val: skipped 1 bad samples (first: on another rank)' skip.out >/dev/null ||
	fail "rank 0 did not count rank 1's skipped sample"
grep '^val: 199 samples' skip.out >/dev/null || fail "the metrics do not cover the 199 good samples"
echo "PASS: a bad val sample on rank 1: --strict stops both ranks naming it; skipped, it is counted"
