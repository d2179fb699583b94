#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script for tcpmd5 (run inside
# gcr.io/oss-fuzz-base/base-builder-rust, which provides $SRC, $OUT, a nightly
# toolchain, cargo-fuzz and the sanitizer flags). Nothing in this repository
# runs it; see fuzz/README.md ("OSS-Fuzz / ClusterFuzzLite").
cd "$SRC/tcpmd5/fuzz"
cargo fuzz build -O
targets="parse_packet auth_scan sign_verify key_table verdict"
for t in $targets; do
    cp "target/x86_64-unknown-linux-gnu/release/$t" "$OUT/"
    # <target>.dict next to the binary is picked up automatically.
    cp tcp_options.dict "$OUT/$t.dict"
    if [ -d "seeds/$t" ]; then
        (cd "seeds/$t" && zip -q -r "$OUT/${t}_seed_corpus.zip" .)
    fi
done
