#!/usr/bin/env python3
"""ci/bench/suite.sh's runs of the suite, root and rootless side by side."""
import json, statistics, subprocess, sys, time

binary, runs = sys.argv[1], int(sys.argv[2])
modes = {
    "root": [binary, "--format", "json"],
    "rootless": ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                 binary, "--format", "json"],
}
wall = {m: [] for m in modes}
median_case = {m: [] for m in modes}
for _ in range(runs):
    for mode, cmd in modes.items():
        t = time.monotonic()
        out = subprocess.run(cmd, capture_output=True, text=True)
        wall[mode].append(time.monotonic() - t)
        report = json.loads(out.stdout)
        if out.returncode != 0 or report["result"] != "pass":
            sys.exit(f"{mode} run failed ({out.returncode}): {out.stderr[-2000:]}")
        median_case[mode].append(
            statistics.median(c["duration_ms"] for c in report["cases"] if c["status"] != "skip"))
        witness = report["environment"]["tracing_unavailable"] or "tracepoints"
        print(f"{mode:9} {wall[mode][-1]:6.2f} s  ({report['total']['pass']} pass, witness: {witness[:60]})")
r, u = statistics.median(wall["root"]), statistics.median(wall["rootless"])
cr, cu = statistics.median(median_case["root"]), statistics.median(median_case["rootless"])
print(f"median of {runs}: root {r:.2f} s, rootless {u:.2f} s, ratio {r / u:.2f}")
print(f"median case: root {cr:.1f} ms, rootless {cu:.1f} ms, ratio {cr / cu:.2f}")
