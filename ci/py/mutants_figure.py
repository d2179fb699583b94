#!/usr/bin/env python3
"""The mutation-testing figure, from cargo-mutants' outcomes.json.

Prints, over one or more runs (a mutant tested again in a later run counts
once, with its latest outcome), caught / equivalent (excluded by .cargo/mutants.toml, counted by
ci/mutants.sh) / unviable / timeout / missed, and each missed mutant. With
--readme FILE (docs/mutants.md), rewrites FILE's generated region `mutants`
with the figure (ci/mutants.sh with MUTANTS_README=1 does).

With --current FILE (the names `cargo mutants --list` gives for the scope
now, one a line), outcomes of mutants no longer listed (their file changed
since) are dropped, and listed mutants without an outcome are counted as
not tested yet.

Usage: ci/py/mutants_figure.py OUTCOMES.json... --equivalent N --scope TEXT
       [--current FILE] [--readme FILE]
"""
import argparse
import collections
import json
import pathlib
import sys

import regions


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("outcomes", nargs="+", help="one or more runs' outcomes.json")
    ap.add_argument("--equivalent", type=int, required=True)
    ap.add_argument("--scope", required=True, help="what was mutated, in words")
    ap.add_argument("--current", help="the mutants in scope now, one name a line")
    ap.add_argument("--readme")
    args = ap.parse_args()
    docs = [json.loads(pathlib.Path(p).read_text()) for p in args.outcomes]
    # A mutant tested again in a later run (after a test was added) counts
    # once, with its latest outcome.
    latest = {}
    for o in (o for doc in docs for o in doc["outcomes"]):
        if o["scenario"] != "Baseline":
            latest[o["scenario"]["Mutant"]["name"]] = o
    untested = 0
    if args.current:
        current = set(pathlib.Path(args.current).read_text().splitlines()) - {""}
        latest = {name: o for name, o in latest.items() if name in current}
        untested = len(current - set(latest))
    kinds = collections.Counter()
    missed = []
    by_package = collections.Counter()
    for name, o in latest.items():
        summary = o["summary"]
        kinds[summary] += 1
        by_package[o["scenario"]["Mutant"]["package"]] += 1
        if summary == "MissedMutant":
            missed.append(name)
    caught, timeout = kinds["CaughtMutant"], kinds["Timeout"]
    unviable = kinds["Unviable"]
    viable = caught + timeout + len(missed)
    packages = ", ".join(f"{p} {n}" for p, n in sorted(by_package.items()))
    line = (
        f"{sum(kinds.values())} mutants tested ({packages}): {caught} caught, "
        f"{timeout} timed out (a hang the tests catch), {unviable} unviable "
        f"(do not build), {len(missed)} missed; {args.equivalent} more listed as "
        f"equivalent in .cargo/mutants.toml and not tested."
    )
    if untested:
        line += f" {untested} more not tested yet."
    print(line)
    if viable:
        print(f"score: {100 * (caught + timeout) / viable:.1f} % of the viable mutants caught")
    for m in missed:
        print(f"MISSED {m}")
    others = set(kinds) - {"CaughtMutant", "Timeout", "Unviable", "MissedMutant"}
    if others:
        print(f"unexpected outcomes: {sorted(others)}", file=sys.stderr)
        return 1
    if args.readme:
        started = min(doc.get("start_time", "")[:10] for doc in docs)
        version = docs[0].get("cargo_mutants_version", "?")
        body = (
            f"Mutants of {args.scope}, tested by the crates' own tests "
            f"(`ci/mutants.sh`, {started}, cargo-mutants {version}): {line}\n"
        )
        try:
            regions.rewrite(pathlib.Path(args.readme).resolve().relative_to(regions.ROOT), "mutants", body)
        except regions.RegionError as e:
            print(e, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
