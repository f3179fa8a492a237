#!/usr/bin/env bash
# run.sh — builds the Barsetshire Better Care Fund ledger from nothing
# (illustrative figures): the partners' keys, a genesis entry signed by both
# partners, the pool agreement (pool.json) signed by both, a year of
# contributions, spending, forecasts, a virement and a reversal
# (entries.csv), each quarter appended in one batch and closed, the pool
# and its risk share at each quarter end, the year-end settlement signed
# by both partners, the partners' statements (when this build has them),
# a checkpoint and a full verification.
# usage: bash examples/bcf-county/run.sh [OUTDIR]   (default: out/examples/bcf-county)
# Uses the poolbook binary in $POOLBOOK if set; else builds one as scripts/demo.sh does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
name=bcf-county
POOL=BARBCF24
ORIGIN=barsetshire.example/bcf
HOST=bcc                     # the host partner's key files are keys/bcc-*.key
SIGNATORIES=(bcc-signatory icb-signatory)
KEYS=(bcc-signatory bcc-finance bcc-operator icb-signatory icb-finance)
FOUNDERS=("${SIGNATORIES[@]}")
GENESIS_ARGS=(
  --partner "BCC:council:Barsetshire County Council"
  --partner "ICB:icb:NHS Barsetshire Integrated Care Board"
  --key BCC:signatory:keys/bcc-signatory.pub --key BCC:finance:keys/bcc-finance.pub
  --key BCC:operator:keys/bcc-operator.pub
  --key ICB:signatory:keys/icb-signatory.pub --key ICB:finance:keys/icb-finance.pub
)
source "$root/examples/lib/example.sh"
