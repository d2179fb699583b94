#!/usr/bin/env bash
# System packages the project needs beyond Rust and gcc: tcpdump (the
# independent digest check of vectors/). Installed only when missing.
set -euo pipefail
if ! command -v tcpdump >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq tcpdump >/dev/null
fi
tcpdump --version 2>&1 | head -n 1
