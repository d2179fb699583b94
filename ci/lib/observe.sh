# What ci/regen/observe-layouts.sh and ci/regen/observe-decisions.sh share,
# sourced by both: their arguments (--kernel SPEC, --semantics ID), the
# suite's run on this kernel or on another booted in qemu, the recording of
# its JSON report, and the rule that a failed case is recorded but stops the
# regeneration (the kernel wins: fix the model). Call
#   observe RECORDER... -- SUITE_ARG... -- SCRIPT_ARG...
# RECORDER reads the report on stdin and takes the suite command as its
# last argument.
observe() {
    local recorder=() suite=() kernel= semantics=()
    while [ "$1" != -- ]; do recorder+=("$1"); shift; done
    shift
    while [ "$1" != -- ]; do suite+=("$1"); shift; done
    shift
    while [ $# -gt 0 ]; do
        case "$1" in
            --kernel) [ -n "${2:-}" ] || observe_usage; kernel=$2; shift ;;
            --semantics) [ -n "${2:-}" ] || observe_usage; semantics=(--semantics "$2"); shift ;;
            *) observe_usage ;;
        esac
        shift
    done
    cargo build --release -p tcpmd5-conformance
    local bin=target/release/tcpmd5-conformance cmd tmp status=0
    suite+=(--format json "${semantics[@]}")
    if [ -n "$kernel" ]; then
        cmd=(vm --kernel "$kernel" "${suite[@]}")
    else
        cmd=("${suite[@]}")
    fi
    tmp=$(mktemp)
    "$bin" "${cmd[@]}" >"$tmp" || status=$?
    if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
        rm -f "$tmp"
        echo "tcpmd5-conformance ${cmd[*]}: exit status $status" >&2
        exit "$status"
    fi
    if [ ! -s "$tmp" ]; then
        rm -f "$tmp"
        echo "tcpmd5-conformance ${cmd[*]}: exit status $status and no report; nothing recorded" >&2
        exit 1
    fi
    "${recorder[@]}" "tcpmd5-conformance ${cmd[*]}" <"$tmp"
    rm -f "$tmp"
    if [ "$status" -ne 0 ]; then
        echo "tcpmd5-conformance ${cmd[*]}: cases failed; recorded, and no vector is regenerated from this run" >&2
        exit 1
    fi
    if [ "${OBSERVE_NO_REGEN:-0}" != 1 ]; then
        cargo test -p tcpmd5 --test vectors -- --ignored regenerate
    fi
}

observe_usage() {
    echo "usage: $0 [--kernel SPEC] [--semantics ID]" >&2
    exit 2
}
