#!/bin/sh
# autogen.sh - bootstrap the build system from a checkout:
# write the generated test list, then run autoreconf.
#   scripts/autogen.sh && ./configure && make
set -e
cd "$(dirname "$0")/.."
mkdir -p m4
scripts/gen-testlist.sh
exec autoreconf -fi "$@"
