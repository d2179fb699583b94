#!/usr/bin/env python3
"""The one reader and writer of the generated regions of the docs.

A region is the text between

    <!-- generated:NAME by SCRIPT; do not edit -->
    <!-- end:NAME -->

where SCRIPT (a path from the repository root) is what writes it. Every
figure in a doc lives in such a region, so that a script, never a hand,
changes it; ci/py/docs_check.py holds the docs to that.

As a program: `regions.py FILE NAME` replaces region NAME of FILE with
standard input (`--check` instead fails when it differs).
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent

BEGIN = re.compile(r"^<!-- generated:([a-z0-9-]+) by (\S+); do not edit -->$", re.M)
END = re.compile(r"^<!-- end:([a-z0-9-]+) -->$", re.M)
# Markers of another style, which nothing writes any more.
OTHER = re.compile(r"<!-- ?[a-z0-9-]+:(start|begin|end)\b|<!-- generated:[a-z0-9-]+ -->")


class RegionError(Exception):
    """A doc whose regions are missing or malformed."""


class Region:
    """One generated region: its name, its generator and where its body is."""

    def __init__(self, name, script, body_start, body_end):
        self.name = name
        self.script = script
        self.body_start = body_start
        self.body_end = body_end

    def body(self, text):
        return text[self.body_start : self.body_end]


def regions(text, where="text"):
    """Every region of `text`, in order; RegionError if one is unclosed,
    nested, named twice, or written in an old marker style."""
    found = []
    names = set()
    pos = 0
    for begin in BEGIN.finditer(text):
        if begin.start() < pos:
            raise RegionError(f"{where}: region {begin.group(1)} starts inside another")
        name, script = begin.group(1), begin.group(2)
        if name in names:
            raise RegionError(f"{where}: region {name} appears twice")
        names.add(name)
        end = END.search(text, begin.end())
        if end is None or end.group(1) != name:
            raise RegionError(f"{where}: region {name} is not closed by <!-- end:{name} -->")
        nested = BEGIN.search(text, begin.end(), end.start())
        if nested:
            raise RegionError(f"{where}: region {nested.group(1)} starts inside {name}")
        found.append(Region(name, script, begin.end() + 1, end.start()))
        pos = end.end()
    ends = [m.group(1) for m in END.finditer(text)]
    if sorted(ends) != sorted(names):
        raise RegionError(f"{where}: an end marker without its begin marker ({', '.join(sorted(set(ends) - names))})")
    for m in OTHER.finditer(text):
        raise RegionError(f"{where}: old-style marker {m.group(0)!r}: use <!-- generated:NAME by SCRIPT; do not edit -->")
    return found


def region(text, name, where="text"):
    for r in regions(text, where):
        if r.name == name:
            return r
    raise RegionError(f"{where} has no generated:{name} region")


def replace(text, name, body, where="text"):
    """`text` with region `name`'s body replaced by `body` (a final newline
    added when missing)."""
    r = region(text, name, where)
    if body and not body.endswith("\n"):
        body += "\n"
    return text[: r.body_start] + body + text[r.body_end :]


def rewrite(path, name, body):
    """Replaces region `name` of the file at `path` (relative to the
    repository root) with `body`; True when the file changed."""
    path = ROOT / path
    text = path.read_text(encoding="utf-8")
    new = replace(text, name, body, str(path.relative_to(ROOT)))
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    if len(args) != 2:
        sys.exit("usage: regions.py [--check] FILE NAME < BODY")
    path, name = args
    body = sys.stdin.read()
    try:
        if check:
            text = (ROOT / path).read_text(encoding="utf-8")
            if replace(text, name, body, path) != text:
                sys.exit(f"{path}: region {name} is out of date")
        elif rewrite(path, name, body):
            print(f"{path}: region {name} rewritten", file=sys.stderr)
    except RegionError as e:
        sys.exit(str(e))


if __name__ == "__main__":
    main(sys.argv[1:])
