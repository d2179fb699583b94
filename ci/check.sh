#!/usr/bin/env bash
# Formatting, lints and the test suite (the README's test command).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== no import circles between modules"
python3 ci/py/import_cycles.py src conformance/src cli/src vm/src report/src md5-lanes/src testkit/src witness/src bgplab/src fuzz/src fuzz/seedgen/src
echo "== the docs: paths, generated regions (ci/docs-check.sh)"
ci/docs-check.sh
echo "== cargo clippy (workspace, all targets, -D warnings)"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo test --workspace"
cargo test --workspace
echo "== fuzz/ (lints, fmt, clippy, tests)"
ci/fuzz-check.sh
