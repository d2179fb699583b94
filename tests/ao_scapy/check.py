#!/usr/bin/env python3
"""scapy's contrib/tcpao (an independent TCP-AO implementation) checks the
TCP-AO vectors: for each vector of DIR/*.json, scapy derives the traffic key
from the vector's ISNs and computes the MAC over the packet.

scapy's algorithms are the RFC's "-96" ones: its MAC is always 12 bytes. A
vector with a longer MAC (a Linux MKT's maclen) is checked on the traffic
key and on the MAC's first 12 bytes (both MACs truncate the same PRF
output), and listed under "mac_prefix_only".

Prints one JSON object: {"scapy": version, "checked": n, "files": {name: n},
"mac_prefix_only": [ids], "disagreements": [...]}.
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
    mac = alg.mac(key, msg).hex()
    want = v["mac"]
    prefix_only = len(want) > len(mac)
    if prefix_only:
        want = want[: len(mac)]
    out = []
    if key.hex() != v["traffic_key"]:
        out.append({"id": v["id"], "what": "traffic_key", "scapy": key.hex(), "vector": v["traffic_key"]})
    if mac != want:
        out.append({"id": v["id"], "what": "mac", "scapy": mac, "vector": v["mac"]})
    return out, prefix_only


def main():
    checked, files, prefix_only, disagreements = 0, {}, [], []
    for f in sorted(Path(sys.argv[1]).glob("*.json")):
        for v in json.loads(f.read_text())["vectors"]:
            wrong, prefix = check(v)
            disagreements += wrong
            if prefix:
                prefix_only.append(v["id"])
            checked += 1
            files[f.name] = files.get(f.name, 0) + 1
    print(json.dumps({
        "scapy": scapy.VERSION,
        "checked": checked,
        "files": files,
        "mac_prefix_only": prefix_only,
        "disagreements": disagreements,
    }))


main()
