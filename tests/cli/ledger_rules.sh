#!/usr/bin/env bash
# ledger_rules.sh — the ledger's rules of DESIGN 5 that an audit asked for
# (issue 14, docs/entries.md "Rules"), through the command line: each refusal
# exits 1 with exactly its one line, prints nothing on stdout, and leaves every
# record, the root and the derived state (pool show) as they were; and each
# rule's positive side shows in `pool show`.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}"
P=$POOLBOOK
export POOLBOOK_NOW=2024-06-30T12:00:00Z
unset POOLBOOK_PASSPHRASE_FILE
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-ledger-rules.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export POOLBOOK_LEDGER=$work/test.ledger
ORIGIN=example.gov.uk/derbyshire-bcf
fails=0
checks=0

fail() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}

for k in dcc-sig dcc-fin icb-sig icb-fin op aud stranger; do
  cp "$PB_SRC/tests/data/keys/$k.pub" "$PB_SRC/tests/data/keys/$k.key" .
  chmod 600 "$k.key"
done
"$P" init >/dev/null
"$P" new genesis --origin "$ORIGIN" \
  --partner DCC:council:"Derbyshire County Council" \
  --partner ICB:icb:"NHS Derby and Derbyshire ICB" \
  --key DCC:signatory:dcc-sig.pub --key DCC:finance:dcc-fin.pub \
  --key ICB:signatory:icb-sig.pub --key ICB:finance:icb-fin.pub \
  --key DCC:operator:op.pub --key ICB:auditor:aud.pub -o genesis.json 2>/dev/null
"$P" sign genesis.json -k dcc-sig.key 2>/dev/null
"$P" sign genesis.json -k icb-sig.key 2>/dev/null
"$P" append genesis.json >/dev/null
cat >pool.json <<'EOF'
{"id": "BCF24", "name": "Derbyshire Better Care Fund 2024/25", "kind": "bcf",
 "year": "2024/25", "term": {"start": "2024-04-01", "end": "2025-03-31"},
 "host": "DCC", "partners": ["DCC", "ICB"],
 "streams": [{"id": "NHSMIN", "name": "NHS minimum contribution", "payer": "ICB", "planned": "6000000.00"},
             {"id": "IBCF", "name": "Improved Better Care Fund", "payer": "DCC", "planned": "2000000.00"}],
 "schemes": [{"id": "S01", "name": "Reablement", "lead": "DCC", "budget": "4000000.00", "class": "revenue"},
             {"id": "S02", "name": "Hospital discharge", "lead": "ICB", "budget": "3500000.00", "class": "revenue"},
             {"id": "S03", "name": "Disabled Facilities Grant", "lead": "DCC", "budget": "500000.00", "class": "capital"}],
 "policy": {"name": "pro rata", "netting": "pool", "overspend": {"split": "contributions"}, "underspend": {"split": "contributions"}},
 "virement_limit": "250000.00", "key_decision_threshold": "1000000.00"}
EOF
"$P" new pool.agree --file pool.json -o agree.json 2>/dev/null
"$P" sign agree.json -k dcc-sig.key 2>/dev/null
"$P" sign agree.json -k icb-sig.key 2>/dev/null
"$P" append agree.json >/dev/null

# The ledger's whole logical content: every record, the recomputed root, and
# the pool's derived figures.
snapshot() {
  "$P" log --json 2>&1 || echo "log exit $?"
  "$P" verify --json 2>&1 || echo "verify exit $?"
  "$P" pool show BCF24 --json 2>&1 || echo "pool show exit $?"
}

# refuse 'EXACT STDERR LINE' COMMAND...: exit 1, exactly that line, no stdout,
# and the ledger as it was.
refuse() {
  local want=$1 code=0 before after
  shift
  checks=$((checks + 1))
  before=$(snapshot)
  "$P" "$@" >refuse.out 2>refuse.err || code=$?
  after=$(snapshot)
  if [ "$code" -ne 1 ]; then
    fail "$* exited $code, want 1: $(cat refuse.err)"
  elif [ "$(cat refuse.err)" != "$want" ]; then
    fail "$*: stderr"$'\n'"  got:  $(cat refuse.err)"$'\n'"  want: $want"
  elif [ -s refuse.out ]; then
    fail "$*: printed to stdout on refusal"
  fi
  [ "$before" = "$after" ] || fail "$*: the ledger changed on refusal"
}

# sign_append FILE KEY...: sign the draft with each key and append it.
sign_append() {
  local file=$1
  shift
  for k in "$@"; do "$P" sign "$file" -k "$k" 2>/dev/null; done
  checks=$((checks + 1))
  "$P" append "$file" >/dev/null || fail "append $file"
}

# budget SCHEME [PERIOD]: the scheme's budget in pool show --json.
budget() {
  "$P" pool show BCF24 ${2:+--period "$2"} --json |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print([s["budget"] for s in r["schemes"] if s["id"]==sys.argv[1]][0])' "$1"
}

expect_eq() {
  checks=$((checks + 1))
  [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

# ---- 1. a variation keeps what it does not change ----
# S01 agreed at 4,000,000.00; 400,000.00 vired out (above the limit: both
# signatories); a variation of the virement limit alone keeps S01 at 3,600,000.00.
"$P" new virement --pool BCF24 --from S01 --to S02 --amount 400,000 --date 2024-05-10 \
  --reason 'discharge pressures' -o vir.json 2>/dev/null
sign_append vir.json dcc-sig.key icb-sig.key
printf '{"virement_limit": "300000.00"}\n' >limit.json
"$P" new pool.vary --pool BCF24 --date 2024-06-01 --file limit.json --reason 'board' \
  -o vary-limit.json 2>/dev/null
sign_append vary-limit.json dcc-sig.key icb-sig.key
expect_eq "S01 budget after a limit-only variation" "$(budget S01)" "3600000.00"
expect_eq "S02 budget after a limit-only variation" "$(budget S02)" "3900000.00"

# Removing a scheme that has spending in the year is refused, naming it and
# its amount; setting its budget to 0.00 is the way.
"$P" post expenditure --pool BCF24 --scheme S03 --amount 12,345.67 --date 2024-05-20 \
  --payee 'Adaptations Ltd' -k dcc-fin.key >/dev/null
python3 - <<'PY'
import json
p = json.load(open("pool.json"))
s = [x for x in p["schemes"] if x["id"] != "S03"]
s[0]["budget"] = "4100000.00"; s[1]["budget"] = "3900000.00"
json.dump({"schemes": s}, open("drop-s03.json", "w"))
s = p["schemes"]
s[0]["budget"] = "4100000.00"; s[1]["budget"] = "3900000.00"; s[2]["budget"] = "0.00"
json.dump({"schemes": s}, open("zero-s03.json", "w"))
PY
"$P" new pool.vary --pool BCF24 --date 2024-06-15 --file drop-s03.json --reason 'merge' \
  -o drop.json 2>/dev/null
for k in dcc-sig.key icb-sig.key; do "$P" sign drop.json -k "$k" 2>/dev/null; done
refuse "poolbook: error: scheme S03 has entries in 2024/25 (spent 12,345.67): a variation cannot remove it; set its budget to 0.00 instead (drop.json line 1, \$.entry.set.schemes)" \
  append drop.json
"$P" new pool.vary --pool BCF24 --date 2024-06-15 --file zero-s03.json --reason 'merge' \
  -o zero.json 2>/dev/null
sign_append zero.json dcc-sig.key icb-sig.key
expect_eq "S03 budget set to 0.00" "$(budget S03)" "0.00"
expect_eq "S01 budget set from the variation's date" "$(budget S01)" "4100000.00"
expect_eq "S01 budget in May, before that variation" "$(budget S01 2024/25-M02)" "3600000.00"

checks=$((checks + 1))
"$P" verify >/dev/null || fail "verify"
echo "ledger_rules: $checks checks, $fails failures"
[ "$fails" -eq 0 ]
