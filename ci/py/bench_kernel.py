#!/usr/bin/env python3
"""Loopback TCP with and without TCP_MD5SIG, run by ci/bench/kernel.sh
inside a fresh network namespace (only lo, nothing else talking).

Four configurations, interleaved, each repeated and the fastest kept:
  unsigned           offload as the kernel sets it on lo (TSO/GSO on)
  unsigned-nooffload TSO, GSO and GRO off on lo (SIOCETHTOOL ioctls)
  signed             TCP_MD5SIG on both ends (the kernel itself turns GSO
                     off for MD5 sockets, so the wire carries MSS segments)
  signed-nooffload   both
and two workloads: bulk (one connection, N MiB one way) and rr
(M x 64-byte request/response). Segment counts are the namespace's
/proc/net/snmp Tcp OutSegs/InSegs deltas (GSO/GRO super-packets count as
the MSS-sized segments they stand for).

signed / unsigned is what an MD5 peering costs; signed / unsigned-nooffload
is the hashing alone; unsigned-nooffload / unsigned is the lost offload.
"""

import argparse
import ctypes
import fcntl
import os
import socket
import struct
import sys
import time

IPPROTO_TCP = 6
TCP_MD5SIG = 14
SIOCGIFFLAGS, SIOCSIFFLAGS, SIOCSIFMTU = 0x8913, 0x8914, 0x8922
SIOCETHTOOL = 0x8946
IFF_UP = 0x1
# Legacy ethtool commands: (get, set).
ETHTOOL = {"tso": (0x1E, 0x1F), "gso": (0x23, 0x24), "gro": (0x2B, 0x2C)}
KEY = b"0123456789abcdef"


def md5sig(peer: str, key: bytes) -> bytes:
    """struct tcp_md5sig (216 bytes)."""
    ss = struct.pack("<H", socket.AF_INET) + struct.pack("!H", 0) + socket.inet_aton(peer)
    ss = ss.ljust(128, b"\0")
    return ss + struct.pack("<BBHi", 0, 0, len(key), 0) + key.ljust(80, b"\0")


def ifreq_ioctl(req: int, payload: bytes) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        buf = b"lo".ljust(16, b"\0") + payload.ljust(24, b"\0")
        return fcntl.ioctl(s.fileno(), req, buf)


def lo_setup(mtu: int) -> None:
    flags = struct.unpack_from("<H", ifreq_ioctl(SIOCGIFFLAGS, b""), 16)[0]
    ifreq_ioctl(SIOCSIFFLAGS, struct.pack("<H", flags | IFF_UP))
    ifreq_ioctl(SIOCSIFMTU, struct.pack("<i", mtu))


def ethtool(cmd: int, data: int = 0) -> int:
    val = ctypes.create_string_buffer(struct.pack("<II", cmd, data), 8)
    payload = struct.pack("P", ctypes.addressof(val))
    ifreq_ioctl(SIOCETHTOOL, payload)
    return struct.unpack("<II", val.raw)[1]


def set_offload(on: bool) -> str:
    for name, (_, s) in ETHTOOL.items():
        try:
            ethtool(s, 1 if on else 0)
        except OSError:
            pass  # e.g. GRO not settable on lo: reported below
    return offload_state()


def offload_state() -> str:
    parts = []
    for name, (g, _) in ETHTOOL.items():
        try:
            parts.append(f"{name} {'on' if ethtool(g) else 'off'}")
        except OSError as e:
            parts.append(f"{name} ?({e.errno})")
    return ", ".join(parts)


def snmp_tcp() -> dict:
    lines = [l.split() for l in open("/proc/net/snmp") if l.startswith("Tcp:")]
    return {k: int(v) for k, v in zip(lines[0][1:], lines[1][1:])}


def recv_exact(sock, view) -> None:
    got = 0
    while got < len(view):
        n = sock.recv_into(view[got:])
        if n == 0:
            raise EOFError
        got += n


def server(listener, mode: str, total: int, rounds: int) -> None:
    conn, _ = listener.accept()
    conn.setsockopt(IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if mode == "bulk":
        buf = bytearray(1 << 20)
        view = memoryview(buf)
        got = 0
        while got < total:
            n = conn.recv_into(view)
            if n == 0:
                break
            got += n
        conn.sendall(b"k")
    else:
        buf = bytearray(64)
        view = memoryview(buf)
        for _ in range(rounds):
            recv_exact(conn, view)
            conn.sendall(buf)
    conn.close()


def run_once(mode: str, signed: bool, total: int, rounds: int) -> tuple:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if signed:
        listener.setsockopt(IPPROTO_TCP, TCP_MD5SIG, md5sig("127.0.0.1", KEY))
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    pid = os.fork()
    if pid == 0:
        try:
            server(listener, mode, total, rounds)
        finally:
            os._exit(0)
    listener.close()
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if signed:
        c.setsockopt(IPPROTO_TCP, TCP_MD5SIG, md5sig("127.0.0.1", KEY))
    c.setsockopt(IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.connect(("127.0.0.1", port))
    before = snmp_tcp()
    t0 = time.perf_counter()
    if mode == "bulk":
        chunk = memoryview(bytes(1 << 20))
        sent = 0
        while sent < total:
            sent += c.send(chunk[: min(len(chunk), total - sent)])
        c.recv(1)
    else:
        buf = bytearray(64)
        view = memoryview(buf)
        for _ in range(rounds):
            c.sendall(buf)
            recv_exact(c, view)
    elapsed = time.perf_counter() - t0
    after = snmp_tcp()
    c.close()
    os.waitpid(pid, 0)
    return elapsed, after["OutSegs"] - before["OutSegs"], after["InSegs"] - before["InSegs"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mtu", type=int, default=1500)
    ap.add_argument("--bulk-mib", type=int, default=256)
    ap.add_argument("--rr", type=int, default=100_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--markdown", help="write the result section to this file")
    args = ap.parse_args()

    lo_setup(args.mtu)
    default_offload = offload_state()
    total = args.bulk_mib << 20
    configs = [
        ("unsigned", False, True),
        ("unsigned-nooffload", False, False),
        ("signed", True, True),
        ("signed-nooffload", True, False),
    ]
    states = {}
    best = {}
    for mode in ("bulk", "rr"):
        for rep in range(args.reps):
            for name, signed, offload in configs:
                states[name] = set_offload(offload)
                r = run_once(mode, signed, total, args.rr)
                key = (mode, name)
                if key not in best or r[0] < best[key][0]:
                    best[key] = r
                print(f"# {mode} {name} rep {rep}: {r[0]:.3f} s, OutSegs {r[1]}, InSegs {r[2]}",
                      file=sys.stderr)
    set_offload(True)

    out = []
    out.append(f"Loopback in a fresh network namespace, lo MTU {args.mtu}, "
               f"16-byte key on both ends; lo offload by default: {default_offload}. "
               f"Fastest of {args.reps} interleaved runs each.")
    out.append("")
    for name, _, _ in configs:
        out.append(f"- `{name}`: lo {states[name]}"
                   + ("; TCP_MD5SIG on both sockets (the kernel disables GSO on MD5 sockets itself)"
                      if name.startswith("signed") else ""))
    out.append("")
    out.append("| workload | config | time | OutSegs | InSegs | ns / segment | MB/s or round trips/s | time vs unsigned | time vs unsigned-nooffload |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for mode in ("bulk", "rr"):
        base = best[(mode, "unsigned")][0]
        base_no = best[(mode, "unsigned-nooffload")][0]
        for name, _, _ in configs:
            t, o, i = best[(mode, name)]
            rate = (f"{total / t / 1e6:,.0f} MB/s" if mode == "bulk"
                    else f"{args.rr / t:,.0f} rt/s")
            work = f"{args.bulk_mib} MiB one way" if mode == "bulk" else f"{args.rr:,} x 64 B req/resp"
            out.append(f"| {mode} ({work}) | {name} | {t:.3f} s | {o:,} | {i:,} | "
                       f"{t / max(o, 1) * 1e9:,.0f} | {rate} | {t / base:.2f}x | {t / base_no:.2f}x |")
    out.append("")
    # Hashing cost per signed segment: signed minus unsigned, offload off in
    # both, per segment sent (each segment is hashed twice: sign + verify).
    for mode in ("bulk", "rr"):
        ts, os_, _ = best[(mode, "signed-nooffload")]
        tu, ou, _ = best[(mode, "unsigned-nooffload")]
        t_sig, o_sig, _ = best[(mode, "signed")]
        t_uns = best[(mode, "unsigned")][0]
        per = (ts - tu) / max(os_, 1) * 1e9
        out.append(f"- {mode}: MD5 costs {per:,.0f} ns per signed segment (sign + verify, offload off in both runs); "
                   f"signed / unsigned = {t_sig / t_uns:.2f}x, of which lost offload "
                   f"(unsigned-nooffload / unsigned) = {tu / t_uns:.2f}x and hashing "
                   f"(signed / unsigned-nooffload) = {t_sig / tu:.2f}x.")
    text = "\n".join(out)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
