#!/bin/sh
# tests/e2e/world.sh - `world` in a .net file and netc build --cluster slurm
# (issue 5): `lr = 0.05 * world` built with --world 2 holds lr 0.1 and is
# refused when run as one process (it was evaluated for 2 ranks); built
# for 1 rank it holds 0.05; --cluster slurm writes OUT.slurm beside the
# program with the node and task counts.
set -u
. "$abs_top_srcdir/tests/e2e/common.sh"
sed 's/sgd(lr = 0.05, momentum = 0.9, weight_decay = 5e-4)/sgd(lr = 0.05 * world, momentum = 0.9)/' \
	"$abs_top_srcdir/examples/mnist.net" >"$tmp/w.net"
grep -q '0.05 \* world' "$tmp/w.net" || fail "could not make w.net"
cd "$tmp" || exit 99
"$NETC" build w.net --world 2 --cluster slurm --tasks-per-node 2 -o w2 || fail "build --world 2"
"$NETC" build w.net -o w1 || fail "build (world 1)"
./w2 --print-config | grep -q '"world": 2, "world_used": true' || fail "w2 config: world"
./w2 --print-config | grep -q '"lr": 0.1,' || fail "w2 config: lr = 0.05 * 2"
./w1 --print-config | grep -q '"lr": 0.05,' || fail "w1 config: lr = 0.05 * 1"
./w2 --data-root "$abs_top_srcdir/examples" --steps 1 --log none >out 2>&1
test $? = 1 || { cat out; fail "a world-2 program ran as one process"; }
grep -q 'built for 2 ranks .* rebuild it with netc build --world 1' out || { cat out; fail "message"; }
./w1 --data-root "$abs_top_srcdir/examples" --steps 1 --log none --quiet >out 2>&1 ||
	{ cat out; fail "the world-1 program"; }
test -x w2.slurm || fail "no executable w2.slurm"
grep -q '^#SBATCH --ntasks=2$' w2.slurm || fail "w2.slurm: ntasks"
grep -q '^#SBATCH --nodes=1$' w2.slurm || fail "w2.slurm: nodes"
grep -q '^#SBATCH --ntasks-per-node=2$' w2.slurm || fail "w2.slurm: tasks per node"
grep -q '^srun --mpi=pmix ./w2 ' w2.slurm || fail "w2.slurm: srun line"
bash -n w2.slurm || fail "w2.slurm is not valid bash"
test ! -f w1.slurm || fail "w1.slurm written without --cluster"
"$NETC" build w.net --cluster pbs -o x >out 2>&1
test $? = 2 || fail "--cluster pbs accepted"
cat w2.slurm
echo ok
