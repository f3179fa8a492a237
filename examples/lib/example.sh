# example.sh — what every worked example's run.sh does, sourced by it after
# it has set: name, POOL, ORIGIN, HOST (the host's key file prefix),
# SIGNATORIES (every pool partner's signatory key), FOUNDERS (the genesis
# signatories), KEYS (every key to make), GENESIS_ARGS (the genesis
# partners and keys), here (the example's folder) and root; and optionally
# the functions before_agreement (after genesis) and before_quarter Q
# (before a quarter's entries are appended), after_quarter Q (after it is
# appended and closed), before_statements and after_year (at the very end). Builds the ledger from nothing:
# keys, genesis, the agreement (pool.json), a year of entries (entries.csv)
# appended a quarter at a time in one batch and closed, the pool and its risk
# share at each quarter end, the year-end settlement, the statements for each
# quarter and the year, a checkpoint and a full verification.
# Uses the poolbook binary in $POOLBOOK if set; else builds one as scripts/demo.sh does.
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

step "keys of the partners (minisign format; unencrypted with -W for this example only)"
for k in "${KEYS[@]}"; do
  "$P" keygen -W "keys/$k" | sed "s/^/$k: /"
done

step "ledger and genesis, signed by the founding partners' signatories"
export POOLBOOK_NOW=2024-03-20T09:00:00Z
"$P" init
pbq new genesis --origin "$ORIGIN" "${GENESIS_ARGS[@]}" -o genesis.json
for s in "${FOUNDERS[@]}"; do pbq sign genesis.json -k "keys/$s.key"; done
"$P" append genesis.json
if declare -F before_agreement >/dev/null; then before_agreement; fi

step "the pool agreement (pool.json), signed by every partner's signatory"
POOLBOOK_NOW=2024-03-28T10:00:00Z pbq new pool.agree --file "$here/pool.json" -o agree.json
for s in "${SIGNATORIES[@]}"; do pbq sign agree.json -k "keys/$s.key"; done
# Each append runs at the time it happens in the story: a record may not be
# created in the future of the appending clock (docs/entries.md).
POOLBOOK_NOW=2024-03-28T10:00:00Z "$P" append agree.json

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
# ("icb-finance", or "icb-finance+<host>-signatory" for spending at or above the
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
    # --no-check: a draft may reverse an entry earlier in this same batch,
    # not yet in the ledger; the append checks the batch in order.
    for s in ${signers//+/ }; do
      rec=$(printf '%s\n' "$rec" | pbq sign - --no-check -k "keys/$s.key" -o -)
    done
    printf '%s\n' "$rec" >>"$batch"
    n=$((n + 1))
  done <"$here/entries.csv"
  echo "$n entries signed"
}

step "a year of entries (entries.csv): each quarter signed, appended in one batch, closed"
for qi in 0 1 2 3; do
  q=${QUARTERS[qi]}
  if declare -F before_quarter >/dev/null; then before_quarter "$q"; fi
  printf -- '-- %s: ' "$q"
  batch_quarter "$qi" "batches/Q$((qi + 1)).jsonl"
  POOLBOOK_NOW="${QCLOSE[qi]}T09:00:00Z" "$P" append "batches/Q$((qi + 1)).jsonl"
  POOLBOOK_NOW="${QCLOSE[qi]}T09:00:00Z" \
    "$P" post period.close --pool "$POOL" --period "$q" --date "${QCLOSE[qi]}" -k "keys/$HOST-finance.key"
  if declare -F after_quarter >/dev/null; then after_quarter "$q"; fi
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

step "year end: the actual outturn settled under the policy in force, signed by every partner"
POOLBOOK_NOW=2025-05-22T10:00:00Z pbq new settlement --pool "$POOL" --memo "$YEAR year end" -o settlement.json
for s in "${SIGNATORIES[@]}"; do pbq sign settlement.json -k "keys/$s.key"; done
POOLBOOK_NOW=2025-05-22T10:00:00Z "$P" append settlement.json
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
if declare -F before_statements >/dev/null; then before_statements; fi
run_statements

step "checkpoint by the host's operator, and verify every record, signature and tree hash"
"$P" checkpoint -k "keys/$HOST-operator.key" | tee checkpoint.txt
"$P" verify

if declare -F after_year >/dev/null; then after_year; fi

step "done: the ledger, its reports and checkpoint are in $out"
