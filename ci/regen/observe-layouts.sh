#!/usr/bin/env bash
# Records which semantics' option-vector expectations a live kernel
# confirms: runs the conformance suite's layout cases (every layout of
# tcpmd5_testkit::layouts to a listener with and without the key, both
# families) on this machine's kernel, or with --kernel SPEC on another one
# booted in qemu (`tcpmd5-conformance vm`: a bzImage, a Debian package file
# or name), writes tests/vectors/observed/<uname -r>.<semantics>.json, and
# regenerates the vectors (each expectation's `source` names the kernel and
# case that confirmed it). A case that fails there stops the regeneration:
# the kernel wins, fix the model. Needs root (or unprivileged user namespaces) on the
# host; qemu, busybox-static for --kernel (ci/install-deps.sh).
#
# --semantics ID holds the kernel to that semantics instead of the one its
# version implies: for a proposed fix (`linux-ao-bypass-fixed`), which no
# release number names. The run is recorded when the suite's
# semantics/probes case passes (the probes fit the semantics' released
# base); the file is named after the kernel and the semantics, as two
# kernels built from one source report one release.
#
#   ci/regen/observe-layouts.sh                                         # this kernel
#   ci/regen/observe-layouts.sh --kernel linux-image-6.1.0-57-cloud-amd64
#   ci/regen/observe-layouts.sh --kernel "$(ci/build-ao-kernel.sh | tail -n 1)"
#   ci/regen/observe-layouts.sh --semantics linux-ao-bypass-fixed --kernel \
#     "$(ci/build-ao-kernel.sh --no-tcp-ao --patch docs/advisories/ao-bypass-fix.patch | tail -n 1)"
set -euo pipefail
cd "$(dirname "$0")/../.."
. ci/lib/observe.sh
filters=(--filter layouts- --filter semantics/probes)
observe python3 ci/py/observed_run.py layouts ci/regen/observe-layouts.sh -- "${filters[@]}" -- "$@"
