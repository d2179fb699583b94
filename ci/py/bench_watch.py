#!/usr/bin/env python3
"""Load for ci/bench/watch.sh (run inside a namespace of ci/lib/netns-md5.sh).

  bench_watch.py sink KEY_HEX            keyed listener on 10.78.0.1:5001 for
                                         10.78.0.2: reads every connection to
                                         its end; prints "ready" once listening
  bench_watch.py bulk KEY_HEX MEGABYTES  sends MEGABYTES over one keyed
                                         connection; prints the MB/s
  bench_watch.py storm KEY_HEX SECONDS   opens non-blocking keyed connections
                                         (one SYN each, 200 open at a time)
                                         for SECONDS, closes them; prints how
                                         many it opened
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "cli", "tests", "live"))
from peers import add_key  # noqa: E402

SERVER, CLIENT, PORT = "10.78.0.1", "10.78.0.2", 5001


def sink(key):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    add_key(s, CLIENT, bytes.fromhex(key))
    s.bind((SERVER, PORT))
    s.listen(1024)
    print("ready", flush=True)
    while True:
        conn, _ = s.accept()
        while conn.recv(1 << 20):
            pass
        conn.close()


def bulk(key, megabytes):
    s = socket.socket()
    add_key(s, SERVER, bytes.fromhex(key))
    s.connect((SERVER, PORT))
    chunk = b"\x5a" * (1 << 16)
    n = int(megabytes) * 16
    start = time.perf_counter()
    for _ in range(n):
        s.sendall(chunk)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    elapsed = time.perf_counter() - start
    print(f"{int(megabytes) / elapsed:.1f}")


def storm(key, seconds):
    socks = []
    opened = 0
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        s = socket.socket()
        add_key(s, SERVER, bytes.fromhex(key))
        s.setblocking(False)
        try:
            s.connect((SERVER, PORT))
        except BlockingIOError:
            pass
        socks.append(s)
        opened += 1
        if len(socks) >= 200:
            for old in socks:
                old.close()
            socks.clear()
            time.sleep(0.002)
    for s in socks:
        s.close()
    print(opened)


if __name__ == "__main__":
    {"sink": sink, "bulk": bulk, "storm": storm}[sys.argv[1]](*sys.argv[2:])
