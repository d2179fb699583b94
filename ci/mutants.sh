#!/usr/bin/env bash
# Mutation testing of the reference implementation (`src/`, crate tcpmd5)
# and of md5-lanes with cargo-mutants: every mutant that is not listed as
# equivalent in .cargo/mutants.toml must be caught by the crate's own tests
# (no privilege, no particular kernel). Fails when a mutant is missed; a
# mutant that times out hangs the tests, which counts as caught.
#
#   ci/mutants.sh --in-diff [BASE]   mutants in the lines changed since BASE
#                                    (default origin/main, else main): the
#                                    CI step, minutes for a typical change
#   ci/mutants.sh --full             every mutant of src/ and md5-lanes/
#                                    (nightly: about 1,260 mutants, hours on
#                                    2 cores)
#   ci/mutants.sh --file GLOB...     the mutants of these files only; each
#                                    set of GLOBs keeps its own results
#                                    (target/mutants/file/<GLOBs>), so that
#                                    runs of different files add up
#   ci/mutants.sh --retest           the mutants a MUTANTS_TESTS=lib --file
#                                    run missed, judged again by all the
#                                    tests (results beside that run's, in
#                                    its directory's name + "+retest", which
#                                    --figure counts as the later outcome);
#                                    fails if a missed mutant can no longer
#                                    be found by its name
#   ci/mutants.sh --figure           no run: the figure over the results
#                                    kept here (the --full run's, or the
#                                    union of the --file runs', each
#                                    mutant's latest outcome, and only the
#                                    mutants the scope has now)
#   ci/mutants.sh --live [REGEX]     the live suite's power: the model's
#                                    mutants on this kernel's decision path
#                                    (REGEX over their names; default: the
#                                    >= 6.7 scan, the check, receivers,
#                                    resets, TIME-WAIT, witnesses) against
#                                    the conformance cases on this machine's
#                                    kernel (`cargo test -p
#                                    tcpmd5-conformance --test kernel`, root);
#                                    a missed mutant is one the live suite
#                                    does not notice. Slow: minutes a mutant.
#
# With MUTANTS_README=1 the figure (caught / equivalent / unviable / timeout
# / missed, and the scope) replaces the `mutants` region of docs/mutants.md; the
# nightly run does this (--full), and so does --figure after --file runs.
# With MUTANTS_TESTS=lib (--file only) a mutant is judged by the crate's
# unit tests alone (one test binary to link instead of a dozen: a quick
# first pass; what they miss may still be caught by the integration tests,
# so a run without it has the last word).
#
# Each mutant is built and tested in a copy of the tree (-j 1: one build at
# a time; CARGO_TARGET_DIR, outside the copies, keeps their builds
# incremental); results go to target/mutants/<mode>/mutants.out
# (outcomes.json, missed.txt, ...).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:---in-diff}
shift || true
if [ "$mode" = --in-diff ]; then
    # CI: reuse the dependencies ci/check.sh's `cargo test` built.
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
else
    # Long runs: a build directory of their own, without debug info
    # (mutants are judged by test results, and linking is faster).
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target/mutants-build}
    export CARGO_PROFILE_DEV_DEBUG=0
fi
out=target/mutants/${mode#--}
if [ "$mode" = --file ]; then
    out=$out/$(printf '%s+' "$@" | tr -c 'A-Za-z0-9.+\n-' _)
fi
mkdir -p "$out"
common=(-j 1 --timeout "${MUTANTS_TIMEOUT:-60}" --output "$out")
# The tests spend most of their time in md5-lanes and md-5 unoptimised
# (tests/batch.rs: 8 s of 14 s); optimising the dependencies (and
# md5-lanes) cuts a test run to 4 s. The mutated crate keeps its debug
# assertions and overflow checks, so a mutant fails the same tests.
optimised=(--cargo-arg=--config=profile.dev.package.md5-lanes.opt-level=3
           "--cargo-arg=--config=profile.dev.package.\"*\".opt-level=3")
if [ "$mode" = --full ] || [ "$mode" = --file ]; then
    common+=("${optimised[@]}")
fi

case "$mode" in
    --in-diff)
        base=${1:-}
        if [ -z "$base" ]; then
            for ref in origin/main main; do
                if git rev-parse --verify -q "$ref" >/dev/null; then
                    base=$ref
                    break
                fi
            done
        fi
        if [ -z "$base" ]; then
            echo "SKIP mutants --in-diff: no base to diff against (origin/main, main) in this clone"
            exit 0
        fi
        git diff "$(git merge-base "$base" HEAD)" -- src md5-lanes/src >"$out/changes.diff"
        if [ ! -s "$out/changes.diff" ]; then
            echo "mutants: no change to src/ or md5-lanes/src since $base"
            exit 0
        fi
        scope=(--in-diff "$out/changes.diff")
        what="the lines changed since $base"
        ;;
    --full)
        scope=()
        what="src/ and md5-lanes/src/"
        ;;
    --file)
        [ "$#" -gt 0 ] || { echo "usage: $0 --file GLOB..." >&2; exit 2; }
        scope=()
        for f in "$@"; do scope+=(--file "$f"); done
        what="$*"
        printf '%s\n' "$@" >"$out/globs"
        if [ "${MUTANTS_TESTS:-all}" = lib ]; then
            common+=(--cargo-arg=--lib)
            echo lib >"$out/tests"
        else
            rm -f "$out/tests"
        fi
        ;;
    --retest)
        # Each lib-only run's missed mutants, by their exact names (with
        # line and column: a file edited since the first pass has to be run
        # again first), into a directory of its own: the same files, all the
        # tests.
        status=0 retested=0
        for first in target/mutants/file/*/; do
            first=${first%/}
            missed=$first/mutants.out/missed.txt
            if [ ! -f "$first/tests" ] || [ ! -s "$missed" ]; then
                continue
            fi
            again=$first+retest
            mkdir -p "$again"
            cp "$first/globs" "$again/globs"
            rm -f "$again/tests"
            res=() globs=()
            while read -r name; do
                res+=(--re "^$(printf '%s' "$name" | sed 's/[][\\.^$*+?(){}|]/\\&/g')\$")
            done <"$missed"
            while read -r g; do globs+=(--file "$g"); done <"$first/globs"
            files=$(paste -sd' ' "$first/globs")
            cargo mutants --list -p tcpmd5 -p md5-lanes "${globs[@]}" "${res[@]}" | sort >"$again/listed"
            gone=$(sort "$missed" | comm -23 - "$again/listed" | wc -l)
            if [ "$gone" -gt 0 ]; then
                echo "mutants: $gone of the unit tests' misses in $files no longer exist under those names (the file changed since): run its first pass again" >&2
                status=1
                continue
            fi
            # cargo-mutants applies --re to no struct-field deletion, so
            # those of these files are judged again too (once caught, they
            # can only be caught again).
            echo "mutants: $(wc -l <"$missed") missed by the unit tests of $files, judged by all the tests ($(wc -l <"$again/listed") listed)"
            retested=$((retested + 1))
            s=0
            cargo mutants -j 1 --timeout "${MUTANTS_TIMEOUT:-60}" --output "$again" \
                "${optimised[@]}" -p tcpmd5 -p md5-lanes "${globs[@]}" "${res[@]}" || s=$?
            case "$s" in 0 | 2 | 3) ;; *) status=$s ;; esac
            if [ -f "$again/mutants.out/outcomes.json" ]; then
                python3 ci/py/mutants_figure.py "$again/mutants.out/outcomes.json" \
                    --equivalent 0 --scope "the unit tests' misses in $files" || status=1
            else
                echo "mutants: the retest of $files left no outcomes" >&2
                status=1
            fi
        done
        if [ "$retested" -eq 0 ]; then
            echo "mutants: no unit-tests-only pass has a missed mutant to judge again"
        fi
        exit "$status"
        ;;
    --figure)
        # Oldest first: a mutant tested again later counts with its latest
        # outcome.
        runs=() scope=() globs=() lib_only=() retested=()
        while read -r outcomes; do
            runs+=("$outcomes")
            dir=${outcomes%/mutants.out/outcomes.json}
            if [ "$dir" = target/mutants/full ]; then
                continue
            fi
            while read -r g; do
                globs+=("$g")
                scope+=(--file "$g")
            done <"$dir/globs"
            if [ -f "$dir/tests" ]; then
                while read -r g; do lib_only+=("$g"); done <"$dir/globs"
                if [ "$dir+retest/mutants.out/outcomes.json" -nt "$dir/mutants.out/outcomes.json" ]; then
                    while read -r g; do retested+=("$g"); done <"$dir/globs"
                fi
            fi
        done < <(ls -tr target/mutants/full/mutants.out/outcomes.json \
                     target/mutants/file/*/mutants.out/outcomes.json 2>/dev/null)
        if [ "${#runs[@]}" -eq 0 ]; then
            echo "mutants: no --full or --file results under target/mutants"
            exit 1
        fi
        sorted() { printf '%s\n' "$@" | sort -u | paste -sd' '; }
        if [ -f target/mutants/full/mutants.out/outcomes.json ] ||
               [ "$(cargo mutants --list -p tcpmd5 -p md5-lanes | wc -l)" -eq \
                 "$(cargo mutants --list -p tcpmd5 -p md5-lanes "${scope[@]}" | wc -l)" ]; then
            # The --file runs add up to every file with mutants.
            scope=()
            what="all of src/ and md5-lanes/src/"
        else
            what=$(sorted "${globs[@]}")
        fi
        if [ "${#lib_only[@]}" -gt 0 ]; then
            lib_scope=()
            for g in "${lib_only[@]}"; do lib_scope+=(--file "$g"); done
            lib_files=$(sorted "${lib_only[@]}")
            if [ "$(cargo mutants --list -p tcpmd5 | wc -l)" -eq \
                 "$(cargo mutants --list -p tcpmd5 "${lib_scope[@]}" | wc -l)" ]; then
                lib_files="all of src/"
            fi
            what="$what; those of $lib_files judged by the unit tests alone"
            if [ "${#retested[@]}" -gt 0 ]; then
                what="$what, and what they missed in $(sorted "${retested[@]}") by all the tests"
            fi
        fi
        ;;
    --live)
        default='in (scan_linux|option_len|md5_at|decide|verify_segment|packet_verdict|packet_verdict_with|receiver_verdict|carries_ao|closed_port_reset|reset_listener_port|listener_reset|timewait_action|tcp_in_window|DropReason::(counter|tracepoint|kernel_name))$'
        # cargo-mutants builds the mutated crate; the conformance package
        # is built in the test phase, so its timeout covers that build too
        # (on a busy 2-core machine, more than 10 minutes).
        scope=(--file 'src/scan.rs' --file 'src/verdict/*.rs' -F "${1:-$default}"
               --cargo-test-arg=--package=tcpmd5-conformance --cargo-test-arg=--test=kernel)
        common=(-j 1 --timeout "${MUTANTS_TIMEOUT:-1800}" --output "$out")
        what="the model's decision path on $(uname -r), judged by the live suite"
        ;;
    *)
        echo "usage: $0 [--in-diff [BASE] | --full | --file GLOB... | --retest | --figure | --live [REGEX]]" >&2
        exit 2
        ;;
esac

listed() { cargo mutants --list -p tcpmd5 -p md5-lanes "${scope[@]}" "$@" | wc -l; }
figure() {
    # Equivalent mutants: those of the scope that .cargo/mutants.toml excludes.
    local equivalent=$(( $(listed --no-config) - $(listed) ))
    cargo mutants --list -p tcpmd5 -p md5-lanes "${scope[@]}" >"$out/current"
    local args=(--equivalent "$equivalent" --scope "$what" --current "$out/current")
    if [ "${MUTANTS_README:-0}" = 1 ]; then
        args+=(--readme docs/mutants.md)
    fi
    python3 ci/py/mutants_figure.py "$@" "${args[@]}"
}
if [ "$mode" = --figure ]; then
    figure "${runs[@]}"
    exit
fi
if [ "$(listed)" -eq 0 ]; then
    echo "mutants: none in $what"
    exit 0
fi
status=0
start=$(date +%s)
cargo mutants "${common[@]}" -p tcpmd5 -p md5-lanes "${scope[@]}" || status=$?
echo "mutants: $(( $(date +%s) - start )) s"
figure "$out/mutants.out/outcomes.json"
# cargo-mutants exits 2 for missed mutants and 3 for timeouts (hangs the
# tests catch); anything else but 0 is a broken run.
case "$status" in
    0 | 3) exit 0 ;;
    *) exit "$status" ;;
esac
