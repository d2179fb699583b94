#!/usr/bin/env bash
# Build every fuzz target of fuzz/ (`cargo fuzz list`), run each for
# FUZZ_SECONDS, merge what it found back into its working corpus minimised
# (`cargo fuzz cmin`), and print one summary table: target, execs, execs/s,
# coverage edges, new corpus entries, crashes. Exits 1 if any target crashed,
# timed out or ran out of memory.
#
# Seeds: fuzz/seeds/<target> (committed) plus the seeds seedgen takes from
# vectors/**/*.json; the working corpus fuzz/corpus/<target> (ignored by git)
# keeps growing from run to run. Crashes are minimised next to the originals
# in fuzz/artifacts/<target>/ (`cargo fuzz tmin`).
#
#   ci/fuzz.sh                                 # CI smoke: 20 s per target
#   FUZZ_SECONDS=3600 ci/fuzz.sh               # nightly
#   FUZZ_TARGETS="auth_scan verdict" ci/fuzz.sh
#   FUZZ_JOBS=1 ci/fuzz.sh                     # one target at a time
#   FUZZ_ARGS="-max_len=512" ci/fuzz.sh        # extra libFuzzer flags
#   FUZZ_SAVE_SEEDS=1 ci/fuzz.sh               # merge new coverage into fuzz/seeds
#   FUZZ_README=1 ci/fuzz.sh                   # record the rows in fuzz/README.md
#
# kernel_differential injects every input into the live kernel inside
# network namespaces: it needs root or unprivileged user namespaces, else it
# prints why once and tests nothing (its row then says SKIPPED, never ok).
set -euo pipefail

# The whole script is one function, read before it runs: editing this file
# while a long run is under way does not change that run.
main() {

CARGO_FUZZ_VERSION=0.13.2
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
FUZZ_ARGS=${FUZZ_ARGS:-}
# Targets run side by side, FUZZ_JOBS at a time (default: one per core, at
# most 2), so the CI smoke stays short.
FUZZ_JOBS=${FUZZ_JOBS:-$(($(nproc) < 2 ? 1 : 2))}

root=$(cd "$(dirname "$0")/.." && pwd)
fuzz="$root/fuzz"

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    echo "fuzz.sh: a nightly toolchain is required (rustup toolchain install nightly)" >&2
    exit 2
fi
if ! cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
    echo "fuzz.sh: installing cargo-fuzz $CARGO_FUZZ_VERSION (ci/install-deps.sh does this in CI)"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

cd "$fuzz"
FUZZ_TARGETS=${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}
echo "fuzz.sh: building all targets"
cargo +nightly fuzz build >/dev/null

# The kernel_* targets rootless: run as root with the CI's unprivileged user
# present (ci/rootless.sh creates it), each must get its namespaces through a
# user namespace of its own, not skip.
ci_user=${TCPMD5_CI_USER:-tcpmd5-ci}
if [ "$(id -u)" = 0 ] && id "$ci_user" >/dev/null 2>&1; then
    for t in $FUZZ_TARGETS; do
        case "$t" in kernel_*) ;; *) continue ;; esac
        # The checkout may sit where the user cannot read (/root): run a copy.
        dir=$(mktemp -d)
        chmod 755 "$dir"
        cp "target/x86_64-unknown-linux-gnu/release/$t" "$dir/"
        if ! (cd "$dir" && runuser -u "$ci_user" -- "./$t" -runs=64 -len_control=0 -seed=1) >"$dir/log" 2>&1 ||
            grep -q 'SKIP' "$dir/log" || ! grep -q "^$t: kernel " "$dir/log"; then
            echo "fuzz.sh: $t did not run rootless as $ci_user:" >&2
            tail -n 20 "$dir/log" >&2
            rm -rf "$dir"
            exit 1
        fi
        echo "fuzz.sh: $t runs rootless as $ci_user ($(grep -m1 "^$t: kernel " "$dir/log"))"
        rm -rf "$dir"
    done
fi

# Working corpora: committed seeds, then seeds from the JSON vectors.
for t in $FUZZ_TARGETS; do
    mkdir -p "corpus/$t" "artifacts/$t"
    if [ -d "seeds/$t" ]; then
        cp -n "seeds/$t"/* "corpus/$t"/ 2>/dev/null || true
    fi
done
if [ -n "$(find "$root/vectors" -name '*.json' -print -quit 2>/dev/null)" ]; then
    cargo run -q --release --manifest-path seedgen/Cargo.toml -- "$fuzz/corpus" --vectors-only >/dev/null
fi

# A target's own dictionary fuzz/<target>.dict, else the TCP one (its tokens
# also land in the byte fields of the structured targets' inputs).
dict_for() {
    if [ -f "$fuzz/$1.dict" ]; then echo "-dict=$fuzz/$1.dict"; else echo "-dict=$fuzz/tcp_options.dict"; fi
}

# Inputs up to 4 KiB (a packet with room to spare); whole vector files for
# vector_json.
max_len_for() {
    case "$1" in
        vector_json) echo 524288 ;;
        *) echo 4096 ;;
    esac
}

# Per-target libFuzzer flags. kernel_* targets run tens of inputs a second
# (each is a kernel exchange), too few for libFuzzer's slow growth of input
# lengths from 4 bytes (-len_control): they get the whole length at once.
flags_for() {
    case "$1" in
        # The kernel targets keep their labs in global state on purpose:
        # libFuzzer's leak check would run nearly every input twice and
        # scan the whole heap (22 execs/s until it gives up by itself).
        kernel_*) echo "-len_control=0 -detect_leaks=0" ;;
    esac
}

content_hashes() {
    find "$1" -maxdepth 1 -type f -exec sha1sum {} + 2>/dev/null | cut -d' ' -f1 | sort -u
}

findings() {
    find "artifacts/$1" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | sort
}

# Runs one target; writes artifacts/<t>/last-run.log and a one-line result
# artifacts/<t>/last-run.tsv: target execs execs/s cov new crashes status.
run_target() {
    local t=$1 log="$fuzz/artifacts/$1/last-run.log" status=0
    local before_findings before_corpus
    before_findings=$(findings "$t")
    before_corpus=$(content_hashes "corpus/$t")
    # shellcheck disable=SC2046,SC2086
    cargo +nightly fuzz run "$t" "corpus/$t" -- \
        -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
        -max_len="$(max_len_for "$t")" -print_final_stats=1 $(dict_for "$t") $(flags_for "$t") $FUZZ_ARGS \
        >"$log" 2>&1 || status=$?
    # Minimise the grown corpus in place (libFuzzer -merge=1 into a fresh
    # directory), so it carries only inputs that add coverage.
    cargo +nightly fuzz cmin "$t" "corpus/$t" >"$log.cmin" 2>&1 || status=$((status ? status : 3))
    # FUZZ_SAVE_SEEDS=1: merge into the committed seeds what adds coverage
    # to them (inputs of at most 4 KiB, named by content).
    if [ "${FUZZ_SAVE_SEEDS:-0}" = 1 ]; then
        mkdir -p "seeds/$t"
        cargo +nightly fuzz run "$t" "seeds/$t" "corpus/$t" -- -merge=1 -max_len=4096 \
            >"$log.save" 2>&1 || status=$((status ? status : 4))
    fi
    local stats cov execs rate new found
    stats=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: ' | tail -n 1 || true)
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$stats")
    execs=$(sed -nE 's/^stat::number_of_executed_units:[[:space:]]*([0-9]+)/\1/p' "$log" | tail -n 1)
    rate=$(sed -nE 's/^stat::average_exec_per_sec:[[:space:]]*([0-9]+)/\1/p' "$log" | tail -n 1)
    new=$(comm -13 <(echo "$before_corpus") <(content_hashes "corpus/$t") | sed '/^$/d' | wc -l)
    found=$(comm -13 <(echo "$before_findings") <(findings "$t") | sed '/^$/d')
    for a in $found; do
        case "$(basename "$a")" in
            crash-* | oom-* | leak-*)
                cargo +nightly fuzz tmin "$t" "$a" -- -runs=10000 >"$a.tmin.log" 2>&1 || true
                ;;
        esac
    done
    # A target that could not test anything here says so in its log.
    if [ "$status" = 0 ] && grep -q 'SKIP (nothing is tested)' "$log"; then status=skip; fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$new" \
        "$(sed '/^$/d' <<<"$found" | wc -l)" "$status" >"$fuzz/artifacts/$t/last-run.tsv"
}
export -f run_target content_hashes findings dict_for max_len_for flags_for
export fuzz FUZZ_SECONDS FUZZ_ARGS FUZZ_SAVE_SEEDS

echo "fuzz.sh: running $(wc -w <<<"$FUZZ_TARGETS") targets for ${FUZZ_SECONDS}s each, $FUZZ_JOBS at a time"
# shellcheck disable=SC2086
printf '%s\n' $FUZZ_TARGETS | xargs -P "$FUZZ_JOBS" -I{} bash -c 'run_target "$1"' _ {}

echo
printf '%-20s %12s %9s %9s %12s %8s  %s\n' target execs execs/s "cov edges" "new corpus" crashes result
failed=()
for t in $FUZZ_TARGETS; do
    IFS=$'\t' read -r name execs rate cov new crashes status <"artifacts/$t/last-run.tsv"
    result=ok
    if [ "$status" = skip ]; then
        result="SKIPPED ($(grep -m1 -o 'SKIP (nothing is tested): .*' "artifacts/$t/last-run.log" | cut -d: -f2- | cut -c2-))"
    elif [ "$status" != 0 ] || [ "$crashes" != 0 ]; then
        result="FAILED (exit $status; log fuzz/artifacts/$t/last-run.log)"
        failed+=("$t")
    fi
    printf '%-20s %12s %9s %9s %12s %8s  %s\n' "$name" "$execs" "$rate" "$cov" "$new" "$crashes" "$result"
done
echo "(${FUZZ_SECONDS}s per target; new corpus = inputs kept after cmin that were not in the corpus before)"
if [ "${FUZZ_README:-0}" = 1 ]; then
    # shellcheck disable=SC2086
    python3 "$root/ci/py/fuzz_run_summary.py" $FUZZ_TARGETS
fi
if [ "${#failed[@]}" -ne 0 ]; then
    for t in "${failed[@]}"; do
        echo "fuzz.sh: $t: last lines of fuzz/artifacts/$t/last-run.log" >&2
        tail -n 30 "artifacts/$t/last-run.log" >&2
    done
    echo "fuzz.sh: FAILED targets: ${failed[*]} (artifacts in fuzz/artifacts/<target>/)" >&2
    exit 1
fi
echo "fuzz.sh: no crashes"
}

main "$@"
