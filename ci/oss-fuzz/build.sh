#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script for tcpmd5, run by the base image's
# `compile` inside gcr.io/oss-fuzz-base/base-builder-rust (which sets $SRC,
# $OUT, $WORK, $SANITIZER, RUSTFLAGS and provides nightly and cargo-fuzz).
# ci/nightly/oss-fuzz-build.sh runs it the same way outside Docker and checks $OUT.
#
# Per target (`cargo fuzz list`): the binary, <target>.dict (fuzz/<target>.dict
# or fuzz/tcp_options.dict; libFuzzer picks up a dictionary named after the
# binary) and <target>_seed_corpus.zip from
# fuzz/seeds/<target>.
#
# Targets named kernel_* inject into the live kernel through network
# namespaces, which OSS-Fuzz's runners do not grant (they would only print
# why and test nothing): they are not shipped.
cd "$SRC/tcpmd5/fuzz"
cargo fuzz build -O --debug-assertions
target_triple=${CARGO_BUILD_TARGET:-x86_64-unknown-linux-gnu}
for t in $(cargo fuzz list); do
    case "$t" in kernel_*) continue ;; esac
    cp "target/$target_triple/release/$t" "$OUT/"
    if [ -f "$t.dict" ]; then cp "$t.dict" "$OUT/$t.dict"; else cp tcp_options.dict "$OUT/$t.dict"; fi
    if [ -d "seeds/$t" ]; then
        rm -f "$OUT/${t}_seed_corpus.zip"
        (cd "seeds/$t" && zip -q -r "$OUT/${t}_seed_corpus.zip" .)
    fi
done
