#!/usr/bin/env bash
# Generates the README's worked example ("Why won't my BGP session come
# up?"): a router keyed for its peers, one peer configured with a password
# one character off, another with the right one; the capture taken on the
# router with tcpdump; then `tcpmd5 verify` and `tcpmd5 explain` on it. The
# commands and their output replace the README between the
# <!-- cli-example:start --> and <!-- cli-example:end --> markers.
#
# Root only (network namespaces). README_EXAMPLE_NO_WRITE=1 prints only.
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/netns-md5.sh

cargo build -q --release -p tcpmd5-cli
BIN="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/tcpmd5"
WORK="$(mktemp -d)"
PCAP="$WORK/bgp.pcap"
RIGHT="Peer-Pass-2026"
TYPO="Peer-Pass-2O26"

lab_up 10.78.0.2 10.78.0.3
lab_capture "$PCAP"
lab_listen "10.78.0.0/24=$(hexof "$RIGHT")"
lab_client 10.78.0.2 "$(hexof "$TYPO")" >&2
lab_client 10.78.0.3 "$(hexof "$RIGHT")" >&2
lab_stop_capture
cp "$PCAP" "$WORK/capture.pcap"
cd "$WORK"

run() {  # prints "$ cmd" and its output, as the user would see them
    printf '$ %s\n' "$*"
    "$@" 2>&1 || true
}
first_syn="$({ "$BIN" verify capture.pcap --key "10.78.0.0/24=$RIGHT" --format json || true; } \
    | python3 -c 'import json,sys
for l in sys.stdin:
    r = json.loads(l)
    if r.get("verdict") == "drop:TCP_MD5FAILURE":
        print(r["frame"]); break')"
body="$(
    echo '```console'
    echo "\$ tcpdump -i eth0 -s 0 -w capture.pcap 'tcp port 179'   # on the router, while the peers try"
    run "$BIN" verify capture.pcap --key "10.78.0.0/24=$RIGHT"
    echo
    run "$BIN" explain --capture capture.pcap --frame "$first_syn" --key "10.78.0.0/24=$RIGHT" --checksum note
    echo '```'
)"
body="${body//$BIN/tcpmd5}"
cd - >/dev/null
rm -rf "$WORK"
if [ -n "${README_EXAMPLE_NO_WRITE:-}" ]; then
    echo "$body"
    exit 0
fi
python3 - "$body" <<'PY'
import re, sys
body = sys.argv[1]
text = open("README.md").read()
start, end = "<!-- cli-example:start -->", "<!-- cli-example:end -->"
if start not in text:
    sys.exit("README.md has no cli-example markers")
head, rest = text.split(start, 1)
_, tail = rest.split(end, 1)
open("README.md", "w").write(head + start + "\n" + body + "\n" + end + tail)
PY
echo "README.md: worked example regenerated" >&2
