#!/usr/bin/env bash
# Builds a small x86-64 kernel from Debian's linux-source-6.12 for the kernel
# matrix: by default with CONFIG_TCP_AO=y and VRF, the kernel on which the
# `linux-ao` semantics is observed live (no Debian kernel has TCP_AO).
# Prints the bzImage path on the last line of stdout.
#
# Usage: ci/build-ao-kernel.sh [--no-tcp-ao] [--patch FILE.diff]
#   --no-tcp-ao  build the same kernel with CONFIG_TCP_AO off (the config of
#                Debian's 6.12 kernels, on which the ao-bypass cases apply)
#   --patch F    apply the unified diff F (-p1) to the tree first, e.g. a
#                proposed fix; with --no-tcp-ao this gives the patched
#                counterpart of Debian's config
#
# Each variant's bzImage is cached under $TCPMD5_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/tcpmd5) keyed by the source version, the
# options and the patch, so a rerun is instant. Needs flex, bison, bc,
# libelf-dev, libssl-dev, xz-utils, make (ci/install-deps.sh installs them);
# installs linux-source-6.12 with apt-get when it is missing. JOBS sets
# make's -j (default 2); the build runs under nice.
set -euo pipefail

tcp_ao=y
patch_file=
while [ $# -gt 0 ]; do
    case "$1" in
        --no-tcp-ao) tcp_ao=n ;;
        --patch) patch_file=$(realpath "$2"); shift ;;
        *) echo "usage: $0 [--no-tcp-ao] [--patch FILE.diff]" >&2; exit 2 ;;
    esac
    shift
done
jobs=${JOBS:-2}
home=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
cache=${TCPMD5_CACHE:-${XDG_CACHE_HOME:-$home/.cache}/tcpmd5}
tarball=/usr/src/linux-source-6.12.tar.xz

if [ ! -f "$tarball" ]; then
    echo "installing linux-source-6.12" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq linux-source-6.12 >/dev/null
fi

# The options issue 11 measured, plus VRF and what it needs.
options=(
    64BIT PRINTK TTY SERIAL_8250 SERIAL_8250_CONSOLE BLK_DEV_INITRD RD_GZIP
    BINFMT_ELF BINFMT_SCRIPT PROC_FS SYSFS DEVTMPFS TMPFS MULTIUSER FUTEX EPOLL
    SIGNALFD TIMERFD EVENTFD SHMEM AIO NET INET IPV6 UNIX PACKET NETDEVICES
    NET_CORE VETH NET_NS NAMESPACES USER_NS TCP_MD5SIG TCP_AO FTRACE TRACEPOINTS
    TRACING EVENT_TRACING PROC_SYSCTL SYSCTL CRYPTO CRYPTO_HMAC CRYPTO_SHA1
    CRYPTO_SHA256 CRYPTO_CMAC CRYPTO_AES CRYPTO_MD5 IKCONFIG IKCONFIG_PROC
    POSIX_TIMERS PCI ACPI
    NET_VRF NET_L3_MASTER_DEV IP_MULTIPLE_TABLES IPV6_MULTIPLE_TABLES
    IP_ADVANCED_ROUTER
)
disabled=()
if [ "$tcp_ao" = n ]; then
    disabled+=(TCP_AO)
fi

version=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || stat -c %Y "$tarball")
key_input="$version ${options[*]}"
# The default variant keeps the key it always had (its cache stays valid).
if [ "${#disabled[@]}" -gt 0 ]; then
    key_input="$key_input -${disabled[*]}"
fi
if [ -n "$patch_file" ]; then
    key_input="$key_input $(sha256sum <"$patch_file")"
fi
key=$(printf '%s' "$key_input" | sha256sum | cut -c1-16)
out="$cache/ao-kernel/$key/bzImage"

if [ -f "$out" ]; then
    echo "cached: $out" >&2
    echo "$out"
    exit 0
fi

src="$cache/ao-kernel/$key/src"
rm -rf "$src"
mkdir -p "$src"
echo "unpacking $tarball (linux-source-6.12 $version) into $src" >&2
tar -xJf "$tarball" -C "$src" --strip-components=1
cd "$src"
if [ -n "$patch_file" ]; then
    echo "applying $patch_file" >&2
    patch -p1 --forward <"$patch_file" >&2
fi

make -s tinyconfig >&2
for opt in "${options[@]}"; do
    scripts/config -e "$opt"
done
for opt in "${disabled[@]}"; do
    scripts/config -d "$opt"
done
make -s olddefconfig >&2
for opt in TCP_MD5SIG NET_VRF VETH NET_NS IPV6; do
    if ! grep -q "^CONFIG_$opt=y" .config; then
        echo "CONFIG_$opt did not survive olddefconfig" >&2
        exit 1
    fi
done
if [ "$tcp_ao" = y ] && ! grep -q '^CONFIG_TCP_AO=y' .config; then
    echo "CONFIG_TCP_AO did not survive olddefconfig" >&2
    exit 1
fi

start=$(date +%s)
nice -n 10 make -s -j"$jobs" bzImage >&2
end=$(date +%s)
echo "built in $((end - start)) s" >&2

cp arch/x86/boot/bzImage "$out.tmp"
cp .config "$(dirname "$out")/config"
mv "$out.tmp" "$out"
# The tree is only needed to build; keep the cache small.
cd /
rm -rf "$src"
echo "$out"
