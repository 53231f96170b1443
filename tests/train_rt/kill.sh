#!/bin/sh
# kill.sh - checkpoints survive kill -9: tests/train_rt/ckpt_kill kills a
# process that writes checkpoints 100 times at seeded random moments and
# checks after each kill that the -last checkpoint loads and holds one of
# the versions written (see ckpt_kill.c).  NETC_KILL_COUNT changes the count.
set -eu
prog=${abs_top_builddir:-.}/tests/train_rt/ckpt_kill
test -x "$prog" || { echo "kill.sh: $prog is not built" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/netc-kill.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
"$prog" "$tmp" "${NETC_KILL_COUNT:-100}" 20240601
