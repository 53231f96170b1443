#!/bin/sh
# tests/repl/eval_bare.sh - netc repl's :eval of a bare network, one that
# no train section trains (issue 6): a forward-only program of its own,
# the same output twice and after :set threads (the same initial weights),
# no data (on DATA sample K is refused), no :save, :restore without a
# train section refused with the reason; a network that a train
# section trains still goes through it.
set -u
: "${NETC:?}"
tmp=`mktemp -d "${TMPDIR:-/tmp}/netc-bare.XXXXXX"` || exit 99
trap 'rm -rf "$tmp"' 0
fail() { echo "FAIL: $*"; exit 1; }
cd "$tmp" || exit 99
cat >s.in <<'EOF'
network m {
    input x : f32[5]
    @chain x => dense(3) => relu => dense(2)
}
:eval m
:eval m on random
:set threads 2
:eval m
:eval m on d sample 1
:save w.safetensors
:restore w.safetensors
network wide(units = 4) {
    input x : f32[1, 8, 8]
    @chain x => flatten => dense(units) => softmax
}
:eval wide
EOF
"$NETC" repl <s.in >s.out 2>s.err
rc=$?
cat s.out s.err
test $rc = 0 || fail "netc repl exited $rc"
test `grep -c '^m on random input, after 0 training steps:$' s.out` = 3 || fail ":eval m"
test `grep '^output \[2\]:' s.out | sort -u | wc -l` = 1 || fail "the outputs of m differ"
test `grep -c '^output \[2\]: [-0-9.e]* [-0-9.e]*$' s.out` = 3 || fail "m's output is not 2 numbers"
grep -q '^output \[4\]:' s.out || fail ":eval of a network with default parameters"
grep -q "no train section trains m, so it has no data" s.err || fail "on DATA sample K"
grep -q ":save: .*nothing to save" s.err || fail ":save"
test ! -e w.safetensors || fail ":save wrote a file"
grep -q ":restore: the live program is a bare network's" s.err || fail ":restore of a bare network's program"
echo ok
