#!/usr/bin/env bash
# demo.sh — the README's main job on the bundled example: install what is
# missing, build, then make the partners' keys, create a ledger, found it
# with a genesis entry signed by both partners, append a year of signed
# document records (board minutes, invoices, quarterly returns) in one
# transaction, agree a Better Care Fund pool, post a year of contributions,
# spending and forecasts, close each quarter, show the pool's figures and
# the risk share with its workings, settle the year, checkpoint and cosign
# the log, verify it, print proofs, and write the Q2 statements of every
# partner in every format with a signed manifest.
# usage: bash scripts/demo.sh [OUTDIR]    (default: out/demo)
# With $POOLBOOK set to a built poolbook, nothing is installed or built
# (tests/cli/statements.sh runs the job this way).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ -n "${POOLBOOK:-}" ]; then
  P=$POOLBOOK
else
  bash scripts/deps.sh build
  cmake -S . -B build-demo -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPB_TESTS=OFF >/dev/null
  cmake --build build-demo -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
  P="$root/build-demo/poolbook"
fi
out="${1:-$root/out/demo}"
rm -rf "$out"
mkdir -p "$out/keys" "$out/docs"
cd "$out"
export POOLBOOK_LEDGER="$out/bcf.ledger"
step() { printf '\n== %s\n' "$*"; }

step "keys (minisign format; unencrypted with -W for this demo only)"
for k in dcc-signatory dcc-finance icb-signatory icb-finance dcc-operator icb-auditor; do
  "$P" keygen -W "keys/$k" | sed "s/^/$k: /"
done

step "ledger and genesis, signed by both partners' signatories"
export POOLBOOK_NOW=2024-04-01T09:00:00Z
"$P" init
"$P" new genesis --origin derbyshire.example/bcf \
  --partner "DCC:council:Derbyshire County Council" \
  --partner "ICB:icb:NHS Derby and Derbyshire Integrated Care Board" \
  --key DCC:signatory:keys/dcc-signatory.pub --key DCC:finance:keys/dcc-finance.pub \
  --key ICB:signatory:keys/icb-signatory.pub --key ICB:finance:keys/icb-finance.pub \
  --key DCC:operator:keys/dcc-operator.pub --key ICB:auditor:keys/icb-auditor.pub \
  -o genesis.json
"$P" sign genesis.json -k keys/dcc-signatory.key
"$P" sign genesis.json -k keys/icb-signatory.key
"$P" append genesis.json

step "a year of documents: each hashed, signed by a finance lead, appended in one batch"
: > batch.jsonl
n=0
while IFS=$'\t' read -r date title content; do
  n=$((n + 1))
  f=$(printf 'docs/%04d.txt' "$n")
  printf '%s\n' "$content" > "$f"
  signer=keys/dcc-finance.key
  case "$title" in Partnership*|Quarter*) signer=keys/icb-finance.key ;; esac
  POOLBOOK_NOW="${date}T12:00:00Z" "$P" new document "$f" --title "$title" -o draft.json 2>/dev/null
  "$P" sign draft.json -k "$signer" 2>/dev/null
  cat draft.json >> batch.jsonl
done < <(tail -n +2 "$root/examples/demo/documents.tsv")
# Appended as the year's file of documents, after its last one: no record may
# be created in the future of the appending clock (docs/entries.md).
POOLBOOK_NOW=2025-03-31T18:00:00Z "$P" append batch.jsonl
"$P" log | tail -n 3

step "the pool agreement, signed by both partners' signatories"
POOLBOOK_NOW=2024-04-01T10:00:00Z "$P" new pool.agree --file "$root/examples/demo/pool.json" -o agree.json
"$P" sign agree.json -k keys/dcc-signatory.key
"$P" sign agree.json -k keys/icb-signatory.key
POOLBOOK_NOW=2024-04-01T10:00:00Z "$P" append agree.json

step "a year of contributions, spending and quarterly forecasts, each quarter closed"
# Illustrative figures: each scheme spends about a twelfth of its budget a
# month; forecasts at each quarter end; a virement in August; a duplicate
# invoice reversed in November.
budgets=(9000000 5000000 2000000 11000000 6000000 7000000)
leads=(dcc icb dcc icb dcc icb)
post() { "$P" post "$@" >/dev/null; }
for m in $(seq 1 12); do
  y=2024; mon=$((m + 3)); if [ $mon -gt 12 ]; then mon=$((mon - 12)); y=2025; fi
  d=$(printf '%04d-%02d' $y $mon)
  export POOLBOOK_NOW="${d}-28T12:00:00Z"
  post contribution --pool BCF24 --partner ICB --stream NHSMIN --amount 2,000,000 --date "$d-05" --ref "NHS-$d" -k keys/icb-finance.key
  post contribution --pool BCF24 --partner ICB --stream DISCH --amount "£133,333.33" --date "$d-05" -k keys/icb-finance.key
  post contribution --pool BCF24 --partner DCC --stream IBCF --amount 700,000 --date "$d-05" -k keys/dcc-finance.key
  post contribution --pool BCF24 --partner DCC --stream DFG --amount 500,000 --date "$d-05" -k keys/dcc-finance.key
  for s in 0 1 2 3 4 5; do
    amount=$(( budgets[s] / 12 + (s * 37 + m * 53) % 90 * 1000 - 40000 ))
    post expenditure --pool BCF24 --scheme "S0$((s + 1))" --amount "$amount" --date "$d-20" \
      --payee "Provider $((s + 1))" --ref "INV-$d-$s" -k "keys/${leads[s]}-finance.key"
  done
  if [ $m = 5 ]; then
    post virement --pool BCF24 --from S03 --to S01 --amount 150,000 --date "$d-15" \
      --reason "reablement demand" -k keys/dcc-signatory.key
  fi
  if [ $m = 8 ]; then
    dup=$("$P" post expenditure --pool BCF24 --scheme S02 --amount 12,345.67 --date "$d-21" \
      --payee "Provider 2" --ref "INV-DUP" -k keys/icb-finance.key | awk '{print $NF}')
    post reversal --target "$dup" --date "$d-25" --reason "duplicate invoice" -k keys/icb-finance.key
  fi
  if [ $((m % 3)) = 0 ]; then
    q=$((m / 3))
    # Each forecast carries its lead's commentary, which statements print beside the scheme.
    memos=("fewer long packages as reablement works" "equipment returns up"
           "carers' breaks in demand" "discharge volumes above plan"
           "adaptations costlier than quoted" "winter beds opened early")
    for s in 0 1 2 3 4 5; do
      fc=$(( budgets[s] + (s - 2) * 45000 * q ))
      post forecast --pool BCF24 --scheme "S0$((s + 1))" --amount "$fc" --date "$d-28" \
        --memo "Q$q: ${memos[s]}" -k "keys/${leads[s]}-finance.key"
    done
    # A quarter is closed on or after its last day (docs/entries.md).
    POOLBOOK_NOW="$(date -u -d "$d-01 +1 month -1 day" +%F)T18:00:00Z" post period.close --pool BCF24 --period "2024/25-Q$q" -k keys/dcc-finance.key
  fi
done
unset POOLBOOK_NOW
"$P" log | tail -n 3

step "the pool at the end of Q2, and for the year"
"$P" pool show BCF24 --period 2024/25-Q2
echo
"$P" pool show BCF24 | tee pool-2024-25.txt
"$P" pool show BCF24 --json > pool-2024-25.json

step "the risk share at Q2: each partner's part of the forecast variance, with the workings"
"$P" policy explain --pool BCF24 --period 2024/25-Q2 | tee explain-2024-25-Q2.txt

step "year end: settle the actual outturn under the policy (the ledger recomputes it; both signatories sign)"
"$P" policy explain --pool BCF24 --actual > explain-2024-25-actual.txt
sed -n '/^Shares/,$p' explain-2024-25-actual.txt
POOLBOOK_NOW=2025-05-20T10:00:00Z "$P" new settlement --pool BCF24 --memo "2024/25 year end" -o settlement.json
"$P" sign settlement.json -k keys/dcc-signatory.key
"$P" sign settlement.json -k keys/icb-signatory.key
"$P" append settlement.json
"$P" pool show BCF24 | sed -n '/^settled by/,$p'

step "checkpoint by the operator, cosigned by the auditor"
"$P" checkpoint -k keys/dcc-operator.key > /dev/null
"$P" cosign -k keys/icb-auditor.key | tee checkpoint.txt
"$P" checkpoint --verifier -p keys/dcc-operator.pub > operator.vkey
"$P" checkpoint --verifier -p keys/icb-auditor.pub > auditor.vkey

step "verify every record, signature, tree hash and checkpoint"
"$P" verify

step "proofs"
"$P" proof inclusion 42 | tee proof-inclusion-42.json
"$P" proof consistency 100 "$("$P" log --json | wc -l)" | tee proof-consistency.json

step "the quarter's statements: every partner and the pool, every format, a signed manifest"
"$P" statement --pool BCF24 --partner DCC --period 2024/25-Q2 | sed -n '/^Position/,/owes/p'
"$P" statements --pool BCF24 --period 2024/25-Q2 --out statements -k keys/dcc-operator.key
if command -v minisign >/dev/null; then
  (cd statements && minisign -Vm MANIFEST.sha256 -p ../keys/dcc-operator.pub)
else
  echo "(with minisign installed: cd statements && minisign -Vm MANIFEST.sha256 -p ../keys/dcc-operator.pub)"
fi

step "the first worked example end to end: examples/bcf-county (keys, genesis, agreement, a year, each quarter's statements, settlement, checkpoint, verify)"
POOLBOOK="$P" bash "$root/examples/bcf-county/run.sh" "$out/bcf-county" > "$out/bcf-county.log" 2>&1 ||
  { tail -n 20 "$out/bcf-county.log"; exit 1; }
sed -n '/statements to each partner/,/^== checkpoint/p' "$out/bcf-county.log" | grep -v '^== checkpoint' | tail -n 8
tail -n 4 "$out/bcf-county.log"

step "done: ledger, checkpoint and proofs are in $out; the Q2 statements are in $out/statements; the worked example's statements for every quarter and the year are in $out/bcf-county/statements"
