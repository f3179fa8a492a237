#!/usr/bin/env bash
# run.sh — the Barsetshire Better Care Fund ledger of examples/bcf-county
# (the same pool.json and entries.csv), with each partner's auditor running a
# witness (docs/witness.md): the council's and the ICB's witnesses listen on
# loopback, every quarter's checkpoint and the year's are sent to both and must
# come back cosigned by both, and a forked ledger (a copy that tells Q3
# differently) is refused by both. Fails if any of that does not happen.
# usage: bash examples/witnessed/run.sh [OUTDIR]   (default: out/examples/witnessed)
# Uses the poolbook binary in $POOLBOOK if set; else builds one as scripts/demo.sh does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
name=witnessed
POOL=BARBCF24
ORIGIN=barsetshire.example/bcf
HOST=bcc
SIGNATORIES=(bcc-signatory icb-signatory)
KEYS=(bcc-signatory bcc-finance bcc-operator bcc-auditor icb-signatory icb-finance icb-auditor)
FOUNDERS=("${SIGNATORIES[@]}")
GENESIS_ARGS=(
  --partner "BCC:council:Barsetshire County Council"
  --partner "ICB:icb:NHS Barsetshire Integrated Care Board"
  --key BCC:signatory:keys/bcc-signatory.pub --key BCC:finance:keys/bcc-finance.pub
  --key BCC:operator:keys/bcc-operator.pub --key BCC:auditor:keys/bcc-auditor.pub
  --key ICB:signatory:keys/icb-signatory.pub --key ICB:finance:keys/icb-finance.pub
  --key ICB:auditor:keys/icb-auditor.pub
)
source "$root/examples/lib/witness.sh"
trap witness_stop_all EXIT
BCC_WITNESS=witness.barsetshire-cc.example/audit
ICB_WITNESS=witness.barsetshire-icb.example/audit

# After the genesis: each partner's auditor starts its witness for this
# ledger, trusting the operator's note verifier key printed by the ledger.
before_agreement() {
  step "each partner's auditor runs a witness for $ORIGIN (loopback, free ports)"
  mkdir -p witnesses checkpoints
  local vk
  vk=$("$P" checkpoint --verifier -p keys/bcc-operator.pub)
  echo "operator's verifier key: $vk"
  witness_start bccw keys/bcc-auditor.key witnesses/bcc.state --log "$ORIGIN=$vk" --name "$BCC_WITNESS"
  witness_start icbw keys/icb-auditor.key witnesses/icb.state --log "$ORIGIN=$vk" --name "$ICB_WITNESS"
  echo "council's witness: $bccw_url  $bccw_vkey"
  echo "ICB's witness:     $icbw_url  $icbw_vkey"
  step "the witness policy (C2SP tlog-policy): a checkpoint is final when both have cosigned"
  {
    echo "# Barsetshire BCF: a checkpoint is final once both partners' auditors witness it."
    echo "log $vk"
    echo "witness bcc-audit $bccw_vkey $bccw_url"
    echo "witness icb-audit $icbw_vkey $icbw_url"
    echo "group both-partners all bcc-audit icb-audit"
    echo "quorum both-partners"
  } >witness-policy.txt
  cat witness-policy.txt
  pbq new witness.policy --file witness-policy.txt -o witness-policy.json
  for s in "${SIGNATORIES[@]}"; do pbq sign witness-policy.json -k "keys/$s.key"; done
  "$P" append witness-policy.json
}

# A checkpoint sent to the witnesses the policy names (--witnesses); both
# must cosign it, and poolbook must find it final under the policy.
witnessed_checkpoint() {
  local label=$1
  shift
  "$P" checkpoint "$@" --witnesses >"checkpoints/$label.txt" \
    2>"checkpoints/$label.err" || { cat "checkpoints/$label.err" >&2; exit 1; }
  grep -q '^poolbook: the checkpoint is final under' "checkpoints/$label.err" ||
    { echo "$name: the $label checkpoint is not final" >&2; cat "checkpoints/$label.err" >&2; exit 1; }
  local n
  n=$(grep -cE "^— ($BCC_WITNESS|$ICB_WITNESS) " "checkpoints/$label.txt" || true)
  [ "$n" = 2 ] || { echo "$name: the $label checkpoint has $n witness cosignatures, not 2" >&2; exit 1; }
  echo "$label: tree size $(sed -n 2p "checkpoints/$label.txt") cosigned by both partners' witnesses: final"
}

after_quarter() {
  local q=$1 label=${1//\//-}
  witnessed_checkpoint "$label" -k "keys/$HOST-operator.key"
  [ "$q" != 2024/25-Q2 ] || cp pool.ledger fork.ledger # the host keeps a second copy...
  [ "$q" = 2024/25-Q3 ] || return 0
  step "a forked ledger: the copy taken at Q2 tells Q3 differently; both witnesses refuse it"
  echo "an undisclosed side letter" >side-letter.txt
  POOLBOOK_LEDGER=$out/fork.ledger POOLBOOK_NOW=2024-10-02T09:00:00Z pbq post document \
    side-letter.txt --title "side letter" -k "keys/$HOST-finance.key"
  POOLBOOK_LEDGER=$out/fork.ledger POOLBOOK_NOW="${QCLOSE[2]}T09:00:00Z" "$P" append batches/Q3.jsonl
  POOLBOOK_LEDGER=$out/fork.ledger "$P" checkpoint -k "keys/$HOST-operator.key" >checkpoints/fork.txt
  local url rc
  for url in "$bccw_url" "$icbw_url"; do
    rc=0
    POOLBOOK_LEDGER=$out/fork.ledger "$P" checkpoint --witness "$url" >/dev/null 2>fork.err || rc=$?
    cat fork.err
    [ "$rc" = 1 ] && grep -qE ': (409|422)[ ,]' fork.err ||
      { echo "$name: the witness at $url did not refuse the fork (exit $rc)" >&2; exit 1; }
  done
  echo "the fork (tree size $(sed -n 2p checkpoints/fork.txt), root $(sed -n 3p checkpoints/fork.txt))"
  echo "was refused by both witnesses: each holds the history it cosigned"
}

# The statements rest on the year's checkpoint, which both witnesses cosign.
before_statements() {
  step "the year's checkpoint (after the settlement), cosigned by both witnesses"
  witnessed_checkpoint year -k "keys/$HOST-operator.key"
}

after_year() {
  step "the statements name the witnesses; verify checks every cosignature"
  local f=statements/2024-25/$POOL-2024-25-ICB.txt w
  if [ -f "$f" ]; then # (when this build has statements)
    for w in "$BCC_WITNESS" "$ICB_WITNESS"; do
      grep -q "^  witnessed by: .*$w" "$f" || { echo "$name: $f does not name $w" >&2; exit 1; }
    done
    grep '^  witnessed by: ' "$f"
  fi
  "$P" verify
}

source "$root/examples/lib/example.sh"
