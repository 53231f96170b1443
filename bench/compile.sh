#!/bin/sh
# bench/compile.sh - wall time of `netc build` (front end, training
# program, LLVM O2, object, link) for the LeNet and ResNet-50 training
# programs of bench/nets.net.  Figures only, no assertions.
#   NETC   the compiler (default: compiler/netc of the build tree)
set -u
here=`cd "\`dirname "$0"\`" && pwd`
NETC=${NETC:-$here/../compiler/netc}
tmp=`mktemp -d "${TMPDIR:-/tmp}/netc-bench.XXXXXX"` || exit 1
trap 'rm -rf "$tmp"' 0
for t in lenet_train resnet50_train; do
	s=`date +%s.%N`
	"$NETC" build "$here/nets.net" $t -o "$tmp/$t" || exit 1
	e=`date +%s.%N`
	echo "$t $s $e `wc -c <"$tmp/$t"`" | awk '{ printf "%s: netc build %.2f s, %d bytes\n", $1, $3 - $2, $4 }'
done
