#!/usr/bin/env bash
# Measures the TCP-AO bypass on every kernel of the advisory and regenerates
# its table (docs/advisories/ao-bypass.md, via ci/advisory_table.py):
#   - Debian's 6.1 and 6.12 cloud kernels (ci/debian-kernels.sh);
#   - small kernels from Debian's linux-source-6.12 (ci/build-ao-kernel.sh):
#     CONFIG_TCP_AO=y, CONFIG_TCP_AO=n, and CONFIG_TCP_AO=n with the proposed
#     fix (docs/advisories/ao-bypass-fix.patch), the last one run twice: held
#     to the released `linux` semantics and to `linux-ao-bypass-fixed`;
#   - this machine's kernel (needs root for its namespaces).
# Each kernel runs `--filter ao-bypass` in qemu (`vm`); the JSON reports go
# to docs/advisories/runs/. Then the whole suite runs on the unpatched and
# patched AO=n kernels (`matrix --save-reports`); ci/advisory_fix_diff.py
# lists the cases whose behaviour the fix changes (docs/advisories/fix-diff.txt).
# Run after ci/install-deps.sh. TCG is slow: everything runs under nice.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=docs/advisories/runs
mkdir -p "$runs"
cargo build --release -p tcpmd5-conformance
suite=target/release/tcpmd5-conformance

ao=$(ci/build-ao-kernel.sh | tail -n 1)
no_ao=$(ci/build-ao-kernel.sh --no-tcp-ao | tail -n 1)
fixed=$(ci/build-ao-kernel.sh --no-tcp-ao --patch docs/advisories/ao-bypass-fix.patch | tail -n 1)
read -r deb61 deb612 < <(ci/debian-kernels.sh | xargs)

# A run's exit status is its verdict (1 where a case fails): recorded in the
# report, not a reason to stop.
vm() {
    local label=$1 kernel=$2
    shift 2
    echo "== $label" >&2
    nice -n 10 "$suite" vm --kernel "$kernel" --filter ao-bypass --format json "$@" \
        >"$runs/$label.json" || true
}
vm 6.1-debian "$deb61"
vm 6.12-debian "$deb612"
vm 6.12-tcp-ao "$ao"
vm 6.12-no-tcp-ao "$no_ao"
vm 6.12-no-tcp-ao-fixed "$fixed"
vm 6.12-no-tcp-ao-fixed.held-to-fixed "$fixed" --semantics linux-ao-bypass-fixed
echo "== host" >&2
"$suite" --filter ao-bypass --format json >"$runs/host-$(uname -r).json" || true

python3 ci/advisory_table.py

# The whole suite on both AO=n kernels: the matrix's per-kernel reports,
# trimmed, then the cases whose behaviour the fix changes.
nice -n 10 "$suite" matrix --kernel "6.12-no-tcp-ao=$no_ao" --kernel "6.12-no-tcp-ao-fixed=$fixed" \
    --save-reports target/advisory-matrix >/dev/null || true
mkdir -p docs/advisories/full-runs
python3 - <<'PY'
import json
for label in ("6.12-no-tcp-ao", "6.12-no-tcp-ao-fixed"):
    d = json.load(open(f"target/advisory-matrix/{label}.json"))
    slim = {k: d[k] for k in ("environment", "total")}
    slim["cases"] = [{k: c.get(k) for k in ("id", "status", "expected", "observed")} for c in d["cases"]]
    json.dump(slim, open(f"docs/advisories/full-runs/{label}.json", "w"), indent=1)
PY
python3 ci/advisory_fix_diff.py
echo "docs/advisories: runs, table and fix-diff.txt regenerated"
