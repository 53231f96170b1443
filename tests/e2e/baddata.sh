#!/bin/sh
# tests/e2e/baddata.sh - bad input to a built training program (issue 4):
# every case ends with a clear message and the documented status, never
# a crash or a hang.  The program is examples/mnist.net pointed at a copy
# of the MNIST folder (--data-root) that each case damages.
set -u
. "$abs_top_srcdir/tests/e2e/common.sh"
# expect STATUS PATTERN CMD...: CMD exits with STATUS and its output matches PATTERN
expect() {
	want=$1 pat=$2
	shift 2
	"$@" >"$tmp/out" 2>&1
	rc=$?
	test $rc = "$want" || { cat "$tmp/out"; fail "$*: status $rc, expected $want"; }
	grep -q -e "$pat" "$tmp/out" || { cat "$tmp/out"; fail "$*: no '$pat' in the output"; }
	grep -E 'Segmentation|Aborted|core dumped' "$tmp/out" && fail "$*: crashed"
	return 0
}

"$NETC" build "$abs_top_srcdir/examples/mnist.net" -o "$tmp/mnist" || fail "netc build exited $?"
cd "$tmp" || exit 99
# The data root the .net file names is ../../shared/data/mnist from
# examples/: a copy at $tmp/x/../../shared/data/mnist, reached with
# --data-root $tmp/root/a/b.
mkdir -p root/a/b root/shared/data
cp -R "$data" root/shared/data/mnist
fresh() { rm -rf root/shared/data/mnist && cp -R "$data" root/shared/data/mnist; }
M() { ./mnist --data-root "$tmp/root/a/b" --log none --no-checkpoint "$@"; }
imgs=root/shared/data/mnist/images

# command line
expect 2 "expects an integer >= 1" ./mnist --epochs 0
expect 2 "unknown option '--bogus'" ./mnist --bogus
expect 2 "fixed at build time to 64" ./mnist --batch 32
# no data where the section says
expect 1 "labels.csv" ./mnist --data-root "$tmp/nowhere"
# 20 truncated PNGs and one zero-byte file: skipped, counted, training goes on
i=0
for f in `ls $imgs | sed -n '100,120p'`; do
	head -c 50 "$imgs/$f" >"$imgs/$f.t" && mv "$imgs/$f.t" "$imgs/$f"
done
: >"$imgs/`ls $imgs | sed -n 500p`"
expect 0 "skipped [0-9]* bad samples" M --epochs 1 --quiet
grep 'skipped' "$tmp/out"
# --strict fails on the first, naming the file
expect 1 "images/[0-9]*\.png" M --epochs 1 --strict --quiet
# more than 1% bad: the loader gives up with the reason
for f in `ls $imgs | sed -n '1000,1300p'`; do : >"$imgs/$f"; done
expect 1 "bad" M --epochs 1 --quiet
fresh
# a missing image
rm "$imgs/`ls $imgs | sed -n 7p`"
expect 0 "skipped" M --epochs 1 --quiet
fresh
# a ragged row and an unknown label in the label file: file and line
sed '5s/$/,extra/' "$data/labels.csv" >root/shared/data/mnist/labels.csv
expect 1 "labels.csv:5" M --epochs 1
sed '8s/,[0-9]$/,seven/' "$data/labels.csv" >root/shared/data/mnist/labels.csv
expect 1 "labels.csv:8.*seven" M --epochs 1
fresh
# a non-finite loss stops the run with the step, the checkpoint intact
sed 's/sgd(lr = 0.05, momentum = 0.9, weight_decay = 5e-4)/sgd(lr = 1e30)/' \
	"$abs_top_srcdir/examples/mnist.net" >root/a/b/big.net
"$NETC" build root/a/b/big.net -o big || fail "netc build big.net"
expect 1 "the loss is .* at step [0-9]*" ./big --epochs 1 --quiet --log none
expect 1 "no checkpoint was written yet" ./big --epochs 1 --quiet --log none
echo ok
