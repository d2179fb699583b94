#!/usr/bin/env bash
# What `tcpmd5 watch` costs and whether it sees every drop (root; a bench,
# not a test). Two namespaces (ci/lib/netns-md5.sh) and a keyed bulk transfer:
#  1. throughput of a busy MD5 session (MB/s, median of RUNS transfers of
#     MB megabytes) without and with `tcpmd5 watch` on the receiver's
#     namespace, and the CPU time watch used meanwhile;
#  2. a drop storm: a client with the wrong key opens connections for
#     STORM seconds (each SYN dropped, TCP_MD5FAILURE); watch's drops
#     against the namespace's TCPMD5Failure delta, drops per second, and
#     watch's CPU time.
# Usage: ci/bench/watch.sh [RUNS] [MB] [STORM]   (defaults 5 400 5)
# README_WRITE=1 also puts the result into the region watch-bench of
# docs/tool-performance.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-5}
MB=${2:-400}
STORM=${3:-5}
. ci/lib/netns-md5.sh
cargo build -q --release -p tcpmd5-cli --bin tcpmd5
BIN="$(python3 ci/py/cargo_target_dir.py)/release/tcpmd5"
LOAD="$(pwd)/ci/py/bench_watch.py"
KEY=$(hexof "Peer-Pass-2026")
WRONG=$(hexof "Peer-Pass-2O26")
lab_up 10.78.0.2
fifo=$(mktemp -u); mkfifo "$fifo"
ip netns exec "$LAB_S" python3 "$LOAD" sink "$KEY" >"$fifo" &
LAB_SERVER=$!
read -r _ <"$fifo"; rm -f "$fifo"

cpu_ms() {  # utime+stime of PID in ms
    awk -v hz="$(getconf CLK_TCK)" '{print int(($14+$15)*1000/hz)}' "/proc/$1/stat"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
transfers() {
    for _ in $(seq "$RUNS"); do
        ip netns exec "$LAB_C" python3 "$LOAD" bulk "$KEY" "$MB"
    done | median
}

report=$(mktemp)
exec 3>&1 1> >(tee "$report" >&3)
plain=$(transfers)
out=$(mktemp)
"$BIN" watch --netns "$LAB_S" --format json >"$out" &
watch=$!
sleep 0.5
cpu0=$(cpu_ms $watch)
t0=$(date +%s.%N)
watched=$(transfers)
t1=$(date +%s.%N)
cpu1=$(cpu_ms $watch)
kill -INT $watch; wait $watch || true
echo "busy session ($RUNS x $MB MB, keyed, kernel $(uname -r)):"
echo "  without watch: $plain MB/s (median)"
echo "  with watch:    $watched MB/s (median); watch used $((cpu1 - cpu0)) ms CPU in $(printf %.1f "$(echo "$t1 - $t0" | bc)") s"

"$BIN" watch --netns "$LAB_S" --duration $((STORM + 3)) --format json >"$out" &
watch=$!
sleep 1
cpu0=$(cpu_ms $watch)
attempts=$(ip netns exec "$LAB_C" python3 "$LOAD" storm "$WRONG" "$STORM")
cpu1=$(cpu_ms $watch)
wait $watch || true
python3 ci/py/bench_watch_report.py "$out" "$STORM" "$attempts" "$((cpu1 - cpu0))"
rm -f "$out"
exec 1>&3
sleep 0.2
if [ "${README_WRITE:-}" = 1 ]; then
    { printf '```\n$ ci/bench/watch.sh\n'; cat "$report"; printf '```\n'; } | python3 ci/py/regions.py docs/tool-performance.md watch-bench
fi
rm -f "$report"
