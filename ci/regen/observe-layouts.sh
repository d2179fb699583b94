#!/usr/bin/env bash
# Records which semantics' option-vector expectations a live kernel
# confirms: runs the conformance suite's layout cases (every layout of
# tcpmd5_testkit::layouts to a listener with and without the key, both
# families) on this machine's kernel, or with --kernel SPEC on another one
# booted in qemu (`tcpmd5-conformance vm`: a bzImage, a Debian package file
# or name), writes tests/vectors/observed/<uname -r>.json, and regenerates
# the vectors (each expectation's `source` names the kernel and case that
# confirmed it). A case that fails there stops the regeneration: the kernel
# wins, fix the model. Needs root (or unprivileged user namespaces) on the
# host; qemu, busybox-static for --kernel (ci/install-deps.sh).
#
#   ci/regen/observe-layouts.sh                                         # this kernel
#   ci/regen/observe-layouts.sh --kernel linux-image-6.1.0-57-cloud-amd64
#   ci/regen/observe-layouts.sh --kernel "$(ci/build-ao-kernel.sh | tail -n 1)"
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -p tcpmd5-conformance
bin=target/release/tcpmd5-conformance
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
args=(--filter layouts- --format json)
if [ "${1:-}" = --kernel ]; then
    [ -n "${2:-}" ] || { echo "usage: $0 [--kernel SPEC]" >&2; exit 2; }
    cmd=(vm --kernel "$2" "${args[@]}")
else
    cmd=("${args[@]}")
fi
# Status 1 (a case failed) is recorded too, and stops the regeneration.
status=0
"$bin" "${cmd[@]}" >"$tmp" || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
    echo "tcpmd5-conformance ${cmd[*]}: exit status $status" >&2
    exit "$status"
fi
python3 ci/py/observed_layouts.py "tcpmd5-conformance ${cmd[*]}" <"$tmp"
cargo test -p tcpmd5 --test vectors -- --ignored regenerate
