#!/usr/bin/env python3
"""Rewrite the measured-runs table of fuzz/README.md from ci/fuzz.sh's output.

Usage: ci/py/fuzz_run_summary.py TARGET...   (ci/fuzz.sh runs it with FUZZ_README=1)

For each TARGET, reads fuzz/artifacts/<target>/last-run.tsv (target, execs,
execs/s, coverage edges, new corpus entries, crashes, exit status: the row
ci/fuzz.sh prints) and last-run.log (libFuzzer's "Done N runs in S second(s)"
for the duration), and replaces that target's row in the table between the
fuzz-runs markers of fuzz/README.md; rows of other targets stay. The kernel is
this machine's (`uname -r`), the date the row file's. Every figure comes from
those files.
"""

import datetime
import os
import platform
import re
import sys

import regions

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FUZZ = os.path.join(ROOT, "fuzz")
README = os.path.join(FUZZ, "README.md")
HEADER = [
    "| target | seconds | execs | execs/s | cov edges | new corpus | crashes | kernel | date |",
    "|---|---:|---:|---:|---:|---:|---:|---|---|",
]
ROW = re.compile(r"^\| `([a-z0-9_]+)` \|")


def bins_in_order():
    names = []
    in_bin = False
    with open(os.path.join(FUZZ, "Cargo.toml"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("["):
                in_bin = line == "[[bin]]"
            elif in_bin and line.startswith("name = "):
                names.append(line.split("=", 1)[1].strip().strip('"'))
    return names


def row_for(target):
    artifacts = os.path.join(FUZZ, "artifacts", target)
    tsv = os.path.join(artifacts, "last-run.tsv")
    with open(tsv, encoding="utf-8") as f:
        fields = f.read().strip().split("\t")
    if len(fields) != 7 or fields[0] != target:
        sys.exit(f"fuzz_run_summary: {tsv}: expected 7 fields for {target}, got {fields}")
    _, execs, rate, cov, new, crashes, status = fields
    if status == "skip":
        crashes = "skipped: no namespaces"
    elif status != "0":
        crashes = f"{crashes} (exit {status})"
    seconds = "?"
    with open(os.path.join(artifacts, "last-run.log"), encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"^Done (\d+) runs in (\d+) second", line)
            if m:
                seconds = m.group(2)
    date = datetime.datetime.fromtimestamp(
        os.path.getmtime(tsv), tz=datetime.timezone.utc
    ).strftime("%Y-%m-%d")
    cells = [f"`{target}`", seconds, execs, rate, cov, new, crashes, platform.release(), date]
    return "| " + " | ".join(cells) + " |"


def main():
    targets = sys.argv[1:]
    if not targets:
        sys.exit(__doc__)
    with open(README, encoding="utf-8") as f:
        text = f.read()
    try:
        current = regions.region(text, "fuzz-runs", README).body(text)
    except regions.RegionError as e:
        sys.exit(f"fuzz_run_summary: {e}")
    rows = {}
    for line in current.splitlines():
        m = ROW.match(line)
        if m:
            rows[m.group(1)] = line
    for t in targets:
        rows[t] = row_for(t)
    order = bins_in_order()
    names = sorted(rows, key=lambda n: (order.index(n) if n in order else len(order), n))
    block = "\n".join(["", *HEADER, *(rows[n] for n in names), ""])
    regions.rewrite(os.path.relpath(README, ROOT), "fuzz-runs", block)
    print(f"fuzz_run_summary: {len(targets)} row(s) of {README} rewritten")


if __name__ == "__main__":
    main()
