#!/usr/bin/env bash
# bench_scale_smoke.sh — the scale benchmark (bench/bench_scale.sh) runs end
# to end on a 300-entry ledger and prints every figure of issue 15's table.
# Only that it runs: speed is measured by running the benchmark itself, never
# asserted here.
set -euo pipefail
: "${PB_SRC:?}" "${PB_BUILD:?}"
out=$(bash "$PB_SRC/bench/bench_scale.sh" 300 "$PB_BUILD")
echo "$out"
for label in "== 300 money entries" "import " "append " "verify --full " "verify --threads 1 " \
  "reindex " "statement (ICB, Q1)" "statements (all)" "pool show " "policy explain " \
  "proof inclusion " "verify, nothing new " "bytes per entry "; do
  grep -qF -- "$label" <<<"$out" || { echo "FAIL: no figure for '$label'"; exit 1; }
done
if grep -q "x of 2 x raw" <<<"$out"; then echo "ok: rates are ratios to raw verify"; else
  echo "FAIL: no ratio to raw verify"; exit 1; fi
