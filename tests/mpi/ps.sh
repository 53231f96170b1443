#!/bin/sh
# ps.sh - distribute = parameter_server is the big batch too: digits.net
# with `distribute = parameter_server(servers = 1)` at batch 32 on 3 ranks
# (2 workers push their gradients to the server rank 2, which updates the
# parameters and momentum and sends the parameters back) and one process
# at batch 64 reach the same weights and optimizer state after 50 steps
# (|a-b| <= 1e-5 + 1e-4 |b|, the checkpoint rank 0 wrote with the
# server's optimizer state gathered); the same with servers = 2 on 4
# ranks; one rank under mpirun (a world of 1 runs as one process) equals
# no mpirun bitwise; a bad number of servers is refused with one message.
. "$abs_top_srcdir/tests/mpi/common.sh"
for k in 1 2; do
	sed "s/^\( *distribute *=\).*/\1 parameter_server(servers = $k)/" \
		"$abs_top_srcdir/tests/mpi/digits.net" >"$tmp/ps$k.net"
	grep -q "distribute = parameter_server" "$tmp/ps$k.net" || fail "no distribute line in digits.net"
	"$NETC" build "$tmp/ps$k.net" --batch 32 -o "$tmp/p${k}_32" >"$tmp/build.log" 2>&1 ||
		{ cat "$tmp/build.log"; fail "netc build --batch 32 (servers = $k)"; }
done
"$NETC" build "$tmp/ps1.net" --batch 64 -o "$tmp/p1_64" >"$tmp/build.log" 2>&1 ||
	{ cat "$tmp/build.log"; fail "netc build --batch 64 (parameter_server)"; }
mkdir "$tmp/one" "$tmp/three" "$tmp/four" "$tmp/bad" "$tmp/mpi1"
run() {   # run FOLDER LOG COMMAND...
	d=$1 log=$2
	shift 2
	(cd "$tmp/$d" && "$@" --steps 50 --data-root "$data" --log none) >"$tmp/$log" 2>&1 ||
		{ cat "$tmp/$log"; fail "$*"; }
}
run one one.log ../p1_64 --quiet
run three three.log mpi -np 3 ../p1_32
grep -q "optimizer state: .* on server rank 2 .* none on the 2 workers" "$tmp/three.log" ||
	{ cat "$tmp/three.log"; fail "no optimizer-state line for 1 server"; }
python3 "$abs_top_srcdir/tests/mpi/cmp.py" "$tmp/three/ckpt/lenet-last.safetensors" \
	"$tmp/one/ckpt/lenet-last.safetensors" || fail "1 server + 2 workers x 32 differ from 1 x 64"
run four four.log mpi -np 4 ../p2_32 --quiet
python3 "$abs_top_srcdir/tests/mpi/cmp.py" "$tmp/four/ckpt/lenet-last.safetensors" \
	"$tmp/one/ckpt/lenet-last.safetensors" || fail "2 servers + 2 workers x 32 differ from 1 x 64"
run mpi1 mpi1.log mpi -np 1 ../p1_64 --quiet
python3 "$abs_top_srcdir/tests/mpi/cmp.py" --exact "$tmp/mpi1/ckpt/lenet-last.safetensors" \
	"$tmp/one/ckpt/lenet-last.safetensors" || fail "1 rank under mpirun differs from no mpirun"
(cd "$tmp/bad" && mpi -np 2 ../p2_32 --steps 1 --data-root "$data" --log none) >"$tmp/bad.log" 2>&1 &&
	fail "servers = 2 with 2 ranks was not refused"
grep -q "parameter_server(servers = 2) with 2 ranks: it needs at least one server and one worker" \
	"$tmp/bad.log" || { cat "$tmp/bad.log"; fail "no clear message for servers >= ranks"; }
echo "PASS: parameter servers (1 of 3 ranks, 2 of 4) x 32 = 1 x 64 after 50 steps; 1 rank = no mpirun bitwise; servers >= ranks refused"
