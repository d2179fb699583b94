#!/usr/bin/env python3
"""Regenerates the measured table of docs/advisories/ao-bypass.md from one
kernel-matrix run saved in docs/advisories/runs/ by ci/regen/advisory.sh
(`tcpmd5-conformance matrix --filter ao-bypass --save-reports`): the rows
follow matrix.json's kernels, in run order, and each row's observations come
from that kernel's suite report (`<label>.json`, `host.json` for the host).
Never edit the table by hand."""

import json
import pathlib
import sys

import regions

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
RUNS = ROOT / "docs" / "advisories" / "runs"
DOC = ROOT / "docs" / "advisories" / "ao-bypass.md"

# (case name, column heading)
COLUMNS = [
    ("data-on-md5-session", "AO-only data into an MD5 session"),
    ("rst-on-md5-session", "AO-only in-window RST"),
    ("handshake-and-data", "AO-only SYN (then third ACK) to an MD5 listener"),
    ("short-ao-data-on-md5-session", "AO-only data, 16-byte option area"),
    ("nft-drops-option-29", "with the nftables rule"),
]


def observed(report, name):
    """The kernel's observed verdict for a case, ipv4 and ipv6 folded."""
    seen = {}
    for case in report.get("cases", []):
        parts = case["id"].split("/")
        if len(parts) == 3 and parts[1] == name:
            if case["status"] == "skip":
                seen[parts[2]] = "skip"
            else:
                seen[parts[2]] = case.get("observed") or case["status"]
    if not seen:
        return "not run"
    values = sorted(set(seen.values()))
    if len(values) == 1:
        return values[0]
    return "; ".join(f"{fam}: {v}" for fam, v in sorted(seen.items()))


def row(label, report):
    env = report.get("environment", {})
    total = report.get("total", {})
    bypass = observed(report, "data-on-md5-session").startswith("accept")
    cells = [
        f"`{label}`",
        env.get("kernel_release", "?"),
        "y" if env.get("tcp_ao") else "n",
        env.get("semantics", "?"),
        "**bypassed**" if bypass else "no",
    ]
    cells += [observed(report, name) for name, _ in COLUMNS]
    cells.append(
        "{pass} pass, {xfail} xfail, {fail} fail, {skip} skip, {error} error".format(
            **{k: total.get(k, 0) for k in ("pass", "xfail", "fail", "skip", "error")}
        )
    )
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def table():
    heads = ["kernel", "release", "CONFIG_TCP_AO", "held to", "MD5 bypassed"]
    heads += [h for _, h in COLUMNS]
    heads.append("ao-bypass cases (model vs kernel)")
    lines = [
        "| " + " | ".join(heads) + " |",
        "|" + "---|" * len(heads),
    ]
    matrix = RUNS / "matrix.json"
    if not matrix.exists():
        sys.exit(f"no matrix run in {RUNS}: run ci/regen/advisory.sh")
    for kernel in json.loads(matrix.read_text())["kernels"]:
        if kernel.get("error"):
            sys.exit(f"{kernel['label']}: no report ({kernel['error']})")
        name = "host.json" if kernel["accel"] == "host" else f"{kernel['label']}.json"
        label = "host" if kernel["accel"] == "host" else kernel["label"]
        lines.append(row(label, json.loads((RUNS / name).read_text())))
    return "\n".join(lines)


def patch_stat():
    """The proposed patch's size, counted from the diff."""
    diff = (ROOT / "docs" / "advisories" / "ao-bypass-fix.patch").read_text().splitlines()
    body = [l for l in diff if not l.startswith(("+++", "---"))]
    added = [l for l in body if l.startswith("+")]
    removed = [l for l in body if l.startswith("-")]
    comment = [l for l in added if l[1:].strip().startswith(("/*", "*"))]
    files = sum(1 for l in diff if l.startswith("+++"))
    return (
        f"Size: {files} file, {len(added)} lines added, {len(removed)} removed; "
        f"of the added lines {len(comment)} are the comment and "
        f"{len(added) - len(comment)} the code (one condition)."
    )


def main():
    doc = DOC.relative_to(ROOT)
    try:
        regions.rewrite(doc, "ao-bypass-table", table())
        regions.rewrite(doc, "ao-bypass-patch-stat", patch_stat())
    except regions.RegionError as e:
        sys.exit(f"advisory_table: {e}")
    print(f"{doc}: table from the matrix run in {RUNS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
