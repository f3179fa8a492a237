#!/usr/bin/env bash
# run.sh — builds the Loamshire section 75 pool's ledger from nothing
# (illustrative figures), where each lead commissioner bears its own
# schemes' variances: the partners' keys, a genesis entry signed by both
# partners, the pool agreement (pool.json) signed by both, a year of
# contributions, spending, forecasts, a virement and a reversal
# (entries.csv), each quarter appended in one batch and closed, the pool
# and its risk share at each quarter end, the year-end settlement signed
# by both partners, the partners' statements (when this build has them),
# a checkpoint and a full verification.
# usage: bash examples/s75-lead-commissioner/run.sh [OUTDIR]   (default: out/examples/s75-lead-commissioner)
# Uses the poolbook binary in $POOLBOOK if set; else builds one as scripts/demo.sh does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
name=s75-lead-commissioner
POOL=LOAMS75
ORIGIN=loamshire.example/s75
HOST=lcc                     # the host partner's key files are keys/lcc-*.key
SIGNATORIES=(lcc-signatory icb-signatory)
KEYS=(lcc-signatory lcc-finance lcc-operator icb-signatory icb-finance)
FOUNDERS=("${SIGNATORIES[@]}")
GENESIS_ARGS=(
  --partner "LCC:council:Loamshire County Council"
  --partner "ICB:icb:NHS Loamshire Integrated Care Board"
  --key LCC:signatory:keys/lcc-signatory.pub --key LCC:finance:keys/lcc-finance.pub
  --key LCC:operator:keys/lcc-operator.pub
  --key ICB:signatory:keys/icb-signatory.pub --key ICB:finance:keys/icb-finance.pub
)
source "$root/examples/lib/example.sh"
