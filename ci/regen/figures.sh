#!/usr/bin/env bash
# Regenerates the README's generated regions (between
# `<!-- generated:NAME -->` and `<!-- end:NAME -->`) from the built binary:
#   usage   the output of `tcpmd5-conformance -h`
#   vectors how many vectors each group of vectors/ holds
#   legacy  how many cases fail, by area, when this kernel is held to the
#           pre-6.7 parser (`--semantics linux-legacy`); needs root or
#           unprivileged user namespaces, and names the kernel it ran on
# With --check, changes nothing and fails if a region is out of date.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -p tcpmd5-conformance
bin=target/release/tcpmd5-conformance
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" -h >"$tmp/usage"
# Exit status 1 is the point here: the kernel is held to the wrong model.
status=0
"$bin" --semantics linux-legacy --format json >"$tmp/legacy.json" || status=$?
if [ "$status" -ne 1 ]; then
    echo "expected --semantics linux-legacy to fail (status 1), got $status" >&2
    exit 1
fi
python3 - "$tmp" "${1:-}" <<'PY'
import collections, json, pathlib, re, sys

tmp, mode = pathlib.Path(sys.argv[1]), sys.argv[2]
readme = pathlib.Path("README.md")
text = readme.read_text()

usage = (tmp / "usage").read_text().rstrip()
report = json.loads((tmp / "legacy.json").read_text())
env = report["environment"]
failed = [c for c in report["cases"] if c["status"] == "fail"]
by_area = collections.Counter(c["area"] for c in failed)
areas = ", ".join(f"{a} {n}" for a, n in sorted(by_area.items(), key=lambda x: (-x[1], x[0])))
def count(pattern):
    return sum(len(json.loads(p.read_text())["vectors"]) for p in sorted(pathlib.Path("vectors").glob(pattern)))

digest, kernel = count("digest/*.json"), count("digest/kernel-*.json")
regions = {
    "vectors": (
        f"`vectors/` holds {digest} digest vectors ({kernel} signed by the live kernel, captured\n"
        f"with `tcpmd5-conformance capture-vectors`), {count('options/*.json')} option-layout vectors, "
        f"{count('keys/*.json')}\nkey-table vectors and a JSON Schema."
    ),
    "usage": f"```\n$ cargo run --release -p tcpmd5-conformance -- -h\n{usage}\n```",
    "legacy": (
        f"Held to the pre-6.7 parser (`--semantics linux-legacy`), this kernel "
        f"({env['kernel_release']}, which by its version is `{env['implied_semantics']}`) "
        f"fails {len(failed)} of {len(report['cases'])} cases: {areas}."
    ),
}
out = text
for name, body in regions.items():
    pattern = re.compile(rf"(<!-- generated:{name} -->\n).*?(<!-- end:{name} -->)", re.S)
    if not pattern.search(out):
        sys.exit(f"README.md has no generated:{name} region")
    out = pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), out)
if mode == "--check":
    if out != text:
        sys.exit("README.md's generated regions are out of date: run ci/regen/figures.sh")
else:
    readme.write_text(out)
    print(f"README.md: usage, and {len(failed)} cases failing under linux-legacy ({areas})")
PY
