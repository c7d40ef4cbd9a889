#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test: once in a normal build
# and once under AddressSanitizer + UndefinedBehaviorSanitizer.
# Usage: bash tests/run-all.sh   (as root, or a user who may sudo apt-get)
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/deps.sh
mailferry_install_deps
mailferry_install_node

jobs=$(nproc)
echo "== build (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
echo "== tests"
(cd build && ctest -j2 --output-on-failure --timeout 900)

echo "== build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMAILFERRY_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
echo "== tests under ASan + UBSan"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
(cd build-asan && ctest -j2 --output-on-failure --timeout 900)
