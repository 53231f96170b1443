#!/bin/sh
# arena.sh - what memory planning (compiler/passes/memplan.c) saves: the
# activation (ACT) arena of the training program with and without it, for
# ResNet-50 at batch 32 (224x224 RGB, 1000 classes) and LeNet-5 at batch 64.
# The sizes come from the "regions:" line of `netc build --dump-after=layout`
# (elements), printed as float32 bytes.  Figures only, no assertions.
#
#   bench/arena.sh [NETC]     (default: compiler/netc of this tree)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
NETC=${1:-$top/compiler/netc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/arena.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# Train sections around the stdlib networks; the data are never read by
# --dump-after, so the source needs no files behind it.
cat > "$tmp/bench_resnet50.net" <<'NET'
import "resnet"
data imagenet {
    source  = csv("labels.csv", sep = "")
    classes = 1000
    decode  = rgb(224, 224)
}
train t {
    network   = resnet50(classes = 1000)
    data      = imagenet
    loss      = cross_entropy
    optimizer = sgd(lr = 0.1, momentum = 0.9)
    batch     = 32
    epochs    = 1
}
NET
cat > "$tmp/bench_lenet.net" <<'NET'
import "lenet"
data digits {
    source  = csv("labels.csv", sep = "")
    classes = 10
    decode  = gray(28, 28)
}
train t {
    network   = lenet(classes = 10)
    data      = digits
    loss      = cross_entropy
    optimizer = sgd(lr = 0.05, momentum = 0.9)
    batch     = 64
    epochs    = 1
}
NET

# act FILE [OPTION]: the ACT region's elements.
act() {
	"$NETC" build "$1" --dump-after=layout ${2:+"$2"} |
		sed -n 's/^regions:.* ACT \([0-9]*\).*/\1/p'
}

printf '%-18s %16s %16s %8s\n' network "unplanned bytes" "planned bytes" ratio
for n in resnet50:32 lenet:64; do
	name=${n%%:*}
	plain=$(act "$tmp/bench_$name.net" --no-opt)
	planned=$(act "$tmp/bench_$name.net")
	# %.0f: the byte counts pass 2^31; parentheses: a bare > in print
	# arguments is a redirection
	awk -v n="$name b${n#*:}" -v a="$plain" -v b="$planned" 'BEGIN {
		printf "%-18s %16.0f %16.0f %7.2fx\n", n, a * 4, b * 4, (b > 0 ? a / b : 0) }'
done
