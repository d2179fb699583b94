#!/usr/bin/env bash
# What the project needs beyond Rust (stable + nightly), gcc and python3,
# installed only when missing:
#   tcpdump                    the independent digest check of vectors/ and of
#                              the tcpmd5 tool's captures
#   iproute2                   the tool's live capture test
#   util-linux passwd          unshare, prlimit, setpriv, runuser, useradd
#                              (conformance tests, ci/rootless.sh)
#   qemu-system-x86            `vm` and `matrix` boot other kernels
#   busybox-static             the guest's userland
#   flex bison bc libelf-dev   ci/build-ao-kernel.sh (a CONFIG_TCP_AO kernel
#   libssl-dev xz-utils make   from linux-source-6.12)
#   zip unzip                  the OSS-Fuzz seed corpora
#   nftables                   the ao-bypass mitigation case (a rule dropping
#                              TCP option 29 toward the MD5 port)
#   patch                      ci/build-ao-kernel.sh --patch (the AO-bypass fix)
#   bird2 frr                  real BGP daemons (BIRD 2, FRR's bgpd) for the
#                              tool's daemon test and the bgplab crate
# scapy (pip) checks the TCP-AO vectors (tests/ao_scapy.rs),
# plus cargo-fuzz and nightly's llvm-tools (ci/fuzz.sh, ci/nightly/fuzz-coverage.sh,
# ci/nightly/oss-fuzz-build.sh), cargo-mutants (ci/mutants.sh), nightly's miri and
# rust-src (ci/miri.sh), the musl target (ci/nightly/kselftest-package.sh's static
# binary), and the
# two Debian kernels of the matrix
# (ci/debian-kernels.sh) in the suite's cache, as `vm --kernel <package>`
# would fetch them.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(tcpdump iproute2 util-linux passwd qemu-system-x86 busybox-static
          flex bison bc libelf-dev libssl-dev xz-utils make zip unzip nftables patch bird2 frr)
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
bird --version 2>&1 | head -n 1
/usr/lib/frr/bgpd --version | head -n 1
# scapy (its contrib/tcpao checks the TCP-AO vectors: tests/ao_scapy.rs), with
# the cryptography package its AES-CMAC needs.
# Debian's own python3 comes without pip and marks itself externally managed
# (PEP 668): pip from apt, and this machine-wide install of two test tools
# allowed explicitly (ignored by a python3 that is not externally managed).
if ! python3 -c 'import scapy.contrib.tcpao, cryptography' 2>/dev/null; then
    if ! python3 -m pip --version >/dev/null 2>&1; then
        apt-get install -y -qq python3-pip >/dev/null
    fi
    PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet 'scapy==2.8.0' cryptography
fi

CARGO_FUZZ_VERSION=0.13.2
if ! cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
CARGO_MUTANTS_VERSION=27.1.0
if ! cargo mutants --version 2>/dev/null | grep -qF "$CARGO_MUTANTS_VERSION"; then
    cargo install cargo-mutants --version "$CARGO_MUTANTS_VERSION" --locked
fi
if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^llvm-tools'; then
    rustup component add llvm-tools-preview --toolchain nightly
fi
# ci/miri.sh: Miri and the standard library's source it builds its sysroot from.
for c in miri rust-src; do
    if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q "^$c"; then
        rustup component add "$c" --toolchain nightly
    fi
done
cargo fuzz --version
# ci/nightly/kselftest-package.sh: the static (musl) suite binary.
if ! rustup target list --installed | grep -qx x86_64-unknown-linux-musl; then
    rustup target add x86_64-unknown-linux-musl
fi

home=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
cache=${TCPMD5_CACHE:-${XDG_CACHE_HOME:-$home/.cache}/tcpmd5}
mkdir -p "$cache/debs"
for k in $(ci/debian-kernels.sh); do
    if ! ls "$cache/debs/${k}_"*.deb >/dev/null 2>&1; then
        (cd "$cache/debs" && apt-get download -q "$k" 2>&1 | tail -n 1)
    fi
    echo "kernel package: $(ls "$cache/debs/${k}_"*.deb)"
done
