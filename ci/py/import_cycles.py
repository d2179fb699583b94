#!/usr/bin/env python3
"""Finds import circles between the modules of a Rust crate.

Reads every `use crate::...` / `use super::...` line (and `crate::a::b`
paths in the code) of the crate rooted at SRC (default: conformance/src),
maps each file to its module path, builds the module graph and prints every
strongly connected component with more than one module. A parent module
reaching its own child (`mod.rs` declaring `mod x`) is not an edge.
Exit status 1 when a circle exists.

Usage: ci/py/import_cycles.py [SRC_DIR ...]
"""

import re
import sys
from pathlib import Path

PATH = re.compile(r"\b(crate|super)((?:::[a-z_][a-z0-9_]*)+)")
USE_GROUP = re.compile(r"\buse\s+(crate|super)((?:::[a-z_][a-z0-9_]*)*)::\{([^;]*)\}\s*;", re.S)


def module_of(src: Path, file: Path) -> tuple:
    rel = file.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


def resolve(mods: set, base: tuple, kind: str, segs: list, here: tuple) -> tuple | None:
    if kind == "crate":
        start = ()
    else:
        start = here[:-1]
        while segs and segs[0] == "super":
            segs = segs[1:]
            start = start[:-1]
    path = start + tuple(segs)
    # The longest prefix that is a module of this crate.
    while path and path not in mods:
        path = path[:-1]
    return path if path else None


def strip_comments(text: str) -> str:
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def graph(src: Path) -> dict:
    files = sorted(src.rglob("*.rs"))
    mods = {module_of(src, f): f for f in files}
    edges = {m: set() for m in mods}
    for m, f in mods.items():
        text = strip_comments(f.read_text())
        # Expand `use crate::a::{b, c::d}` groups into single paths.
        for kind, prefix, group in USE_GROUP.findall(text):
            for item in re.split(r"[,{}]", group):
                item = item.strip().split(" as ")[0].strip()
                if item and item != "self":
                    segs = [s for s in (prefix + "::" + item).split("::") if s]
                    t = resolve(set(mods), (), kind, segs, m)
                    if t is not None and t != m:
                        edges[m].add(t)
        for kind, rest in PATH.findall(text):
            segs = [s for s in rest.split("::") if s]
            t = resolve(set(mods), (), kind, segs, m)
            if t is not None and t != m and t != m[: len(t)]:
                edges[m].add(t)
    return edges


def sccs(edges: dict) -> list:
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    sys.setrecursionlimit(10000)
    for v in edges:
        if v not in index:
            visit(v)
    return [c for c in out if len(c) > 1]


def main() -> int:
    roots = [Path(a) for a in sys.argv[1:]] or [Path("conformance/src")]
    bad = 0
    for src in roots:
        edges = graph(src)
        n_edges = sum(len(v) for v in edges.values())
        circles = sccs(edges)
        name = lambda m: "::".join(m) or "crate"
        print(f"{src}: {len(edges)} modules, {n_edges} edges, {len(circles)} circles")
        for c in circles:
            bad += 1
            print("  circle: " + " <-> ".join(sorted(name(m) for m in c)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
