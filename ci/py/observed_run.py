#!/usr/bin/env python3
"""Records one live run of the cases that confirm a kind of vector.

Reads the conformance suite's JSON report (`--format json`, the typed
fields only: environment.kernel_release, environment.semantics,
environment.observed_semantics, each case's id, area and status) on stdin and
writes tests/vectors/observed/[decisions/]<kernel release>.<semantics>.json
(the release, the semantics, when, the script and command that made the run,
each case's status), which the vector tests turn into each expectation's
per-semantics `source`:

- layouts: the layout cases (every option layout to a listener with and
  without the key), for the option vectors (tests/vectors/live.rs);
- decisions: the cases that send each decision vector's segment to its
  socket (receiver, closed port, listener reset, timewait socket), for the
  decision vectors (tests/vectors/gen_decisions.rs).

Kernels built from one source report one release: the semantics tells their
runs apart. A run whose probes do not fit the semantics it was held to
records nothing: its verdicts cannot stand for that semantics.

Usage: ci/py/observed_run.py KIND SCRIPT COMMAND < report.json
"""
import datetime
import json
import pathlib
import sys

# The case ids (prefixes) the decision vectors cite; ci/regen/observe-decisions.sh
# selects the same ones.
DECISION_PREFIXES = (
    "listener-key/syn-",
    "listener-nokey/",
    "session-handshake/third-ack-",
    "session-handshake/syn-recv-rst-",
    "session-established/data-",
    "resets/closed-port-",
    "listener-ack/",
    "session-close/time-wait-",
    "session-finwait/orphan-fin-wait-2-",
    "ao-bypass/data-on-md5-session",
)

# Per kind: which cases count, where the record goes, and their name.
KINDS = {
    "layouts": (
        lambda c: c["area"] in ("layouts-key", "layouts-nokey"),
        pathlib.Path("tests/vectors/observed"),
        "layout",
    ),
    "decisions": (
        lambda c: c["id"].startswith(DECISION_PREFIXES),
        pathlib.Path("tests/vectors/observed/decisions"),
        "decision",
    ),
}


def main() -> int:
    if len(sys.argv) != 4 or sys.argv[1] not in KINDS:
        print(f"usage: {sys.argv[0]} {{{'|'.join(KINDS)}}} SCRIPT COMMAND < report.json", file=sys.stderr)
        return 2
    kind, script, command = sys.argv[1:]
    selected, directory, noun = KINDS[kind]
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
    fits = semantics in env["observed_semantics"] or (probes and set(probes) == {"pass"})
    if not fits:
        print(
            f"{env['kernel_release']}: held to {semantics}, its probes fit "
            f"{env['observed_semantics']}; nothing recorded",
            file=sys.stderr,
        )
        return 1
    cases = {c["id"]: c["status"] for c in report["cases"] if selected(c)}
    if not cases:
        print(f"the report holds no {noun} case", file=sys.stderr)
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
    out = directory / f"{env['kernel_release']}.{semantics}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    failed = [i for i, s in cases.items() if s != "pass"]
    print(f"{out}: {len(cases)} {noun} cases, {len(failed)} not passing")
    for i in failed:
        print(f"  {i}: {cases[i]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
