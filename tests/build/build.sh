#!/bin/sh
# tests/build/build.sh - netc build end to end: examples/mnist.net built
# into an executable that trains 3 steps on random batches (--synthetic), prints 3
# finite losses, the same on a second run and with 2 threads; netc
# emit-llvm prints the four entry points; a bad --batch is refused.
set -u
: "${NETC:?}" "${abs_top_srcdir:?}"
tmp=`mktemp -d "${TMPDIR:-/tmp}/netc-build.XXXXXX"` || exit 99
trap 'rm -rf "$tmp"' 0
fail() { echo "FAIL: $*"; exit 1; }

"$NETC" build "$abs_top_srcdir/examples/mnist.net" -o "$tmp/mnist" || fail "netc build exited $?"
"$tmp/mnist" --synthetic --steps 3 --seed 1 >"$tmp/a" || fail "mnist exited $?"
cat "$tmp/a"
test `grep -c '^step [123] loss ' "$tmp/a"` = 3 || fail "expected 3 loss lines"
awk '{ if ($4 != $4 + 0 || $4 == "nan" || $4 == "inf" || $4 == "-nan") exit 1 }' "$tmp/a" ||
	fail "a loss is not finite"
"$tmp/mnist" --synthetic --steps 3 --seed 1 >"$tmp/b" || fail "second run exited $?"
cmp "$tmp/a" "$tmp/b" || fail "two runs with seed 1 differ"
"$tmp/mnist" --synthetic --steps 3 --seed 1 --threads 2 >"$tmp/c" || fail "--threads 2 exited $?"
cmp "$tmp/a" "$tmp/c" || fail "--threads 1 and 2 differ"
"$tmp/mnist" --batch 7 >/dev/null 2>&1
test $? = 2 || fail "--batch 7 (built for 64) was not refused with status 2"
"$tmp/mnist" --help | grep -q -- --steps || fail "--help"

"$NETC" emit-llvm "$abs_top_srcdir/examples/mnist.net" >"$tmp/ir" || fail "netc emit-llvm exited $?"
for f in netc_init netc_forward netc_train_step netc_eval_step netc_update; do
	grep -q "^define .*@$f(" "$tmp/ir" || fail "emit-llvm: no $f"
done
"$NETC" build "$abs_top_srcdir/examples/mnist.net" --batch 8 -o "$tmp/m8" || fail "build --batch 8"
"$tmp/m8" --synthetic --batch 8 --steps 1 --quiet | grep -q '^step 1 loss' || fail "--batch 8 program"
NETC_RUNTIME_DIR="$tmp/none" "$NETC" build "$abs_top_srcdir/examples/mnist.net" -o "$tmp/x" 2>"$tmp/err"
test $? = 1 || fail "a missing NETC_RUNTIME_DIR was not an error"
grep -q NETC_RUNTIME_DIR "$tmp/err" || fail "no diagnostic for NETC_RUNTIME_DIR"
echo ok
