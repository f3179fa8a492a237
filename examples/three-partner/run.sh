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
KEYS=(wcc-signatory wcc-finance wcc-operator icb-signatory icb-finance cch-signatory cch-finance)
FOUNDERS=(wcc-signatory icb-signatory)   # the trust joins after genesis
GENESIS_ARGS=(
  --partner "WCC:council:Wessex County Council"
  --partner "ICB:icb:NHS Wessex Integrated Care Board"
  --key WCC:signatory:keys/wcc-signatory.pub --key WCC:finance:keys/wcc-finance.pub
  --key WCC:operator:keys/wcc-operator.pub
  --key ICB:signatory:keys/icb-signatory.pub --key ICB:finance:keys/icb-finance.pub
)

before_agreement() {
  step "the NHS trust admitted to the ledger, signed by every partner's signatory and its own"
  POOLBOOK_NOW=2024-03-25T09:00:00Z pbq new partner.admit --partner-id CCH --kind trust \
    --name "Casterbridge Community Health NHS Foundation Trust" \
    --key signatory:keys/cch-signatory.pub --key finance:keys/cch-finance.pub -o admit.json
  for s in "${SIGNATORIES[@]}"; do pbq sign admit.json -k "keys/$s.key"; done
  POOLBOOK_NOW=2024-03-25T09:00:00Z "$P" append admit.json
}

before_quarter() {
  [ "$1" = 2024/25-Q3 ] || return 0
  echo "-- the variation from $VARY_DATE (variation.json: winter discharge funding, new policy), signed by all three"
  POOLBOOK_NOW="${VARY_DATE}T09:00:00Z" pbq new pool.vary --pool "$POOL" --date "$VARY_DATE" \
    --file "$here/variation.json" --id "vary-$POOL-winter" \
    --reason "ICB winter discharge funding of 2,400,000.00 added to discharge to assess; risk share revised" \
    -o vary.json
  for s in "${SIGNATORIES[@]}"; do pbq sign vary.json -k "keys/$s.key"; done
  POOLBOOK_NOW="${VARY_DATE}T09:00:00Z" "$P" append vary.json
}
source "$root/examples/lib/example.sh"
