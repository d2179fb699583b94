#!/usr/bin/env bash
# Generates the live example of `tcpmd5 sockets` and `tcpmd5 watch` (the
# region live-example of docs/tool.md):
# two BIRD 2 routers of the daemon lab (bgplab/) with a working session, a
# password one character off and a password on one router only
# (cli/examples/live_tour.rs). Namespace names are shown by role
# (router-a, router-b); everything else is the tool's real output.
# Root, BIRD 2 (ci/install-deps.sh). README_EXAMPLE_NO_WRITE=1 prints only.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q --release -p tcpmd5-cli --bin tcpmd5 --example live_tour
target=$(python3 ci/py/cargo_target_dir.py)
body=$("$target/release/examples/live_tour" "$target/release/tcpmd5")
if [ "${README_EXAMPLE_NO_WRITE:-}" = 1 ]; then
    printf '%s\n' "$body"
    exit 0
fi
printf '```console\n%s\n```\n' "$body" | python3 ci/py/regions.py docs/tool.md live-example
