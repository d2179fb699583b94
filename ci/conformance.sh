#!/usr/bin/env bash
# The main job: every conformance case against this machine's kernel, with
# the human report, then the same run as KTAP and JUnit; fails on any
# failure, on a run where nothing ran, or on anything the run left behind
# (namespaces, fds, threads, trace instances, tracefs mounts). Then the
# rootless paths, as an unprivileged user.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release -p tcpmd5-conformance
bin=target/release/tcpmd5-conformance
"$bin" --check-leftovers
"$bin" --format ktap > target/conformance.ktap
tail -n 1 target/conformance.ktap
"$bin" --format junit > target/conformance.junit.xml
ci/rootless.sh
