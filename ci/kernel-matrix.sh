#!/usr/bin/env bash
# The kernel matrix job: the whole suite on Debian's 6.1 and 6.12 kernels
# and on a CONFIG_TCP_AO kernel built from linux-source-6.12, each booted in
# qemu (TCG where KVM does not work); fails on any failure on any kernel.
# Writes the matrix (txt, json, ktap) and each kernel's suite report into
# target/kernel-matrix/. Run ci/install-deps.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."

start=$(date +%s)
ao_kernel=$(ci/build-ao-kernel.sh | tail -n 1)
built=$(date +%s)
echo "AO kernel: $ao_kernel ($((built - start)) s; cached when unchanged)"

cargo build --release -p tcpmd5-conformance
bin=target/release/tcpmd5-conformance
args=()
for k in $(ci/debian-kernels.sh); do
    args+=(--kernel "$k")
done
args+=(--kernel "6.12-tcp-ao=$ao_kernel")

status=0
matrix_start=$(date +%s)
"$bin" matrix "${args[@]}" --save-reports target/kernel-matrix || status=$?
echo "kernel matrix: $(($(date +%s) - matrix_start)) s, status $status"
exit "$status"
