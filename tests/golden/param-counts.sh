#!/bin/sh
# param-counts.sh - the stdlib networks have their published parameter counts.
#
# Runs `netc summary stdlib/FILE.net NAME` for every standard network and
# compares the "Trainable params:" line with the count torchvision gives
# (sum(p.numel() for p in model.parameters()); Inception-v3 without the
# auxiliary head), and prints the forward MACs beside it.
#
# Environment: NETC (default ./compiler/netc from the top build directory,
# else the source tree's compiler/netc, else /tmp/nb/netc), NETC_STDLIB
# (default: the stdlib folder of this source tree).
# Exit: 0 pass, 1 a count differs or netc failed, 77 skip (no netc).

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

if [ -z "${NETC:-}" ]; then
	for c in ./compiler/netc "$top/compiler/netc" /tmp/nb/netc; do
		if [ -x "$c" ]; then
			NETC=$c
			break
		fi
	done
fi
if [ -z "${NETC:-}" ] || [ ! -x "$NETC" ]; then
	echo "param-counts.sh: netc not found (build it, or set NETC): skipped"
	exit 77
fi
: "${NETC_STDLIB:=$top/stdlib}"
export NETC_STDLIB
unset NETC_PATH

tmp=$(mktemp "${TMPDIR:-/tmp}/netc-params.XXXXXX") || exit 1
trap 'rm -f "$tmp"' EXIT

fail=0
# FILE NETWORK TRAINABLE-PARAMETERS
while read -r file net want; do
	[ -n "$file" ] || continue
	if ! "$NETC" summary "$NETC_STDLIB/$file.net" "$net" >"$tmp" 2>&1; then
		echo "FAIL $net: netc summary $file.net $net failed:"
		sed 's/^/    /' "$tmp"
		fail=1
		continue
	fi
	got=$(sed -n 's/^Trainable params:[[:space:]]*\([0-9,]*\).*/\1/p' "$tmp" | tr -d ,)
	macs=$(sed -n 's/^Forward MACs:[[:space:]]*[0-9,]*[[:space:]]*(\([^)]*\)).*/\1/p' "$tmp")
	if [ "$got" = "$want" ]; then
		echo "ok   $net: $got trainable parameters, ${macs:-?} MACs"
	else
		echo "FAIL $net: ${got:-no count} trainable parameters, want $want"
		fail=1
	fi
done <<'EOF'
lenet       lenet           61706
vgg         vgg11       132863336
vgg         vgg13       133047848
vgg         vgg16       138357544
vgg         vgg19       143667240
resnet      resnet18     11689512
resnet      resnet34     21797672
resnet      resnet50     25557032
resnet      resnet101    44549160
resnet      resnet152    60192808
densenet    densenet121   7978856
densenet    densenet169  14149480
densenet    densenet201  20013928
inception   inception_v3 23834568
EOF

exit $fail
