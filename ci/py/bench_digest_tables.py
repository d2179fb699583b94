#!/usr/bin/env python3
"""The tables of docs/benchmarks.md and the batch summary, from target/criterion (ci/bench/digest.sh)."""
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
