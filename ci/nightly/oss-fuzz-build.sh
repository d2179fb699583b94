#!/usr/bin/env bash
# Runs ci/oss-fuzz/build.sh the way OSS-Fuzz's `compile` does in
# base-builder-rust, without Docker: a fresh $SRC with the repository copied
# to $SRC/tcpmd5 (as the Dockerfile's COPY), empty $OUT and $WORK, the
# environment the base images set (SANITIZER=address, FUZZING_ENGINE=
# libfuzzer, FUZZING_LANGUAGE=rust, ARCHITECTURE=x86_64, CARGO_BUILD_TARGET,
# RUSTFLAGS as `compile` exports them for Rust), then `bash -eux
# $SRC/build.sh`. Then checks $OUT: every target of `cargo fuzz list` has its
# binary, <target>.dict and a non-empty <target>_seed_corpus.zip holding
# every committed seed, and each binary runs its own seed corpus once
# (-runs=0 replays the corpus), as OSS-Fuzz's build check runs each fuzzer.
# Targets named kernel_* (the live-kernel differential) need network
# namespaces, which OSS-Fuzz does not grant: build.sh leaves them out and
# this script checks they stay out.
#
# ClusterFuzzLite uses the same image, the same `compile` and the same
# build.sh (from .clusterfuzzlite/ instead of the project directory), so the
# same $OUT layout is checked for both.
#
# Differences from the real image, printed at the end: the linker is the
# system cc (the image sets clang) and libfuzzer-sys compiles its own
# libFuzzer (the image points CUSTOM_LIBFUZZER_PATH at its prebuilt one).
#
#   ci/nightly/oss-fuzz-build.sh            # KEEP=1 keeps $SRC/$OUT/$WORK
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
base=$(mktemp -d)
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$base"' EXIT; fi

export SRC=$base/src OUT=$base/out WORK=$base/work
mkdir -p "$SRC/tcpmd5" "$OUT" "$WORK"
# COPY . $SRC/tcpmd5 (tracked and modified files; build output stays out).
(cd "$root" && git ls-files -z --cached --others --exclude-standard) |
    (cd "$root" && tar --null -T - -cf -) | tar -xf - -C "$SRC/tcpmd5"
cp "$root/ci/oss-fuzz/build.sh" "$SRC/build.sh"

export SANITIZER=address FUZZING_ENGINE=libfuzzer FUZZING_LANGUAGE=rust ARCHITECTURE=x86_64
export CARGO_BUILD_TARGET=x86_64-unknown-linux-gnu
export RUSTUP_TOOLCHAIN=${RUSTUP_TOOLCHAIN:-nightly}
# `compile`: Rust takes sanitizer and coverage flags through RUSTFLAGS.
export RUSTFLAGS="--cfg fuzzing -Zsanitizer=${SANITIZER} -Cdebuginfo=1 -Cforce-frame-pointers"

echo "oss-fuzz-build: SRC=$SRC OUT=$OUT WORK=$WORK"
echo "oss-fuzz-build: RUSTFLAGS=$RUSTFLAGS"
start=$(date +%s)
(cd "$SRC" && bash -eux "$SRC/build.sh")
echo "oss-fuzz-build: build.sh took $(($(date +%s) - start)) s"

fail=0
# kernel_* targets need network namespaces and are not shipped (build.sh).
targets=$(cd "$SRC/tcpmd5/fuzz" && cargo fuzz list | grep -v '^kernel_')
printf '%-20s %-8s %-6s %-10s %s\n' target binary dict "zip seeds" "replay"
for t in $targets; do
    bin=ok dict=ok zipped=0 replay=ok
    [ -x "$OUT/$t" ] || { bin=MISSING; fail=1; }
    [ -s "$OUT/$t.dict" ] || { dict=MISSING; fail=1; }
    committed=$(find "$SRC/tcpmd5/fuzz/seeds/$t" -type f 2>/dev/null | wc -l)
    if [ -f "$OUT/${t}_seed_corpus.zip" ]; then
        zipped=$(unzip -Z1 "$OUT/${t}_seed_corpus.zip" | grep -vc '/$' || true)
    fi
    if [ "$zipped" -eq 0 ] || [ "$zipped" -ne "$committed" ]; then fail=1; fi
    if [ "$bin" = ok ]; then
        corpus="$WORK/replay-$t"
        mkdir -p "$corpus"
        unzip -q -o "$OUT/${t}_seed_corpus.zip" -d "$corpus"
        if ! "$OUT/$t" -runs=0 -dict="$OUT/$t.dict" "$corpus" >"$WORK/$t.replay.log" 2>&1; then
            replay=FAILED
            fail=1
            tail -n 20 "$WORK/$t.replay.log" >&2
        fi
    fi
    printf '%-20s %-8s %-6s %-10s %s\n' "$t" "$bin" "$dict" "$zipped/$committed" "$replay"
done
for t in $(cd "$SRC/tcpmd5/fuzz" && cargo fuzz list | grep '^kernel_' || true); do
    if [ -e "$OUT/$t" ]; then
        echo "oss-fuzz-build: $t needs network namespaces and must not be in \$OUT" >&2
        fail=1
    fi
done
echo "oss-fuzz-build: not emulated: clang as linker, OSS-Fuzz's prebuilt libFuzzer (CUSTOM_LIBFUZZER_PATH)"
if [ "$fail" -ne 0 ]; then
    echo "oss-fuzz-build: FAILED" >&2
    exit 1
fi
echo "oss-fuzz-build: every target's binary, dictionary and seed corpus is in \$OUT"
