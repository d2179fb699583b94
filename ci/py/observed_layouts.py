#!/usr/bin/env python3
"""Records one live run of the layout cases for the option vectors.

Reads the conformance suite's JSON report (`--format json`, the typed
fields only: environment.kernel_release, environment.semantics,
environment.observed_semantics, each case's id, area and status) on stdin and
writes tests/vectors/observed/<kernel release>.<semantics>.json, which
tests/vectors/live.rs turns into each option vector's per-semantics
`source`. A run whose probes do not fit the semantics it was held to
records nothing: its verdicts cannot stand for that semantics.

Usage: ci/py/observed_layouts.py COMMAND < report.json
"""
import datetime
import json
import pathlib
import sys


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    report = json.load(sys.stdin)
    env = report["environment"]
    if env.get("status") != "available":
        print(f"no case could run: {env.get('reason')}", file=sys.stderr)
        return 4
    semantics = env["semantics"]
    # The probes only tell released semantics apart; a proposed fix (held
    # to by --semantics) fits when the suite's semantics/probes case, which
    # judges it by its released base, passed.
    probes = [c["status"] for c in report["cases"] if c["area"] == "semantics"]
    fits = semantics in env["observed_semantics"] or probes == ["pass"]
    if not fits:
        print(
            f"{env['kernel_release']}: held to {semantics}, its probes fit "
            f"{env['observed_semantics']}; nothing recorded",
            file=sys.stderr,
        )
        return 1
    cases = {
        c["id"]: c["status"]
        for c in report["cases"]
        if c["area"] in ("layouts-key", "layouts-nokey")
    }
    if not cases:
        print("the report holds no layout case", file=sys.stderr)
        return 1
    record = {
        "kernel": env["kernel_release"],
        "semantics": semantics,
        "semantics_source": env["semantics_source"],
        "tcp_ao": env["tcp_ao"],
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "script": "ci/regen/observe-layouts.sh",
        "command": command,
        "cases": dict(sorted(cases.items())),
    }
    # Kernels built from one source report one release: the semantics
    # tells their runs apart.
    name = f"{env['kernel_release']}.{semantics}.json"
    out = pathlib.Path("tests/vectors/observed") / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    failed = [i for i, s in cases.items() if s != "pass"]
    print(f"{out}: {len(cases)} layout cases, {len(failed)} not passing")
    for i in failed:
        print(f"  {i}: {cases[i]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
