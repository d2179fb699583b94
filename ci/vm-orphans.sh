#!/usr/bin/env bash
# Proves that a `vm` killed outright leaves no qemu behind: starts
# `tcpmd5-conformance vm --kernel K` (K: a bzImage, default the AO kernel of
# ci/build-ao-kernel.sh), waits until its guest's qemu runs, SIGKILLs the
# `vm` process (no cleanup code can run) and checks that the qemu is gone
# within 5 s (qemu is started under `setpriv --pdeathsig KILL`).
# Usage: ci/vm-orphans.sh [BIN [KERNEL]]
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${1:-target/release/tcpmd5-conformance}
kernel=${2:-$(ci/build-ao-kernel.sh | tail -n 1)}

"$bin" vm --kernel "$kernel" --format json >/dev/null 2>&1 &
vm=$!
qemu=
for _ in $(seq 1 600); do
    # The guest's qemu (the KVM probe's has no -initrd).
    qemu=$(pgrep -P "$vm" -f -- '-initrd' || true)
    [ -n "$qemu" ] && break
    if ! kill -0 "$vm" 2>/dev/null; then
        echo "vm-orphans: vm exited before its guest started" >&2
        exit 1
    fi
    sleep 0.1
done
if [ -z "$qemu" ]; then
    kill -KILL "$vm"
    echo "vm-orphans: no guest qemu after 60 s" >&2
    exit 1
fi
# (The shell's "Killed" notice for the job is expected; keep it quiet.)
{ kill -KILL "$vm" && wait "$vm"; } 2>/dev/null || true
for _ in $(seq 1 50); do
    state=$(awk '{print $3}' "/proc/$qemu/stat" 2>/dev/null || true)
    if [ -z "$state" ] || [ "$state" = Z ]; then
        echo "vm-orphans: qemu $qemu died with its SIGKILLed parent $vm"
        exit 0
    fi
    sleep 0.1
done
echo "vm-orphans: qemu $qemu outlived its SIGKILLed parent $vm" >&2
kill -KILL "$qemu" 2>/dev/null || true
exit 1
