#!/usr/bin/env bash
# System packages the project needs beyond Rust and gcc: tcpdump (the
# independent digest check of vectors/ and of the tcpmd5 tool's captures) and
# iproute2 (the tool's live capture test). Installed only when missing.
set -euo pipefail
if ! command -v tcpdump >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq tcpdump iproute2 >/dev/null
fi
tcpdump --version 2>&1 | head -n 1
