#!/usr/bin/env bash
# `tcpmd5 verify` against `tcpdump -M` on the same large capture of
# kernel-signed segments (a keyed BGP-like session exchanging tens of
# thousands of messages between two namespaces), both writing to /dev/null,
# single-threaded, side by side: best of BENCH_RUNS (default 5) each,
# alternating. Prints a markdown table with packets/s and the ratio.
#
# Root only (network namespaces). Not run in CI. Writes the table into the
# README between the bench-cli markers. Environment:
#   BENCH_MESSAGES (default 40000) round trips in the session
#   BENCH_NO_WRITE=1  print the table only
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/netns-md5.sh

MESSAGES="${BENCH_MESSAGES:-40000}"
RUNS="${BENCH_RUNS:-5}"
SECRET="bench-secret"
WORK="$(mktemp -d)"
PCAP="$WORK/bgp-session.pcap"

cargo build -q --release -p tcpmd5-cli
BIN="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/tcpmd5"

lab_up 10.78.0.2
lab_capture "$PCAP"
lab_listen "10.78.0.2=$(hexof "$SECRET")"
lab_client 10.78.0.2 "$(hexof "$SECRET")" "$MESSAGES" >/dev/null
lab_stop_capture

packets="$(tcpdump -r "$PCAP" -nn 2>/dev/null | wc -l)"
calc() { python3 -c "print($1)"; }
best() {  # best SECONDS...
    printf '%s\n' "$@" | sort -g | head -1
}
timed() {  # timed CMD...: seconds, output to /dev/null
    local t0 t1
    t0="$(date +%s.%N)"
    "$@" >/dev/null 2>&1 || true
    t1="$(date +%s.%N)"
    calc "$t1 - $t0"
}
ours=(); theirs=()
for _ in $(seq "$RUNS"); do
    ours+=("$(timed "$BIN" verify "$PCAP" --key "10.78.0.0/24=$SECRET")")
    theirs+=("$(timed tcpdump -nn -r "$PCAP" -M "$SECRET")")
done
o="$(best "${ours[@]}")"
t="$(best "${theirs[@]}")"
valid="$("$BIN" verify "$PCAP" --key "10.78.0.0/24=$SECRET" | grep "^total:")"
tvalid="$(tcpdump -nn -r "$PCAP" -M "$SECRET" 2>/dev/null | grep -c 'md5 valid' || true)"
table="$(cat <<TABLE
| tool (same capture, output to /dev/null, best of $RUNS) | seconds | packets/s |
|---|---|---|
| \`tcpmd5 verify\` | $(printf %.3f "$o") | $(printf %.0f "$(calc "$packets / $o")") |
| \`tcpdump -M\` | $(printf %.3f "$t") | $(printf %.0f "$(calc "$packets / $t")") |

$packets packets, kernel-signed ($(uname -r)); \`tcpmd5 verify\` is $(printf %.2f "$(calc "$t / $o")")x as fast as \`tcpdump -M\`.
tcpmd5: "$valid"; tcpdump: $tvalid "md5 valid".
TABLE
)"
echo "$table"
rm -rf "$WORK"
[ -n "${BENCH_NO_WRITE:-}" ] && exit 0
python3 - "$table" <<'PY'
import sys
table = sys.argv[1]
text = open("README.md").read()
start, end = "<!-- bench-cli:start -->", "<!-- bench-cli:end -->"
head, rest = text.split(start, 1)
_, tail = rest.split(end, 1)
open("README.md", "w").write(head + start + "\n" + table + "\n" + end + tail)
PY
