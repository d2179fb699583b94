#!/usr/bin/env python3
"""Writes docs/advisories/fix-diff.txt: the whole suite on the unpatched and
the patched CONFIG_TCP_AO=n kernels (docs/advisories/full-runs/, saved by
ci/advisory.sh from `matrix --save-reports`, trimmed to id, status, expected
and observed), every case whose observed kernel behaviour differs, and each
run's totals. Never edit the output by hand."""

import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
RUNS = ROOT / "docs" / "advisories" / "full-runs"
OUT = ROOT / "docs" / "advisories" / "fix-diff.txt"
BEFORE, AFTER = "6.12-no-tcp-ao", "6.12-no-tcp-ao-fixed"


def load(label):
    return json.loads((RUNS / f"{label}.json").read_text())


def main():
    before, after = load(BEFORE), load(AFTER)
    b = {c["id"]: c for c in before["cases"]}
    a = {c["id"]: c for c in after["cases"]}
    lines = [f"The whole suite on {BEFORE} (unpatched) and {AFTER} (ao-bypass-fix.patch),"]
    lines.append("both held to the semantics their version implies (linux).")
    lines.append("")
    for label, run in ((BEFORE, before), (AFTER, after)):
        t = run["total"]
        lines.append(
            f"{label:<22} {run['environment'].get('kernel_release', '?')}: "
            f"{t['pass']} pass, {t['fail']} fail, {t['skip']} skip, {t['error']} error"
        )
    lines.append("")
    changed = [i for i in sorted(b) if i in a and b[i]["observed"] != a[i]["observed"]]
    only = sorted(set(b) ^ set(a))
    lines.append(f"cases whose observed behaviour differs: {len(changed)} of {len(b)}")
    for i in changed:
        lines.append(f"  {i}")
        lines.append(f"    {BEFORE:<22} {b[i]['status']:<5} {b[i]['observed']}")
        lines.append(f"    {AFTER:<22} {a[i]['status']:<5} {a[i]['observed']}")
    if only:
        lines.append(f"cases run on one kernel only: {', '.join(only)}")
    OUT.write_text("\n".join(lines) + "\n")
    print(f"{OUT.relative_to(ROOT)}: {len(changed)} cases differ")


if __name__ == "__main__":
    main()
