#!/bin/sh
# bench/scaling.sh - weak scaling of data-parallel training (issue 5):
# LeNet (batch 64 per rank) and ResNet-18 on 32x32 (batch 32 per rank) of
# bench/nets.net, trained on random batches (--synthetic) with 1 and 2
# ranks of one thread each, with overlap (allreduce(bucket_mb = 25):
# gradient buckets start during the backward pass) and without (one
# bucket of everything, summed after the backward pass).  Prints images/s
# over all ranks, the 2-rank / 1-rank ratio, and how long the steps waited
# for the sums (the driver's "comm:" line).  Then LeNet with the other
# strategies: sharded on 1 and 2 ranks, parameter_server(servers = 1) on 2
# and 3 ranks (1 and 2 workers; images/s counts the workers' samples).
# Figures only, no assertions; on one machine the ranks share its cores.
#   NETC    the compiler (default: compiler/netc of the build tree)
#   MPIRUN  mpirun (default: mpirun)
#   STEPS   timed steps (default 30 for LeNet, 4 for ResNet-18)
set -u
here=`cd "\`dirname "$0"\`" && pwd`
NETC=${NETC:-$here/../compiler/netc}
MPIRUN=${MPIRUN:-mpirun}
tmp=`mktemp -d "${TMPDIR:-/tmp}/netc-scaling.XXXXXX"` || exit 1
trap 'rm -rf "$tmp"' 0
now() { date +%s.%N; }
mpi() { "$MPIRUN" --oversubscribe --allow-run-as-root --bind-to none "$@"; }
for spec in lenet_train:64:${STEPS:-30} resnet18_train:32:${STEPS:-4}; do
	t=${spec%%:*}; rest=${spec#*:}; batch=${rest%%:*}; steps=${rest#*:}
	for mode in overlap:25 no-overlap:100000; do
		m=${mode%%:*}; mb=${mode#*:}
		sed "/^train $t /,/^}/s/^}/    distribute = allreduce(bucket_mb = $mb)\n}/" \
			"$here/nets.net" >"$tmp/nets.net"
		"$NETC" build "$tmp/nets.net" "$t" -o "$tmp/$t" >/dev/null || exit 1
		for np in 1 2; do
			s=`now`
			mpi -np $np "$tmp/$t" --synthetic --steps $steps --threads 1 >"$tmp/out" 2>&1 ||
				{ cat "$tmp/out"; exit 1; }
			e=`now`
			ips=`echo "$np $batch $steps $s $e" | awk '{ printf "%.1f", $1 * $2 * $3 / ($5 - $4) }'`
			eval "ips_$np=$ips"
			wait_line=`grep '^comm:' "$tmp/out" | sed 's/^comm: //'`
			echo "$t $m ranks $np: $ips images/s${wait_line:+; $wait_line}"
		done
		echo "$t $m: 2 ranks / 1 rank = `echo "$ips_2 $ips_1" | awk '{ printf "%.2f", $1 / $2 }'`"
	done
done
# LeNet with distribute = sharded and parameter_server(servers = 1)
steps=${STEPS:-30}
for spec in sharded:1:1 sharded:2:2 ps:2:1 ps:3:2; do
	m=${spec%%:*}; rest=${spec#*:}; np=${rest%%:*}; workers=${rest#*:}
	d="sharded"
	[ "$m" = ps ] && d="parameter_server(servers = 1)"
	sed "/^train lenet_train /,/^}/s/^}/    distribute = $d\n}/" "$here/nets.net" >"$tmp/nets.net"
	"$NETC" build "$tmp/nets.net" lenet_train -o "$tmp/lenet_$m" >/dev/null || exit 1
	s=`now`
	mpi -np $np "$tmp/lenet_$m" --synthetic --steps $steps --threads 1 >"$tmp/out" 2>&1 ||
		{ cat "$tmp/out"; exit 1; }
	e=`now`
	ips=`echo "$workers 64 $steps $s $e" | awk '{ printf "%.1f", $1 * $2 * $3 / ($5 - $4) }'`
	wait_line=`grep '^comm:' "$tmp/out" | sed 's/^comm: //'`
	echo "lenet_train $m ranks $np ($workers training): $ips images/s${wait_line:+; $wait_line}"
done
