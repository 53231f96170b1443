#!/usr/bin/env bash
# run-diag.sh - the automake LOG_COMPILER for tests/diag/*.net.
#
#   run-diag.sh [--expect-from FILE] INPUT
#
# Runs `$NETC check INPUT` and compares the diagnostics it prints with the
# expectations written in comments of INPUT (or of FILE: run-gen.sh passes
# the generator, for inputs that cannot carry comments):
#
#   # expect: error 12:7: add: shapes [64,56,56] and [128,28,28] differ
#   # expect: note 3:1: block 'residual' defined here
#   # expect: warning 4:2            (no message: only kind and place are compared)
#   # expect-file: imported.net error 2:5: unknown layer 'conv9'
#   # expect-exit: 0                 (default 1)
#
# Every output line `PATH:L:C: error|warning|note: MSG` is a diagnostic.
# PATH is dropped when its basename is INPUT's basename, else replaced by
# its basename (which `# expect-file:` names).  The test passes when the
# exit status is as expected, the diagnostics equal the expectations (the
# same lines in the same order), netc did not crash or time out, and
# valgrind (when $VALGRIND is set and NETC_VALGRIND is not 0) reported no
# error and no definite or indirect leak.
#
# Environment: NETC (the netc program), NETC_STDLIB, VALGRIND, NETC_VALGRIND,
# NETC_TEST_TIMEOUT (seconds per run, default 120; 4x under valgrind).
# Exit: 0 pass, 1 fail, 99 hard error (the runner could not run the test).
set -u
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)

expect_from=
while [ $# -gt 0 ]; do
	case $1 in
	--expect-from) expect_from=$2; shift 2 ;;
	--expect-from=*) expect_from=${1#*=}; shift ;;
	--) shift; break ;;
	-*) echo "run-diag.sh: unknown option $1" >&2; exit 99 ;;
	*) break ;;
	esac
done
if [ $# -ne 1 ]; then
	echo "usage: run-diag.sh [--expect-from FILE] INPUT.net" >&2
	exit 99
fi
input=$1
: "${expect_from:=$input}"
for f in "$input" "$expect_from"; do
	[ -r "$f" ] || { echo "run-diag.sh: cannot read $f" >&2; exit 99; }
done

if [ -z "${NETC:-}" ]; then
	for c in ./compiler/netc "$top/compiler/netc"; do
		[ -x "$c" ] && { NETC=$c; break; }
	done
fi
if [ -z "${NETC:-}" ] || [ ! -x "$NETC" ]; then
	echo "run-diag.sh: netc not found (build it, or set NETC)" >&2
	exit 99
fi
: "${NETC_STDLIB:=$top/stdlib}"
export NETC_STDLIB

# Sanitizer builds: report through a distinct status, stop at the first error.
export ASAN_OPTIONS="${ASAN_OPTIONS:-exitcode=98:abort_on_error=0:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=98}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/netc-diag.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

# ---------------------------------------------------------------- expectations
want_exit=1
bad=0
: >"$tmp/expected"
# The expectation comments may follow code on the same line.
LC_ALL=C grep -a -o -E '#[[:space:]]*expect(-file|-exit)?:.*' "$expect_from" |
	tr -d '\r' >"$tmp/expect-lines"
while IFS= read -r line; do
	kw=${line#\#}
	kw=${kw#"${kw%%[![:space:]]*}"}   # drop blanks after '#'
	rest=${kw#*:}
	rest=${rest#"${rest%%[![:space:]]*}"}
	rest=${rest%"${rest##*[![:space:]]}"}
	case $kw in
	expect-exit:*)
		case $rest in
		'' | *[!0-9]*) echo "run-diag.sh: $expect_from: bad expectation: $line" >&2; bad=1 ;;
		*) want_exit=$rest ;;
		esac
		continue ;;
	expect-file:*)
		file=${rest%%[[:space:]]*}
		rest=${rest#"$file"}
		rest=${rest#"${rest%%[![:space:]]*}"}
		prefix="${file##*/} " ;;
	*)
		prefix= ;;
	esac
	if [[ ! $rest =~ ^(error|warning|note)\ [0-9]+:[0-9]+(:|$) ]]; then
		echo "run-diag.sh: $expect_from: bad expectation (want 'KIND L:C: MESSAGE'): $line" >&2
		bad=1
		continue
	fi
	[[ $rest =~ ^[a-z]+\ [0-9]+:[0-9]+:$ ]] && rest=${rest%:}   # 'error 3:4:' = 'error 3:4'
	printf '%s%s\n' "$prefix" "$rest" >>"$tmp/expected"
done <"$tmp/expect-lines"
[ $bad -eq 0 ] || exit 99

# ---------------------------------------------------------------- run netc
limit=${NETC_TEST_TIMEOUT:-120}
cmd=("$NETC" check "$input")
use_vg=no
if [ -n "${VALGRIND:-}" ] && [ "${NETC_VALGRIND:-1}" != 0 ]; then
	use_vg=yes
	limit=$((limit * 4))
	cmd=("$VALGRIND" -q --error-exitcode=99 --leak-check=full
	     --errors-for-leak-kinds=definite,indirect
	     --log-file="$tmp/valgrind.log" "${cmd[@]}")
fi
have_timeout=no
if command -v timeout >/dev/null 2>&1; then
	have_timeout=yes
	cmd=(timeout -k 10 "$limit" "${cmd[@]}")
fi

echo "run: ${cmd[*]}"
"${cmd[@]}" >"$tmp/output" 2>&1 </dev/null
rc=$?

# ---------------------------------------------------------------- compare
base=${input##*/}
# PATH:L:C: KIND: MSG, except source lines quoted under a diagnostic
# ("  12 | text") and caret lines.
LC_ALL=C grep -a -E '^[^:]+:[0-9]+:[0-9]+: (error|warning|note): ' "$tmp/output" |
	LC_ALL=C grep -a -v -E '^[[:space:]]*[0-9]*[[:space:]]+\|' |
	LC_ALL=C awk -v base="$base" '{
		match($0, /:[0-9]+:[0-9]+: (error|warning|note): /)
		path = substr($0, 1, RSTART - 1)
		loc = substr($0, RSTART + 1, RLENGTH - 2)   # L:C: KIND:
		msg = substr($0, RSTART + RLENGTH)
		n = split(loc, p, ":")                     # L, C, " KIND", ""
		kind = p[3]; sub(/^ /, "", kind)
		f = path; sub(/.*\//, "", f)
		line = kind " " p[1] ":" p[2] ": " msg
		sub(/[ \t]+$/, "", line)
		print (f == base ? "" : f " ") line
	}' >"$tmp/actual"

# An expectation without a message matches any message at that place.
LC_ALL=C awk 'FILENAME == ARGV[1] { want[FNR] = $0; next }
	{
		w = want[FNR]
		if (w != "" && w !~ /: /) {
			a = $0; sub(/: .*/, "", a)
			if (a == w) { print a; next }
		}
		print
	}' "$tmp/expected" "$tmp/actual" >"$tmp/actual-cmp"

fail=0
why=()
if [ "$have_timeout" = yes ] && { [ $rc -eq 124 ] || [ $rc -eq 137 ]; }; then
	why+=("netc timed out after ${limit}s")
	fail=1
elif [ $rc -ge 128 ]; then
	sig=$((rc - 128))
	why+=("netc crashed: killed by signal $sig ($(kill -l "$sig" 2>/dev/null || echo '?'))")
	fail=1
elif [ $use_vg = yes ] && [ $rc -eq 99 ]; then
	why+=("valgrind reported errors")
	fail=1
elif [ $rc -eq 98 ]; then
	why+=("sanitizer reported an error (exit 98)")
	fail=1
fi
if grep -a -q -E '^(==[0-9]+==ERROR: (Address|Leak|Undefined)Sanitizer|.*: runtime error: )' "$tmp/output"; then
	why+=("sanitizer report in the output")
	fail=1
fi
if [ $fail -eq 0 ] && [ $rc -ne "$want_exit" ]; then
	why+=("exit status $rc, expected $want_exit")
	fail=1
fi
if ! cmp -s "$tmp/expected" "$tmp/actual-cmp"; then
	why+=("diagnostics differ from the expectations")
	fail=1
fi

if [ $fail -eq 0 ]; then
	echo "PASS: $(wc -l <"$tmp/expected") diagnostic(s), exit $rc"
	exit 0
fi

for w in "${why[@]}"; do
	echo "FAIL: $w"
done
echo "--- expected diagnostics / +++ actual diagnostics:"
diff -u --label expected --label actual "$tmp/expected" "$tmp/actual-cmp"
echo "--- netc output (exit $rc):"
LC_ALL=C head -c 20000 "$tmp/output" | cat -v
if [ $use_vg = yes ] && [ -s "$tmp/valgrind.log" ]; then
	echo "--- valgrind:"
	head -c 20000 "$tmp/valgrind.log"
fi
exit 1
