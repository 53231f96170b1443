#!/usr/bin/env bash
# run-gen.sh - the automake LOG_COMPILER for tests/diag/gen/*.gen.
#
#   run-gen.sh GEN
#
# Some inputs cannot carry their expectations in comments (NUL bytes,
# invalid UTF-8, a 1 MB identifier, 100,000 nested parentheses), so a
# generator makes them: GEN prints the .net file on stdout and carries the
# `# expect: ...` / `# expect-file: ...` / `# expect-exit: N` lines in its
# own comments.  This writes the output to a temporary NAME.net and checks
# it with run-diag.sh, taking the expectations from GEN.
#
# GEN is run by the interpreter its #! line names (bash when it has none),
# so it need not be executable.  Exit: 0 pass, 1 fail, 99 hard error.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ $# -ne 1 ] || [ ! -r "$1" ]; then
	echo "usage: run-gen.sh GENERATOR.gen" >&2
	exit 99
fi
gen=$1
name=${gen##*/}
name=${name%.gen}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/netc-gen.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

interp=(bash)
IFS= read -r first <"$gen" || true
case $first in
'#!'*)
	read -r -a interp <<<"${first#\#!}" ;;
esac

echo "generate: ${interp[*]} $gen > $name.net"
if ! "${interp[@]}" "$gen" >"$tmp/$name.net"; then
	echo "run-gen.sh: generator $gen failed" >&2
	exit 99
fi
echo "generated $(wc -c <"$tmp/$name.net") bytes"
"$here/run-diag.sh" --expect-from "$gen" "$tmp/$name.net"
