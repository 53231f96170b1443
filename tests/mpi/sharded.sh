#!/bin/sh
# sharded.sh - distribute = sharded is the big batch too: digits.net with
# `distribute = sharded` (each rank updates its shard of the parameters and
# momentum, the parameters are allgathered after every step) at batch 32
# on 2 ranks and one process at batch 64 reach the same weights and
# optimizer state after 50 steps (|a-b| <= 1e-5 + 1e-4 |b|); each of the 2
# ranks keeps half of the optimizer state (the start-up line); one rank
# under mpirun equals no mpirun bitwise.
. "$abs_top_srcdir/tests/mpi/common.sh"
sed 's/^\( *distribute *=\).*/\1 sharded/' "$abs_top_srcdir/tests/mpi/digits.net" >"$tmp/digits.net"
grep -q 'distribute = sharded' "$tmp/digits.net" || fail "no distribute line in digits.net"
for b in 32 64; do
	"$NETC" build "$tmp/digits.net" --batch $b -o "$tmp/s$b" >"$tmp/build.log" 2>&1 ||
		{ cat "$tmp/build.log"; fail "netc build --batch $b (sharded)"; }
done
mkdir "$tmp/one" "$tmp/two" "$tmp/mpi1"
(cd "$tmp/one" && ../s64 --steps 50 --data-root "$data" --log none --quiet) >"$tmp/one.log" 2>&1 ||
	{ cat "$tmp/one.log"; fail "s64 alone"; }
(cd "$tmp/two" && mpi -np 2 ../s32 --steps 50 --data-root "$data" --log none) \
	>"$tmp/two.log" 2>&1 || { cat "$tmp/two.log"; fail "mpirun -np 2 s32"; }
# optimizer state: A bytes on rank 0 of B in one process (sharded over 2 ranks)
set -- `sed -n 's/^optimizer state: \([0-9]*\) bytes on rank 0 of \([0-9]*\) in one process (sharded over 2 ranks)$/\1 \2/p' "$tmp/two.log"`
[ $# -eq 2 ] || { cat "$tmp/two.log"; fail "no optimizer-state line on 2 ranks"; }
[ $(($1 * 2 - $2)) -le 8 ] && [ $(($2 - $1 * 2)) -le 8 ] ||
	fail "rank 0 keeps $1 bytes of optimizer state, not half of $2"
echo "optimizer state: $1 bytes on rank 0 of 2 (of $2 in one process)"
python3 "$abs_top_srcdir/tests/mpi/cmp.py" "$tmp/two/ckpt/lenet-last.safetensors" \
	"$tmp/one/ckpt/lenet-last.safetensors" || fail "sharded 2 ranks x 32 differ from 1 x 64"
(cd "$tmp/mpi1" && mpi -np 1 ../s64 --steps 50 --data-root "$data" --log none --quiet) \
	>"$tmp/mpi1.log" 2>&1 || { cat "$tmp/mpi1.log"; fail "mpirun -np 1 s64"; }
python3 "$abs_top_srcdir/tests/mpi/cmp.py" --exact "$tmp/mpi1/ckpt/lenet-last.safetensors" \
	"$tmp/one/ckpt/lenet-last.safetensors" || fail "1 rank under mpirun differs from no mpirun"
echo "PASS: sharded 2 x 32 = 1 x 64 after 50 steps; half the optimizer state per rank; 1 rank = no mpirun bitwise"
