#!/usr/bin/env bash
# crash.sh — DESIGN 9 "a crash mid-append: one LMDB transaction per append or
# batch": kill -9 `poolbook append` of a large batch at random moments, again
# and again; after every kill the ledger must verify and hold either none or
# all of that batch's records (nothing half-written), and a retry of the same
# batch must complete it. The same for `reindex` (records and state intact)
# and `import` of a 2,000-row file (all rows or none; issue 13 item 8). The
# kill times come from a fixed, printed seed.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}" "${PB_BUILD:?}"
P=$POOLBOOK
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
for k in dcc-sig dcc-fin icb-sig icb-fin op aud; do
  cp "$PB_SRC/tests/data/keys/$k.pub" "$PB_SRC/tests/data/keys/$k.key" .
  chmod 600 "$k.key"
done
export POOLBOOK_LEDGER=$work/crash.ledger POOLBOOK_NOW=2024-06-30T12:00:00Z
"$P" init >/dev/null
"$P" new genesis --origin example.gov.uk/crash --partner DCC:council:"Derbyshire County Council" \
  --partner ICB:icb:"NHS Derby and Derbyshire ICB" --key DCC:signatory:dcc-sig.pub \
  --key DCC:finance:dcc-fin.pub --key ICB:signatory:icb-sig.pub --key ICB:finance:icb-fin.pub \
  --key DCC:operator:op.pub --key ICB:auditor:aud.pub -o genesis.json 2>/dev/null
"$P" sign genesis.json -k dcc-sig.key 2>/dev/null
"$P" sign genesis.json -k icb-sig.key 2>/dev/null
"$P" append genesis.json >/dev/null

seed=${PB_CRASH_SEED:-20240630}
RANDOM=$seed
# Rounds of each kind of kill (append, reindex, import): enough for kills to
# land before, during and after the commit in CI's time (~60 s); more with
# PB_CRASH_ROUNDS / PB_CRASH_REINDEX_ROUNDS / PB_CRASH_IMPORT_ROUNDS.
rounds=${PB_CRASH_ROUNDS:-6}
reindex_rounds=${PB_CRASH_REINDEX_ROUNDS:-3}
import_rounds=${PB_CRASH_IMPORT_ROUNDS:-3}
echo "crash.sh: seed $seed; rounds: $rounds append, $reindex_rounds reindex, $import_rounds import"
batch=1000
size() { "$P" log --json | wc -l; }
# Calibrate: how long does an uninterrupted append of one batch take here?
"$PB_BUILD/gen_docs" example.gov.uk/crash dcc-fin.key r0 $batch >batch.jsonl
t0=$(date +%s%N)
"$P" append batch.jsonl >/dev/null
span_ms=$(( ($(date +%s%N) - t0) / 1000000 * 3 / 2 + 1 ))
echo "crash.sh: one batch takes ~$((span_ms * 2 / 3)) ms; kills land in 0..$span_ms ms"
killed=0
for round in $(seq 1 $rounds); do
  "$PB_BUILD/gen_docs" example.gov.uk/crash dcc-fin.key "r$round" $batch >batch.jsonl
  before=$(size)
  "$P" append batch.jsonl >/dev/null 2>&1 &
  pid=$!
  # Somewhere in 0..1.5x the append's time: before, during or after the commit.
  delay=$((RANDOM % span_ms))
  sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
  if kill -9 "$pid" 2>/dev/null; then
    killed=$((killed + 1))
  fi
  wait "$pid" 2>/dev/null || true
  after=$(size)
  if [ "$after" != "$before" ] && [ "$after" != $((before + batch)) ]; then
    echo "FAIL: round $round: $before records became $after (batch of $batch): half-written"
    exit 1
  fi
  "$P" verify >/dev/null || { echo "FAIL: round $round: the ledger no longer verifies"; exit 1; }
  # The retry completes the batch (or finds it all present).
  "$P" append batch.jsonl >/dev/null
  [ "$(size)" = $((before + batch)) ] || { echo "FAIL: round $round: retry left $(size)"; exit 1; }
  echo "round $round: $before -> $after after kill -9, $((before + batch)) after retry"
done
"$P" verify

# kill -9 during reindex (issue 13 item 8): derived state is rebuilt in one
# transaction, so a kill leaves the old state or the new, and verify passes.
log_before=$("$P" log --json | sha256sum)
t0=$(date +%s%N)
"$P" reindex >/dev/null
reindex_ms=$(( ($(date +%s%N) - t0) / 1000000 * 3 / 2 + 1 ))
reindex_killed=0
for round in $(seq 1 "$reindex_rounds"); do
  "$P" reindex >/dev/null 2>&1 &
  pid=$!
  delay=$((RANDOM % reindex_ms))
  sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
  if kill -9 "$pid" 2>/dev/null; then
    reindex_killed=$((reindex_killed + 1))
  fi
  wait "$pid" 2>/dev/null || true
  [ "$("$P" log --json | sha256sum)" = "$log_before" ] || { echo "FAIL: reindex $round changed the records"; exit 1; }
  "$P" verify >/dev/null || { echo "FAIL: reindex $round: the ledger no longer verifies"; exit 1; }
  "$P" append batch.jsonl >/dev/null || { echo "FAIL: reindex $round: append refused after"; exit 1; }
done
echo "crash.sh: $reindex_killed of $reindex_rounds reindexes killed mid-run; records and state intact each time"

# kill -9 during import (issue 13 item 8): a whole file is one transaction.
export POOLBOOK_LEDGER=$work/import.ledger
"$P" init >/dev/null
"$P" new genesis --origin example.gov.uk/derbyshire-bcf \
  --partner DCC:council:"Derbyshire County Council" --partner ICB:icb:"NHS Derby and Derbyshire ICB" \
  --key DCC:signatory:dcc-sig.pub --key DCC:finance:dcc-fin.pub --key ICB:signatory:icb-sig.pub \
  --key ICB:finance:icb-fin.pub --key DCC:operator:op.pub --key ICB:auditor:aud.pub \
  -o genesis.json 2>/dev/null
"$P" sign genesis.json -k dcc-sig.key 2>/dev/null
"$P" sign genesis.json -k icb-sig.key 2>/dev/null
"$P" append genesis.json >/dev/null
. "$PB_SRC/tests/data/import/ledger.sh"
import_rows=2000
import_round() { # import_round N: a CSV of import_rows rows unique to round N
  python3 - "$1" "$import_rows" <<'PY'
import sys
r, n = int(sys.argv[1]), int(sys.argv[2])
with open("gl.csv", "w") as f:
    f.write("Period,Trans Date,Account,Account Name,Cost Centre,Cost Centre Name,Supplier,Description,Doc No,Net Amount\n")
    for i in range(n):
        f.write(f'2024/01,{1 + i % 28:02d}/0{4 + i % 3}/2024,51100,Payments,CC410{1 + i % 3},Scheme,'
                f'Provider {i % 50},Package {i},R{r}-{i:06d},"{1 + i % 900}.{i % 100:02d}"\n')
PY
}
map=$PB_SRC/tests/data/import/map-gl.json
import_round 0
t0=$(date +%s%N)
"$P" import gl.csv --map "$map" -k dcc-fin.key >/dev/null
import_ms=$(( ($(date +%s%N) - t0) / 1000000 * 3 / 2 + 1 ))
import_killed=0
for round in $(seq 1 "$import_rounds"); do
  import_round "$round"
  before=$(size)
  "$P" import gl.csv --map "$map" -k dcc-fin.key >/dev/null 2>&1 &
  pid=$!
  delay=$((RANDOM % import_ms))
  sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
  if kill -9 "$pid" 2>/dev/null; then
    import_killed=$((import_killed + 1))
  fi
  wait "$pid" 2>/dev/null || true
  after=$(size)
  if [ "$after" != "$before" ] && [ "$after" != $((before + import_rows)) ]; then
    echo "FAIL: import $round: $before records became $after (file of $import_rows): half-written"
    exit 1
  fi
  "$P" verify >/dev/null || { echo "FAIL: import $round: the ledger no longer verifies"; exit 1; }
  "$P" import gl.csv --map "$map" -k dcc-fin.key >/dev/null
  [ "$(size)" = $((before + import_rows)) ] || { echo "FAIL: import $round: retry left $(size)"; exit 1; }
done
echo "crash.sh: $import_killed of $import_rounds imports killed mid-run; every kill left all or nothing"
echo "crash.sh: $rounds rounds, $killed appends killed mid-run; every kill left all or nothing"
