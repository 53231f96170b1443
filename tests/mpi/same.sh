#!/bin/sh
# same.sh - data parallelism is the big batch: mpirun -np 2 of LeNet at
# batch 32 per rank and one process at batch 64 reach the same weights
# and optimizer state after 50 steps (|a-b| <= 1e-5 + 1e-4 |b|); one rank
# under mpirun equals no mpirun bitwise.
. "$abs_top_srcdir/tests/mpi/common.sh"
build 32 "$tmp/m32"
build 64 "$tmp/m64"
mkdir "$tmp/one" "$tmp/two" "$tmp/mpi1"
(cd "$tmp/one" && ../m64 --steps 50 --data-root "$data" --log none --quiet) >"$tmp/one.log" 2>&1 ||
	{ cat "$tmp/one.log"; fail "m64 alone"; }
(cd "$tmp/two" && mpi -np 2 ../m32 --steps 50 --data-root "$data" --log none --quiet) \
	>"$tmp/two.log" 2>&1 || { cat "$tmp/two.log"; fail "mpirun -np 2 m32"; }
python3 "$abs_top_srcdir/tests/mpi/cmp.py" "$tmp/two/ckpt/lenet-last.safetensors" \
	"$tmp/one/ckpt/lenet-last.safetensors" || fail "2 ranks x 32 differ from 1 x 64"
(cd "$tmp/mpi1" && mpi -np 1 ../m64 --steps 50 --data-root "$data" --log none --quiet) \
	>"$tmp/mpi1.log" 2>&1 || { cat "$tmp/mpi1.log"; fail "mpirun -np 1 m64"; }
python3 "$abs_top_srcdir/tests/mpi/cmp.py" --exact "$tmp/mpi1/ckpt/lenet-last.safetensors" \
	"$tmp/one/ckpt/lenet-last.safetensors" || fail "1 rank under mpirun differs from no mpirun"
echo "PASS: 2 x 32 = 1 x 64 after 50 steps; 1 rank = no mpirun bitwise"
