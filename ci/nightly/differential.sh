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
python3 - <<'PY'
import json
r = json.load(open("target/differential.json"))
print(f"differential: kernel {r['kernel']}, semantics {r['semantics']}, seed {r['seed']}")
for f in r["families"]:
    for kind, k in f["kinds"].items():
        rate = k["cases"] / max(k["seconds"], 1e-9)
        print(f"  {f['family']:5} {kind:34} {k['cases']:6} cases {k['disagreements']:3} disagreements {rate:6.0f}/s")
PY
exit "$status"
