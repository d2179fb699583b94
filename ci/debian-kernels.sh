#!/usr/bin/env bash
# Prints the Debian kernel packages the matrix runs, one per line: the
# newest linux-image-6.1.0-*-cloud-amd64 (bookworm, before the 6.7 rework
# of the receive path) and the newest linux-image-6.12.*+deb12-cloud-amd64
# (bookworm-security, after it). Needs an apt index (apt-get update).
set -euo pipefail
newest() {
    apt-cache search --names-only "$1" | cut -d' ' -f1 | sort -V | tail -n 1
}
k61=$(newest '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$')
k612=$(newest '^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64$')
if [ -z "$k61" ] || [ -z "$k612" ]; then
    echo "ci/debian-kernels.sh: no 6.1 or 6.12 cloud kernel in the apt index (bookworm and bookworm-security needed)" >&2
    exit 1
fi
echo "$k61"
echo "$k612"
