# Shared by ci/bench/cli.sh and ci/regen/tool-example.sh (source it): two
# throwaway network namespaces joined by a veth pair, a keyed listener and
# its peers (cli/tests/live/peers.py), and a tcpdump in the listener's
# namespace (offload left on). Root only. Addresses are namespace-private.

LAB_S="tcpmd5-lab-s$$"
LAB_C="tcpmd5-lab-c$$"
PEERS="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/cli/tests/live/peers.py"

lab_up() {  # lab_up CLIENT_ADDR...
    ip netns add "$LAB_S"
    ip netns add "$LAB_C"
    trap lab_down EXIT
    ip link add vs netns "$LAB_S" type veth peer name vc netns "$LAB_C"
    ip -n "$LAB_S" link set lo up
    ip -n "$LAB_C" link set lo up
    ip -n "$LAB_S" addr add 10.78.0.1/24 dev vs
    for a in "$@"; do ip -n "$LAB_C" addr add "$a/24" dev vc; done
    ip -n "$LAB_S" link set vs up
    ip -n "$LAB_C" link set vc up
}

lab_down() {
    [ -n "${LAB_TCPDUMP:-}" ] && kill "$LAB_TCPDUMP" 2>/dev/null
    [ -n "${LAB_SERVER:-}" ] && kill "$LAB_SERVER" 2>/dev/null
    wait 2>/dev/null
    ip netns del "$LAB_S" 2>/dev/null
    ip netns del "$LAB_C" 2>/dev/null
    true
}

lab_capture() {  # lab_capture FILE: start tcpdump on the listener's veth
    local log
    log="$(mktemp)"
    ip netns exec "$LAB_S" tcpdump -i vs -s 0 -U --immediate-mode -w "$1" 2>"$log" &
    LAB_TCPDUMP=$!
    for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.05; done
    rm -f "$log"
}

lab_listen() {  # lab_listen SCOPE=HEX...: the keyed listener on port 179
    local fifo
    fifo="$(mktemp -u)"
    mkfifo "$fifo"
    ip netns exec "$LAB_S" python3 "$PEERS" server "$@" >"$fifo" &
    LAB_SERVER=$!
    read -r _ <"$fifo"
    rm -f "$fifo"
}

lab_client() {  # lab_client SRC SECRET_HEX|- [COUNT]
    ip netns exec "$LAB_C" python3 "$PEERS" client "$1" 10.78.0.1 "$2" "${3:-1}"
}

lab_stop_capture() {
    sleep 0.3
    kill -INT "$LAB_TCPDUMP"
    wait "$LAB_TCPDUMP" 2>/dev/null || true
    LAB_TCPDUMP=""
}

hexof() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }
