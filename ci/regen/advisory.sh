#!/usr/bin/env bash
# Measures the TCP-AO bypass on every kernel of the advisory in one kernel
# matrix and regenerates the advisory's table (docs/advisories/ao-bypass.md,
# via ci/py/advisory_table.py). The kernels:
#   - Debian's 6.1 and 6.12 cloud kernels (ci/debian-kernels.sh);
#   - small kernels from Debian's linux-source-6.12 (ci/build-ao-kernel.sh):
#     CONFIG_TCP_AO=y, CONFIG_TCP_AO=n, and CONFIG_TCP_AO=n with the proposed
#     fix (docs/advisories/ao-bypass-fix.patch), the last one twice: held to
#     the released `linux` semantics and to `linux-ao-bypass-fixed`;
#   - this machine's kernel (needs root for its namespaces).
# The matrix runs `--filter ao-bypass` on each and saves every report, and
# the matrix itself, in docs/advisories/runs/. Then a second matrix runs the
# whole suite on the unpatched and patched AO=n kernels: its report
# (docs/advisories/fix-matrix.txt) lists every case whose kernel behaviour
# the fix changes, side by side. Run after ci/install-deps.sh; TCG is slow,
# so everything runs under nice.
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=docs/advisories/runs
cargo build --release -p tcpmd5-conformance
suite=target/release/tcpmd5-conformance

ao=$(ci/build-ao-kernel.sh | tail -n 1)
no_ao=$(ci/build-ao-kernel.sh --no-tcp-ao | tail -n 1)
fixed=$(ci/build-ao-kernel.sh --no-tcp-ao --patch docs/advisories/ao-bypass-fix.patch | tail -n 1)
read -r deb61 deb612 < <(ci/debian-kernels.sh | xargs)
held=6.12-no-tcp-ao-fixed.held-to-fixed

# A matrix's exit status is its verdict (1 where a case fails, as it must on
# the patched kernel held to `linux`): recorded in its report, not a reason
# to stop.
rm -rf "$runs"
nice -n 10 "$suite" matrix --filter ao-bypass --save-reports "$runs" \
    --kernel "6.1-debian=$deb61" --kernel "6.12-debian=$deb612" \
    --kernel "6.12-tcp-ao=$ao" --kernel "6.12-no-tcp-ao=$no_ao" \
    --kernel "6.12-no-tcp-ao-fixed=$fixed" --kernel "$held=$fixed" \
    --semantics-for "$held=linux-ao-bypass-fixed" --host >/dev/null || true
python3 ci/py/advisory_table.py

# The whole suite on both AO=n kernels, the patched one held to both
# semantics; the matrix's own report is the side-by-side comparison.
full=target/advisory-matrix
rm -rf "$full"
nice -n 10 "$suite" matrix --save-reports "$full" \
    --kernel "6.12-no-tcp-ao=$no_ao" --kernel "6.12-no-tcp-ao-fixed=$fixed" \
    --kernel "$held=$fixed" --semantics-for "$held=linux-ao-bypass-fixed" \
    >/dev/null || true
cp "$full/matrix.txt" docs/advisories/fix-matrix.txt
echo "docs/advisories: the table (from $runs/matrix.json) and fix-matrix.txt regenerated"
