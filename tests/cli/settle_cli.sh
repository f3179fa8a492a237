#!/usr/bin/env bash
# settle_cli.sh — the year end from the command line (DESIGN 5, 6): after the
# last quarter is closed, `new settlement` drafts the ledger's own apportionment
# of the actual outturn, every pool signatory signs, `append` admits it; a
# draft whose figures were altered is refused naming the figure, with the
# ledger unchanged; `pool show` then shows the settlement and the closing
# reserve, and `policy explain --actual` the workings. Figures worked by hand.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}"
P=$POOLBOOK
export POOLBOOK_NOW=2025-05-15T12:00:00Z
unset POOLBOOK_PASSPHRASE_FILE
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-settle-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export POOLBOOK_LEDGER=$work/test.ledger
fails=0
checks=0
fail() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}

for k in dcc-sig dcc-fin icb-sig icb-fin op; do
  cp "$PB_SRC/tests/data/keys/$k.pub" "$PB_SRC/tests/data/keys/$k.key" .
  chmod 600 "$k.key"
done
"$P" init >/dev/null
"$P" new genesis --origin example.gov.uk/settle \
  --partner DCC:council:"Derbyshire County Council" \
  --partner ICB:icb:"NHS Derby and Derbyshire ICB" \
  --key DCC:signatory:dcc-sig.pub --key DCC:finance:dcc-fin.pub \
  --key ICB:signatory:icb-sig.pub --key ICB:finance:icb-fin.pub \
  --key DCC:operator:op.pub -o genesis.json 2>/dev/null
"$P" sign genesis.json -k dcc-sig.key 2>/dev/null
"$P" sign genesis.json -k icb-sig.key 2>/dev/null
"$P" append genesis.json >/dev/null

# Overspends 60/40 between the council and the ICB; underspends kept.
cat >pool.json <<'EOF'
{"id": "S75", "name": "Section 75 pool", "kind": "s75-pooled",
 "year": "2024/25", "term": {"start": "2024-04-01", "end": "2025-03-31"},
 "host": "DCC", "partners": ["DCC", "ICB"],
 "streams": [{"id": "LA", "name": "Council contribution", "payer": "DCC", "planned": "600000.00"},
             {"id": "NHS", "name": "ICB contribution", "payer": "ICB", "planned": "1000000.00"}],
 "schemes": [{"id": "S01", "name": "Reablement", "lead": "DCC", "budget": "1000000.00", "class": "revenue"},
             {"id": "S02", "name": "Discharge to assess", "lead": "ICB", "budget": "600000.00", "class": "revenue"}],
 "policy": {"name": "60/40, reserve kept", "netting": "pool",
            "overspend": {"split": "fixed", "shares": {"DCC": "60", "ICB": "40"}},
            "underspend": {"carry_forward": true}},
 "virement_limit": "50000.00", "key_decision_threshold": "5000000.00"}
EOF
"$P" new pool.agree --file pool.json -o agree.json 2>/dev/null
"$P" sign agree.json -k dcc-sig.key 2>/dev/null
"$P" sign agree.json -k icb-sig.key 2>/dev/null
"$P" append agree.json >/dev/null
post() { "$P" post "$@" >/dev/null; }
post contribution --pool S75 --partner DCC --stream LA --amount 600,000 --date 2024-04-10 -k dcc-fin.key
post contribution --pool S75 --partner ICB --stream NHS --amount 1,000,000 --date 2024-04-12 -k icb-fin.key
post expenditure --pool S75 --scheme S01 --amount 1,000,333.33 --date 2024-06-01 --payee "Care Ltd" -k dcc-fin.key
post expenditure --pool S75 --scheme S02 --amount 599,999.99 --date 2024-09-01 --payee "Trust" -k icb-fin.key

# Too early: Q4 still open. With the ledger at hand `new` refuses the draft
# before anyone signs; made with --no-check, the append refuses it.
checks=$((checks + 1))
if "$P" new settlement --pool S75 -o early.json 2>err.txt; then fail "drafted before Q4 closed"; fi
grep -qF "the last quarter 2024/25-Q4 of pool S75 is not closed" err.txt || fail "early new: $(cat err.txt)"
checks=$((checks + 1))
"$P" new settlement --pool S75 --no-check -o early.json 2>/dev/null
"$P" sign early.json --no-check -k dcc-sig.key 2>/dev/null
"$P" sign early.json --no-check -k icb-sig.key 2>/dev/null
if "$P" append early.json >out.txt 2>err.txt; then fail "settled before Q4 closed"; fi
grep -qF "the last quarter 2024/25-Q4 of pool S75 is not closed" err.txt || fail "early: $(cat err.txt)"

for q in 1 2 3 4; do post period.close --pool S75 --period 2024/25-Q$q --date 2025-04-02 -k dcc-fin.key; done

# Actual outturn 1,000,333.33 + 599,999.99 = 1,600,333.32 on budgets of
# 1,600,000.00: overspend 333.32 = 33,332p. 60/40: DCC 33,332 x 0.6 = 19,999.2p,
# ICB 33,332 x 0.4 = 13,332.8p; floors 19,999 + 13,332 = 33,331 leave one penny,
# which goes to the larger remainder (ICB, .8): DCC 199.99, ICB 133.33.
checks=$((checks + 1))
"$P" policy explain --pool S75 --actual --json >actual.json
python3 - <<'PY' || fail "explain --actual figures"
import json
r = json.load(open("actual.json"))
assert r["variance"] == "333.32", r["variance"]
assert r["shares"] == {"DCC": "199.99", "ICB": "133.33"}, r["shares"]
assert r["unallocated"] == "0.00" and r["carried_forward"] == "0.00", r
assert r["basis"].startswith("actual"), r["basis"]
PY

checks=$((checks + 1))
"$P" new settlement --pool S75 --memo "year end 2024/25" -o settle.json 2>/dev/null
python3 - <<'PY' || fail "settlement draft figures"
import json
e = json.load(open("settle.json"))["entry"]
assert e["type"] == "settlement" and e["year"] == "2024/25" and e["date"] == "2025-05-15", e
assert e["variance"] == "333.32" and e["shares"] == {"DCC": "199.99", "ICB": "133.33"}, e
assert e["id"].startswith("settle-S75-20250515-"), e["id"]
PY

# A penny moved from ICB to DCC still adds up, but is not the ledger's figure.
checks=$((checks + 1))
sed 's/"DCC":"199.99","ICB":"133.33"/"DCC":"200.00","ICB":"133.32"/' settle.json >moved.json
grep -qF '"DCC":"200.00"' moved.json || fail "could not alter the draft"
# (--no-check: with the ledger at hand, sign would refuse it at once.)
"$P" sign moved.json --no-check -k dcc-sig.key 2>/dev/null
"$P" sign moved.json --no-check -k icb-sig.key 2>/dev/null
root_before=$("$P" verify 2>/dev/null | grep '^root:')
code=0
"$P" append moved.json >out.txt 2>err.txt || code=$?
[ "$code" -eq 1 ] || fail "altered settlement exit $code, want 1"
[ "$(wc -l <err.txt)" -eq 1 ] || fail "altered settlement: not one line: $(cat err.txt)"
grep -qF "DCC's share is 200.00 in the settlement but 199.99 by the ledger's records" err.txt ||
  fail "altered settlement message: $(cat err.txt)"
grep -qF '$.entry.shares.DCC' err.txt || fail "altered settlement path: $(cat err.txt)"
[ "$("$P" verify 2>/dev/null | grep '^root:')" = "$root_before" ] || fail "ledger changed"

# One signatory is not enough; both are.
checks=$((checks + 1))
"$P" sign settle.json -k dcc-sig.key 2>/dev/null
if "$P" append settle.json >out.txt 2>err.txt; then fail "settled with one signatory"; fi
grep -qF "needs a signatory signature of: ICB" err.txt || fail "one signatory: $(cat err.txt)"
"$P" sign settle.json -k icb-sig.key 2>/dev/null
"$P" append settle.json >out.txt 2>err.txt || fail "settlement refused: $(cat err.txt)"

# The year is settled: pool show and explain take the actual outturn.
checks=$((checks + 1))
"$P" pool show S75 >show.txt
grep -qF "settled by settle-S75-20250515-" show.txt || fail "pool show: no settlement line"
grep -qF "closing reserve (underspend carried forward): 0.00" show.txt || fail "pool show: reserve"
"$P" pool show S75 --json >show.json
"$P" policy explain --pool S75 --json >year.json
python3 - <<'PY' || fail "settled year figures"
import json
show = json.load(open("show.json"))
year = json.load(open("year.json"))
assert show["basis"] == "actual" and show["totals"]["variance"] == "333.32", show["totals"]
assert show["settlement"]["shares"] == year["shares"] == {"DCC": "199.99", "ICB": "133.33"}
PY
"$P" policy explain --pool S75 >year.txt
grep -qF "ICB takes one of the pennies left by rounding down" year.txt || fail "explain text: penny line"

# After the settlement, nothing more is dated in the year.
checks=$((checks + 1))
# (`new` refuses the draft already, the ledger being at hand.)
if "$P" new settlement --pool S75 -o again.json 2>err.txt; then
  fail "drafted a second settlement"
fi
grep -qF "already settled" err.txt || fail "second settlement: $(cat err.txt)"
"$P" verify >/dev/null || fail "verify after settlement"

# The journal posts the settlement: each share due from (or to) its partner,
# read back by hledger and ledger-cli.
checks=$((checks + 1))
"$P" export --format ledger -o pool.journal
for tool in hledger ledger; do
  "$tool" -f pool.journal balance --flat >"$tool.bal" 2>"$tool.err" || fail "$tool: $(cat "$tool.err")"
  python3 - "$tool.bal" <<'PY' || fail "$tool balance of the settlement: $(cat "$tool.bal")"
import re, sys
want = {"assets:due-from-partners:S75:DCC": "199.99", "assets:due-from-partners:S75:ICB": "133.33",
        "income:risk-share:S75:DCC": "-199.99", "income:risk-share:S75:ICB": "-133.33"}
got = {}
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"\s*£\s*(-?[\d,]+\.\d\d)\s+(\S+)\s*$", line)
    if m:
        got[m.group(2)] = m.group(1).replace(",", "")
for account, amount in want.items():
    assert got.get(account) == amount, (account, got.get(account), amount)
PY
done

echo "settle_cli: $checks checks, $fails failures"
[ "$fails" -eq 0 ]
