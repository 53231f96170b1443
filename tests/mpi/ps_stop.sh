#!/bin/sh
# ps_stop.sh - a stopped parameter server (SIGSTOP of rank 2 of 3,
# distribute = parameter_server(servers = 1), mid-epoch): the workers'
# push to it does not complete, and rank 0 exits non-zero within
# --comm-timeout (5 s) + 10 s with a message naming the collective, the
# step and the server; no process is left.
. "$abs_top_srcdir/tests/mpi/common.sh"
sed 's/^\( *distribute *=\).*/\1 parameter_server(servers = 1)/' \
	"$abs_top_srcdir/tests/mpi/digits.net" >"$tmp/ps.net"
"$NETC" build "$tmp/ps.net" --batch 32 -o "$tmp/p32" >"$tmp/build.log" 2>&1 ||
	{ cat "$tmp/build.log"; fail "netc build (parameter_server)"; }
cd "$tmp" || exit 99
MPI_GUARD=60 mpi -np 3 "$tmp/p32" --data-root "$data" --log none --no-checkpoint --comm-timeout 5 \
	--epochs 50 >"$tmp/out" 2>&1 &
run=$!
wait_for "step [1-9][0-9]*/"
rank_pid "$tmp/p32" 2
r2=$pid
[ -n "$r2" ] || { kill $run; fail "rank 2 (the server) not found"; }
t0=`date +%s`
kill -STOP "$r2"
wait $run
rc=$?
t1=`date +%s`
cat "$tmp/out"
[ $rc -ne 0 ] || fail "exit status 0 with the server stopped"
[ $rc -ne 124 ] || fail "it hung past the guard (status $rc)"
[ `expr $t1 - $t0` -le 15 ] || fail "took `expr $t1 - $t0` s (timeout 5 s + 10 s)"
grep -q "rank 0: .* did not complete within 5 s at step [0-9]*: the parameter server (rank 2)" \
	"$tmp/out" || fail "no timeout message of rank 0 naming the collective, the step and rank 2"
kill -CONT "$r2" 2>/dev/null
none_left
echo "PASS: the parameter server stopped: exit $rc after `expr $t1 - $t0` s, rank 0 names rank 2"
