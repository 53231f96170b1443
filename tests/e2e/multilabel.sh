#!/bin/sh
# tests/e2e/multilabel.sh - the ChestX-ray14 shape of problem on the MNIST
# digits (issue 4): a CSV whose label cells hold several labels split by
# '|' ("odd|big", "No Finding" for the empty set), binary cross-entropy on
# two independent outputs, per-class AUC, a warm-up then plateau schedule,
# early stopping and keep-best on val.auc, two epochs.  Checks that it
# trains (val.auc well above chance), that the per-class AUCs and the best
# checkpoint exist and the logs carry the learning rate of the schedule.
set -u
. "$abs_top_srcdir/tests/e2e/common.sh"
cd "$tmp" || exit 99

sh "$abs_top_srcdir/tests/e2e/odd_big.sh" "$data" >ml.net || fail "odd_big.sh"
cat >>ml.net <<NET

train odd_big {
    network    = lenet(classes = 2)
    data       = digits
    loss       = binary_cross_entropy
    optimizer  = adam(lr = 0.002)
    schedule   = warmup(epochs = 1) => plateau(on = val.loss, factor = 0.5, patience = 0)
    batch      = 32
    epochs     = 2
    metrics    = [auc(per_class), accuracy]
    checkpoint = every(1, to = "ckpt/ml", keep_best = val.auc)
    early_stopping = patience(3, on = val.auc)
}
NET
"$NETC" build ml.net -o ml || fail "netc build exited $?"
./ml --threads 2 --quiet >out 2>&1 || { cat out; fail "ml exited $?"; }
cat out
auc=`sed -n 's/.*val\.auc \([0-9.]*\).*/\1/p' out | tail -1`
test -n "$auc" || fail "no val.auc in the epoch lines"
awk -v a="$auc" 'BEGIN { exit !(a >= 0.95) }' || fail "val.auc $auc < 0.95 after 2 epochs"
grep -q 'val.auc.odd' ckpt/ml-log.csv || fail "no per-class AUC column in the CSV log"
grep -q '"val.auc.big"' ckpt/ml-log.jsonl || fail "no per-class AUC in the JSON log"
test -f ckpt/ml-best.safetensors || fail "no keep-best checkpoint"
lr1=`sed -n 2p ckpt/ml-log.csv | cut -d, -f3`
awk -v l="$lr1" 'BEGIN { exit !(l > 0 && l <= 0.002) }' || fail "epoch 1 lr $lr1"
echo "ok: val.auc $auc"
