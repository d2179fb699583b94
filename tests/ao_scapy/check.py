#!/usr/bin/env python3
"""scapy's contrib/tcpao (an independent TCP-AO implementation) checks the
TCP-AO vectors: for each vector of vectors/ao/*.json, scapy derives the
traffic key from the vector's ISNs and computes the MAC over the packet.

Prints one JSON object: {"scapy": version, "checked": n, "disagreements": [...]}.
Exit 0 whatever scapy says (the Rust test judges); 2 when scapy is missing.
"""
import json
import sys
from pathlib import Path

try:
    import scapy
    from scapy.layers.inet import IP
    from scapy.layers.inet6 import IPv6
    from scapy.contrib import tcpao
except ImportError as e:  # reported by the caller as "missing"
    print(json.dumps({"missing": str(e)}))
    sys.exit(2)

ALGS = {"hmac-sha1": "HMAC-SHA-1-96", "aes-cmac": "AES-128-CMAC-96"}


def check(v):
    raw = bytes.fromhex(v["packet"])
    p = IP(raw) if raw[0] >> 4 == 4 else IPv6(raw)
    alg = tcpao.get_alg(ALGS[v["algorithm"]])
    ctx = tcpao.build_context_from_packet(p, v["src_isn"], v["dst_isn"])
    key = alg.kdf(bytes.fromhex(v["master_key"]), ctx)
    msg = tcpao.build_message_from_packet(
        p, include_options=v["options"] == "included", sne=v["sne"]
    )
    mac = alg.mac(key, msg)
    out = []
    if key.hex() != v["traffic_key"]:
        out.append({"id": v["id"], "what": "traffic_key", "scapy": key.hex(), "vector": v["traffic_key"]})
    if mac.hex() != v["mac"]:
        out.append({"id": v["id"], "what": "mac", "scapy": mac.hex(), "vector": v["mac"]})
    return out


def main():
    checked, disagreements = 0, []
    for f in sorted(Path(sys.argv[1]).glob("*.json")):
        for v in json.loads(f.read_text())["vectors"]:
            disagreements += check(v)
            checked += 1
    print(json.dumps({"scapy": scapy.VERSION, "checked": checked, "disagreements": disagreements}))


main()
