#!/usr/bin/env bash
# Generates the tool's worked example ("Why won't my BGP session come
# up?"): two real routers, BIRD 2 on A and FRR on B, each in its own
# network namespace (the bgplab crate), with three sessions: one working,
# one whose passwords differ by a character, one with a password on A only;
# B restarts once. The capture is taken on A's link; then `tcpmd5 verify`
# with both routers' configurations, and `tcpmd5 explain` on the first
# frame B drops for the one-sided session. The commands and their output
# replace the region tool-example of docs/tool.md.
#
# Root only (network namespaces); needs bird2 and frr (ci/install-deps.sh).
# README_EXAMPLE_NO_WRITE=1 prints only.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build -q --release -p tcpmd5-cli
cargo build -q --release -p tcpmd5-bgplab --example bgplab
TARGET="$(python3 ci/py/cargo_target_dir.py)/release"
BIN="$TARGET/tcpmd5"
WORK="$(mktemp -d)"
"$TARGET/examples/bgplab" "$WORK" same-v4 differ-v4 a-only-v4 >&2
cd "$WORK"
mv bgp.pcap capture.pcap

run() {  # prints "$ cmd" and its output, as the user would see them
    printf '$ %s\n' "$*"
    "$@" 2>&1 || true
}
routers=(--router A-bird.conf --router B-frr.conf)
first_unexpected="$({ "$BIN" verify capture.pcap "${routers[@]}" --format json || true; } \
    | python3 -c 'import json,sys
for l in sys.stdin:
    r = json.loads(l)
    if r.get("verdict") == "drop:TCP_MD5UNEXPECTED":
        print(r["frame"]); break')"
body="$(
    echo '```console'
    echo "\$ tcpdump -i eth0 -s 0 -w capture.pcap 'tcp port 179'   # on router A, while the sessions try"
    run "$BIN" verify capture.pcap "${routers[@]}"
    echo
    run "$BIN" explain --capture capture.pcap --frame "$first_unexpected" "${routers[@]}"
    echo '```'
)"
body="${body//$BIN/tcpmd5}"
cd - >/dev/null
rm -rf "$WORK"
if [ -n "${README_EXAMPLE_NO_WRITE:-}" ]; then
    echo "$body"
    exit 0
fi
printf '%s\n' "$body" | python3 ci/py/regions.py docs/tool.md tool-example
