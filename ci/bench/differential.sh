#!/usr/bin/env bash
# Benchmark: the model-vs-kernel differential's speed, serial (one case per
# barrier on one lab, `--serial`) and on several labs per family
# (`--labs N`), one after the other in one run on the same seed, both
# families in parallel in each. Prints cases/s per family, CPU use
# (/usr/bin/time), the load average around each run, the ratio, and
# whether both runs gave the same counts per kind; writes
# target/bench-differential.json.
#
#   ci/bench/differential.sh                      # 2000 cases per family, 4 labs
#   TCPMD5_BENCH_CASES=5000 TCPMD5_BENCH_LABS=8 ci/bench/differential.sh
#   TCPMD5_DIFF_SEED=<64 hex digits> ci/bench/differential.sh
#
# Root (or unprivileged user namespaces). Exit 1 if either run found a
# disagreement or failed.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --release -p tcpmd5-conformance
bin=target/release/tcpmd5-conformance
cases=${TCPMD5_BENCH_CASES:-2000}
labs=${TCPMD5_BENCH_LABS:-4}
seed=${TCPMD5_DIFF_SEED:-$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')}
out=target/bench-differential
mkdir -p "$out"

status=0
for mode in serial labs; do
    case $mode in
        serial) args=(--serial) ;;
        labs) args=(--labs "$labs") ;;
    esac
    cut -d' ' -f1-3 /proc/loadavg > "$out/$mode.load-before"
    /usr/bin/time -f '{"wall": %e, "user": %U, "system": %S}' -o "$out/$mode.time" \
        "$bin" differential --cases "$cases" --seed "$seed" "${args[@]}" --format json \
        > "$out/$mode.json" 2> "$out/$mode.log" || status=1
    cut -d' ' -f1-3 /proc/loadavg > "$out/$mode.load-after"
done

python3 - "$out" "$cases" "$labs" "$(nproc)" <<'PY'
import json, sys
out, cases, labs, cpus = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
runs = {}
for mode in ("serial", "labs"):
    report = json.load(open(f"{out}/{mode}.json"))
    time = json.load(open(f"{out}/{mode}.time"))
    load = [open(f"{out}/{mode}.load-{w}").read().split() for w in ("before", "after")]
    fams = {}
    for f in report["families"]:
        n = sum(k["cases"] for k in f["kinds"].values())
        fams[f["family"]] = {
            "cases": n,
            "seconds": f["seconds"],
            "cases_per_s": n / max(f["seconds"], 1e-9),
            "disagreements": sum(k["disagreements"] for k in f["kinds"].values()),
            "kinds": {k: [v["cases"], v["agreements"]] for k, v in f["kinds"].items()},
            "error": f.get("error"),
        }
    cpu = time["user"] + time["system"]
    runs[mode] = {
        "families": fams,
        "wall_s": time["wall"],
        "cpu_s": cpu,
        "cpu_of_one_core": cpu / max(time["wall"], 1e-9),
        "load_before": load[0],
        "load_after": load[1],
    }
    print(f"{mode:6} ({'--serial' if mode == 'serial' else f'--labs {labs}'}): "
          f"wall {time['wall']:.1f} s, CPU {cpu:.1f} s = {100 * cpu / max(time['wall'], 1e-9):.0f} % "
          f"of one core ({cpus} cores), load {' '.join(load[0])} -> {' '.join(load[1])}")
    for name, f in fams.items():
        print(f"  {name:5} {f['cases']:6} cases in {f['seconds']:6.2f} s = {f['cases_per_s']:7.0f} cases/s, "
              f"{f['disagreements']} disagreements{', error: ' + f['error'] if f['error'] else ''}")
same = all(
    runs["serial"]["families"][n]["kinds"] == runs["labs"]["families"].get(n, {}).get("kinds")
    for n in runs["serial"]["families"]
)
for name in runs["serial"]["families"]:
    s = runs["serial"]["families"][name]["cases_per_s"]
    b = runs["labs"]["families"].get(name, {}).get("cases_per_s", 0)
    print(f"ratio {name}: {b / max(s, 1e-9):.1f}x")
print(f"same cases and agreements per kind in both runs: {'yes' if same else 'NO'}")
json.dump({"seed": json.load(open(f"{out}/serial.json"))["seed"], "cases_per_family": cases,
           "labs": labs, "cpus": cpus, "runs": runs, "same_counts_per_kind": same},
          open(f"{out}.json", "w"), indent=1)
PY
exit "$status"
