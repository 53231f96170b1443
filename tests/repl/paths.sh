#!/bin/sh
# tests/repl/paths.sh - netc repl: data paths and imports are relative to
# the file each definition came from (issue 6, netc.1 BUGS before): two
# files loaded from different folders, each importing a module of its own
# folder and reading a CSV there that the other folder lacks, both :train
# and :eval; a data section typed at the prompt reads a CSV of the working
# folder.  Samples are checked by their labels, so each data section read
# its own CSV.
set -u
. "$abs_top_srcdir/tests/e2e/common.sh"

cd "$tmp" || exit 99
mkdir a b c
for x in a b c; do ln -s "$data/images" $x/images || exit 99; done
head -21 "$data/labels.csv" >a/a-labels.csv
(head -1 "$data/labels.csv"; sed -n 22,41p "$data/labels.csv") >b/b-labels.csv
(head -1 "$data/labels.csv"; sed -n 42,61p "$data/labels.csv") >c/c-labels.csv
label() { sed -n "$2p" "$1" | cut -d, -f2; }   # the label of CSV line N

# a/x.net imports a/anet.net; b/y.net imports b/bnet.net
for x in a b; do
	cat >$x/${x}net.net <<EOF
network n$x(classes = 10) {
    input x : f32[1, 28, 28]
    @chain x => flatten => dense(classes)
}
EOF
done
section() {   # data NAME, CSV, train NAME, network
	cat <<EOF
data $1 {
    source  = csv("$2", image = "Image Index", labels = "Finding Labels", sep = "",
                  root = "images/")
    classes = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
    split   = ratio(train = 0.5, val = 0.5, test = 0, seed = 1)
    decode  = gray(28, 28)
}
train $3 {
    network   = $4(classes = 10)
    data      = $1
    loss      = cross_entropy
    optimizer = sgd(lr = 0.01)
    batch     = 4
    epochs    = 1
}
EOF
}
{ echo 'import "anet"'; section da a-labels.csv ta na; } >a/x.net
{ echo 'import "bnet"'; section db b-labels.csv tb nb; } >b/y.net

cd c || exit 99
{
	echo ":load ../a/x.net"
	echo ":load $tmp/b/y.net"
	echo ":train ta steps=2"
	echo ":train tb steps=2"
	echo ":eval ta on da sample 0"
	echo ":eval tb on db sample 1"
	section dc c-labels.csv tc na
	echo ":train tc steps=2"
	echo ":eval tc on dc sample 2"
} >s.in
"$NETC" repl <s.in >s.out 2>s.err
rc=$?
cat s.out s.err
test $rc = 0 || fail "netc repl exited $rc"
test ! -s s.err || fail "errors on standard error"
for t in ta tb tc; do
	grep -q "^$t: trained to step 2\$" s.out || fail ":train $t"
done
grep -q "^ta on da sample 0 (label `label ../a/a-labels.csv 2`), after" s.out ||
	fail ":eval on da: not a/a-labels.csv's sample 0"
grep -q "^tb on db sample 1 (label `label ../b/b-labels.csv 3`), after" s.out ||
	fail ":eval on db: not b/b-labels.csv's sample 1"
grep -q "^tc on dc sample 2 (label `label c-labels.csv 4`), after" s.out ||
	fail ":eval on the typed dc: not c/c-labels.csv's sample 2"
echo ok
