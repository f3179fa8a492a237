#!/usr/bin/env bash
# fuzz.sh — run every libFuzzer target of tests/fuzz/ for SECONDS each, one
# after another (nice'd), and print the executions, the rate and the crashes
# of each. The committed seed corpus is copied to a scratch folder first, so
# the run never writes into the repository; crashes are kept in
# build-fuzz/crashes/<target>/ for the issue note.
#   bash bench/fuzz.sh SECONDS [TARGET...]     (default: 60 s, every target)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
[ -d build-fuzz ] || CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DPB_FUZZ=ON \
  -DPB_TESTS=OFF >/dev/null
cmake --build build-fuzz -j 2 >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.c; do
    t=$(basename "$f" .c)
    targets+=("${t#fuzz_}")
  done
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%-8s %12s %10s %8s\n' target executions per_second crashes
total_crashes=0
for t in "${targets[@]}"; do
  mkdir -p "$work/$t" "build-fuzz/crashes/$t"
  cp tests/fuzz/corpus/"$t"/* "$work/$t/"
  set +e
  nice -n 10 "build-fuzz/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="build-fuzz/crashes/$t/" "$work/$t" >"$work/$t.log" 2>&1
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
  crashes=$(find "build-fuzz/crashes/$t" -type f | wc -l)
  total_crashes=$((total_crashes + crashes))
  printf '%-8s %12s %10s %8s\n' "$t" "${execs:-0}" $(( ${execs:-0} / seconds )) "$crashes"
done
[ "$total_crashes" -eq 0 ] || { echo "fuzz.sh: $total_crashes crash(es): build-fuzz/crashes/"; exit 1; }
