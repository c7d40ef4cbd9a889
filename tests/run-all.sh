#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test: once in a normal build
# with the real-mail corpus hidden (so every run proves that a clone alone
# passes: real-mail tests are reported skipped), and once under AddressSanitizer
# + UndefinedBehaviorSanitizer with the real corpus if one is at hand
# ($MAILFERRY_CORPUS, else ../shared/corpus/dev).
# Usage: bash tests/run-all.sh   (as root, or a user who may sudo apt-get)
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/deps.sh
mailferry_install_deps
mailferry_install_node

jobs=$(nproc)
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# Runs ctest in a build folder, its output kept for the closing line.
run_ctest() {
    local build=$1 log=$2
    (cd "$build" && ctest -j2 --output-on-failure --timeout 900) 2>&1 | tee "$log"
    return "${PIPESTATUS[0]}"
}

# ctest counts a skipped test among the passed; the closing line separates them.
count_line() {
    local log=$1 total failed skipped
    total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -n1)
    failed=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of.*/\1/p' "$log" | tail -n1)
    skipped=$(grep -c '(Skipped)$' "$log" || true)
    total=${total:-0} failed=${failed:-0}
    echo "$((total - failed - skipped)) $failed $skipped"
}

echo "== build (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
echo "== tests, real-mail corpus hidden (what a clone alone has)"
status=0
MAILFERRY_CORPUS=/nonexistent/mailferry-real-corpus-hidden run_ctest build "$logs/normal" || status=1

echo "== build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMAILFERRY_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
echo "== tests under ASan + UBSan (real-mail tests run where the real corpus is at hand)"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
run_ctest build-asan "$logs/asan" || status=1

read -r p1 f1 s1 < <(count_line "$logs/normal")
read -r p2 f2 s2 < <(count_line "$logs/asan")
echo "normal build: $p1 passed, $f1 failed, $s1 skipped; ASan+UBSan build: $p2 passed, $f2 failed, $s2 skipped"
echo "$((p1 + p2)) passed, $((f1 + f2)) failed, $((s1 + s2)) skipped"
exit "$status"
