#!/bin/sh
# bench/step.sh - training-step throughput (images/s) of LeNet (batch 64)
# and ResNet-18 on 32x32 inputs (batch 32), bench/nets.net, with 1 and 2
# threads.  The time covers the steps after a first warm-up step
# (--steps 1 is subtracted).  Figures only, no assertions.
#   NETC   the compiler (default: compiler/netc of the build tree)
#   STEPS  timed steps (default 20 for LeNet, 5 for ResNet-18)
set -u
here=`cd "\`dirname "$0"\`" && pwd`
NETC=${NETC:-$here/../compiler/netc}
tmp=`mktemp -d "${TMPDIR:-/tmp}/netc-bench.XXXXXX"` || exit 1
trap 'rm -rf "$tmp"' 0
now() { date +%s.%N; }
for spec in lenet_train:64:${STEPS:-20} resnet18_train:32:${STEPS:-5}; do
	t=${spec%%:*}; rest=${spec#*:}; batch=${rest%%:*}; steps=${rest#*:}
	"$NETC" build "$here/nets.net" $t -o "$tmp/$t" || exit 1
	for th in 1 2; do
		s=`now`; "$tmp/$t" --synthetic --steps 1 --threads $th --quiet >/dev/null || exit 1; m=`now`
		"$tmp/$t" --synthetic --steps `expr $steps + 1` --threads $th --quiet >/dev/null || exit 1; e=`now`
		echo "$t $batch $th $steps $s $m $e" | awk '{ printf "%s batch %d threads %d: %.1f images/s\n", $1, $2, $3, $2 * $4 / (($7 - $6) - ($6 - $5)) }'
	done
done
