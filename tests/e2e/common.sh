# tests/e2e/common.sh - sourced by the end-to-end tests: $NETC and
# $abs_top_srcdir from the test environment, $data the MNIST folder
# (../shared/data/mnist beside the tree; the test is skipped, status 77,
# without it), $tmp a fresh folder removed on exit, fail MSG.
: "${NETC:?}" "${abs_top_srcdir:?}"
data="$abs_top_srcdir/../shared/data/mnist"
if [ ! -f "$data/labels.csv" ]; then
	echo "SKIP: no MNIST digits at $data (scripts/fetch-mnist DIR makes them)"
	exit 77
fi
tmp=`mktemp -d "${TMPDIR:-/tmp}/netc-e2e.XXXXXX"` || exit 99
trap 'rm -rf "$tmp"' 0
fail() { echo "FAIL: $*"; exit 1; }
