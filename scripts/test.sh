#!/usr/bin/env bash
# test.sh — the README's test command: install what is missing, build, and run
# every test twice: a normal build, then under AddressSanitizer and
# UndefinedBehaviorSanitizer; then a Release (gcc) and a Debug (clang) build,
# warning-free, and every fuzz target of tests/fuzz/ for a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh test
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPB_SANITIZE=ON
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs"
# Release with gcc and Debug with clang must build warning-free (-Werror);
# a smoke test of each.
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release
cmake --build build-release -j "$jobs"
ctest --test-dir build-release --output-on-failure -R '^test_money$'
CC=clang cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=Debug
cmake --build build-clang -j "$jobs"
ctest --test-dir build-clang --output-on-failure -R '^test_money$'
# Every fuzz target for 5 s from the committed seeds (bench/fuzz.sh runs long).
bash bench/fuzz.sh 5
echo "poolbook: all tests passed (normal, ASan+UBSan, Release, clang builds; fuzz smoke)"
