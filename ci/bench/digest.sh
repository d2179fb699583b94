#!/usr/bin/env bash
# Runs the digest benchmarks (benches/digest.rs) and the batch benchmarks
# (benches/batch.rs) twice -- md-5's portable compression function
# (`--no-default-features`), then md-5's assembly one (the default `asm`
# feature) -- side by side with OpenSSL's MD5 (`--features openssl`), and
# prints the markdown tables, also written to docs/benchmarks.md (and the
# batch summary to the region batch-table of docs/performance.md).
#
# Not run in CI. Takes a few minutes. Environment:
#   BENCH_MEASURE_SECS (default 1.0), BENCH_WARMUP_SECS (default 0.3)
#   BENCH_NO_WRITE=1   print the table only, leave docs/benchmarks.md alone
#   BENCH_SKIP_RUN=1   only rebuild the table from target/criterion
set -euo pipefail
cd "$(dirname "$0")/../.."

need_libcrypto() {
    ! { pkg-config --exists libcrypto 2>/dev/null || [ -e /usr/lib/x86_64-linux-gnu/libcrypto.so ]; }
}
if need_libcrypto; then
    echo "bench.sh: installing libssl-dev (for the OpenSSL baseline)" >&2
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq libssl-dev pkg-config >&2
fi

TARGET_DIR="$(python3 ci/py/cargo_target_dir.py)"
CRIT="$TARGET_DIR/criterion"
FREQ_LOG="$TARGET_DIR/bench-cpu-mhz.txt"

measure_mhz() {
    cargo bench -q -p tcpmd5 --bench cpu_freq 2>/dev/null | tee -a "$FREQ_LOG" >&2
}

if [ -z "${BENCH_SKIP_RUN:-}" ]; then
    rm -rf "$CRIT"/soft.* "$CRIT"/asm.* "$FREQ_LOG"
    measure_mhz
    echo "bench.sh: run 1/2: md-5 portable + OpenSSL, batch" >&2
    cargo bench -p tcpmd5 --no-default-features --features openssl --bench digest -- '^soft\.' >&2
    cargo bench -p tcpmd5 --no-default-features --bench batch >&2
    measure_mhz
    echo "bench.sh: run 2/2: md-5 asm (md5-asm, the default) + OpenSSL, batch" >&2
    cargo bench -p tcpmd5 --features openssl --bench digest -- '^asm\.digest\.' >&2
    cargo bench -p tcpmd5 --bench batch >&2
    measure_mhz
fi

CPU_MODEL="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
BATCH_README_OUT="$TARGET_DIR/bench-batch-readme.md"
export CRIT FREQ_LOG CPU_MODEL BATCH_README_OUT
TABLE="$(python3 ci/py/bench_digest_tables.py)"
BATCH_TABLE="${TABLE#*@@BATCH@@
}"
TABLE="${TABLE%%
@@BATCH@@*}"

echo "$TABLE"
echo
echo "$BATCH_TABLE"

if [ -z "${BENCH_NO_WRITE:-}" ]; then
    mkdir -p docs
    {
        echo "# Benchmarks"
        echo
        echo "Measured $(date -u +%Y-%m-%d) on: ${CPU_MODEL}, $(nproc) cores (shared, noisy), Linux $(uname -r), $(rustc --version | cut -d' ' -f1-2), OpenSSL $(pkg-config --modversion libcrypto 2>/dev/null || echo '?')."
        echo "Regenerate with \`ci/bench/digest.sh\` (a few minutes; numbers below are from one such run)."
        echo
        echo "Each cell: median ns per packet · cycles per hashed byte · ratio to OpenSSL's MD5 over the same bytes in the same run."
        echo "Hashed bytes = pseudo-header (12 IPv4, 40 IPv6) + 20-byte TCP header + payload + key: what RFC 2385 feeds MD5."
        echo "The segment carries a 20-byte Linux-layout MD5 option, which is skipped by the digest."
        echo
        echo "- **tcpmd5 digest**: \`tcpmd5::segment_digest\` on the signed segment."
        echo "- **md-5 raw**: \`md5::Md5::digest\` over the same bytes already laid out in one buffer: the floor for digest assembly."
        echo "- **OpenSSL MD5**: legacy \`MD5_Init/MD5_Update/MD5_Final\` from libcrypto over that buffer (\`--features openssl\`)."
        echo "- **(asm)** columns: a second run with md-5's \`asm\` feature (the md5-asm crate; tcpmd5's default \`asm\` feature); their ratios are to the OpenSSL figure of that second run. The other columns are built with \`--no-default-features\` (portable md-5)."
        echo "- **packet_verdict**: the whole receive path on an IPv4/IPv6 packet (view, option scan, key lookup in a one-entry \`KeyTable\`, digest, constant-time compare); 16-byte key only."
        echo "- **sign_packet_into**: copy an unsigned packet into a preallocated buffer, insert the option, digest, TCP and IPv4 checksums; 16-byte key only."
        echo "- The machine is shared: each cell is the median of 20 samples, and cells of the same row measured moments apart can still differ by 10-20 %; read ratios across a row, or the geometric mean over rows, rather than one cell."
        echo "- An IPv4 packet cannot carry a 65495-byte payload with the option (total length 65555 > 65535): the packet cases use 65475 there; the segment digest still fits (TCP length 65535)."
        echo
        echo "$TABLE"
        echo
        echo "## Batch"
        echo
        echo "\`benches/batch.rs\`: digests of a batch of IPv4 segments (16-byte key) through \`tcpmd5::batch::Batch::digests\` with each MD5 kernel forced (md5-lanes: scalar; AVX2, two 8-lane registers; AVX-512, 16 lanes), side by side in the same run with md-5 hashing the same bytes, already laid out, one stream at a time, and with \`segment_digest\` one segment at a time. Each row is one run: md-5 portable (\`--no-default-features\`) or md-5 asm (the default build); the batch kernels do not use md-5, so their two rows are two measurements of the same code. The ratios divide times measured in the same run."
        echo
        echo "- Shapes: 64, 1460 and 9000 payload bytes after a 40-byte header (NOP NOP MD5); \"mixed capture\": two thirds bare ACKs in 60- to 80-byte IPv4 packets (MD5, timestamps, SACK blocks), one third 1448-byte data segments, in a fixed pseudo-random order."
        echo "- c/B: cycles per hashed byte (pseudo-header, fixed header, payload, key) at the frequency below; ns / segment: the AVX-512 batch time divided by the segments."
        echo "- The verdict table: the whole receive path (IP and TCP views, option scan, key lookup, digest, constant-time compare) on the mixed capture, one packet at a time and in one batch; the last column is the batch verdict time over the batch digest time."
        echo
        echo "$BATCH_TABLE"
        echo
        echo "The kernel's cost (loopback TCP with and without \`TCP_MD5SIG\`) is measured by \`ci/bench/kernel.sh\`; see below."
    } > docs/benchmarks.md.new
    # Keep a kernel section written by ci/bench/kernel.sh, if any.
    if [ -f docs/benchmarks.md ] && grep -q '^## Kernel' docs/benchmarks.md; then
        { echo; sed -n '/^## Kernel/,$p' docs/benchmarks.md; } >> docs/benchmarks.md.new
    fi
    mv docs/benchmarks.md.new docs/benchmarks.md
    echo "bench.sh: wrote docs/benchmarks.md" >&2
    # The batch summary, in docs/performance.md.
    python3 ci/py/regions.py docs/performance.md batch-table <"$BATCH_README_OUT"
fi
