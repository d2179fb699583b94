#!/usr/bin/env python3
"""Records one live run of the decision cases for the decision vectors.

Reads the conformance suite's JSON report (`--format json`, the typed
fields only: environment.kernel_release, environment.semantics,
environment.observed_semantics, each case's id, area and status) on stdin and
writes tests/vectors/observed/decisions/<kernel release>.<semantics>.json,
which tests/vectors/gen_decisions.rs turns into each decision vector's
per-semantics `source`: the cases that send a vector's segment to its socket
(receiver, closed port, listener reset, timewait socket), their status, and
when and how the run was made. A run whose probes do not fit the semantics
it was held to records nothing: its verdicts cannot stand for that semantics.

Usage: ci/py/observed_decisions.py SCRIPT COMMAND < report.json
"""
import datetime
import json
import pathlib
import sys

# The case ids (prefixes) the decision vectors cite; ci/regen/observe-decisions.sh
# selects the same ones.
PREFIXES = (
    "listener-key/syn-",
    "listener-nokey/",
    "session-handshake/third-ack-",
    "session-handshake/syn-recv-rst-",
    "session-established/data-",
    "resets/closed-port-",
    "session-close/time-wait-",
    "session-finwait/orphan-fin-wait-2-",
    "ao-bypass/data-on-md5-session",
)


def main() -> int:
    script = sys.argv[1] if len(sys.argv) > 1 else ""
    command = sys.argv[2] if len(sys.argv) > 2 else ""
    report = json.load(sys.stdin)
    env = report["environment"]
    if env.get("status") != "available":
        print(f"no case could run: {env.get('reason')}", file=sys.stderr)
        return 4
    semantics = env["semantics"]
    probes = [c["status"] for c in report["cases"] if c["area"] == "semantics"]
    fits = semantics in env["observed_semantics"] or (probes and set(probes) == {"pass"})
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
        if c["id"].startswith(PREFIXES)
    }
    if not cases:
        print("the report holds no decision case", file=sys.stderr)
        return 1
    record = {
        "kernel": env["kernel_release"],
        "semantics": semantics,
        "semantics_source": env["semantics_source"],
        "tcp_ao": env["tcp_ao"],
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "script": script,
        "command": command,
        "cases": dict(sorted(cases.items())),
    }
    name = f"{env['kernel_release']}.{semantics}.json"
    out = pathlib.Path("tests/vectors/observed/decisions") / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    failed = [i for i, s in cases.items() if s != "pass"]
    print(f"{out}: {len(cases)} decision cases, {len(failed)} not passing")
    for i in failed:
        print(f"  {i}: {cases[i]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
