#!/usr/bin/env bash
# The kernel's cost of TCP_MD5SIG: loopback TCP in a fresh network namespace
# (unshare -n, lo up, MTU 1500 by default), unsigned vs signed, and unsigned
# with TSO/GSO/GRO off, so hashing and lost segmentation offload are
# separated. Bulk (256 MiB one way) and small messages (100k x 64-byte
# request/response); segment counts from the namespace's /proc/net/snmp.
# Needs root (or CAP_SYS_ADMIN + CAP_NET_ADMIN) and python3; nothing else.
# Writes a "## Kernel" section into docs/benchmarks.md unless BENCH_NO_WRITE=1.
# Arguments are passed to ci/py/bench_kernel.py (--mtu, --bulk-mib, --rr, --reps).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" != 0 ]; then
    echo "bench-kernel.sh: needs root for unshare -n and the lo ioctls" >&2
    exit 1
fi
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
unshare -n -- python3 ci/py/bench_kernel.py --markdown "$out" "$@"

if [ -z "${BENCH_NO_WRITE:-}" ]; then
    mkdir -p docs
    new="docs/benchmarks.md.new"
    if [ -f docs/benchmarks.md ]; then
        # Everything before an existing kernel section.
        sed '/^## Kernel/,$d' docs/benchmarks.md > "$new"
    else
        echo "# Benchmarks" > "$new"
    fi
    {
        echo "## Kernel"
        echo
        echo "Measured $(date -u +%Y-%m-%d) by \`ci/bench/kernel.sh\` on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), Linux $(uname -r). Client and server are python3 (\`ci/py/bench_kernel.py\`), so the request/response figures include interpreter time on both sides; bulk is kernel-bound."
        echo "OutSegs counts MSS-sized segments even when TSO sends super-packets; InSegs counts received skbs (so few with offload on)."
        echo
        cat "$out"
    } >> "$new"
    mv "$new" docs/benchmarks.md
    echo "bench-kernel.sh: wrote the kernel section of docs/benchmarks.md" >&2
fi
