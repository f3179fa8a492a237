#!/usr/bin/env bash
# run.sh — builds the Wessex three-partner section 75 pool's ledger from
# nothing (illustrative figures): the partners' keys, a genesis entry signed
# by the council and the ICB, the admission of the NHS trust signed by all
# three, the pool agreement (pool.json) signed by all three, a year of
# contributions, spending, forecasts, a virement and a reversal
# (entries.csv), each quarter appended in one batch and closed, the
# mid-year variation (variation.json) signed by all three, the pool and its
# risk share at each quarter end, the year-end settlement signed by all
# three, the partners' statements (when this build has them), a checkpoint
# and a full verification.
# usage: bash examples/three-partner/run.sh [OUTDIR]   (default: out/examples/three-partner)
# Uses the poolbook binary in $POOLBOOK if set; else builds one as scripts/demo.sh does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
name=three-partner
POOL=WESS75
ORIGIN=wessex.example/s75
HOST=wcc                     # the host partner's key files are keys/wcc-*.key
SIGNATORIES=(wcc-signatory icb-signatory cch-signatory)
VARY_DATE=2024-10-01          # the variation takes effect from the start of Q3
QUARTERS=(2024/25-Q1 2024/25-Q2 2024/25-Q3 2024/25-Q4)
QSTART=(2024-04-01 2024-07-01 2024-10-01 2025-01-01)
QEND=(2024-06-30 2024-09-30 2024-12-31 2025-03-31)
QCLOSE=(2024-07-08 2024-10-08 2025-01-09 2025-04-10)   # the host closes each quarter
YEAR=2024/25

if [ -n "${POOLBOOK:-}" ]; then
  P=$POOLBOOK
else
  bash "$root/scripts/deps.sh" build
  cmake -S "$root" -B "$root/build-demo" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPB_TESTS=OFF >/dev/null
  cmake --build "$root/build-demo" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
  P=$root/build-demo/poolbook
fi
out=${1:-$root/out/examples/$name}
# Only ever empty a folder this script made (it leaves a marker in it).
if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ] && [ ! -e "$out/.poolbook-example" ]; then
  echo "$name: $out is not empty and was not made by this script; give another OUTDIR" >&2
  exit 2
fi
rm -rf "$out"
mkdir -p "$out/keys" "$out/reports" "$out/batches"
out=$(cd "$out" && pwd)
touch "$out/.poolbook-example"
cd "$out"
export POOLBOOK_LEDGER=$out/pool.ledger
step() { printf '\n== %s\n' "$*"; }
# Run poolbook quietly: its notes on stderr ("signed by ...") are dropped,
# but an error is printed and stops the script.
pbq() {
  local rc=0
  "$P" "$@" 2>"$out/.stderr" || rc=$?
  if [ "$rc" -ne 0 ]; then cat "$out/.stderr" >&2; return "$rc"; fi
}

step "keys of the three partners (minisign format; unencrypted with -W for this example only)"
for k in wcc-signatory wcc-finance wcc-operator icb-signatory icb-finance cch-signatory cch-finance; do
  "$P" keygen -W "keys/$k" | sed "s/^/$k: /"
done

step "ledger and genesis, signed by the council's and the ICB's signatories"
export POOLBOOK_NOW=2024-03-20T09:00:00Z
"$P" init
pbq new genesis --origin "$ORIGIN" \
  --partner "WCC:council:Wessex County Council" \
  --partner "ICB:icb:NHS Wessex Integrated Care Board" \
  --key WCC:signatory:keys/wcc-signatory.pub --key WCC:finance:keys/wcc-finance.pub \
  --key WCC:operator:keys/wcc-operator.pub \
  --key ICB:signatory:keys/icb-signatory.pub --key ICB:finance:keys/icb-finance.pub \
  -o genesis.json
for s in wcc-signatory icb-signatory; do pbq sign genesis.json -k "keys/$s.key"; done
"$P" append genesis.json

step "the NHS trust admitted to the ledger, signed by every partner's signatory and its own"
POOLBOOK_NOW=2024-03-25T09:00:00Z pbq new partner.admit --partner-id CCH --kind trust \
  --name "Casterbridge Community Health NHS Foundation Trust" \
  --key signatory:keys/cch-signatory.pub --key finance:keys/cch-finance.pub -o admit.json
for s in "${SIGNATORIES[@]}"; do pbq sign admit.json -k "keys/$s.key"; done
"$P" append admit.json

step "the pool agreement (pool.json), signed by the three partners' signatories"
POOLBOOK_NOW=2024-03-28T10:00:00Z pbq new pool.agree --file "$here/pool.json" -o agree.json
for s in "${SIGNATORIES[@]}"; do pbq sign agree.json -k "keys/$s.key"; done
"$P" append agree.json

# One row of entries.csv as a draft entry (the JSON of docs/entries.md),
# dated and created on its date. The text fields hold no commas.
jstr() {
  local s=$1
  s=${s//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}
draft() {
  local id=$1 date=$2 type=$3 partner=$4 stream=$5 scheme=$6 to=$7 amount=$8
  local payee=$9 ref=${10} target=${11} note=${12}
  local f
  f="\"v\":1,\"type\":$(jstr "$type"),\"id\":$(jstr "$id"),\"ledger\":$(jstr "$ORIGIN")"
  f+=",\"created\":\"${date}T12:00:00Z\",\"date\":$(jstr "$date")"
  case $type in
    contribution)
      f+=",\"pool\":\"$POOL\",\"partner\":$(jstr "$partner"),\"stream\":$(jstr "$stream"),\"amount\":$(jstr "$amount")" ;;
    expenditure)
      f+=",\"pool\":\"$POOL\",\"scheme\":$(jstr "$scheme"),\"amount\":$(jstr "$amount"),\"payee\":$(jstr "$payee")" ;;
    forecast)
      f+=",\"pool\":\"$POOL\",\"scheme\":$(jstr "$scheme"),\"amount\":$(jstr "$amount")" ;;
    virement)
      f+=",\"pool\":\"$POOL\",\"from\":$(jstr "$scheme"),\"to\":$(jstr "$to"),\"amount\":$(jstr "$amount")"
      [ -z "$note" ] || f+=",\"reason\":$(jstr "$note")"
      note="" ;;
    reversal)
      f+=",\"target\":$(jstr "$target"),\"reason\":$(jstr "$note")"
      note="" ;;
    *) echo "$name: entries.csv: unknown type '$type' (row $id)" >&2; exit 1 ;;
  esac
  [ -z "$ref" ] || f+=",\"ref\":$(jstr "$ref")"
  [ -z "$note" ] || f+=",\"memo\":$(jstr "$note")"
  printf '{"entry":{%s},"sigs":[]}\n' "$f"
}

# The quarter's rows of entries.csv, each signed by the keys its row names
# ("icb-finance", or "icb-finance+wcc-signatory" for spending at or above the
# key-decision threshold), into one batch appended in one transaction.
batch_quarter() {
  local qi=$1 batch=$2 n=0
  local id date type signers partner stream scheme to amount payee ref target note extra
  : >"$batch"
  while IFS=, read -r id date type signers partner stream scheme to amount payee ref target note extra; do
    [ "$id" != id ] || continue
    [ -z "$extra" ] || { echo "$name: entries.csv: too many fields in row $id" >&2; exit 1; }
    [[ ! "$date" < "${QSTART[qi]}" && ! "$date" > "${QEND[qi]}" ]] || continue
    local rec
    rec=$(draft "$id" "$date" "$type" "$partner" "$stream" "$scheme" "$to" "$amount" \
      "$payee" "$ref" "$target" "$note")
    for s in ${signers//+/ }; do
      rec=$(printf '%s\n' "$rec" | pbq sign - -k "keys/$s.key" -o -)
    done
    printf '%s\n' "$rec" >>"$batch"
    n=$((n + 1))
  done <"$here/entries.csv"
  echo "$n entries signed"
}

step "a year of entries (entries.csv): each quarter signed, appended in one batch, closed"
for qi in 0 1 2 3; do
  q=${QUARTERS[qi]}
  if [ "$q" = 2024/25-Q3 ]; then
    echo "-- the variation from $VARY_DATE (variation.json: winter discharge funding, new policy), signed by all three"
    POOLBOOK_NOW="${VARY_DATE}T09:00:00Z" pbq new pool.vary --pool "$POOL" --date "$VARY_DATE" \
      --file "$here/variation.json" --id "vary-$POOL-winter" \
      --reason "ICB winter discharge funding of 2,400,000.00 added to discharge to assess; risk share revised" \
      -o vary.json
    for s in "${SIGNATORIES[@]}"; do pbq sign vary.json -k "keys/$s.key"; done
    "$P" append vary.json
  fi
  printf -- '-- %s: ' "$q"
  batch_quarter "$qi" "batches/Q$((qi + 1)).jsonl"
  "$P" append "batches/Q$((qi + 1)).jsonl"
  POOLBOOK_NOW="${QCLOSE[qi]}T09:00:00Z" \
    "$P" post period.close --pool "$POOL" --period "$q" --date "${QCLOSE[qi]}" -k "keys/$HOST-finance.key"
done
unset POOLBOOK_NOW

step "the pool and its risk share at each quarter end (forecast outturn)"
for qi in 0 1 2 3; do
  q=${QUARTERS[qi]}
  f=${q//\//-}
  "$P" pool show "$POOL" --period "$q" | tee "reports/pool-$f.txt"
  "$P" pool show "$POOL" --period "$q" --json >"reports/pool-$f.json"
  "$P" policy explain --pool "$POOL" --period "$q" >"reports/explain-$f.txt"
  "$P" policy explain --pool "$POOL" --period "$q" --json >"reports/explain-$f.json"
  echo "risk share at the end of $q (workings in reports/explain-$f.txt):"
  sed -n '/^Shares/,$p' "reports/explain-$f.txt"
  echo
done

step "year end: the actual outturn settled under the policy in force (the variation's), signed by all three"
POOLBOOK_NOW=2025-05-22T10:00:00Z pbq new settlement --pool "$POOL" --memo "$YEAR year end" -o settlement.json
for s in "${SIGNATORIES[@]}"; do pbq sign settlement.json -k "keys/$s.key"; done
"$P" append settlement.json
f=${YEAR//\//-}
"$P" pool show "$POOL" | tee "reports/pool-$f.txt"
"$P" pool show "$POOL" --json >"reports/pool-$f.json"
"$P" policy explain --pool "$POOL" >"reports/explain-$f.txt"
"$P" policy explain --pool "$POOL" --json >"reports/explain-$f.json"
sed -n '/^Shares/,$p' "reports/explain-$f.txt"

# ---- statements --------------------------------------------------------
# The host's quarterly and annual statements to each partner (DESIGN 7),
# when this build of poolbook has the `statements` command.
run_statements() {
  step "statements to each partner for each quarter and the year"
  if ! "$P" statements --help >/dev/null 2>&1; then
    echo "statements: not available in this build"
    return 0
  fi
  for q in "${QUARTERS[@]}" "$YEAR"; do
    "$P" statements --pool "$POOL" --period "$q" --out "$out/statements/${q//\//-}" \
      -k "keys/$HOST-operator.key"
  done
}
run_statements

step "checkpoint by the host's operator, and verify every record, signature and tree hash"
"$P" checkpoint -k "keys/$HOST-operator.key" | tee checkpoint.txt
"$P" verify

step "done: the ledger, its reports and checkpoint are in $out"
