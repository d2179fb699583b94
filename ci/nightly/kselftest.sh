#!/usr/bin/env bash
# The kselftest package end to end, as kernel CI runs kselftests: assembles
# a kselftest install in target/kselftest/install (run_kselftest.sh and
# kselftest/ from Debian's linux-source-6.12, the package of
# ci/nightly/kselftest-package.sh, kselftest-list.txt), runs its run_kselftest.sh
# inside each Debian guest of the matrix (`vm --kselftest`, qemu), and checks
# what it printed: the runner's TAP with one plan line (1..1) and
# `ok 1 selftests: tcpmd5: tcpmd5_conformance.sh`, and within it the suite's
# KTAP, read back by the kernel's own KTAP parser
# (tools/testing/kunit/kunit.py parse): one plan, every case a result, the
# totals line agreeing, nothing failed. Logs in target/kselftest/.
# Needs what ci/install-deps.sh installs (qemu, busybox, the Debian kernels).
set -euo pipefail
cd "$(dirname "$0")/../.."

out=target/kselftest
install=$out/install
tarball=/usr/src/linux-source-6.12.tar.xz
if [ ! -r "$tarball" ]; then
    echo "installing linux-source-6.12" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-source-6.12 >/dev/null
fi
rm -rf "$install" "$out/linux"
mkdir -p "$install" "$out/linux"
tar -xJf "$tarball" -C "$out/linux" --strip-components=1 --wildcards \
    'linux-source-6.12/tools/testing/selftests/run_kselftest.sh' \
    'linux-source-6.12/tools/testing/selftests/kselftest/*' \
    'linux-source-6.12/tools/testing/kunit/*'
selftests=$out/linux/tools/testing/selftests
cp "$selftests/run_kselftest.sh" "$install/"
cp -r "$selftests/kselftest" "$install/"
ci/nightly/kselftest-package.sh "$install/tcpmd5" > "$install/kselftest-list.txt"
echo "kselftest install: $install ($(du -sh "$install" | cut -f1)): $(cat "$install/kselftest-list.txt")"

cargo build --release -q -p tcpmd5-conformance
bin=target/release/tcpmd5-conformance
status=0
for k in $(ci/debian-kernels.sh); do
    log=$out/$k.log
    start=$(date +%s)
    "$bin" vm --kernel "$k" --kselftest "$install" > "$log" 2> "$out/$k.stderr" || true
    python3 ci/py/kselftest_check.py "$log" "$out/linux/tools/testing/kunit" "$k" "$(($(date +%s) - start))" || status=1
done
exit "$status"
