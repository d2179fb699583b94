#!/usr/bin/env bash
# The fresh-machine contract: the README's test command (`cargo test
# --workspace`) passes on a machine with only Rust and a C compiler. Runs it
# with the programs ci/install-deps.sh adds hidden (a PATH of links to every
# other program), checks that it passes and that every case needing a hidden
# program was skipped with its reason printed; then that under CI=true a
# missing program fails its case instead.
set -euo pipefail
cd "$(dirname "$0")/.."

# What install-deps.sh (and the daemon tests) add on top of Rust and cc.
hidden() {
    case "$1" in
        nft | tcpdump | qemu-* | busybox | bird | birdc | bgpd | zebra | vtysh | watchfrr) return 0 ;;
        *) return 1 ;;
    esac
}

masked=$(mktemp -d)
trap 'rm -rf "$masked"' EXIT
mkdir "$masked/bin"
IFS=: read -ra dirs <<< "$PATH"
for d in "${dirs[@]}"; do
    [ -d "$d" ] || continue
    for f in "$d"/*; do
        n=${f##*/}
        if [ -f "$f" ] && [ -x "$f" ] && ! hidden "$n" && [ ! -e "$masked/bin/$n" ]; then
            ln -s "$f" "$masked/bin/$n"
        fi
    done
done
for t in nft tcpdump qemu-system-x86_64 busybox bird bgpd; do
    if PATH="$masked/bin" command -v "$t" >/dev/null; then
        echo "fresh-machine: $t is still visible" >&2
        exit 1
    fi
done
# FRR's daemons live off PATH (/usr/lib/frr); the lab looks there through
# TCPMD5_FRR_DIR, pointed here at an empty directory.
mkdir "$masked/frr"
export TCPMD5_FRR_DIR="$masked/frr"

log=target/fresh-machine.log
mkdir -p target
echo "== cargo test --workspace, without: nft tcpdump qemu-* busybox bird frr (PATH=$masked/bin)"
status=0
env -u CI PATH="$masked/bin" cargo test --workspace > "$log" 2>&1 || status=$?
grep -E '^test result:' "$log" | sort | uniq -c
if [ "$status" -ne 0 ]; then
    grep -E '^(test .* FAILED|failures:|---- )' "$log" | head -n 40 >&2 || true
    echo "fresh-machine: cargo test --workspace failed ($status) without the tools; log: $log" >&2
    exit 1
fi

# Each skipped case names its reason (an ignored trial, never a pass).
missing=0
for want in \
    'SKIP ao-bypass/nft-drops-option-29/ipv4: cannot run nft' \
    'SKIP ao-bypass/nft-drops-option-29/ipv6: cannot run nft' \
    'SKIP tcpdump_agrees: tcpdump not found'; do
    if ! grep -qF "$want" "$log"; then
        echo "fresh-machine: no line '$want' in $log" >&2
        missing=1
    fi
done
# The daemon tests' reasons name the hidden daemons, not only tcpdump.
for want in \
    'SKIP daemons_bird_frr_agree_with_the_kernel: .*needs bird .*needs bgpd ' \
    'SKIP daemons_bird_bird_agree_with_the_kernel: .*needs bird ' \
    'SKIP sockets_and_watch_with_bird_and_frr: .*needs bird .*needs bgpd '; do
    if ! grep -qE "$want" "$log"; then
        echo "fresh-machine: no line matching '$want' in $log" >&2
        missing=1
    fi
done
[ "$missing" -eq 0 ] || exit 1
echo "skipped for a hidden program, with their reasons:"
grep -E '^SKIP ' "$log" | grep -E 'cannot run|not found|needs ' | sort -u | sed 's/^/  /'

# Under CI=true the same missing programs are failures.
ci_log=target/fresh-machine-ci.log
must_fail() {
    local what=$1 pattern=$2 status=0
    shift 2
    echo "== CI=true: $what"
    CI=true PATH="$masked/bin" "$@" > "$ci_log" 2>&1 || status=$?
    if [ "$status" -eq 0 ] || ! grep -qE "$pattern" "$ci_log"; then
        echo "fresh-machine: under CI=true, $what did not fail (status $status); log: $ci_log" >&2
        exit 1
    fi
}
must_fail "a missing nft fails its case" 'cannot run nft.*CI=true' \
    cargo test -p tcpmd5-conformance --test kernel -- --exact ao-bypass/nft-drops-option-29/ipv4
must_fail "a missing tcpdump fails tcpdump_agrees" 'tcpdump not found, and CI=true' \
    cargo test -p tcpmd5 --test tcpdump
echo "fresh-machine: ok (the tests pass without the tools; under CI=true a missing one fails)"
