#!/usr/bin/env bash
# Records which semantics' decision-vector expectations (receiver, closed
# port, listener reset, timewait socket: vectors/decisions/) a live kernel
# confirms: runs the conformance cases that send each vector's segment to
# its socket on this machine's kernel, or with --kernel SPEC on another one
# booted in qemu (`tcpmd5-conformance vm`: a bzImage, a Debian package file
# or name), writes tests/vectors/observed/decisions/<uname -r>.<semantics>.json
# (release, date, this script, the command, each case's status), and
# regenerates the vectors. A case that fails there stops the regeneration:
# the kernel wins, fix the model. Needs root (or unprivileged user
# namespaces) on the host; qemu, busybox-static for --kernel
# (ci/install-deps.sh). --semantics ID holds the kernel to that semantics
# (a proposed fix no release number names), as in observe-layouts.sh.
#
#   ci/regen/observe-decisions.sh                                  # this kernel (6.18: linux)
#   ci/regen/observe-decisions.sh --kernel linux-image-6.1.0-57-cloud-amd64     # linux-legacy
#   ci/regen/observe-decisions.sh --kernel linux-image-6.12.118+deb12-cloud-amd64
#   ci/regen/observe-decisions.sh --kernel "$(ci/build-ao-kernel.sh | tail -n 1)"   # linux-ao
#   ci/regen/observe-decisions.sh --semantics linux-ao-bypass-fixed --kernel \
#     "$(ci/build-ao-kernel.sh --no-tcp-ao --patch docs/advisories/ao-bypass-fix.patch | tail -n 1)"
set -euo pipefail
cd "$(dirname "$0")/../.."
. ci/lib/observe.sh
# The same prefixes as ci/py/observed_run.py (DECISION_PREFIXES).
filters=(--filter listener-key/syn- --filter listener-nokey/
      --filter session-handshake/third-ack- --filter session-handshake/syn-recv-rst-
      --filter session-established/data- --filter resets/closed-port- --filter listener-ack/
      --filter session-close/time-wait- --filter session-finwait/orphan-fin-wait-2-
      --filter ao-bypass/data-on-md5-session --filter semantics/probes)
observe python3 ci/py/observed_run.py decisions ci/regen/observe-decisions.sh -- "${filters[@]}" -- "$@"
