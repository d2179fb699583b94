#!/usr/bin/env bash
# Builds the suite's kselftest package into DIR (default
# target/kselftest/tcpmd5), the directory a kselftest install holds for one
# collection, as kernel CI (LKFT, KernelCI, netdev) runs it:
#   tcpmd5-conformance       the suite, a static (musl) binary: no libc needed
#   tcpmd5_conformance.sh    runs it with --format ktap; exits with its status,
#                            kselftest's codes (0 pass, 1 fail, 4 skip)
#   config                   the kernel options it needs (for merge_config.sh)
#   settings                 the runner's timeout for the collection
# and prints the kselftest-list.txt line (tcpmd5:tcpmd5_conformance.sh).
# Needs the x86_64-unknown-linux-musl target (added with rustup if missing);
# the C compiler builds md-5's assembly (CC_x86_64_unknown_linux_musl,
# default gcc).
set -euo pipefail
cd "$(dirname "$0")/../.."

dir=${1:-target/kselftest/tcpmd5}
target=x86_64-unknown-linux-musl
if ! rustup target list --installed | grep -qx "$target"; then
    rustup target add "$target" >&2
fi
CC_x86_64_unknown_linux_musl=${CC_x86_64_unknown_linux_musl:-gcc} \
    cargo build --release -q -p tcpmd5-conformance --target "$target" >&2
bin=target/$target/release/tcpmd5-conformance
# Static (static-pie): no program interpreter, no shared library needed.
if readelf -l "$bin" | grep -q INTERP || readelf -d "$bin" | grep -q NEEDED; then
    echo "kselftest-package: $bin is not static" >&2
    exit 1
fi

rm -rf "$dir"
mkdir -p "$dir"
cp "$bin" "$dir/tcpmd5-conformance"
cat > "$dir/tcpmd5_conformance.sh" <<'EOF'
#!/bin/sh
# tcpmd5 conformance: the RFC 2385 reference model against this kernel, one
# KTAP test per case; exit status as kselftest (0 pass, 1 fail, 4 skip).
# Arguments are passed on (KSELFTEST_TCPMD5_CONFORMANCE_SH_ARGS="--strict").
cd "$(dirname "$0")" || exit 1
exec ./tcpmd5-conformance --format ktap "$@"
EOF
chmod +x "$dir/tcpmd5_conformance.sh"
cat > "$dir/config" <<'EOF'
# Needed: namespaces, MD5, veth (IPv6 for the ipv6 cases).
CONFIG_NET_NS=y
CONFIG_TCP_MD5SIG=y
CONFIG_VETH=y
CONFIG_IPV6=y
# Optional: the vrf cases and the TCP-AO cases are skipped without them.
CONFIG_NET_VRF=m
CONFIG_TCP_AO=y
EOF
# A run takes 5 s on a host, about 40 s in a TCG guest.
echo "timeout=900" > "$dir/settings"
echo "tcpmd5:tcpmd5_conformance.sh"
