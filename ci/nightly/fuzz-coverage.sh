#!/usr/bin/env bash
# Line and branch coverage of the core library (src/) reached by the fuzz
# corpora: every target runs over its committed seeds (fuzz/seeds/<target>),
# the seeds taken from vectors/**/*.json, and its working corpus
# (fuzz/corpus/<target>, grown by ci/fuzz.sh) when there is one, under
# `cargo fuzz coverage`; the profiles are merged and llvm-cov reports src/.
#
# Output in fuzz/coverage/ (ignored by git): report.txt (per file), summary.json
# (llvm-cov export), html/. The table in fuzz/README.md between the
# fuzz-coverage markers is rewritten from summary.json by
# ci/py/fuzz_coverage_summary.py (FUZZ_COVERAGE_README=0 leaves it alone).
#
#   ci/nightly/fuzz-coverage.sh                    # all targets
#   FUZZ_TARGETS="verdict receiver" ci/nightly/fuzz-coverage.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
fuzz="$root/fuzz"
cd "$fuzz"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz-coverage.sh: cargo-fuzz is missing (ci/install-deps.sh installs it)" >&2
    exit 2
fi
sysroot=$(rustc +nightly --print sysroot)
host=$(rustc +nightly -vV | sed -n 's/^host: //p')
llvm_bin="$sysroot/lib/rustlib/$host/bin"
if [ ! -x "$llvm_bin/llvm-cov" ]; then
    echo "fuzz-coverage.sh: installing llvm-tools-preview for nightly"
    rustup component add llvm-tools-preview --toolchain nightly
fi
profdata="$llvm_bin/llvm-profdata"
llvm_cov="$llvm_bin/llvm-cov"

FUZZ_TARGETS=${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}
out="$fuzz/coverage"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The vector seeds, once for all targets.
cargo run -q --release --manifest-path seedgen/Cargo.toml -- "$work/vectors" --vectors-only

# Branch coverage needs -Zcoverage-options=branch at build time; cargo fuzz
# adds its own flags to RUSTFLAGS.
export RUSTFLAGS="${RUSTFLAGS:-} -Zcoverage-options=branch"
objects=()
profiles=()
for t in $FUZZ_TARGETS; do
    dirs=()
    for d in "seeds/$t" "corpus/$t" "$work/vectors/$t"; do
        if [ -d "$d" ] && [ -n "$(ls -A "$d")" ]; then dirs+=("$d"); fi
    done
    inputs=$(find "${dirs[@]}" -type f | wc -l)
    echo "fuzz-coverage.sh: $t over $inputs inputs (${dirs[*]})"
    rm -rf "coverage/$t"
    cargo +nightly fuzz coverage "$t" "${dirs[@]}" >"$work/$t.log" 2>&1 || {
        echo "fuzz-coverage.sh: cargo fuzz coverage $t failed:" >&2
        tail -n 30 "$work/$t.log" >&2
        exit 1
    }
    profiles+=("coverage/$t/coverage.profdata")
    objects+=(-object "target/$host/coverage/$host/release/$t")
    echo "$t $inputs" >>"$work/inputs.txt"
done

mkdir -p "$out"
"$profdata" merge -sparse "${profiles[@]}" -o "$out/all.profdata"
# The first -object is positional for llvm-cov; the rest stay options.
first=${objects[1]}
rest=("${objects[@]:2}")
cov_args=(-instr-profile="$out/all.profdata" "$first" "${rest[@]}")
"$llvm_cov" report "${cov_args[@]}" -show-branch-summary "$root/src" >"$out/report.txt"
"$llvm_cov" export -format=text -summary-only "${cov_args[@]}" "$root/src" >"$out/summary.json"
"$llvm_cov" export -format=lcov "${cov_args[@]}" "$root/src" >"$out/lcov.info"
rm -rf "$out/html"
"$llvm_cov" show -format=html -show-branches=count -output-dir="$out/html" "${cov_args[@]}" "$root/src"
cp "$work/inputs.txt" "$out/inputs.txt"
cat "$out/report.txt"

if [ "${FUZZ_COVERAGE_README:-1}" = 1 ]; then
    python3 "$root/ci/py/fuzz_coverage_summary.py" "$out" "$root"
fi
