#!/usr/bin/env python3
"""The figures of the suite's docs, from the suite binary and vectors/:

  usage    docs/suite.md           the output of `tcpmd5-conformance -h`
  vectors  README.md               how many vectors each group of vectors/ holds
  legacy   docs/kernel-findings.md how many cases fail, by area, when this
                                   kernel is held to the pre-6.7 parser

Usage: figures.py DIR [--check]   DIR holds `usage` (the -h output) and
`legacy.json` (the report of `--semantics linux-legacy --format json`), as
ci/regen/figures.sh writes them. ci/py/docs_check.py recomputes `usage` and
`vectors` (cheap and deterministic) to fail when they are stale.
"""

import collections
import json
import pathlib
import sys

import regions

HOMES = {"usage": "docs/suite.md", "vectors": "README.md", "legacy": "docs/kernel-findings.md"}


def usage(help_text):
    return f"```\n$ cargo run --release -p tcpmd5-conformance -- -h\n{help_text.rstrip()}\n```\n"


def vectors(root=regions.ROOT):
    def count(pattern):
        return sum(
            len(json.loads(p.read_text())["vectors"]) for p in sorted((root / "vectors").glob(pattern))
        )

    digest, kernel = count("digest/*.json"), count("digest/kernel-*.json")
    ao_rfc, ao_kernel = count("ao/rfc9235.json"), count("ao/linux-*-tcp-ao.json")
    return (
        f"`vectors/` holds {digest} digest vectors ({kernel} signed by the live kernel, captured\n"
        f"with `tcpmd5-conformance capture-vectors`), {count('options/*.json')} option-layout vectors, "
        f"{count('keys/*.json')}\nkey-table vectors, {count('ao/*.json')} TCP-AO vectors ({ao_rfc} from RFC 9235, "
        f"{ao_kernel} signed by the\nCONFIG_TCP_AO kernel, `ci/regen/ao-vectors.sh`), "
        f"{count('decisions/*.json')} decision vectors (receiver,\nclosed port, listener reset, timewait socket; "
        f"each semantics traced to live\nkernel runs) and a JSON Schema.\n"
    )


def legacy(report):
    env = report["environment"]
    failed = [c for c in report["cases"] if c["status"] == "fail"]
    by_area = collections.Counter(c["area"] for c in failed)
    areas = ", ".join(f"{a} {n}" for a, n in sorted(by_area.items(), key=lambda x: (-x[1], x[0])))
    return (
        f"Held to the pre-6.7 parser (`--semantics linux-legacy`), this kernel "
        f"({env['kernel_release']}, which by its version is `{env['implied_semantics']}`) "
        f"fails {len(failed)} of {len(report['cases'])} cases: {areas}.\n"
    )


def main(argv):
    if not argv or argv[0].startswith("-"):
        sys.exit(__doc__)
    tmp, check = pathlib.Path(argv[0]), "--check" in argv[1:]
    bodies = {
        "usage": usage((tmp / "usage").read_text()),
        "vectors": vectors(),
        "legacy": legacy(json.loads((tmp / "legacy.json").read_text())),
    }
    stale = []
    for name, body in bodies.items():
        path = HOMES[name]
        text = (regions.ROOT / path).read_text()
        try:
            new = regions.replace(text, name, body, path)
        except regions.RegionError as e:
            sys.exit(str(e))
        if new != text:
            if check:
                stale.append(f"{path}: {name}")
            else:
                (regions.ROOT / path).write_text(new)
                print(f"{path}: {name} regenerated")
    if stale:
        sys.exit("out of date (run ci/regen/figures.sh): " + ", ".join(stale))


if __name__ == "__main__":
    main(sys.argv[1:])
