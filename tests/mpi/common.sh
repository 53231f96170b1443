# common.sh - sourced by the MPI tests: skip (77) without MPI, mpirun or
# the MNIST digits; a temporary folder; the two builds of digits.net.
: "${NETC:?}" "${abs_top_srcdir:?}"
if [ "${NETC_HAVE_MPI:-no}" != yes ] || [ -z "${MPIRUN:-}" ]; then
	echo "SKIP: netc was configured without MPI (or no mpirun)"
	exit 77
fi
data="$abs_top_srcdir/../shared/data/mnist"
if [ ! -f "$data/labels.csv" ]; then
	echo "SKIP: no MNIST digits at $data"
	exit 77
fi
tmp=`mktemp -d "${TMPDIR:-/tmp}/netc-mpi.XXXXXX"` || exit 99
trap 'rm -rf "$tmp"' 0
fail() { echo "FAIL: $*"; exit 1; }
# mpirun as root, more ranks than cores
mpi() { timeout -k 5 "${MPI_GUARD:-90}" "$MPIRUN" --oversubscribe --allow-run-as-root "$@"; }
build() {   # build BATCH OUT
	"$NETC" build "$abs_top_srcdir/tests/mpi/digits.net" --batch "$1" -o "$2" >"$tmp/build.log" 2>&1 ||
		{ cat "$tmp/build.log"; fail "netc build --batch $1"; }
}
# wait_for PATTERN...: until $tmp/out holds a line of every PATTERN (the
# run in the background, $run, is killed after 30 s)
wait_for() {
	i=0
	for pat in "$@"; do
		while ! grep -q "$pat" "$tmp/out" 2>/dev/null; do
			i=$((i + 1)); [ $i -lt 300 ] || { kill $run; fail "training did not start"; }
			sleep 0.1
		done
	done
}
# rank_pid PROG R: $pid = the pid of rank R of this test's run of PROG
# (empty if none), $pids = all its ranks; other MPI tests run beside it
# under make -j, so only ranks started from $tmp count
rank_pid() {
	pids=`pgrep -f "^$1 " | sort -n`
	pid=""
	for p in $pids; do
		if tr '\0' '\n' < /proc/$p/environ 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2"; then
			pid=$p
		fi
	done
}
# none_left: every one of $pids ends within 10 s (mpirun takes a moment to
# reap the ranks; a zombie counts as ended)
none_left() {
	for p in $pids; do
		i=0
		while [ -d /proc/$p ] && [ "`ps -o stat= -p $p`" != Z ] && [ $i -lt 100 ]; do
			i=$((i + 1)); sleep 0.1
		done
		[ ! -d /proc/$p ] || [ "`ps -o stat= -p $p`" = Z ] ||
			{ ps -o pid,stat,cmd -p $p; kill -9 $p; fail "process $p is left"; }
	done
}
