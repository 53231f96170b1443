#!/bin/sh
# build.sh - `netc build`: --dump-after=autodiff|bnfold|fuse|layout prints
# the training program and exits 0 (after fuse with the fused steps, with
# --no-opt without them); without it and without -o OUT it is a usage error
# (2), as is a bad pass name; an unknown train section is an input error (1).
set -u
: "${NETC:=compiler/netc}"
: "${abs_top_srcdir:=.}"
ex="$abs_top_srcdir/examples"
tmp=${TMPDIR:-/tmp}/netc-build-test.$$
trap 'rm -f "$tmp".*' EXIT INT TERM
fail=0

# expect STATUS CMD...: run CMD, compare its exit status.
expect() {
	want=$1
	shift
	"$@" >"$tmp.out" 2>"$tmp.err"
	got=$?
	if test "$got" != "$want"; then
		echo "FAIL: $* exited $got, expected $want" >&2
		cat "$tmp.err" >&2
		fail=1
	fi
}

expect 0 "$NETC" build "$ex/mnist.net" --dump-after=layout
grep -q '^tprog mnist_lenet: network lenet_bn, batch 64, seed 1$' "$tmp.out" ||
	{ echo "FAIL: layout dump header" >&2; fail=1; }
grep -q '^regions: PARAM 61750 GRAD 61750 STATE 44 OPT 61750 ACT [0-9]' "$tmp.out" ||
	{ echo "FAIL: layout dump regions" >&2; fail=1; }
grep -q 'sgd_step grad=grads -> param=params buf=opt.momentum' "$tmp.out" ||
	{ echo "FAIL: layout dump update step" >&2; fail=1; }
expect 0 "$NETC" build "$ex/mnist.net" mnist_lenet --dump-after=autodiff
grep -q ' ACT ?' "$tmp.out" || { echo "FAIL: autodiff dump lays out ACT" >&2; fail=1; }
expect 0 "$NETC" build "$ex/mnist.net" --dump-after=fuse
grep -q 'conv_fwd .* act=relu' "$tmp.out" || { echo "FAIL: fuse dump: no fused conv" >&2; fail=1; }
grep -q ' ACT ?' "$tmp.out" || { echo "FAIL: fuse dump lays out ACT" >&2; fail=1; }
expect 0 "$NETC" build "$ex/mnist.net" --dump-after=fuse --no-opt
grep -q 'act=relu' "$tmp.out" && { echo "FAIL: --no-opt fuses" >&2; fail=1; }
grep -q 'relu_fwd' "$tmp.out" || { echo "FAIL: --no-opt dump without relu_fwd" >&2; fail=1; }
expect 0 "$NETC" build "$ex/mnist.net" --dump-after=bnfold
expect 0 "$NETC" build "$ex/mnist.net" --dump-after=layout --no-opt
grep -q 'act=relu' "$tmp.out" && { echo "FAIL: --no-opt layout fuses" >&2; fail=1; }
for f in "$ex"/*.net; do
	expect 0 "$NETC" build "$f" --dump-after=layout
done
expect 2 "$NETC" build "$ex/mnist.net"
test -s "$tmp.err" || { echo "FAIL: build without --dump-after or -o says nothing" >&2; fail=1; }
expect 2 "$NETC" build "$ex/mnist.net" --dump-after=no_such_pass
expect 2 "$NETC" check "$ex/mnist.net" --dump-after=layout
expect 1 "$NETC" build "$ex/mnist.net" no_such_section --dump-after=layout
exit $fail
