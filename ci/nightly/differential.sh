#!/usr/bin/env bash
# Nightly: a long differential run (model vs the running kernel) with the
# report in human form and as JSON. TCPMD5_DIFF_CASES cases per family
# (default 20000); TCPMD5_DIFF_SEED replays a run. Exit 1 on any
# disagreement, 4 when nothing could run.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --release -p tcpmd5-conformance
bin=target/release/tcpmd5-conformance
cases=${TCPMD5_DIFF_CASES:-20000}
seed_args=()
if [[ -n "${TCPMD5_DIFF_SEED:-}" ]]; then
    seed_args=(--seed "$TCPMD5_DIFF_SEED")
fi
status=0
nice -n 10 "$bin" differential --cases "$cases" "${seed_args[@]}" --format json \
    > target/differential.json || status=$?
python3 ci/py/differential_report.py
exit "$status"
