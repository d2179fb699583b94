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

TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
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
TABLE="$(python3 - <<'PY'
import json, os, re, statistics, datetime, glob

crit = os.environ["CRIT"]
res = {}  # (run, op, fam, key, payload) -> {impl: (ns, bytes)}
batch = {}  # (run, shape, segments) -> {impl: (ns per batch, hashed bytes per batch)}
for path in glob.glob(os.path.join(crit, "*", "*", "new", "benchmark.json")):
    meta = json.load(open(path))
    est = json.load(open(os.path.join(os.path.dirname(path), "estimates.json")))
    b = re.fullmatch(r"(soft|asm)\.batch\.(\w+)\.n(\d+)", meta["group_id"])
    if b:
        run, shape, n = b.groups()
        batch.setdefault((run, shape, int(n)), {})[meta["function_id"]] = (
            est["median"]["point_estimate"], meta["throughput"]["Bytes"])
        continue
    m = re.fullmatch(r"(soft|asm)\.(digest|packet)\.(v4|v6)\.k(\d+)\.p(\d+)", meta["group_id"])
    if not m:
        continue
    ns = est["median"]["point_estimate"]
    nbytes = meta["throughput"]["Bytes"]
    run, op, fam, key, pay = m.groups()
    res.setdefault((run, op, fam, int(key), int(pay)), {})[meta["function_id"]] = (ns, nbytes)

mhz_measured, mhz_proc = [], None
for line in open(os.environ["FREQ_LOG"]) if os.path.exists(os.environ["FREQ_LOG"]) else []:
    k, _, v = line.partition(" ")
    if k == "cpu_mhz_measured":
        mhz_measured.append(float(v))
    elif k == "cpu_mhz_proc":
        mhz_proc = float(v)
mhz = statistics.median(mhz_measured) if mhz_measured else (mhz_proc or 0.0)

def cell(entry, ref):
    """'ns · c/B · ×ref' (ratio of cycles per byte, i.e. of ns on equal bytes)."""
    if entry is None:
        return "–"
    ns, nbytes = entry
    s = f"{ns:,.0f} ns · {ns * mhz / 1000 / nbytes:.2f} c/B"
    if ref is not None:
        s += f" · {(ns / nbytes) / (ref[0] / ref[1]):.2f}×"
    return s

def ratio(a, b):
    return "–" if a is None or b is None else f"{(a[0] / a[1]) / (b[0] / b[1]):.3f}"

keys = sorted({k[2:] for k in res if k[1] == "digest"})
rows = []
hdr = ["family", "key", "payload", "hashed B",
       "tcpmd5 digest", "md-5 raw", "OpenSSL MD5",
       "tcpmd5 / md-5 raw",
       "tcpmd5 digest (asm)", "md-5 raw (asm)", "tcpmd5 / md-5 raw (asm)",
       "packet_verdict", "sign_packet_into"]
for fam, key, pay in keys:
    soft = res.get(("soft", "digest", fam, key, pay), {})
    asm = res.get(("asm", "digest", fam, key, pay), {})
    ossl, ossl_asm = soft.get("openssl"), asm.get("openssl")
    # The packet cases of an IPv4 65495-byte payload are clamped to 65475.
    pk = res.get(("soft", "packet", fam, key, pay)) or (
        res.get(("soft", "packet", fam, key, 65475)) if (fam, pay) == ("v4", 65495) else None) or {}
    nbytes = (soft.get("tcpmd5") or asm.get("tcpmd5") or (0, 0))[1]
    note = " (65475 in packet)" if (fam, pay) == ("v4", 65495) and pk else ""
    rows.append([fam, str(key), f"{pay}{note}", str(nbytes),
                 cell(soft.get("tcpmd5"), ossl), cell(soft.get("md5_raw"), ossl), cell(ossl, None),
                 ratio(soft.get("tcpmd5"), soft.get("md5_raw")),
                 cell(asm.get("tcpmd5"), ossl_asm), cell(asm.get("md5_raw"), ossl_asm),
                 ratio(asm.get("tcpmd5"), asm.get("md5_raw")),
                 cell(pk.get("packet_verdict"), ossl), cell(pk.get("sign_packet_into"), ossl)])

out = []
out.append("| " + " | ".join(hdr) + " |")
out.append("|" + "|".join("---" if i < 3 else "---:" for i in range(len(hdr))) + "|")
out += ["| " + " | ".join(r) + " |" for r in rows]
freq = f"{mhz:.0f} MHz, measured (median of {len(mhz_measured)} runs of a dependent register-add chain, benches/cpu_freq.rs)"
if mhz_proc:
    freq += f"; /proc/cpuinfo says {mhz_proc:.0f} MHz"
print("\n".join(out))
print()
print(f"CPU frequency used for cycles/byte: {freq}.")

# Batch tables: one row per (md-5 build, shape); ratios are of times
# measured side by side in the same run.
SHAPES = {"p64": "64 B payload", "p1460": "1460 B payload", "p9000": "9000 B payload",
          "mixed": "mixed capture"}
RUNS = {"soft": "portable", "asm": "asm (default)"}
def cpb(e):
    return "–" if e is None else f"{e[0] * mhz / 1000 / e[1]:.2f}"
def x(base, e):
    return "–" if base is None or e is None else f"{base[0] / e[0]:.1f}×"
def per_seg(e, n):
    return "–" if e is None else f"{e[0] / n:,.0f}"
order = sorted(batch, key=lambda k: (list(RUNS).index(k[0]), list(SHAPES).index(k[1]) if k[1] in SHAPES else 99))
bt = ["| md-5 | shape | segments | hashed B / segment | md-5 single stream c/B | tcpmd5 one at a time c/B | batch scalar c/B | batch AVX2 c/B | batch AVX-512 c/B | AVX-512 / md-5 | AVX2 / md-5 | AVX-512 ns / segment |",
      "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
readme = ["| shape | hashed B / segment | AVX-512 c/B | AVX-512 vs md-5 portable | AVX-512 vs md-5 asm | AVX2 vs md-5 portable | AVX2 vs md-5 asm |",
          "|---|---:|---:|---:|---:|---:|---:|"]
for run, shape, n in order:
    r = batch[(run, shape, n)]
    md5 = r.get("md5_single")
    nbytes = (md5 or next(iter(r.values())))[1]
    bt.append(f"| {RUNS[run]} | {SHAPES.get(shape, shape)} | {n} | {nbytes / n:.0f} | {cpb(md5)} | {cpb(r.get('tcpmd5_single'))} | "
              f"{cpb(r.get('batch_scalar'))} | {cpb(r.get('batch_avx2'))} | {cpb(r.get('batch_avx512'))} | "
              f"{x(md5, r.get('batch_avx512'))} | {x(md5, r.get('batch_avx2'))} | {per_seg(r.get('batch_avx512'), n)} |")
for shape in SHAPES:
    soft = next((v for k, v in batch.items() if k[:2] == ("soft", shape)), {})
    asm = next((v for k, v in batch.items() if k[:2] == ("asm", shape)), {})
    n = next((k[2] for k in batch if k[1] == shape), None)
    if n is None:
        continue
    nbytes = (soft.get("md5_single") or asm.get("md5_single"))[1]
    readme.append(f"| {SHAPES[shape]} | {nbytes / n:.0f} | {cpb(asm.get('batch_avx512'))} | "
                  f"{x(soft.get('md5_single'), soft.get('batch_avx512'))} | {x(asm.get('md5_single'), asm.get('batch_avx512'))} | "
                  f"{x(soft.get('md5_single'), soft.get('batch_avx2'))} | {x(asm.get('md5_single'), asm.get('batch_avx2'))} |")
vt = ["| md-5 | shape | `packet_verdict` one at a time c/B | `Batch::packet_verdicts` c/B | batch / one at a time | `packet_verdicts` / `Batch::digests` (AVX-512) |",
      "|---|---|---:|---:|---:|---:|"]
for run, shape, n in order:
    r = batch[(run, shape, n)]
    single, many = r.get("verdict_single"), r.get("verdict_batch")
    if single is None and many is None:
        continue
    dig = r.get("batch_avx512")
    vt.append(f"| {RUNS[run]} | {SHAPES.get(shape, shape)} | {cpb(single)} | {cpb(many)} | {x(single, many)} | "
              f"{'–' if many is None or dig is None else f'{many[0] / dig[0]:.2f}'} |")
with open(os.environ["BATCH_README_OUT"], "w") as f:
    f.write("\n".join(readme) + "\n")
print("@@BATCH@@")
print("\n".join(bt))
print()
print("\n".join(vt))
PY
)"
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
