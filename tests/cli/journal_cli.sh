#!/usr/bin/env bash
# journal_cli.sh — `poolbook export --format ledger` (ledger/interchange/journal.c,
# docs/journal.md) on a year of a pool: contributions and spending imported
# from a GL extract and an ICB receipts listing, quarterly forecasts, a
# virement, reversals of spending, of a contribution and of the virement, and
# the quarters closed, all with the fixed test keys. The journal's balances
# computed by two independent tools, hledger and ledger-cli, must equal the
# figures of `poolbook pool show --json` per pool, partner, stream and scheme;
# every money entry's id appears once as a tag; and forecasts post nothing.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}"
P=$POOLBOOK
export P PB_SRC
export POOLBOOK_NOW=2024-04-02T09:00:00Z
unset POOLBOOK_PASSPHRASE_FILE
for tool in hledger ledger python3; do
  command -v "$tool" >/dev/null || { echo "journal_cli: $tool is missing (bash scripts/deps.sh test)"; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-journal-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export POOLBOOK_LEDGER=$work/year.ledger
data=$PB_SRC/tests/data/import
fails=0

fail() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}

for k in dcc-sig dcc-fin icb-sig icb-fin op aud; do
  cp "$PB_SRC/tests/data/keys/$k.pub" "$PB_SRC/tests/data/keys/$k.key" .
  chmod 600 "$k.key"
done
cp "$data"/map-gl.json "$data"/map-icb.json .
"$P" init >/dev/null
"$P" new genesis --origin example.gov.uk/derbyshire-bcf \
  --partner DCC:council:"Derbyshire County Council" \
  --partner ICB:icb:"NHS Derby and Derbyshire ICB" \
  --key DCC:signatory:dcc-sig.pub --key DCC:finance:dcc-fin.pub \
  --key ICB:signatory:icb-sig.pub --key ICB:finance:icb-fin.pub \
  --key DCC:operator:op.pub --key ICB:auditor:aud.pub -o genesis.json 2>/dev/null
"$P" sign genesis.json -k dcc-sig.key 2>/dev/null
"$P" sign genesis.json -k icb-sig.key 2>/dev/null
"$P" append genesis.json >/dev/null
. "$data/ledger.sh"

# ---- a year: each month's extracts imported, forecasts and closes posted ----
python3 - <<'PY'
hdr = ("Period,Trans Date,Account,Account Name,Cost Centre,Cost Centre Name,Supplier,"
       "Description,Doc No,Net Amount\r\n")
centres = {"S01": "CC4101", "S02": "CC4102", "S03": "CC4103"}
budgets = {"S01": 5000000, "S02": 2500000, "S03": 500000}
for m in range(1, 13):
    y, mon = (2024, m + 3) if m <= 9 else (2025, m - 9)
    with open(f"gl-{m:02d}.csv", "w", newline="") as f:
        f.write(hdr)
        f.write(f'2024/{m:02d},05/{mon:02d}/{y},91000,Contributions,CC4100,Pool,,IBCF {m},'
                f'JV{m:03d},"(£166,666.67)"\r\n')
        for s, cc in centres.items():
            pence = budgets[s] * 100 // 12 + (m * 7919 + int(s[2]) * 104729) % 5000000 - 2500000
            f.write(f'2024/{m:02d},20/{mon:02d}/{y},51100,Providers,{cc},Scheme,Provider {s},'
                    f'{s} month {m},INV-{s}-{m:02d},"{pence // 100:,}.{pence % 100:02d}"\r\n')
    with open(f"icb-{m:02d}.csv", "w", newline="") as f:
        f.write("Payment Date,Paying Body,Funding Stream,Amount,Remittance\n")
        f.write(f"{y}-{mon:02d}-15,ICB,NHSMIN,500000.00,RA-{m:02d}\n")
PY
post() { "$P" post "$@" >/dev/null; }
for m in $(seq 1 12); do
  y=2024; mon=$((m + 3)); if [ $mon -gt 12 ]; then mon=$((mon - 12)); y=2025; fi
  d=$(printf '%04d-%02d' $y $mon)
  export POOLBOOK_NOW="${d}-28T12:00:00Z"
  "$P" import "gl-$(printf %02d $m).csv" --map map-gl.json -k dcc-fin.key >/dev/null
  "$P" import "icb-$(printf %02d $m).csv" --map map-icb.json -k icb-fin.key >/dev/null
  if [ $m = 5 ]; then
    post virement --pool BCF24 --from S03 --to S01 --amount 150,000 --date "$d-15" \
      --reason "reablement demand" --id vir-aug -k dcc-sig.key
    post expenditure --pool BCF24 --scheme S02 --amount 12,345.67 --date "$d-21" \
      --payee "Provider S02" --ref INV-DUP --id exp-dup -k dcc-fin.key
    post reversal --target exp-dup --date "$d-25" --reason "duplicate invoice" -k dcc-fin.key
  fi
  if [ $m = 7 ]; then
    post contribution --pool BCF24 --partner ICB --stream NHSMIN --amount 25,000 --date "$d-16" \
      --ref RA-WRONG --id con-wrong -k icb-fin.key
    post reversal --target con-wrong --date "$d-20" --reason "paid in error" -k icb-fin.key
    post reversal --target vir-aug --date "$d-20" --reason "virement withdrawn" -k dcc-sig.key
  fi
  if [ $((m % 3)) = 0 ]; then
    q=$((m / 3))
    post forecast --pool BCF24 --scheme S01 --amount $((5000000 + q * 40000)) --date "$d-28" -k dcc-fin.key
    post forecast --pool BCF24 --scheme S02 --amount $((2500000 - q * 15000)) --date "$d-28" -k dcc-fin.key
    post forecast --pool BCF24 --scheme S03 --amount 500000 --date "$d-28" -k dcc-fin.key
    # A quarter is closed on or after its last day (docs/entries.md).
    POOLBOOK_NOW="$(date -u -d "$d-01 +1 month -1 day" +%F)T18:00:00Z" post period.close --pool BCF24 --period "2024/25-Q$q" -k dcc-fin.key
  fi
done
"$P" verify >/dev/null || fail "verify the year"

# ---- export, and read it back with both tools ----
"$P" export --format ledger -o year.journal || fail "export --format ledger"
"$P" export --format ledger >stdout.journal
cmp -s year.journal stdout.journal || fail "export -o and stdout differ"
"$P" pool show BCF24 --json >pool.json
for depth in 4 5; do
  hledger -f year.journal balance --flat --no-total -E --depth "$depth" -O csv >"hledger-$depth.csv" ||
    fail "hledger could not read the journal"
  # (ledger's --flat drops what lies below --depth: its tree lists each
  # account by its full name, parents too, which the comparison leaves out.)
  ledger -f year.journal balance --no-total --empty --depth "$depth" \
    --format '%(account)\t%(quantity(display_total))\n' >"ledger-$depth.txt" ||
    fail "ledger could not read the journal"
done
"$P" log --json >log.json
python3 - <<'PY' || fail "journal balances differ from pool show"
import csv, json, re
def num(text):
    text = text.replace("£", "").replace(",", "").strip()
    return round(float(text) * 100) if text not in ("", "0") else 0
def hledger(depth):
    rows = list(csv.reader(open(f"hledger-{depth}.csv")))[1:]
    return {a: num(b) for a, b in rows}
def ledger(depth):
    out = {}
    for line in open(f"ledger-{depth}.txt"):
        a, b = line.rstrip("\n").split("\t")
        out[a] = num(b)
    # Parents (a prefix of another account listed) are subtotals: drop them.
    return {a: v for a, v in out.items() if not any(o.startswith(a + ":") for o in out)}
def pence(s):
    return int(s.replace(".", ""))
r = json.load(open("pool.json"))
want = {}
# depth 4: the pool, each partner's contributions, each scheme's spending
want4 = {"assets:pool:BCF24": pence(r["totals"]["received"]) - pence(r["totals"]["actual"])}
for p in r["partners"]:
    want4[f"income:contributions:BCF24:{p['id']}"] = -pence(p["received"])
for s in r["schemes"]:
    want4[f"expenses:BCF24:{s['id']}"] = pence(s["actual"])
# depth 5: each stream under its payer
want5 = dict(want4)
for p in r["partners"]:
    del want5[f"income:contributions:BCF24:{p['id']}"]
for s in r["streams"]:
    want5[f"income:contributions:BCF24:{s['payer']}:{s['id']}"] = -pence(s["received"])
problems = []
for depth, w in ((4, want4), (5, want5)):
    for tool, got in (("hledger", hledger(depth)), ("ledger", ledger(depth))):
        for acct, amount in w.items():
            if got.get(acct, 0) != amount:
                problems.append(f"{tool} depth {depth} {acct}: {got.get(acct)} != {amount}")
        extra = set(a for a, v in got.items() if v != 0) - set(w)
        if extra:
            problems.append(f"{tool} depth {depth}: unexpected accounts {sorted(extra)}")
# The figures are not trivially zero: the test can fail.
assert pence(r["totals"]["received"]) > 0 and pence(r["totals"]["actual"]) > 0
# Every contribution, expenditure and reversal of money is one transaction
# tagged with its id and index; forecasts, virements and closes are comments.
text = open("year.journal", encoding="utf-8").read()
entries = [json.loads(l) for l in open("log.json")]
types = {o["record"]["entry"]["id"]: o["record"]["entry"]["type"] for o in entries}
for o in entries:
    e = o["record"]["entry"]
    t = e["type"]
    tagged = text.count(f"    ; id: {e['id']}\n    ; index: {o['index']}\n")
    money = t in ("contribution", "expenditure") or (
        t == "reversal" and types[e["target"]] in ("contribution", "expenditure"))
    if tagged != (1 if money else 0):
        problems.append(f"{e['id']} ({t}) tagged {tagged} times")
    if t in ("forecast", "virement", "period.close") and f"(id: {e['id']}, index: {o['index']})" not in text:
        problems.append(f"{e['id']} ({t}) has no comment line")
if problems:
    print("\n".join(problems))
    raise SystemExit(1)
PY
# The reversal of spending posts the spending the other way, on its own date.
grep -A6 '^2024-08-25 \* Reversal of exp-dup: duplicate invoice$' year.journal >rev.txt
grep -q 'assets:pool:BCF24 *£12345.67$' rev.txt && grep -q 'expenses:BCF24:S02 *£-12345.67$' rev.txt ||
  fail "reversal postings: $(cat rev.txt)"

# ---- usage ----
code=0
"$P" export --format xml >/dev/null 2>err.txt || code=$?
[ "$code" -eq 2 ] && grep -q "unknown format 'xml'" err.txt || fail "export --format xml exited $code"

if [ "$fails" -ne 0 ]; then
  echo "journal_cli: $fails failure(s)"
  exit 1
fi
echo "journal_cli: ok"
