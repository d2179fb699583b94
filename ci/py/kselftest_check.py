#!/usr/bin/env python3
"""Checks what run_kselftest.sh printed in a guest (ci/nightly/kselftest.sh)."""
import re, subprocess, sys

log, kunit, kernel, seconds = sys.argv[1:5]
lines = [l.rstrip("\r\n") for l in open(log, encoding="utf-8", errors="replace")]
problems = []
# The runner's own TAP: everything not prefixed by "# " (its diagnostics are).
top = [l for l in lines if l.startswith(("TAP version", "1..", "ok ", "not ok "))]
if top[:1] != ["TAP version 13"]:
    problems.append(f"no 'TAP version 13' first: {top[:3]}")
plans = [l for l in top if l.startswith("1..")]
if plans != ["1..1"]:
    problems.append(f"the runner's plan lines: {plans}")
results = [l for l in top if l.startswith(("ok ", "not ok "))]
if results != ["ok 1 selftests: tcpmd5: tcpmd5_conformance.sh"]:
    problems.append(f"the runner's result: {results}")
# The suite's KTAP, as the runner prefixed it.
inner = [l[2:] for l in lines if l.startswith("# ")]
try:
    start = inner.index("KTAP version 1")
except ValueError:
    start = None
    problems.append("no 'KTAP version 1' from the suite")
if start is not None:
    ktap = inner[start:]
    inner_plans = [l for l in ktap if re.fullmatch(r"1\.\.\d+", l)]
    totals = [l for l in ktap if l.startswith("# Totals:")]
    oks = [l for l in ktap if re.match(r"(not )?ok \d+ ", l)]
    if len(inner_plans) != 1:
        problems.append(f"the suite's plan lines: {inner_plans}")
    elif int(inner_plans[0][3:]) != len(oks):
        problems.append(f"plan {inner_plans[0]} but {len(oks)} results")
    if len(totals) != 1:
        problems.append(f"the suite's totals lines: {totals}")
    else:
        t = dict(kv.split(":") for kv in totals[0][len("# Totals: "):].split())
        counted = {
            "xfail": sum("# XFAIL" in l for l in oks),
            "skip": sum("# SKIP" in l for l in oks),
            "fail": sum(l.startswith("not ok") for l in oks),
        }
        if int(t["fail"]) or int(t["error"]) or counted["fail"]:
            problems.append(f"failures: {totals[0]}")
        if int(t["xfail"]) != counted["xfail"] or int(t["skip"]) != counted["skip"]:
            problems.append(f"{totals[0]} disagrees with the result lines ({counted})")
    # The kernel's KTAP parser on the suite's output.
    parsed = subprocess.run(
        [sys.executable, f"{kunit}/kunit.py", "parse"],
        input="\n".join(ktap) + "\n", capture_output=True, text=True,
    )
    summary = [l for l in parsed.stdout.splitlines() if "Testing complete" in l]
    if parsed.returncode != 0 or not summary:
        problems.append(f"kunit.py parse: status {parsed.returncode}: {parsed.stdout[-400:]}{parsed.stderr[-400:]}")
    else:
        print(f"{kernel}: kunit.py parse: {summary[0].split('] ', 1)[-1]}")
    print(f"{kernel}: {top[-1] if top else '?'}; suite {totals[0] if totals else '?'}; {seconds} s")
for p in problems:
    print(f"{kernel}: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
