#!/usr/bin/env bash
# Generates the README's live example of `tcpmd5 sockets` and `tcpmd5 watch`
# (between <!-- generated:live-example --> and <!-- end:live-example -->):
# two BIRD 2 routers of the daemon lab (bgplab/) with a working session, a
# password one character off and a password on one router only
# (cli/examples/live_tour.rs). Namespace names are shown by role
# (router-a, router-b); everything else is the tool's real output.
# Root, BIRD 2 (ci/install-deps.sh). README_EXAMPLE_NO_WRITE=1 prints only.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q --release -p tcpmd5-cli --bin tcpmd5 --example live_tour
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
body=$("$target/release/examples/live_tour" "$target/release/tcpmd5")
if [ "${README_EXAMPLE_NO_WRITE:-}" = 1 ]; then
    printf '%s\n' "$body"
    exit 0
fi
BODY="$body" python3 - <<'PY'
import os, pathlib, re, sys
readme = pathlib.Path("README.md")
text = readme.read_text()
block = "<!-- generated:live-example -->\n```console\n" + os.environ["BODY"].rstrip() + "\n```\n<!-- end:live-example -->"
new, n = re.subn(r"<!-- generated:live-example -->.*?<!-- end:live-example -->", lambda _: block, text, flags=re.S)
if n != 1:
    sys.exit("README.md has no generated:live-example region")
readme.write_text(new)
PY
