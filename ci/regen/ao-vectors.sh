#!/usr/bin/env bash
# Regenerates vectors/ao/linux-6.12-tcp-ao.json: TCP-AO segments signed by
# the CONFIG_TCP_AO kernel of ci/build-ao-kernel.sh (built, or taken from its
# cache), booted in qemu. In the guest, `tcpmd5-conformance
# capture-ao-vectors` runs two kernel sockets with AO keys on both ends over
# a veth between two namespaces, captures every segment and checks each
# with the model; the capture comes back over a serial port as JSON and is
# written as the vector file. Fails (and says why) if a connection missed a
# segment kind or the model disagrees with a kernel MAC. The checked-in file
# is this script's output: never edit it by hand. Then run
# `cargo test --test ao_kernel_vectors --test ao_scapy` and
# ci/regen/figures.sh (the vector counts in README.md).
# Runs as a normal user (qemu TCG); a minute or two.
set -euo pipefail
cd "$(dirname "$0")/../.."

ao_kernel=$(ci/build-ao-kernel.sh | tail -n 1)
cargo build --release -p tcpmd5-conformance
target/release/tcpmd5-conformance capture-ao-vectors \
    --kernel "$ao_kernel" --out vectors/ao/linux-6.12-tcp-ao.json
