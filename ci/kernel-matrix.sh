#!/usr/bin/env bash
# The kernel matrix job: the whole suite, then the model-vs-kernel
# differential, on Debian's 6.1 and 6.12 kernels and on a CONFIG_TCP_AO
# kernel built from linux-source-6.12, each booted in qemu (TCG where KVM
# does not work); fails on any failure or disagreement on any kernel. First
# checks that a SIGKILLed `vm` leaves no qemu behind (ci/vm-orphans.sh).
# Then captures AO vectors on the AO kernel, each checked by the model.
# Writes the matrix (txt, json, ktap), each kernel's suite and differential
# reports, and the AO capture into target/kernel-matrix/. Run
# ci/install-deps.sh first. TCPMD5_DIFF_CASES sets the differential's cases per family
# (default: the matrix's, 200 under TCG).
set -euo pipefail
cd "$(dirname "$0")/.."

start=$(date +%s)
ao_kernel=$(ci/build-ao-kernel.sh | tail -n 1)
built=$(date +%s)
echo "AO kernel: $ao_kernel ($((built - start)) s; cached when unchanged)"

cargo build --release -p tcpmd5-conformance
bin=target/release/tcpmd5-conformance
ci/vm-orphans.sh "$bin" "$ao_kernel"

args=()
for k in $(ci/debian-kernels.sh); do
    args+=(--kernel "$k")
done
args+=(--kernel "6.12-tcp-ao=$ao_kernel")
if [ -n "${TCPMD5_DIFF_CASES:-}" ]; then
    args+=(--differential-cases "$TCPMD5_DIFF_CASES")
fi

status=0
matrix_start=$(date +%s)
"$bin" matrix "${args[@]}" --save-reports target/kernel-matrix || status=$?
echo "kernel matrix: $(($(date +%s) - matrix_start)) s, status $status"

# The AO kernel signs a fresh set of AO vectors, each checked by the model
# (ci/regen/ao-vectors.sh writes the same capture to vectors/): a kernel MAC
# the model does not reproduce, or a segment kind missing, fails the job.
ao_start=$(date +%s)
mkdir -p target/kernel-matrix
ao_status=0
"$bin" capture-ao-vectors --kernel "$ao_kernel" \
    --out target/kernel-matrix/ao-vectors.json >target/kernel-matrix/ao-vectors.txt || ao_status=$?
cat target/kernel-matrix/ao-vectors.txt
echo "AO vector capture: $(($(date +%s) - ao_start)) s, status $ao_status"
if [ "$status" -eq 0 ]; then
    status=$ao_status
fi
exit "$status"
