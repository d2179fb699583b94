#!/usr/bin/env bash
# The rootless paths, run as an unprivileged user (created if missing): the
# harness and leftovers tests and the conformance cases (each test binary
# makes its own user namespace before any thread exists), then the main job.
# Fails if any of them skipped instead of running.
set -euo pipefail
cd "$(dirname "$0")/.."

user=${TCPMD5_CI_USER:-tcpmd5-ci}
if ! id "$user" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
fi

cargo build --release -p tcpmd5-conformance
tests=$(cargo test -p tcpmd5-conformance --no-run --message-format=json 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") \
            and m["target"]["name"] in ("harness", "leftovers", "kernel"):
        print(m["target"]["name"], m["executable"])
')
# The checkout may sit where the user cannot read (/root): run copies.
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
cp target/release/tcpmd5-conformance "$dir/"
while read -r name exe; do
    cp "$exe" "$dir/$name"
done <<<"$tests"

status=0
for name in harness leftovers kernel; do
    echo "== $name, as $user"
    if ! (cd "$dir" && runuser -u "$user" -- "./$name") >"$dir/$name.log" 2>&1; then
        status=1
    fi
    tail -n 3 "$dir/$name.log"
    # Skips for a kernel feature (VRF) are fine; for privilege they are not.
    if grep -E 'no privilege for network namespaces|no namespaces here' "$dir/$name.log" ||
        { [ "$name" != kernel ] && grep -E '^SKIP|[1-9][0-9]* ignored' "$dir/$name.log"; }; then
        echo "$name: skipped as $user instead of running rootless"
        status=1
    fi
done
echo "== tcpmd5-conformance, as $user"
if ! (cd "$dir" && runuser -u "$user" -- ./tcpmd5-conformance --check-leftovers) >"$dir/main.log" 2>&1; then
    status=1
fi
grep -E '^privilege|^(no divergence|FAILED|NOTHING RAN)|leftover' "$dir/main.log"
grep -q '^privilege   rootless' "$dir/main.log" || status=1
exit $status
