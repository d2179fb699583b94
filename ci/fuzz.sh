#!/usr/bin/env bash
# Build every fuzz target of fuzz/ and run each for FUZZ_SECONDS (default 20;
# the nightly job uses 3600). Seeds come from fuzz/seeds/<target> (committed)
# plus vectors/**/*.json when present; libFuzzer grows fuzz/corpus/<target>
# (ignored by git). Crashes are minimized next to the originals in
# fuzz/artifacts/<target>/ and make the script exit non-zero.
#
#   FUZZ_SECONDS=60 ci/fuzz.sh                 # all targets, 60 s each
#   FUZZ_TARGETS="auth_scan verdict" ci/fuzz.sh
#   FUZZ_ARGS="-max_len=512" ci/fuzz.sh        # extra libFuzzer flags
set -euo pipefail

CARGO_FUZZ_VERSION=0.13.2
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
ALL_TARGETS="parse_packet auth_scan sign_verify key_table verdict cli_capture cli_explain_input"
FUZZ_TARGETS=${FUZZ_TARGETS:-$ALL_TARGETS}
FUZZ_ARGS=${FUZZ_ARGS:-}

root=$(cd "$(dirname "$0")/.." && pwd)
fuzz="$root/fuzz"

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    echo "fuzz.sh: a nightly toolchain is required (rustup toolchain install nightly)" >&2
    exit 2
fi
if ! cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
    echo "fuzz.sh: installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

cd "$fuzz"
echo "fuzz.sh: building all targets"
cargo +nightly fuzz build

# Working corpora: committed seeds, then seeds from the JSON vectors.
for t in $FUZZ_TARGETS; do
    mkdir -p "corpus/$t" "artifacts/$t"
    if [ -d "seeds/$t" ]; then
        cp -n "seeds/$t"/* "corpus/$t"/ 2>/dev/null || true
    fi
done
if [ -n "$(find "$root/vectors" -name '*.json' -print -quit 2>/dev/null)" ]; then
    cargo run -q --release --manifest-path seedgen/Cargo.toml -- "$fuzz/corpus" --vectors-only
fi

dict_for() {
    case "$1" in
        parse_packet | auth_scan | verdict) echo "-dict=$fuzz/tcp_options.dict" ;;
        *) echo "" ;;
    esac
}

failed=()
summary=()
for t in $FUZZ_TARGETS; do
    log="$fuzz/artifacts/$t/last-run.log"
    before=$(find "artifacts/$t" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | sort)
    echo "fuzz.sh: running $t for ${FUZZ_SECONDS}s"
    status=0
    # shellcheck disable=SC2046,SC2086
    cargo +nightly fuzz run "$t" "corpus/$t" -- \
        -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
        -max_len=4096 -print_final_stats=1 $(dict_for "$t") $FUZZ_ARGS \
        >"$log" 2>&1 || status=$?
    # The last status line: "#N  DONE  cov: C ft: F corp: ... exec/s: E ..."
    stats=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: ' | tail -n 1 || true)
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$stats")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$stats")
    execs=$(sed -nE 's/^stat::average_exec_per_sec:[[:space:]]*([0-9]+)/\1/p' "$log" | tail -n 1)
    runs=$(sed -nE 's/^stat::number_of_executed_units:[[:space:]]*([0-9]+)/\1/p' "$log" | tail -n 1)
    after=$(find "artifacts/$t" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | sort)
    new=$(comm -13 <(echo "$before") <(echo "$after") | sed '/^$/d')
    line=$(printf '%-13s execs/s %-8s runs %-10s cov %-6s ft %-6s' "$t" "${execs:-?}" "${runs:-?}" "${cov:-?}" "${ft:-?}")
    if [ "$status" -ne 0 ] || [ -n "$new" ]; then
        failed+=("$t")
        line="$line FAILED (exit $status)"
        echo "fuzz.sh: $t failed; last lines of $log:" >&2
        tail -n 40 "$log" >&2
        for a in $new; do
            case "$(basename "$a")" in
                crash-* | oom-* | leak-*)
                    echo "fuzz.sh: minimizing $a" >&2
                    cargo +nightly fuzz tmin "$t" "$a" -- -runs=10000 >"$a.tmin.log" 2>&1 || true
                    ;;
            esac
        done
    fi
    summary+=("$line")
    echo "$line"
done

echo
echo "fuzz.sh: summary (${FUZZ_SECONDS}s per target)"
printf '  %s\n' "${summary[@]}"
if [ "${#failed[@]}" -ne 0 ]; then
    echo "fuzz.sh: FAILED targets: ${failed[*]} (artifacts in fuzz/artifacts/<target>/)" >&2
    exit 1
fi
echo "fuzz.sh: no crashes"
