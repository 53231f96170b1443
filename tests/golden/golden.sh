#!/bin/sh
# tests/golden/golden.sh - `netc check` on every stdlib module and example,
# `netc summary` of every stdlib network, example and tests/golden/lang
# program against the golden
# tables in tests/golden/expected/, and `netc graph` of LeNet-5 and
# ResNet-18 against golden .dot files.
#
# NETC_REGEN=1 tests/golden/golden.sh rewrites the golden files (review the
# diff before committing it).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
NETC=${NETC:-$top/compiler/netc}
export NETC_STDLIB=${NETC_STDLIB:-$top/stdlib}
exp=$here/expected
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# run NAME CMD... : compare CMD's stdout with $exp/NAME
run() {
	name=$1
	shift
	if ! "$@" > "$tmp/out" 2> "$tmp/err"; then
		echo "FAIL $name: exit status $? from: $*"
		sed 's/^/    /' "$tmp/err" | head -20
		fail=1
		return
	fi
	if [ -n "${NETC_REGEN:-}" ]; then
		cp "$tmp/out" "$exp/$name"
		echo "regenerated $name"
	elif ! diff -u "$exp/$name" "$tmp/out" > "$tmp/diff"; then
		echo "FAIL $name: output differs from tests/golden/expected/$name"
		head -40 "$tmp/diff"
		fail=1
	else
		echo "ok   $name"
	fi
}

for f in "$top"/stdlib/*.net "$top"/examples/*.net; do
	if "$NETC" check "$f" > "$tmp/out" 2> "$tmp/err" && [ ! -s "$tmp/err" ]; then
		echo "ok   check $(basename "$f")"
	else
		echo "FAIL check $f"
		sed 's/^/    /' "$tmp/err" | head -20
		fail=1
	fi
done

# Every network of the stdlib, and the network of each example's first
# train section (or its last network).
for f in "$top"/stdlib/*.net; do
	m=$(basename "$f" .net)
	for n in $(sed -n 's/^network \([A-Za-z_][A-Za-z0-9_]*\).*/\1/p' "$f"); do
		run "summary-$m-$n.txt" "$NETC" summary "$f" "$n"
	done
done
for f in "$top"/examples/*.net; do
	run "summary-example-$(basename "$f" .net).txt" "$NETC" summary "$f"
done

for f in "$here"/lang/*.net; do
	run "summary-lang-$(basename "$f" .net).txt" "$NETC" summary "$f"
done

run graph-lenet.dot "$NETC" graph "$top/stdlib/lenet.net" lenet -o -
run graph-resnet18.dot "$NETC" graph "$top/stdlib/resnet.net" resnet18 -o -

exit $fail
