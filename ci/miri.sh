#!/usr/bin/env bash
# The scalar and portable paths under Miri (undefined behaviour, out-of-bounds
# access, uninitialised reads): md5-lanes' scheduler and scalar kernel (Miri
# cannot run the AVX kernels; under cfg(miri) the crate has only the scalar
# one), and the core library with the portable md-5 (no `asm` feature: Miri
# runs no foreign code). Tests that hash thousands of messages or run
# hundreds of property cases take hours under Miri and are skipped here;
# `cargo test` runs them natively. Needs nightly's miri and rust-src
# components (ci/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# Isolation off: proptest and the vector tests read files.
export MIRIFLAGS="${MIRIFLAGS:--Zmiri-disable-isolation}"
export PROPTEST_DISABLE_FAILURE_PERSISTENCE=1

start=$SECONDS
echo "== miri: md5-lanes (scheduler, scalar kernel)"
cargo +nightly miri test -p md5-lanes --lib --test agree -- \
    --skip every_length_to_300_in_one_batch \
    --skip random_batches_agree

echo "== miri: tcpmd5 unit tests (portable md-5)"
cargo +nightly miri test -p tcpmd5 --no-default-features --lib

echo "== miri: $((SECONDS - start)) s"
