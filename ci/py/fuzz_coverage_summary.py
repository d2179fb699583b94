#!/usr/bin/env python3
"""Rewrite the coverage table of fuzz/README.md from ci/nightly/fuzz-coverage.sh's output.

Usage: ci/py/fuzz_coverage_summary.py COVERAGE_DIR REPO_ROOT

Reads COVERAGE_DIR/summary.json (llvm-cov export -summary-only),
COVERAGE_DIR/lcov.info (uncovered lines) and COVERAGE_DIR/inputs.txt
("target inputs" per line), and replaces the text between the
fuzz-coverage markers of fuzz/README.md. Every figure comes from those files.
"""

import json
import pathlib
import sys

import regions


# Test fixtures that live in src/ until the testkit crate takes them: no
# user of the library calls them, so they are not part of the core figure.
FIXTURES = {
    "layouts.rs": "option layouts for tests and the suite (moves to testkit)",
    "vector_keys.rs": "the vectors' keys (moves to testkit)",
    "wire/tcp_segment.rs": "TcpSegmentSpec, a generator description (moves to testkit)",
}


def pct(covered, count):
    return f"{100.0 * covered / count:.1f}%" if count else "-"


def ranges(lines):
    out = []
    for n in sorted(lines):
        if out and n == out[-1][1] + 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return ", ".join(f"{a}-{b}" if a != b else f"{a}" for a, b in out)


def main():
    cov_dir = pathlib.Path(sys.argv[1])
    root = pathlib.Path(sys.argv[2]).resolve()
    src = root / "src"
    summary = json.loads((cov_dir / "summary.json").read_text())
    files = []
    for f in summary["data"][0]["files"]:
        name = str(pathlib.Path(f["filename"]).resolve().relative_to(src))
        files.append((name, f["summary"]))
    files.sort()

    uncovered = {}
    current = None
    for line in (cov_dir / "lcov.info").read_text().splitlines():
        if line.startswith("SF:"):
            current = str(pathlib.Path(line[3:]).resolve().relative_to(src))
            uncovered[current] = []
        elif line.startswith("DA:") and current is not None:
            number, count = line[3:].split(",")[:2]
            if int(count) == 0:
                uncovered[current].append(int(number))

    inputs = [l.split() for l in (cov_dir / "inputs.txt").read_text().splitlines() if l.strip()]

    rows = [
        "| module | lines | line cover | branches | branch cover | functions | function cover |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    core = {"lines": [0, 0], "branches": [0, 0], "functions": [0, 0]}
    for name, s in files:
        fixture = FIXTURES.get(name)
        label = f"`{name}`" + (" (fixture)" if fixture else "")
        cells = []
        for kind in ("lines", "branches", "functions"):
            count, covered = s[kind]["count"], s[kind]["covered"]
            cells += [f"{covered}/{count}", pct(covered, count)]
            if not fixture:
                core[kind][0] += covered
                core[kind][1] += count
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    cells = []
    for kind in ("lines", "branches", "functions"):
        covered, count = core[kind]
        cells += [f"{covered}/{count}", pct(covered, count)]
    rows.append("| **core (fixtures excluded)** | " + " | ".join(f"**{c}**" for c in cells) + " |")

    out = [""]
    out.append("Inputs per target: " + ", ".join(f"`{t}` {n}" for t, n in inputs) + ".")
    out.append("")
    out += rows
    out.append("")
    for name, reason in sorted(FIXTURES.items()):
        if any(n == name for n, _ in files):
            out.append(f"- fixture `{name}`: {reason}")
    out.append("")
    out.append("Lines no corpus reaches (core only):")
    out.append("")
    for name, _ in files:
        if name not in FIXTURES and uncovered.get(name):
            out.append(f"- `src/{name}`: {ranges(uncovered[name])}")
    out += [""]

    readme = root / "fuzz" / "README.md"
    try:
        regions.rewrite(readme.relative_to(regions.ROOT), "fuzz-coverage", "\n".join(out))
    except regions.RegionError as e:
        sys.exit(f"fuzz_coverage_summary: {e}")
    print(f"fuzz_coverage_summary: core lines {pct(*core['lines'])}, "
          f"branches {pct(*core['branches'])} -> {readme}")


if __name__ == "__main__":
    main()
