#!/usr/bin/env bash
# fuzz.sh — run every libFuzzer target of tests/fuzz/ for SECONDS each, one
# after another (nice'd), and print the executions, the rate and the crashes
# of each. The committed seed corpus is copied to a scratch folder first, so
# the run never writes into the repository; crashes are kept in
# build-fuzz/crashes/<target>/ for the issue note.
#   bash bench/fuzz.sh SECONDS [TARGET...]     (default: 60 s, every target)
#   FUZZ_RUNS=10000000 bash bench/fuzz.sh 0 [TARGET...]
#     runs each target for that many executions instead (no time limit): the
#     long campaign whose figures go in the issue note. FUZZ_JOBS=2 runs two
#     libFuzzer workers per target (their executions are added up).
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
  limit=(-max_total_time="$seconds")
  [ -z "${FUZZ_RUNS:-}" ] || limit=(-runs="$FUZZ_RUNS")
  jobs=${FUZZ_JOBS:-1}
  start=$(date +%s)
  set +e
  if [ "$jobs" -gt 1 ]; then
    # -runs is per worker: split the executions between them.
    [ -z "${FUZZ_RUNS:-}" ] || limit=(-runs=$(( (FUZZ_RUNS + jobs - 1) / jobs )))
    (cd "$work" && nice -n 10 "$OLDPWD/build-fuzz/fuzz_$t" "${limit[@]}" -print_final_stats=1 \
      -jobs="$jobs" -workers="$jobs" -artifact_prefix="$OLDPWD/build-fuzz/crashes/$t/" "$t" \
      >"$t.main.log" 2>&1)
    # the workers' own logs carry the figures (the main log repeats them)
    cat "$work"/fuzz-*.log >"$work/$t.log" 2>/dev/null
    rm -f "$work"/fuzz-*.log
  else
    nice -n 10 "build-fuzz/fuzz_$t" "${limit[@]}" -print_final_stats=1 \
      -artifact_prefix="build-fuzz/crashes/$t/" "$work/$t" >"$work/$t.log" 2>&1
  fi
  set -e
  elapsed=$(( $(date +%s) - start ))
  [ "$elapsed" -gt 0 ] || elapsed=1
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log" | awk '{s += $1} END {print s + 0}')
  crashes=$(find "build-fuzz/crashes/$t" -type f | wc -l)
  total_crashes=$((total_crashes + crashes))
  printf '%-8s %12s %10s %8s\n' "$t" "$execs" $(( execs / elapsed )) "$crashes"
done
[ "$total_crashes" -eq 0 ] || { echo "fuzz.sh: $total_crashes crash(es): build-fuzz/crashes/"; exit 1; }
