#!/bin/sh
# tests/docs/docheck.sh - every ```net code block in README.md and docs/*.md
# is a complete .net file that `netc check` accepts.  (Fragments are
# written as ```net-fragment and not checked.)  Keeps the docs true.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
NETC=${NETC:-$top/compiler/netc}
export NETC_STDLIB=${NETC_STDLIB:-$top/stdlib}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0
for doc in "$top/README.md" "$top"/docs/*.md; do
	rel=${doc#"$top"/}
	# Write each ```net block to $tmp/B_LINE.net (LINE: where it starts).
	rm -f "$tmp"/B_*.net
	awk -v dir="$tmp" '
		/^```net[ \t]*$/ { on = 1; start = NR + 1; f = dir "/B_" start ".net"; next }
		/^```/ && on { on = 0; close(f); next }
		on { print > f }
	' "$doc"
	for b in "$tmp"/B_*.net; do
		[ -e "$b" ] || continue
		n=$((n + 1))
		line=${b##*/B_}
		line=${line%.net}
		if "$NETC" check "$b" > "$tmp/out" 2>&1; then
			echo "ok   $rel:$line"
		else
			echo "FAIL $rel:$line: netc check reports:"
			sed "s|$b|$rel:block@$line|" "$tmp/out" | head -20
			fail=1
		fi
	done
done
echo "$n code blocks checked"
[ "$n" -gt 0 ] || fail=1
exit $fail
