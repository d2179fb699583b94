#!/usr/bin/env bash
# System packages the project needs beyond Rust and gcc, installed only when
# missing: tcpdump (the independent digest check of vectors/ and of the
# tcpmd5 tool's captures), iproute2 (the tool's live capture test), and the
# util-linux/passwd tools the conformance tests and ci/rootless.sh use
# (unshare, prlimit, setpriv, runuser, useradd).
set -euo pipefail
missing=()
command -v tcpdump >/dev/null 2>&1 || missing+=(tcpdump)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
for tool in unshare prlimit setpriv runuser; do
    command -v "$tool" >/dev/null 2>&1 || missing+=(util-linux)
done
command -v useradd >/dev/null 2>&1 || missing+=(passwd)
if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
fi
tcpdump --version 2>&1 | head -n 1

# Fuzzing (ci/fuzz.sh, ci/fuzz-coverage.sh, ci/oss-fuzz-build.sh): cargo-fuzz,
# nightly's llvm-tools (llvm-cov and llvm-profdata of rustc's own LLVM) and
# zip/unzip for the OSS-Fuzz seed corpora.
CARGO_FUZZ_VERSION=0.13.2
if ! cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^llvm-tools'; then
    rustup component add llvm-tools-preview --toolchain nightly
fi
if ! command -v zip >/dev/null 2>&1 || ! command -v unzip >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq zip unzip >/dev/null
fi
cargo fuzz --version
