#!/bin/sh
# bench/check.sh - how fast `netc check` is: a generated 10,000-layer chain,
# 10,000 `let` bindings, and DenseNet-121 from the stdlib.  Prints the median
# of 7 runs and the time per layer (graph node), measured in this run.
#
#   make bench        or        NETC=compiler/netc bench/check.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
NETC=${NETC:-$top/compiler/netc}
export NETC_STDLIB=${NETC_STDLIB:-$top/stdlib}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A chain of 10,000 layers: dense/relu pairs on a vector.
awk 'BEGIN {
	print "network chain {\n    input x : f32[64]\n    @chain x"
	for (i = 0; i < 5000; i++) print "        => dense(64) => relu"
	print "}"
}' > "$tmp/chain.net"
# The same depth written as 10,000 `let` lines.
awk 'BEGIN {
	print "network lets {\n    input x : f32[64]\n    let a0 = x"
	for (i = 1; i <= 10000; i++)
		printf "    let a%d = @chain a%d => %s\n", i, i - 1, (i % 2 ? "dense(64)" : "relu")
	print "    a10000\n}"
}' > "$tmp/lets.net"
printf 'import "densenet"\nnetwork d { input x : f32[3, 224, 224]\n  x => densenet121 }\n' > "$tmp/dn121.net"

# Median wall time of 7 runs of `netc check`, in seconds.
median() {
	for i in 1 2 3 4 5 6 7; do
		s=$(date +%s.%N)
		"$NETC" check "$1" >/dev/null
		e=$(date +%s.%N)
		echo "$s $e" | awk '{ printf "%.6f\n", $2 - $1 }'
	done | sort -n | sed -n 4p
}
nodes() { "$NETC" summary "$1" | awk '/^Layer/ { on = 1; next } /^-+$/ { if (on) exit } on && !/^=/ { n++ } END { print n }'; }

printf '%-22s %8s %10s %12s\n' case nodes "median ms" "us/layer"
for c in chain lets dn121; do
	t=$(median "$tmp/$c.net")
	n=$(nodes "$tmp/$c.net")
	echo "$c $n $t" | awk '{ printf "%-22s %8d %10.1f %12.2f\n", $1, $2, $3 * 1000, $3 * 1e6 / $2 }'
done
