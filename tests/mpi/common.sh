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
