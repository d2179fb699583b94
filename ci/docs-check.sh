#!/usr/bin/env bash
# The docs against the tree (ci/py/docs_check.py): every path a doc names
# exists, every generated region is well formed and names its generator,
# and the regions that are cheap to recompute (the suite's usage, the
# vector counts, the advisory's table from its committed runs and its patch's
# size) are current. ci/check.sh runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build -q -p tcpmd5-conformance --bin tcpmd5-conformance
target=$(python3 ci/py/cargo_target_dir.py)
usage=$(mktemp)
trap 'rm -f "$usage"' EXIT
"$target/debug/tcpmd5-conformance" -h >"$usage"
python3 ci/py/docs_check.py --usage "$usage"
