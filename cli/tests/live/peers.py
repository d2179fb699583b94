#!/usr/bin/env python3
"""BGP-like peers with TCP MD5 keys, for the tcpmd5 CLI's live capture test.

  peers.py server KEYSPEC...   listen on port 179 (IPv4 and IPv6) with keys and
                               echo what each connection sends until it
                               closes; runs until killed
  peers.py client SRC DST KEY [COUNT]
                               connect from SRC to DST:179 with KEY (or '-'
                               for none), send COUNT messages (default 1) and
                               read each echo

KEYSPEC is ADDR[/PREFIX]=HEX. Keys are hex so binary and NUL bytes pass.
"""
import socket
import struct
import sys

TCP_MD5SIG = 14
TCP_MD5SIG_EXT = 32
TCP_MD5SIG_FLAG_PREFIX = 1


def sockaddr(addr):
    if ":" in addr:
        packed = socket.inet_pton(socket.AF_INET6, addr)
        sa = struct.pack("=HHI16sI", socket.AF_INET6, 0, 0, packed, 0)
    else:
        packed = socket.inet_pton(socket.AF_INET, addr)
        sa = struct.pack("=HH4s8x", socket.AF_INET, 0, packed)
    return sa.ljust(128, b"\0")


def add_key(sock, addr, key, prefix=None):
    flags = TCP_MD5SIG_FLAG_PREFIX if prefix is not None else 0
    req = sockaddr(addr) + struct.pack("=BBHi80s", flags, prefix or 0, len(key), 0, key)
    opt = TCP_MD5SIG_EXT if prefix is not None else TCP_MD5SIG
    sock.setsockopt(socket.IPPROTO_TCP, opt, req)


def server(specs):
    socks = []
    for family, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        for spec in specs:
            scope, key = spec.split("=", 1)
            a, _, p = scope.partition("/")
            if (":" in a) == (family == socket.AF_INET6):
                add_key(s, a, bytes.fromhex(key), int(p) if p else None)
        s.bind((addr, 179))
        s.listen(16)
        s.settimeout(0.2)
        socks.append(s)
    print("ready", flush=True)
    while True:
        for s in socks:
            try:
                conn, _ = s.accept()
            except socket.timeout:
                continue
            conn.settimeout(2)
            try:
                while True:
                    data = conn.recv(4096)
                    if not data:
                        break
                    conn.sendall(data)
            except OSError:
                pass
            conn.close()


def client(src, dst, key, count="1"):
    family = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    if key != "-":
        add_key(s, dst, bytes.fromhex(key))
    s.bind((src, 0))
    s.settimeout(3)
    try:
        s.connect((dst, 179))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(int(count)):
            s.sendall(b"BGP OPEN")
            echo = s.recv(100)
        print(echo.decode(), flush=True)
    except OSError as e:
        print("failed:", e, flush=True)
    s.close()


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2:])
    else:
        client(*sys.argv[2:6])
