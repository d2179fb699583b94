#!/usr/bin/env bash
# The fuzz crate (fuzz/, its own workspace) under the root workspace's
# rules, on stable (the seed generator, fuzz/seedgen/, is a member of the
# root workspace and checked with it):
# the same lint table, rustfmt, clippy -D warnings, and their tests (the
# models' unit tests and the replay of every committed seed through every
# target). ci/check.sh runs it; the nightly cargo-fuzz build is ci/fuzz.sh's.
set -euo pipefail
cd "$(dirname "$0")/.."

# A workspace cannot inherit another's [workspace.lints], so fuzz/ carries a
# copy; it must not drift.
lint_table() {
    awk '/^\[/ { in_lints = ($0 ~ /^\[workspace\.lints\./) }
         in_lints && NF' "$1"
}
want=$(lint_table Cargo.toml)
for manifest in fuzz/Cargo.toml; do
    if [ "$(lint_table "$manifest")" != "$want" ]; then
        echo "fuzz-check: [workspace.lints] of $manifest differs from Cargo.toml's:" >&2
        diff <(echo "$want") <(lint_table "$manifest") >&2 || true
        exit 1
    fi
done

for manifest in fuzz/Cargo.toml; do
    echo "== $manifest: cargo fmt --check"
    cargo fmt --manifest-path "$manifest" -- --check
    echo "== $manifest: cargo clippy (all targets, -D warnings)"
    cargo clippy --manifest-path "$manifest" --all-targets --locked -- -D warnings
    echo "== $manifest: cargo test"
    cargo test --manifest-path "$manifest" --locked
done
