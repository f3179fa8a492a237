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
# 6. With the ledger at hand, `new` refuses the draft before anyone signs it.
refuse "poolbook: error: scheme S03 has entries in 2024/25 (spent 12,345.67): a variation cannot remove it; set its budget to 0.00 instead (\$.entry.set.schemes)" \
  new pool.vary --pool BCF24 --date 2024-06-15 --file drop-s03.json --reason 'merge' -o drop.json
"$P" new pool.vary --pool BCF24 --date 2024-06-15 --file drop-s03.json --reason 'merge' \
  --no-check -o drop.json 2>/dev/null
for k in dcc-sig.key icb-sig.key; do "$P" sign drop.json --no-check -k "$k" 2>/dev/null; done
refuse "poolbook: error: scheme S03 has entries in 2024/25 (spent 12,345.67): a variation cannot remove it; set its budget to 0.00 instead (drop.json line 1, \$.entry.set.schemes)" \
  append drop.json
"$P" new pool.vary --pool BCF24 --date 2024-06-15 --file zero-s03.json --reason 'merge' \
  -o zero.json 2>zero.diff
# 6. Before anyone signs, `new` prints what the variation changes.
checks=$((checks + 1))
printf '%s\n' "poolbook: the variation of pool BCF24 from 2024-06-15 changes:" \
  "  scheme S01 budget: 3,600,000.00 -> 4,100,000.00" \
  "  scheme S03 budget: 500,000.00 -> 0.00" >zero.want
grep -v '^poolbook: draft written' zero.diff | cmp -s - zero.want ||
  fail "variation diff: $(cat zero.diff)"
sign_append zero.json dcc-sig.key icb-sig.key
expect_eq "S03 budget set to 0.00" "$(budget S03)" "0.00"
expect_eq "S01 budget set from the variation's date" "$(budget S01)" "4100000.00"
expect_eq "S01 budget in May, before that variation" "$(budget S01 2024/25-M02)" "3600000.00"

# ---- 2. the clock at append, and no entry before the genesis ----
refuse "poolbook: error: date 2024-07-02 of this expenditure is in the future: today is 2024-06-30 (at most a day ahead is allowed) (--date)" \
  post expenditure --pool BCF24 --scheme S01 --amount 100 --date 2024-07-02 --payee 'A Ltd' \
  -k dcc-fin.key
"$P" new expenditure --pool BCF24 --scheme S01 --amount 100 --date 2024-06-20 --payee 'A Ltd' \
  --created 2024-06-30T13:00:01Z --no-check -o ahead.json 2>/dev/null
"$P" sign ahead.json -k dcc-fin.key 2>/dev/null
refuse "poolbook: error: created 2024-06-30T13:00:01Z is in the future: it is now 2024-06-30T12:00:00Z (clocks may differ by an hour at most) (ahead.json line 1, \$.entry.created)" \
  append ahead.json
"$P" new expenditure --pool BCF24 --scheme S01 --amount 100 --date 2024-06-20 --payee 'A Ltd' \
  --created 2024-06-30T11:59:59Z --no-check -o early.json 2>/dev/null
"$P" sign early.json --no-check -k dcc-fin.key 2>/dev/null
refuse "poolbook: error: created 2024-06-30T11:59:59Z is before the ledger's genesis (created 2024-06-30T12:00:00Z) (early.json line 1, \$.entry.created)" \
  append early.json

# ---- 3. closing periods: on or after the last day; the year by settlement; reopen ----
refuse "poolbook: error: period 2024/25-Q2 of pool BCF24 cannot be closed before its last day, 2024-09-30 (this close is dated 2024-06-30) (--created)" \
  post period.close --pool BCF24 --period 2024/25-Q2 -k dcc-fin.key
refuse "poolbook: error: the year 2024/25 of pool BCF24 is closed by its settlement (poolbook new settlement --pool BCF24), not by period.close (--period)" \
  post period.close --pool BCF24 --period 2024/25 -k dcc-fin.key
checks=$((checks + 1))
"$P" post period.close --pool BCF24 --period 2024/25-M02 --id close-may -k dcc-fin.key >/dev/null ||
  fail "close May"
"$P" new period.reopen --pool BCF24 --period 2024/25-M03 --reason 'closed by mistake' \
  --no-check -o reopen-june.json 2>/dev/null
for k in dcc-sig.key icb-sig.key; do "$P" sign reopen-june.json --no-check -k "$k" 2>/dev/null; done
refuse "poolbook: error: period 2024/25-M03 of pool BCF24 is not closed (reopen-june.json line 1, \$.entry.period)" \
  append reopen-june.json
"$P" new period.reopen --pool BCF24 --period 2024/25-M02 --reason 'invoice INV-77 was missed' \
  --id reopen-may -o reopen.json 2>/dev/null
"$P" sign reopen.json -k dcc-sig.key 2>/dev/null
refuse "poolbook: error: the period.reopen entry still needs a signatory signature of: ICB (reopen.json line 1, \$.sigs)" \
  append reopen.json
sign_append reopen.json icb-sig.key
checks=$((checks + 1))
"$P" post expenditure --pool BCF24 --scheme S01 --amount 770 --date 2024-05-30 --payee 'INV-77 Ltd' \
  -k dcc-fin.key >/dev/null || fail "spending in the reopened month"
"$P" post period.close --pool BCF24 --period 2024/25-M02 --id close-may-2 -k dcc-fin.key >/dev/null
checks=$((checks + 1))
"$P" pool show BCF24 >show.txt
grep -qE '^  2024/25-M02 +reopened on 2024-06-30 by reopen-may \(index [0-9]+\): invoice INV-77 was missed$' show.txt ||
  fail "pool show lacks the reopen: $(sed -n '/^periods/,$p' show.txt)"
grep -qE '^  2024/25-M02 +closed +on 2024-06-30 by close-may-2 ' show.txt || fail "pool show lacks the second close"
checks=$((checks + 1))
"$P" verify >verify.txt
grep -qE "^review: record [0-9]+ reopen-may reopened period 2024/25-M02 of pool BCF24, closed by record [0-9]+ close-may: invoice INV-77 was missed$" verify.txt ||
  fail "verify lacks the reopen: $(cat verify.txt)"

# ---- 4. a reversal needs the authority its target needed ----
"$P" post virement --pool BCF24 --from S01 --to S02 --amount 50,000 --date 2024-06-10 \
  --id vir-small -k dcc-sig.key >/dev/null
refuse "poolbook: error: key A6B779F7B49CF6D6 is DCC's finance key; a reversal entry needs DCC's signatory key (-k dcc-fin.key)" \
  post reversal --target vir-small --date 2024-06-12 --reason 'withdrawn' -k dcc-fin.key
checks=$((checks + 1))
"$P" post reversal --target vir-small --date 2024-06-12 --reason 'withdrawn' -k dcc-sig.key \
  >/dev/null || fail "reversal of a small virement by the host signatory"
vir_id=$(python3 -c 'import json; print(json.load(open("vir.json"))["entry"]["id"])')
refuse "poolbook: error: the reversal entry still needs a signatory signature of: ICB (-k dcc-sig.key)" \
  post reversal --target "$vir_id" --date 2024-06-12 --reason 'withdrawn' -k dcc-sig.key
"$P" new expenditure --pool BCF24 --scheme S01 --amount 1,000,000 --date 2024-06-11 \
  --payee 'Big Care Ltd' --id exp-big -o big.json 2>/dev/null
sign_append big.json dcc-fin.key dcc-sig.key
refuse "poolbook: error: the reversal entry still needs a signatory signature of: DCC (-k dcc-fin.key)" \
  post reversal --target exp-big --date 2024-06-12 --reason 'wrong supplier' -k dcc-fin.key
"$P" new reversal --target exp-big --date 2024-06-12 --reason 'wrong supplier' -o rev-big.json 2>/dev/null
sign_append rev-big.json dcc-fin.key dcc-sig.key

# ---- 5. verify anchored to keys you hold ----
K=$PB_SRC/tests/data/keys
checks=$((checks + 1))
"$P" verify >verify.txt
grep -q '^self-consistent: [0-9]* records, .*; not anchored to keys you hold (verify --trust KEY.pub ... to anchor it)$' verify.txt ||
  fail "verify without --trust: $(head -1 verify.txt)"
checks=$((checks + 1))
"$P" verify --trust "$K/dcc-sig.pub" --trust "$K/icb-sig.pub" --trust "$K/op.pub" >verify.txt ||
  fail "verify --trust"
grep -q '^verified: [0-9]* records, .*; anchored to 3 keys you hold$' verify.txt ||
  fail "verify --trust: $(head -1 verify.txt)"
refuse "poolbook: error: the trusted key EE53BFF30D7CED1D is not bound by the ledger's genesis: this is not a ledger founded with the keys you hold (record 0, the genesis)" \
  verify --trust "$K/dcc-sig.pub" --trust "$K/stranger.pub"

# ---- 6. drafts checked before anyone signs; sign refuses a key the rule would not take ----
refuse "poolbook: error: pool BCF24 has no scheme \"S09\" (\$.entry.scheme)" \
  new expenditure --pool BCF24 --scheme S09 --amount 10 --date 2024-06-20 --payee 'A Ltd'
refuse "poolbook: error: no pool \"BCF99\" is agreed in this ledger (\$.entry.pool)" \
  new forecast --pool BCF99 --scheme S01 --amount 10 --date 2024-06-20
refuse "poolbook: error: stream NHSMIN is paid by ICB, not DCC (\$.entry.partner)" \
  new contribution --pool BCF24 --partner DCC --stream NHSMIN --amount 10 --date 2024-06-20
"$P" new expenditure --pool BCF24 --scheme S02 --amount 10 --date 2024-06-20 --payee 'A Ltd' \
  -o sign-me.json 2>/dev/null
cp sign-me.json sign-me.orig
refuse "poolbook: error: key B78212BAE33D64E1 is ICB's signatory key; an expenditure entry needs ICB's finance key; the expenditure entry needs a finance key of ICB or DCC (sign-me.json, \$.sigs[0].key)" \
  sign sign-me.json -k icb-sig.key
checks=$((checks + 1))
cmp -s sign-me.json sign-me.orig || fail "a refused sign changed the draft"
refuse "poolbook: error: key EE53BFF30D7CED1D is not bound in this ledger; the expenditure entry needs a finance key of ICB or DCC (sign-me.json, \$.sigs[0].key)" \
  sign sign-me.json -k stranger.key
"$P" sign sign-me.json --no-check -k stranger.key 2>/dev/null
checks=$((checks + 1))
"$P" unsign sign-me.json EE53BFF30D7CED1D 2>/dev/null || fail "unsign"
cmp -s sign-me.json sign-me.orig || fail "unsign did not restore the draft"
refuse "poolbook: error: the draft has no signature by key EE53BFF30D7CED1D (sign-me.json)" \
  unsign sign-me.json EE53BFF30D7CED1D

checks=$((checks + 1))
"$P" new partner.succeed --partner ICB --successor DCC --date 2024-07-01 --reason 'merger' \
  -o succeed.json 2>/dev/null || fail "new partner.succeed"
grep -q '"type":"partner.succeed"' succeed.json || fail "new partner.succeed: $(cat succeed.json)"
refuse "poolbook: error: NOPE is not a partner: admit it first with partner.admit (\$.entry.successor)" \
  new partner.succeed --partner ICB --successor NOPE --date 2024-07-01

# ---- 7. posting is idempotent; a reference used twice is refused ----
C7=(contribution --pool BCF24 --partner ICB --stream NHSMIN --amount 1,500,000 --date 2024-06-05
  --ref REM-0605 -k icb-fin.key)
out1=$("$P" post "${C7[@]}")
con_id=${out1##* }
checks=$((checks + 1))
out2=$(POOLBOOK_NOW=2024-06-30T12:01:00Z "$P" post "${C7[@]}")
[ "$out2" = "already present at index ${out1#appended at index }" ] ||
  fail "re-posting a minute later: '$out2' (first: '$out1')"
refuse "poolbook: error: reference REM-0605 is already used by $con_id for pool BCF24: if this is another payment under the same reference, post it with --allow-same-ref (--ref)" \
  post contribution --pool BCF24 --partner ICB --stream NHSMIN --amount 1,400,000 \
  --date 2024-06-05 --ref REM-0605 -k icb-fin.key
checks=$((checks + 1))
"$P" post contribution --pool BCF24 --partner ICB --stream NHSMIN --amount 1,400,000 \
  --date 2024-06-05 --ref REM-0605 --allow-same-ref -k icb-fin.key | grep -q '^appended at index' ||
  fail "post --allow-same-ref"

# @ITEMS@

# ---- 2. revocation by append order (last: it revokes ICB's finance key) ----
# ICB's finance key posts spending dated 30 June; then ICB revokes that key
# from 25 June (it was lost then). The spending was appended before the
# revocation, so it counts, and verify and the statements list it for review.
ICB_FIN=0B6A3010127FFC5C
"$P" post expenditure --pool BCF24 --scheme S02 --amount 2,500 --date 2024-06-30 \
  --payee 'Care Ltd' --id exp-late -k icb-fin.key >/dev/null
"$P" post key.revoke --partner ICB --keyid $ICB_FIN --date 2024-06-25 --reason 'laptop lost' \
  -k icb-sig.key >/dev/null
late=$("$P" show exp-late --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["index"])' 2>/dev/null || echo '?')
checks=$((checks + 1))
"$P" verify >verify.txt || fail "verify with a finding for review"
grep -qxF "review: record $late exp-late (expenditure dated 2024-06-30) is signed by key $ICB_FIN of ICB, which record $((late + 1)) revoked from 2024-06-25; appended before the revocation, the signature counts: check that it was genuine" verify.txt ||
  fail "verify lacks the review line: $(cat verify.txt)"
checks=$((checks + 1))
"$P" statement --pool BCF24 --partner ICB --period 2024/25-Q1 >statement.txt 2>&1 ||
  fail "statement: $(cat statement.txt)"
grep -qF "for review: record $late exp-late (expenditure dated 2024-06-30) is signed by key $ICB_FIN of ICB" statement.txt ||
  fail "the statement does not say it uses a record for review"
# Appended after the revocation, the key signs nothing, whatever the date.
refuse "poolbook: error: key $ICB_FIN was revoked (from 2024-06-25) by record $((late + 1)): it signs nothing appended after that, whatever the entry's date (2024-06-01) (-k icb-fin.key)" \
  post expenditure --pool BCF24 --scheme S02 --amount 10 --date 2024-06-01 --payee 'Care Ltd' \
  -k icb-fin.key

# An audit bundle of this ledger lists the same findings for review (its
# scratch ledger holds the same records): both kinds, line for line.
checks=$((checks + 1))
"$P" export --format jsonl -o audit.jsonl || fail "export --format jsonl"
"$P" verify --bundle audit.jsonl >bverify.txt || fail "verify --bundle: $(cat bverify.txt)"
grep '^review: ' verify.txt >review.txt
grep '^review: ' bverify.txt >breview.txt
[ "$(grep -c '^review: record [0-9]* reopen-may reopened' review.txt)" = 1 ] &&
  [ "$(grep -c "^review: record $late exp-late " review.txt)" = 1 ] ||
  fail "verify's review lines: $(cat review.txt)"
cmp -s review.txt breview.txt || fail "verify --bundle's review lines differ: $(diff review.txt breview.txt)"
checks=$((checks + 1))
"$P" verify --json >verify.json
"$P" verify --bundle audit.jsonl --json >bverify.json
python3 - verify.json bverify.json <<'PY' || fail "verify --bundle --json's review differs from verify --json's"
import json, sys
a, b = (json.load(open(f))["review"] for f in sys.argv[1:3])
assert [f["kind"] for f in a].count("reopen") == 1 and [f["kind"] for f in a].count("revoked-key") == 1, a
assert a == b, (a, b)
PY
# The revoked-key findings are kept in derived state when the revocation is
# admitted (review:<KEYID>), so verify reads no record for them. A ledger
# whose revocation an older poolbook admitted has no such row: its findings
# are found by reading the records, the same ones; reindex keeps the row.
checks=$((checks + 1))
"$PB_BUILD/tamper" "$POOLBOOK_LEDGER" state-del "review:$ICB_FIN" || fail "tamper state-del"
"$P" verify --json >old.json || fail "verify of a ledger without the kept findings"
"$P" reindex >/dev/null || fail "reindex"
"$PB_BUILD/tamper" "$POOLBOOK_LEDGER" state-del "review:$ICB_FIN" >/dev/null 2>&1 &&
  "$P" reindex >/dev/null || fail "reindex did not keep review:$ICB_FIN again"
"$P" verify --json >again.json || fail "verify after reindex"
python3 - verify.json old.json again.json <<'PY' || fail "the findings differ without the kept row or after reindex"
import json, sys
a, b, c = (json.load(open(f))["review"] for f in sys.argv[1:4])
assert a == b == c, (a, b, c)
PY
# A period closed by an older poolbook has no close event in the pool's
# state (they are kept since reopen exists): its reopen's finding is then
# found by reading the records, the same one.
checks=$((checks + 1))
"$PB_BUILD/tamper" "$POOLBOOK_LEDGER" state-get pool:BCF24 >pool.json || fail "tamper state-get"
python3 - pool.json <<'PY' || fail "no close event to drop"
import json, sys
ps = json.load(open(sys.argv[1]))
events = ps["periods"]
drop = [e for e in events if e["action"] == "close" and e["id"] == "close-may"]
assert len(drop) == 1, events
ps["periods"] = [e for e in events if e is not drop[0]]
open(sys.argv[1], "w").write(json.dumps(ps, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
PY
"$PB_BUILD/tamper" "$POOLBOOK_LEDGER" state-put pool:BCF24 pool.json || fail "tamper state-put"
"$P" verify --json >noclose.json || fail "verify without the close event"
python3 - verify.json noclose.json <<'PY' || fail "the reopen finding differs without its close event"
import json, sys
a, b = (json.load(open(f))["review"] for f in sys.argv[1:3])
assert a == b, (a, b)
PY

checks=$((checks + 1))
"$P" verify >/dev/null || fail "verify"
echo "ledger_rules: $checks checks, $fails failures"
[ "$fails" -eq 0 ]
