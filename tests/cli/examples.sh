#!/usr/bin/env bash
# examples.sh — every worked example (examples/*/run.sh with a README.md)
# builds its ledger from nothing with the built poolbook, and the figures its
# README states (its ```figures block of "key = value" lines) are those the
# ledger gives: `pool show --json` and `policy explain --json` at Q2 and for
# the settled year. So the README's worked figures and the ledger cannot drift.
# Its ```headline POOL PERIOD PARTNER block is that statement's headline, word for word.
# The journal export read by hledger gives pool show's budgets and actuals per
# scheme (bal --budget) and the settlement's closing reserve.
#
# Keys of a figures block (PERIOD is Q1..Q4 or "year"):
#   pool = ID, year = 2024/25                the pool and its financial year
#   PERIOD.variance                          explain's variance, = pool show's totals.variance
#   PERIOD.share.PARTNER                     explain's share (year: also the settlement's)
#   PERIOD.unallocated, PERIOD.carried_forward   explain's (year: also the settlement's)
#   PERIOD.budget                            pool show's totals.budget
#   PERIOD.planned.PARTNER, PERIOD.received.PARTNER   pool show's partners
#   PERIOD.scheme.SCHEME.budget|variance     pool show's schemes
#   year.closing_reserve                     the settlement's closing reserve
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-examples.XXXXXX")
trap 'wait; rm -rf "$work"' EXIT
fails=0
checks=0
fail() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}

examples=()
for d in "$PB_SRC"/examples/*/; do
  [ -f "$d/run.sh" ] && examples+=("$(basename "$d")")
done
[ "${#examples[@]}" -ge 3 ] || fail "fewer than three worked examples: ${examples[*]}"

# The examples run side by side (each is a sequence of short processes, so
# on two cores this nearly halves the wall time), then are checked in turn.
declare -A pids
for name in "${examples[@]}"; do
  (
    start=$(date +%s)
    rc=0
    bash "$PB_SRC/examples/$name/run.sh" "$work/$name" >"$work/$name.log" 2>&1 || rc=$?
    echo "$(($(date +%s) - start))" >"$work/$name.secs"
    exit "$rc"
  ) &
  pids[$name]=$!
done

for name in "${examples[@]}"; do
  src=$PB_SRC/examples/$name
  out=$work/$name
  checks=$((checks + 1))
  for f in README.md pool.json; do
    [ -f "$src/$f" ] || fail "$name: no $f"
  done
  [ -f "$src/entries.csv" ] || [ -f "$src/entries.jsonl" ] || fail "$name: no entries.csv or entries.jsonl"

  checks=$((checks + 1))
  if ! wait "${pids[$name]}"; then
    fail "$name: run.sh failed"
    tail -n 20 "$work/$name.log"
    continue
  fi
  echo "$name: run.sh took $(cat "$work/$name.secs") s (alongside the others)"
  grep -qE '^(verified|self-consistent): ' "$work/$name.log" || fail "$name: no verification in the run"
  grep -q '^statements: not available in this build$' "$work/$name.log" || [ -d "$out/statements" ] ||
    fail "$name: neither statements nor the note that they are not available"

  # The README's figures against the ledger's own reports.
  checks=$((checks + 1))
  sed -n '/^```figures$/,/^```$/p' "$src/README.md" | sed '1d;$d' >"$work/$name.figures"
  [ -s "$work/$name.figures" ] || { fail "$name: README.md has no figures block"; continue; }
  pool=$(sed -n 's/^pool *= *//p' "$work/$name.figures")
  year=$(sed -n 's/^year *= *//p' "$work/$name.figures")
  for period in Q1 Q2 Q3 Q4 year; do
    grep -q "^$period\." "$work/$name.figures" || continue
    p=$year
    [ "$period" = year ] || p=$year-$period
    POOLBOOK_LEDGER=$out/pool.ledger "$POOLBOOK" pool show "$pool" --period "$p" --json \
      >"$work/$name.$period.show.json"
    POOLBOOK_LEDGER=$out/pool.ledger "$POOLBOOK" policy explain --pool "$pool" --period "$p" --json \
      >"$work/$name.$period.explain.json"
  done
  python3 - "$work" "$name" <<'PY' || fail "$name: README figures differ from the ledger"
import json, re, sys
work, name = sys.argv[1], sys.argv[2]
bad = 0
seen = 0
def get(period, kind):
    return json.load(open(f"{work}/{name}.{period}.{kind}.json"))
for line in open(f"{work}/{name}.figures"):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    key, _, want = (s.strip() for s in line.partition("="))
    if key in ("pool", "year"):
        continue
    period, _, rest = key.partition(".")
    show, explain = get(period, "show"), get(period, "explain")
    settled = show.get("settlement") if period == "year" else None
    parts = rest.split(".")
    got = []
    if parts == ["variance"]:
        got = [explain["variance"], show["totals"]["variance"]]
    elif parts[0] == "share" and len(parts) == 2:
        got = [explain["shares"].get(parts[1])]
        if settled:
            got.append(settled["shares"].get(parts[1]))
    elif parts in (["unallocated"], ["carried_forward"]):
        got = [explain[parts[0]]] + ([settled[parts[0]]] if settled else [])
    elif parts == ["budget"]:
        got = [show["totals"]["budget"]]
    elif parts[0] in ("planned", "received") and len(parts) == 2:
        got = [p[parts[0]] for p in show["partners"] if p["id"] == parts[1]]
    elif parts[0] == "scheme" and len(parts) == 3:
        got = [s[parts[2]] for s in show["schemes"] if s["id"] == parts[1]]
    elif parts == ["closing_reserve"] and period == "year":
        got = [settled["closing_reserve"] if settled else None]
    else:
        print(f"{name}: figures: unknown key {key}")
        bad += 1
        continue
    seen += 1
    if not got or any(g != want for g in got):
        print(f"{name}: {key}: README says {want}, the ledger {got}")
        bad += 1
if seen < 10:
    print(f"{name}: only {seen} figures checked")
    bad += 1
print(f"{name}: {seen} README figures checked")
sys.exit(1 if bad else 0)
PY

  # The README's headline block ("```headline POOL PERIOD PARTNER") is what the
  # statement of that partner and period opens with, word for word.
  checks=$((checks + 1))
  spec=$(sed -n 's/^```headline //p' "$src/README.md")
  if [ -z "$spec" ]; then
    fail "$name: README.md shows no statement headline"
  else
    read -r hpool hperiod hwho <<<"$spec"
    sed -n '/^```headline /,/^```$/p' "$src/README.md" | sed '1d;$d' >"$work/$name.headline"
    "$POOLBOOK" --ledger "$out/pool.ledger" statement --pool "$hpool" --partner "$hwho" \
      --period "$hperiod" --format json |
      python3 -c 'import json, sys; print("\n".join(json.load(sys.stdin)["headline"]))' \
        >"$work/$name.headline.got" || fail "$name: no statement for the README's headline"
    diff "$work/$name.headline" "$work/$name.headline.got" ||
      fail "$name: the README's headline differs from the statement's"
  fi

  # The journal tells the year as pool show does: hledger's budget report gives
  # each scheme's budget and actual, the expenses are the actual spending (a
  # carried-forward underspend is a transfer to the reserve, not spending), and
  # the reserve is the settlement's closing reserve.
  checks=$((checks + 1))
  "$POOLBOOK" --ledger "$out/pool.ledger" export --format ledger -o "$work/$name.journal"
  "$POOLBOOK" --ledger "$out/pool.ledger" pool show "$pool" --period "$year" --json >"$work/$name.year.json"
  y0=${year%%/*}
  hledger -f "$work/$name.journal" balance --budget --flat -O csv -b "$y0-04-01" -e "$((y0 + 1))-04-01" \
    expenses >"$work/$name.budget.csv" || fail "$name: hledger bal --budget"
  hledger -f "$work/$name.journal" balance --flat -O csv liabilities equity >"$work/$name.reserve.csv" ||
    fail "$name: hledger bal liabilities"
  python3 - "$work/$name.year.json" "$work/$name.budget.csv" "$work/$name.reserve.csv" <<'PY' ||
import csv, json, sys
year = json.load(open(sys.argv[1]))
pool = year["pool"]
cents = lambda t: int(round(float(t.replace("£", "").replace(",", "") or 0) * 100))
pence = lambda s: int(s.replace(".", ""))
rows = {r[0]: r for r in list(csv.reader(open(sys.argv[2])))[1:]}
for s in year["schemes"]:
    acct = "expenses:%s:%s" % (pool, s["id"])
    assert acct in rows, acct
    assert cents(rows[acct][1]) == pence(s["actual"]), (acct, rows[acct][1], s["actual"])
    assert cents(rows[acct][2]) == pence(s["budget"]), (acct, rows[acct][2], s["budget"])
total = rows["expenses:%s" % pool]
assert cents(total[1]) == pence(year["totals"]["actual"]), ("expenses total", total, year["totals"]["actual"])
assert cents(total[2]) == pence(year["totals"]["budget"])
bal = {r[0]: cents(r[1]) for r in list(csv.reader(open(sys.argv[3])))[1:]}
reserve = pence(year["settlement"]["closing_reserve"])
assert bal.get("liabilities:reserve:%s" % pool, 0) == -reserve, (bal, reserve)
assert bal.get("equity:result:%s" % pool, 0) == reserve, (bal, reserve)
print("%s: hledger bal --budget = pool show per scheme; reserve %s" % (pool, year["settlement"]["closing_reserve"]))
PY
    fail "$name: the journal differs from pool show"

  # The year is settled, and the README's year-end figures are the settlement's.
  checks=$((checks + 1))
  python3 - "$work/$name.year.show.json" <<'PY' || fail "$name: the year is not settled on actual outturn"
import json, sys
show = json.load(open(sys.argv[1]))
assert show["basis"] == "actual" and show.get("settlement"), show.get("basis")
PY
done

echo "examples: $checks checks, $fails failures"
[ "$fails" -eq 0 ]
