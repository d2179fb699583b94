#!/usr/bin/env bash
# Regenerates the suite's figures in the docs (ci/py/figures.py) from the
# built binary:
#   usage   docs/suite.md: the output of `tcpmd5-conformance -h`
#   vectors README.md: how many vectors each group of vectors/ holds
#   legacy  docs/kernel-findings.md: how many cases fail, by area, when this
#           kernel is held to the pre-6.7 parser (`--semantics linux-legacy`);
#           needs root or unprivileged user namespaces, and names the kernel
#           it ran on
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
python3 ci/py/figures.py "$tmp" ${1:+"$1"}
