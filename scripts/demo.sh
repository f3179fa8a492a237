#!/usr/bin/env bash
# demo.sh — the README's main job on the bundled example: install what is
# missing, build, then make the partners' keys, create a ledger, found it
# with a genesis entry signed by both partners, append a year of signed
# document records (board minutes, invoices, quarterly returns) in one
# transaction, checkpoint and cosign the log, verify it, and print proofs.
# usage: bash scripts/demo.sh [OUTDIR]    (default: out/demo)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPB_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
P="$root/build/poolbook"
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
"$P" append batch.jsonl
"$P" log | tail -n 3

step "checkpoint by the operator, cosigned by the auditor"
"$P" checkpoint -k keys/dcc-operator.key > /dev/null
"$P" cosign -k keys/icb-auditor.key | tee checkpoint.txt
"$P" checkpoint --verifier -p keys/dcc-operator.pub > operator.vkey
"$P" checkpoint --verifier -p keys/icb-auditor.pub > auditor.vkey

step "verify every record, signature, tree hash and checkpoint"
"$P" verify

step "proofs"
"$P" proof inclusion 42 | tee proof-inclusion-42.json
"$P" proof consistency 100 "$(( n + 1 ))" | tee proof-consistency.json

step "done: ledger, checkpoint and proofs are in $out"
