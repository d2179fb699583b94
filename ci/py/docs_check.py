#!/usr/bin/env python3
"""Holds the docs to the tree (ci/docs-check.sh runs it from ci/check.sh).

Fails when
  - a Markdown file names a repository path (a link, or a path that starts
    with one of the tree's top directories) that does not exist and that git
    does not ignore (ignored paths are a script's output: fuzz/corpus/,
    target/...);
  - a script in ci/ or .ci/run names a ci/ script that does not exist;
  - a generated region is malformed (ci/py/regions.py), uses an old marker
    style, or names a generator that does not exist;
  - a region that is cheap and deterministic to compute is stale: `usage`
    (the suite's -h, from --usage FILE), `vectors` (counted from vectors/),
    `ao-bypass-table` (from the committed runs in docs/advisories/runs/)
    and `ao-bypass-patch-stat` (counted from the patch).
The other regions need a live kernel, BGP daemons, benchmarks or hours of
fuzzing or mutation testing: for those only their form and their
generator's existence are checked, and they are listed as such.

Usage: docs_check.py [--usage FILE]
"""

import re
import subprocess
import sys

import advisory_table
import figures
import regions

ROOT = regions.ROOT
TOP = sorted(
    p.name
    for p in ROOT.iterdir()
    if p.is_dir() and p.name not in (".git", "target") and not p.name.startswith(".library")
)
# A path from the repository root: one of its top directories, then more.
PATH = re.compile(
    r"(?<![\w./~$-])((?:" + "|".join(re.escape(t) for t in TOP) + r")/[\w./+-]*)"
)
LINK = re.compile(r"\]\(([^)\s]+)\)")
SCRIPT = re.compile(r"(?<![\w./-])(ci/[\w./-]+\.(?:sh|py))")
# Placeholders and patterns, not paths.
NOT_A_PATH = re.compile(r"[*<>{}$]|\.\.\.|…|NAME|TARGET|\bX\b")


def tracked(*patterns):
    out = subprocess.run(
        ["git", "ls-files", "-z", "--", *patterns], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [p for p in out.split("\0") if p]


def ignored(path):
    return subprocess.run(
        ["git", "check-ignore", "-q", "--no-index", path], cwd=ROOT
    ).returncode == 0


def exists(doc, ref):
    ref = re.sub(r"(#.*|:\d+(-\d+)?)$", "", ref).rstrip(".,;:")
    if not ref or NOT_A_PATH.search(ref):
        return True
    here = (ROOT / doc).parent
    for base in (here, ROOT):
        if (base / ref).exists():
            return True
    return ignored(ref)


def paths(doc, text):
    missing = []
    for n, line in enumerate(text.splitlines(), 1):
        refs = set()
        for m in LINK.finditer(line):
            target = m.group(1)
            if not re.match(r"[a-z]+:|#", target):
                refs.add(target)
        refs.update(m.group(1) for m in PATH.finditer(line))
        for ref in sorted(refs):
            if not exists(doc, ref):
                missing.append(f"{doc}:{n}: names {ref}, which does not exist")
    return missing


def scripts(path, text):
    return [
        f"{path}:{n}: names {m.group(1)}, which does not exist"
        for n, line in enumerate(text.splitlines(), 1)
        for m in SCRIPT.finditer(line)
        if not (ROOT / m.group(1)).exists()
    ]


def main(argv):
    usage_file = argv[argv.index("--usage") + 1] if "--usage" in argv else None
    cheap = {
        "vectors": figures.vectors,
        "ao-bypass-patch-stat": lambda: advisory_table.patch_stat() + "\n",
        "ao-bypass-table": lambda: advisory_table.table() + "\n",
    }
    if usage_file:
        with open(usage_file, encoding="utf-8") as f:
            help_text = f.read()
        cheap["usage"] = lambda: figures.usage(help_text)
    errors, checked, formal = [], [], []
    docs = [d for d in tracked("*.md") if not d.startswith("fuzz/seeds/")]
    for doc in docs:
        text = (ROOT / doc).read_text(encoding="utf-8")
        errors += paths(doc, text)
        try:
            found = regions.regions(text, doc)
        except regions.RegionError as e:
            errors.append(str(e))
            continue
        for r in found:
            if not (ROOT / r.script).is_file():
                errors.append(f"{doc}: region {r.name} names its generator {r.script}, which does not exist")
            if r.name in cheap:
                if r.body(text) != cheap[r.name]():
                    errors.append(f"{doc}: region {r.name} is stale: run {r.script}")
                checked.append(r.name)
            else:
                formal.append(f"{r.name} ({doc})")
    for name in cheap:
        if name not in checked:
            errors.append(f"no doc has the region {name}")
    for script in tracked("ci/*.sh", "ci/*.py", ".ci/run"):
        errors += scripts(script, (ROOT / script).read_text(encoding="utf-8"))
    print(f"docs-check: {len(docs)} docs; recomputed {', '.join(sorted(checked))}; "
          f"form and generator only (need a kernel, daemons, benchmarks or hours): {', '.join(formal)}")
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(f"docs-check: {len(errors)} problem(s)")


if __name__ == "__main__":
    main(sys.argv[1:])
