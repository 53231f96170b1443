#!/bin/sh
# bench/jit.sh - how quickly the JIT (netc run, netc repl) gets to work:
#   1. the time from entering a LeNet definition (network, data and train
#      section typed into netc repl) to the end of its first training step
#      on the MNIST digits: the whole netc repl process, start-up included,
#      and the REPL's own :time figures of the :train command;
#   2. the JIT compile time (module: lowering and the O2 pipeline; machine
#      code: LLJIT) of the LeNet and ResNet-18 training programs of
#      bench/nets.net (netc run --time), beside netc build's compile and
#      link into an executable.
# Median of 3 runs each.  Figures only, no assertions.
#   NETC   the compiler (default: compiler/netc of the build tree)
set -u
here=`cd "\`dirname "$0"\`" && pwd`
NETC=${NETC:-$here/../compiler/netc}
export NETC_STDLIB=${NETC_STDLIB:-$here/../stdlib}
data="$here/../../shared/data/mnist"
tmp=`mktemp -d "${TMPDIR:-/tmp}/netc-bench.XXXXXX"` || exit 1
trap 'rm -rf "$tmp"' 0
now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# 1. LeNet typed into the REPL, then one training step
if [ -f "$data/labels.csv" ]; then
	cat >"$tmp/lenet.in" <<EOF2
import "lenet"
data digits {
    source  = csv("$data/labels.csv", image = "Image Index", labels = "Finding Labels",
                  sep = "", root = "$data/images/")
    classes = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
    split   = ratio(train = 0.8, val = 0.2, test = 0, seed = 1)
    decode  = gray(28, 28)
}
train digits_lenet {
    network   = lenet(classes = 10)
    data      = digits
    loss      = cross_entropy
    optimizer = sgd(lr = 0.05, momentum = 0.9)
    batch     = 64
    epochs    = 1
}
:train digits_lenet steps=1
:time
EOF2
	for i in 1 2 3; do
		s=`now`
		(cd "$tmp" && "$NETC" repl <lenet.in >repl.out 2>&1) || { cat "$tmp/repl.out"; exit 1; }
		e=`now`
		echo "$s $e" | awk '{ printf "%.3f\n", $2 - $1 }' >>"$tmp/wall"
		sed -n 's/^last command: \([0-9.]*\) s: compile \([0-9.]*\) s.*, run \([0-9.]*\) s$/\1 \2 \3/p' \
			"$tmp/repl.out" >>"$tmp/times"
	done
	echo "LeNet typed into netc repl to the end of its first training step (batch 64, MNIST):"
	echo "  whole netc repl process: `median <"$tmp/wall"` s (median of 3)"
	echo "  :train steps=1: `cut -d' ' -f1 "$tmp/times" | median` s, of which check + build + JIT + data set-up `cut -d' ' -f2 "$tmp/times" | median` s, the step `cut -d' ' -f3 "$tmp/times" | median` s"
else
	echo "no MNIST digits at $data: skipping the REPL figure"
fi

# 2. JIT compile times against netc build
for t in lenet_train resnet18_train; do
	rm -f "$tmp/jit" "$tmp/aot"
	for i in 1 2 3; do
		"$NETC" run --time "$here/nets.net" $t -- --synthetic --steps 0 --quiet 2>&1 >/dev/null |
			sed -n 's/^netc run: JIT compile \([0-9.]*\) s (module \([0-9.]*\) s, machine code \([0-9.]*\) s)$/\1 \2 \3/p' >>"$tmp/jit"
		s=`now`
		"$NETC" build "$here/nets.net" $t -o "$tmp/prog" || exit 1
		e=`now`
		echo "$s $e" | awk '{ printf "%.3f\n", $2 - $1 }' >>"$tmp/aot"
	done
	echo "$t: JIT compile `cut -d' ' -f1 "$tmp/jit" | median` s (module `cut -d' ' -f2 "$tmp/jit" | median` s, machine code `cut -d' ' -f3 "$tmp/jit" | median` s); netc build (compile and link) `median <"$tmp/aot"` s"
done
