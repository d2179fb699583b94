#!/usr/bin/env bash
# Wall time of the main job as root and rootless (the same binary run as
# user nobody, so it makes its own user namespace and has no tracepoint
# witness), alternated RUNS times; prints the medians and their ratio.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
runs=${RUNS:-5}
cargo build --release -p tcpmd5-conformance
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
cp target/release/tcpmd5-conformance "$tmp/"
cd "$tmp"
python3 "$root/ci/py/bench_suite.py" "$tmp/tcpmd5-conformance" "$runs"
