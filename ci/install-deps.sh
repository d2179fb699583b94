#!/usr/bin/env bash
# System packages the project needs beyond Rust and gcc, installed only when
# missing:
#   tcpdump                    the independent digest check of vectors/ and of
#                              the tcpmd5 tool's captures
#   iproute2                   the tool's live capture test
#   util-linux passwd          unshare, prlimit, setpriv, runuser, useradd (the
#                              conformance tests and ci/rootless.sh)
#   nftables                   the ao-bypass mitigation case (a rule dropping
#                              TCP option 29 toward the MD5 port)
#   qemu-system-x86            `vm` and `matrix` boot other kernels
#   busybox-static             the guest's userland
#   flex bison bc libelf-dev   ci/build-ao-kernel.sh (small kernels from
#   libssl-dev xz-utils make   linux-source-6.12)
#   patch                      ci/build-ao-kernel.sh --patch
# and downloads the two Debian kernels of the matrix (ci/debian-kernels.sh)
# into the suite's cache, as `vm --kernel <package>` would.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(tcpdump iproute2 util-linux passwd nftables qemu-system-x86 busybox-static
    flex bison bc libelf-dev libssl-dev xz-utils make patch)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing: ${missing[*]}"
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi
tcpdump --version 2>&1 | head -n 1
qemu-system-x86_64 --version | head -n 1
nft --version

home=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
cache=${TCPMD5_CACHE:-${XDG_CACHE_HOME:-$home/.cache}/tcpmd5}
mkdir -p "$cache/debs"
for k in $(ci/debian-kernels.sh); do
    if ! ls "$cache/debs/${k}_"*.deb >/dev/null 2>&1; then
        (cd "$cache/debs" && apt-get download -q "$k" 2>&1 | tail -n 1)
    fi
    echo "kernel package: $(ls "$cache/debs/${k}_"*.deb)"
done
