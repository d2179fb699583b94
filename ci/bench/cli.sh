#!/usr/bin/env bash
# `tcpmd5 verify` against `tcpdump -M` on the same large capture of
# kernel-signed segments (a keyed BGP-like session exchanging tens of
# thousands of messages between two namespaces), all writing to /dev/null,
# side by side: `verify --jobs 1`, `verify` on every CPU and `tcpdump -M`,
# BENCH_RUNS rounds (default 7) alternating, medians of wall-clock and CPU
# time. Then the MD5 work alone on the same segments (the batch digest, and
# the batch verdict, cli/examples/batch_digest_cost.rs, best rounds), to set
# verify's cost per segment (its best run) beside it; and what each tool
# printed per packet. Prints a markdown table.
#
# Root only (network namespaces). Not run in CI. Writes the table into the
# region bench-cli of docs/tool-performance.md. Environment:
#   BENCH_MESSAGES (default 100000) round trips in the session
#   BENCH_RUNS (default 7) rounds
#   BENCH_NO_WRITE=1  print the table only
set -euo pipefail
cd "$(dirname "$0")/../.."
. ci/lib/netns-md5.sh

MESSAGES="${BENCH_MESSAGES:-100000}"
RUNS="${BENCH_RUNS:-7}"
SECRET="bench-secret"
WORK="$(mktemp -d)"
PCAP="$WORK/bgp-session.pcap"

cargo build -q --release -p tcpmd5-cli --bin tcpmd5 --example batch_digest_cost
TARGET="$(python3 ci/py/cargo_target_dir.py)"
BIN="$TARGET/release/tcpmd5"
COST="$TARGET/release/examples/batch_digest_cost"

lab_up 10.78.0.2
lab_capture "$PCAP"
lab_listen "10.78.0.2=$(hexof "$SECRET")"
lab_client 10.78.0.2 "$(hexof "$SECRET")" "$MESSAGES" >/dev/null
lab_stop_capture

table="$(python3 ci/py/bench_cli_table.py "$BIN" "$COST" "$PCAP" "$SECRET" "$RUNS")"
echo "$table"
rm -rf "$WORK"
[ -n "${BENCH_NO_WRITE:-}" ] && exit 0
printf '%s\n' "$table" | python3 ci/py/regions.py docs/tool-performance.md bench-cli
