#!/usr/bin/env bash
# statements.sh — the statement run on the year scenario (scripts/demo.sh run
# with this build): every figure of every statement equals `pool show --json`
# and `policy explain --json`; the xlsx read back with openpyxl holds the same
# numbers as the json; the html is well-formed, its tags balance, and headless
# Chromium renders it to a non-trivial PNG; the manifest verifies with stock
# minisign and sha256sum, and fails once any file is changed; a second run
# gives identical files; the refusals of `statement` and `statements`; and
# `poolbook serve --public-reads` serves the pool's page, byte for byte the
# summary html of the run, rendered by headless Chromium with no scripts.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}" "${PB_BUILD:?}"
P=$POOLBOOK
PY=
for c in /usr/bin/python3 python3; do
  if "$c" -c 'import openpyxl' 2>/dev/null; then PY=$c; break; fi
done
[ -n "$PY" ] || { echo "python3-openpyxl is not installed (scripts/deps.sh test)"; exit 1; }
for tool in minisign xmllint chromium sha256sum; do
  command -v $tool >/dev/null || { echo "$tool is not installed (scripts/deps.sh test)"; exit 1; }
done
work=$(mktemp -d /tmp/pb-statements-XXXXXX)
server_pid=
trap '[ -z "$server_pid" ] || { kill "$server_pid"; wait "$server_pid"; } 2>/dev/null; [ -n "${PB_KEEP:-}" ] || rm -rf "$work"' EXIT
checks=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }

POOLBOOK=$P bash "$PB_SRC/scripts/demo.sh" "$work/demo" >"$work/demo.log" 2>&1 ||
  { tail -20 "$work/demo.log"; fail "the main job failed"; }
ok "the main job ends by writing the Q2 statements"
cd "$work/demo"
export POOLBOOK_LEDGER=$work/demo/bcf.ledger
S=statements
Q=BCF24-2024-25-Q2
n=$(ls $S | grep -c -E '\.(txt|json|csv|html|xlsx)$')
[ "$n" = 15 ] || fail "expected 15 statement files (3 statements x 5 formats), got $n"
ok "DCC, ICB and the summary in text, json, csv, html and xlsx"

# Every figure against pool show and policy explain.
for period in 2024/25-Q2 2024/25; do
  "$P" pool show BCF24 --period $period --json >report.json
  "$P" policy explain --pool BCF24 --period $period --json >explain.json
  for who in DCC ICB; do
    "$P" statement --pool BCF24 --partner $who --period $period --format json >st-$who.json
    "$PY" - report.json explain.json st-$who.json $who "$PB_SRC/examples/demo/pool.json" <<'PY'
import json, sys
report, explain, st = (json.load(open(p)) for p in sys.argv[1:4])
who = sys.argv[4]
agreement = json.load(open(sys.argv[5]))
assert st["pool"]["id"] == report["pool"] and st["period_end"] == report["period_end"]
assert st["schemes"] == report["schemes"], "schemes differ"
assert st["totals"] == report["totals"], "totals differ"
mine = [s for s in report["streams"] if s["payer"] == who]
assert st["contributions"]["streams"] == mine, "streams differ"
partner = next(p for p in report["partners"] if p["id"] == who)
assert st["contributions"]["planned"] == partner["planned"]
assert st["contributions"]["received"] == partner["received"]
for k in ("variance", "shares", "unallocated", "carried_forward", "workings"):
    assert st["policy"][k] == explain[k], k
pos, = st["positions"]
pence = lambda s: int(s.replace(".", ""))
assert pos["share"] == explain["shares"][who]
assert pos["planned"] == partner["planned"] and pos["paid"] == partner["received"]
due = pence(partner["planned"]) + pence(explain["shares"][who]) - pence(partner["received"])
assert pence(pos["due"]) == due, (pos["due"], due)
words = "%s owes the pool" % who if due > 0 else "the pool owes %s" % who
assert pos["text"].startswith(words), pos["text"]
assert "{:,.2f}".format(abs(due) / 100) in pos["text"], pos["text"]
money = lambda p: "\u00a3{:,.2f}".format(abs(p) / 100)
# The headline, from the agreement's contribution schedules by the test's own
# arithmetic: monthly or none = planned x months / 12, quarterly = planned x
# quarters / 4 (rounded down), dated = instalments dated by the period end.
end = st["period_end"]
y, m = int(end[:4]), int(end[5:7])
months = (m - 4) % 12 + 1
owed = 0
for s in agreement["streams"]:
    if s["payer"] != who:
        continue
    sch = s.get("schedule")
    planned = pence(s["planned"])
    if isinstance(sch, list):
        owed += sum(pence(i["amount"]) for i in sch if i["date"] <= end)
    elif sch == "quarterly":
        owed += planned * (months // 3) // 4
    else:
        owed += planned * months // 12
paid, share = pence(partner["received"]), pence(explain["shares"][who])
assert pence(pos["due_to_date"]) == owed, (pos["due_to_date"], owed)
assert pence(pos["arrears"]) == owed - paid
assert pence(pos["net"]) == owed - paid + share
assert pence(pos["to_come"]) == pence(partner["planned"]) - owed
h = st["headline"]
if st["basis"] == "actual":
    # The settled year: the settlement's sentence first, with pool show's settlement.
    stl = report["settlement"]
    assert st["settlement"]["text"] == h[0] and h[0].startswith("Settled by the partners in settlement %s on " % stl["id"]), h[0]
    for p in report["partners"]:
        sh = pence(stl["shares"][p["id"]])
        assert "%s %s %s" % (p["id"], "receives" if sh < 0 else "pays", money(sh)) in h[0], h[0]
    assert ("the closing reserve carried into next year is %s" % money(pence(stl["closing_reserve"]))) in h[0], h[0]
    assert ("nothing is left unallocated" in h[0]) == (pence(stl["unallocated"]) == 0), h[0]
    assert stl["shares"] == explain["shares"], "the settled shares are the explain's"
    h = h[1:]
assert len(h) == 3 and h == pos["headline"], h
variance = pence(explain["variance"])
basis = "settled" if st["basis"] == "actual" else "forecast"
which = "it pays on top of its planned contribution" if share > 0 else "comes off what it pays"
if variance == 0 or share == 0:
    assert money(variance) in h[0] or variance == 0, h[0]
elif (share > 0) == (variance > 0):
    assert h[0] == "%s's share of the pool's %s %s of %s is %s, which %s." % (
        who, basis, "overspend" if variance > 0 else "underspend", money(variance), money(share), which), h[0]
else:
    assert h[0] == "Although the pool's %s outturn is %s %s budget, %s's share under the risk share is %s of %s, which %s." % (
        basis, money(variance), "over" if variance > 0 else "under", who, money(share),
        "overspend" if share > 0 else "underspend", which), h[0]
if share != 0:
    assert ("a %s share of the %s variance %s" % (money(share), basis, "to pay" if share > 0 else "in its favour")) in h[2], h[2]
assert ("contributions due were %s" % money(owed)) in h[1] and ("it has paid %s" % money(paid)) in h[1], h[1]
gap = owed - paid
assert h[1].endswith("so it is up to date." if gap == 0 else
                     "so it is %s in arrears." % money(gap) if gap > 0 else
                     "so it has paid %s ahead of what is due." % money(gap)), h[1]
net = owed - paid + share
assert h[2].split(": ")[1] == ("%s owes the pool %s" % (who, money(net)) if net > 0 else
                               "the pool owes %s %s" % (who, money(net)) if net < 0 else
                               "nothing is due between %s and the pool" % who), h[2]
assert "contributions not yet due" not in h[2] if owed == pence(partner["planned"]) else money(pence(partner["planned"]) - owed) in h[2]
PY
  done
done
ok "every statement figure equals pool show --json and policy explain --json (Q2 and the year)"
# Movement: the difference of two period reports; variance in basis points by
# the test's own integer arithmetic; RAG on the documented default thresholds;
# commentary = the memo of the scheme's latest forecast, read with `show --json`.
for pair in 2024/25-Q2:2024/25-Q1 2024/25:2024/25-Q3; do
  now=${pair%%:*} before=${pair#*:}
  "$P" pool show BCF24 --period "$before" --json >prev.json
  "$P" policy explain --pool BCF24 --period "$before" --json >prev-explain.json
  "$P" pool show BCF24 --period "$now" --json >now.json
  "$P" policy explain --pool BCF24 --period "$now" --json >now-explain.json
  "$P" statement --pool BCF24 --partner ICB --period "$now" --format json >st.json
  for id in $("$PY" -c 'import json,sys; print(" ".join(s["forecast_id"] for s in json.load(open("st.json"))["schemes"] if s["forecast_id"]))'); do
    "$P" show "$id" --json
  done >forecasts.jsonl
  "$PY" - prev.json prev-explain.json now.json now-explain.json st.json forecasts.jsonl <<'PY'
import json, sys
prev, prev_ex, now, now_ex, st = (json.load(open(p)) for p in sys.argv[1:6])
forecasts = [json.loads(l)["record"]["entry"] for l in open(sys.argv[6]) if l.strip()]
pence = lambda s: int(s.replace(".", ""))
mv = st["movement"]
assert mv["since"] == prev["period"] and mv["since_end"] == prev["period_end"], mv["since"]
def same(ch, a, b):
    assert ch["from"] == a and ch["to"] == b and pence(ch["change"]) == pence(b) - pence(a), (ch, a, b)
same(mv["variance"], prev_ex["variance"], now_ex["variance"])
same(mv["shares"]["ICB"], prev_ex["shares"]["ICB"], now_ex["shares"]["ICB"])
assert list(mv["shares"]) == ["ICB"], "a partner statement moves its own share only"
was = {s["id"]: s for s in prev["schemes"]}
for m, s in zip(mv["schemes"], now["schemes"]):
    assert m["id"] == s["id"]
    same(m["outturn"], was[s["id"]]["outturn"], s["outturn"])
    same(m["variance"], was[s["id"]]["variance"], s["variance"])
for s in st["schemes"]:
    v, b = pence(s["variance"]), pence(s["budget"])
    bp = (abs(v) * 10000 + b // 2) // b
    assert s["variance_bp"] == (bp if v >= 0 else -bp), (s["id"], s["variance_bp"], bp)
    assert s["rag"] == ("red" if bp >= 300 else "amber" if bp >= 100 else "green"), s
    memo = next((f.get("memo") for f in forecasts if f["id"] == s["forecast_id"]), None)
    if memo is not None:
        assert st["commentary"][s["id"]]["memo"] == memo, (s["id"], memo)
        assert forecasts and all(f["scheme"] != s["id"] or f["date"] <= s["forecast_date"] for f in forecasts)
    else:
        assert s["id"] not in st["commentary"]
assert st["commentary"] or st["basis"] == "actual", "the demo's forecasts carry commentary"
PY
done
"$P" statement --pool BCF24 --partner DCC --period 2024/25-Q1 --format json |
  "$PY" -c 'import json, sys; assert json.load(sys.stdin)["movement"] is None'
# The title block: partnership, as-at date and status (every quarter of the demo
# is closed and its year settled, so final); the integrity hashes in an appendix.
"$PY" - $S/$Q-DCC.json $S/$Q-DCC.txt $S/$Q-DCC.html <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))
text, html = (open(p, encoding="utf-8").read() for p in sys.argv[2:4])
assert st["status"] == "final" and st["as_at"] == "30 September 2024", (st["status"], st["as_at"])
assert st["partnership"] == ["Derbyshire County Council", "NHS Derby and Derbyshire Integrated Care Board"]
assert text.splitlines()[1] == "FINAL: the period is closed", text.splitlines()[:3]
assert "Partnership: Derbyshire County Council and NHS Derby" in text
for doc in (text, html):
    assert doc.index("Headline") < doc.index("Contributions") < doc.index("Appendix: integrity")
    assert doc.index("Appendix: integrity") > doc.index("Workings"), "the hashes come last"
    root = st["integrity"]["verification"]["root"]
    assert doc.count(root) >= 1 and doc.index(root) > doc.index("Appendix: integrity"), "hashes only in the appendix"
assert "FINAL: the period is closed" in html and "30 September 2024" in html
PY
# The chart: one bar per scheme on one zero axis, hatched right for an
# overspend, outlined left for an underspend, each amount and percentage in
# the value column, every label inside the drawing.
"$PY" - $S/$Q-DCC.json $S/$Q-DCC.html <<'PY'
import json, re, sys
st = json.load(open(sys.argv[1]))
html = open(sys.argv[2], encoding="utf-8").read()
svg = html[html.index("<svg"):html.index("</svg>")]
width = int(re.search(r'viewBox="0 0 (\d+) ', svg).group(1))
axis = int(re.findall(r'<line x1="(\d+)" y1="\d+" x2="\1"', svg)[-1])
bars = re.findall(r'<rect x="(\d+)" y="\d+" width="(\d+)" height="18" fill="([^"]+)"', svg)
assert len(bars) == len(st["schemes"]), bars
pence = lambda s: int(s.replace(".", ""))
for (x, w, fill), s in zip(bars, st["schemes"]):
    v = pence(s["variance"])
    x, w = int(x), int(w)
    if v > 0:
        assert x == axis and fill == "url(#hatch)", (s["id"], x, fill)
    elif v < 0:
        assert x + w == axis and fill == "#fff", (s["id"], x, w, fill)
    bp = s["variance_bp"]
    label = "{}{:,.2f} ({}{}.{:02d}%)".format("-" if v < 0 else "", abs(v) / 100, "-" if bp < 0 else "", abs(bp) // 100, abs(bp) % 100)
    assert label + "</text>" in svg, label
for x in re.findall(r'<text x="(\d+)"', svg):
    assert int(x) + 250 <= width or int(x) <= width - 250, x
PY
# The settled year reads as settled in every format, and nowhere as a forecast due.
"$P" statements --pool BCF24 --period 2024/25 --out year -k keys/dcc-operator.key >/dev/null
"$PY" - year <<'PY'
import csv, glob, json, os, sys, openpyxl
d = sys.argv[1]
for who in ("DCC", "ICB", "summary"):
    base = os.path.join(d, "BCF24-2024-25-%s" % who)
    st = json.load(open(base + ".json"))
    settled = st["settlement"]["text"]
    assert st["headline"][0] == settled and st["status"] == "final", st["status"]
    for ext in ("txt", "html", "csv"):
        doc = open(base + "." + ext, encoding="utf-8").read()
        assert settled.replace("'", "&#39;") in doc or settled in doc, (who, ext)
        assert "forecast amount due" not in doc, (who, ext)
    rows = [r[0] for r in openpyxl.load_workbook(base + ".xlsx")["Summary"].iter_rows(values_only=True)]
    assert settled in rows and "= forecast amount due" not in rows, who
    assert "= amount due on settlement" in rows, who
PY
ok "the settled year reads as settled (who, when, final shares, closing reserve, unallocated) in text, html, csv, xlsx and json; never a forecast amount due"
ok "title block (partnership, as at, final for a closed quarter) and the integrity hashes in an appendix"
ok "the chart draws each scheme's variance on one axis, over hatched right and under outlined left, labels in their own column"
ok "movement since the previous quarter = the difference of two period reports (Q2-Q1, year-Q3; none in Q1); variance bp, RAG and commentary as worked here"

"$P" pool show BCF24 --period 2024/25-Q2 --json >q2.json
"$P" pool show BCF24 --period 2024/25 --json >year.json
"$PY" - q2.json year.json <<'PY'
import json, sys
q2, year = (json.load(open(p)) for p in sys.argv[1:3])
assert "settlement" in year and year["basis"] == "actual", "the demo's year is settled"
assert "settlement" not in q2 and q2["basis"] == "forecast", "a quarter of a settled year carries no settlement"
PY
"$P" pool show BCF24 --period 2024/25-Q2 | grep "settled by" >/dev/null && fail "pool show of Q2 prints the year's settlement"
ok "pool show for a quarter of the settled year does not carry the year's settlement"
ok "the headline's share, contributions due to date (the agreement's schedules), arrears and net position are the test's own arithmetic on pool show and policy explain"
cmp -s <("$P" statement --pool BCF24 --partner DCC --period 2024/25-Q2 --format json) $S/$Q-DCC.json ||
  fail "the run's json differs from statement --format json"
ok "the run writes what statement writes"

# The xlsx holds the json's numbers, as numbers with a currency format.
for who in DCC ICB summary; do
  "$PY" - $S/$Q-$who.json $S/$Q-$who.xlsx <<'PY'
import json, sys, openpyxl
st = json.load(open(sys.argv[1]))
wb = openpyxl.load_workbook(sys.argv[2])
assert wb.sheetnames == ["Summary", "Schemes", "Contributions", "Workings", "Movement", "Appendix"], wb.sheetnames
pence = lambda s: int(s.replace(".", ""))
def cents(v):
    assert isinstance(v, (int, float)), v
    return round(v * 100)
rows = list(wb["Schemes"].iter_rows(values_only=True))
for s, row in zip(st["schemes"], rows[1:]):
    assert row[0] == s["id"], row
    for i, k in enumerate(("budget", "actual", "outturn", "variance")):
        assert cents(row[4 + i]) == pence(s[k]), (s["id"], k, row[4 + i], s[k])
for s, row in zip(st["schemes"], rows[1:]):
    assert row[10] == s["rag"] and round(row[9] * 10000) == s["variance_bp"], (row, s["rag"])
    assert (row[11] or None) == (st["commentary"].get(s["id"], {}).get("memo")), row
mv = list(wb["Movement"].iter_rows(values_only=True))
assert mv[1][0] == "Pool variance" and [cents(v) for v in mv[1][1:4]] == [pence(st["movement"]["variance"][k]) for k in ("from", "to", "change")], mv[1]
n = len(st["schemes"])
tot = rows[1 + n]
assert list(tot[4:8]) == ["=SUM(%s2:%s%d)" % (c, c, n + 1) for c in "EFGH"], tot
cached = list(openpyxl.load_workbook(sys.argv[2], data_only=True)["Schemes"].iter_rows(values_only=True))[1 + n]
assert [cents(v) for v in cached[4:8]] == [pence(st["totals"][k]) for k in ("budget", "actual", "outturn", "variance")]
import datetime
for s, row in zip(st["schemes"], rows[1:]):
    if s["forecast_date"]:
        assert row[8] == datetime.datetime.strptime(s["forecast_date"], "%Y-%m-%d"), row[8]
for name in ("Schemes", "Contributions", "Workings", "Movement"):
    ws = wb[name]
    assert ws.freeze_panes == "A2" and ws.page_setup.paperSize == 9 and ws.print_title_rows == "$1:$1", name
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0, name
crow = list(wb["Contributions"].iter_rows(values_only=True))
k = len(st["contributions"]["streams"])
assert crow[1 + k][3:5] == ("=SUM(D2:D%d)" % (k + 1), "=SUM(E2:E%d)" % (k + 1)), crow[1 + k]
assert "£#,##0.00" in wb["Schemes"].cell(row=2, column=5).number_format
rows = list(wb["Contributions"].iter_rows(values_only=True))
for s, row in zip(st["contributions"]["streams"], rows[1:]):
    assert row[0] == s["id"] and cents(row[3]) == pence(s["planned"]) and cents(row[4]) == pence(s["received"]), row
summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r[0]}
for who, amount in st["policy"]["shares"].items():
    assert cents(summary["Share of " + who]) == pence(amount)
dues = [cents(r[1]) for r in wb["Summary"].iter_rows(values_only=True) if r[0] in ("= forecast amount due", "= amount due on settlement")]
assert dues == [pence(p["due"]) for p in st["positions"]], dues
first = [r[0] for r in wb["Summary"].iter_rows(values_only=True)]
assert first[2] == "Headline" and first[3:3 + len(st["headline"])] == st["headline"], first[:8]
nets = [cents(r[1]) for r in wb["Summary"].iter_rows(values_only=True) if r[0] == "= net position now"]
assert nets == [pence(p["net"]) for p in st["positions"]], nets
w = list(wb["Workings"].iter_rows(values_only=True))
assert len(w) == 1 + len(st["policy"]["workings"])
PY
done
ok "the xlsx read back with openpyxl holds the json's amounts: totals as =SUM formulas with cached values, dates as dates, frozen headings, A4 one page wide with repeated headings"

# Negatives in brackets, as finance papers write them: text, html and xlsx.
"$P" statement --pool BCF24 --partner DCC --period 2024/25-Q2 --negatives brackets >br.txt
"$P" statement --pool BCF24 --partner DCC --period 2024/25-Q2 --negatives brackets --format html >br.html
"$P" statement --pool BCF24 --partner DCC --period 2024/25-Q2 --negatives brackets --format xlsx -o br.xlsx
"$PY" - br.txt br.html br.xlsx $S/$Q-DCC.json <<'PY'
import json, re, sys, openpyxl
text, html = (open(p, encoding="utf-8").read() for p in sys.argv[1:3])
st = json.load(open(sys.argv[4]))
neg = [s for s in st["schemes"] if s["variance"].startswith("-")]
assert neg, "the demo has an underspend"
for s in neg:
    shown = "({:,.2f})".format(-int(s["variance"].replace(".", "")) / 100)
    assert shown in text and shown in html, shown
assert not re.search(r"(?<![\w.%])-[\d,]+\.\d\d(?![\d%])", text.split("Workings:")[0]), "a minus amount in the bracketed text"
fmt = openpyxl.load_workbook(sys.argv[3])["Schemes"].cell(row=2, column=5).number_format
assert fmt.endswith(";(\u00a3#,##0.00)"), fmt
PY
ok "--negatives brackets shows negative amounts in brackets in text, html and xlsx"

# The year laid out like the BCF quarterly return: income by stream and
# expenditure by scheme (with the agreement's optional type, commissioner,
# provider and source of funding), planned against actual, labelled as the
# pool's own figures; not part of "all".
"$P" statements --pool BCF24 --period 2024/25 --format bcf-xlsx --out bcf -k keys/dcc-operator.key >/dev/null
"$P" pool show BCF24 --period 2024/25 --json >bcf-year.json
"$PY" - bcf/BCF24-2024-25-summary.bcf.xlsx bcf-year.json "$PB_SRC/examples/demo/pool.json" <<'PY'
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
cached = openpyxl.load_workbook(sys.argv[1], data_only=True)
year, agreement = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
assert wb.sheetnames == ["Income", "Expenditure"], wb.sheetnames
pence = lambda s: int(s.replace(".", ""))
cents = lambda v: round(v * 100)
for name in wb.sheetnames:
    assert "pool's own figures" in wb[name]["A2"].value and "not the national template" in wb[name]["A2"].value
    assert wb[name]["A3"].value.startswith("FINAL")
inc = list(cached["Income"].iter_rows(min_row=6, values_only=True))
for st, row in zip(year["streams"], inc):
    assert row[:3] == (st["id"], st["name"], st["payer"]) and cents(row[3]) == pence(st["planned"]) and cents(row[4]) == pence(st["received"]), row
assert inc[len(year["streams"])][0] == "Total" and cents(inc[len(year["streams"])][4]) == pence(year["totals"]["received"])
exp = list(cached["Expenditure"].iter_rows(min_row=6, values_only=True))
agreed = {s["id"]: s for s in agreement["schemes"]}
for sc, row in zip(year["schemes"], exp):
    a = agreed[sc["id"]]
    assert row[0] == sc["id"] and (row[2] or "") == a.get("type", "") and (row[4] or "") == a.get("provider", ""), row
    assert row[3] == a.get("commissioner", a["lead"]) and (row[5] or "") == a.get("funding", ""), row
    assert [cents(v) for v in row[6:10]] == [pence(sc[k]) for k in ("budget", "actual", "outturn", "variance")], row
total = exp[len(year["schemes"])]
assert [cents(v) for v in total[6:10]] == [pence(year["totals"][k]) for k in ("budget", "actual", "outturn", "variance")]
assert wb["Expenditure"].cell(row=6 + len(year["schemes"]), column=7).value.startswith("=SUM(")
PY
[ ! -e $S/$Q-DCC.bcf.xlsx ] || fail "bcf-xlsx is not part of all"
ok "statements --format bcf-xlsx: income by stream and expenditure by scheme with type, commissioner, provider and funding, planned against actual, as the pool's own figures"

# The html: well-formed, balanced, no scripts, the chart, and a real rendering.
for who in DCC summary; do
  f=$S/$Q-$who.html
  xmllint --noout "$f" || fail "$f is not well-formed"
  "$PY" - "$f" <<'PY'
import sys
from html.parser import HTMLParser
VOID = {"meta", "br", "img", "hr", "input", "link"}
class Strict(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.seen = [], set()
    def handle_starttag(self, tag, attrs):
        self.seen.add(tag)
        for k, v in attrs:
            assert not k.startswith("on"), "event handler attribute %s" % k
        if tag not in VOID:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        self.seen.add(tag)
    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, "</%s> closes %s" % (tag, self.stack[-1:])
        self.stack.pop()
p = Strict()
text = open(sys.argv[1], encoding="utf-8").read()
p.feed(text); p.close()
assert not p.stack, "unclosed: %s" % p.stack
assert "script" not in p.seen and "<link" not in text and "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
for tag in ("svg", "pattern", "rect", "table", "style"):
    assert tag in p.seen, tag
assert 'fill="url(#hatch)"' in text and 'stroke="#000"' in text
assert text.index("<h2>Headline</h2>") < text.index("<h2>Contributions</h2>"), "the headline comes first"
PY
done
ok "the html is well-formed, balanced, self-contained, with the hatched/outlined chart"
for who in DCC ICB summary; do
  png=$work/$who.png
  chromium --headless --no-sandbox --disable-gpu --screenshot="$png" --window-size=1200,1600 \
    "file://$work/demo/$S/$Q-$who.html" >/dev/null 2>&1 || true
  size=$(stat -c %s "$png" 2>/dev/null || echo 0)
  [ "$size" -gt 20000 ] || fail "chromium's PNG of $who is missing or trivial ($size bytes)"
  "$PY" - "$png" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", b[16:24])
assert (w, h) == (1200, 1600), (w, h)
PY
done
ok "headless chromium renders each html statement (DCC, ICB, summary) to a 1200x1600 PNG (PB_KEEP=1 keeps them)"

# The csv: RFC 4180 rows that Python's csv module reads, sections as documented.
"$PY" - $S/$Q-DCC.csv $S/$Q-DCC.json <<'PY'
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
st = json.load(open(sys.argv[2]))
sections = []
for r in rows:
    if r and r[0] not in sections:
        sections.append(r[0])
assert sections == ["Statement", "Headline", "Contributions", "Schemes", "Movement", "Policy", "Shares", "Workings", "Positions", "Integrity"], sections
schemes = [r for r in rows if r and r[0] == "Schemes"][1:-1]
assert [r[5:9] for r in schemes] == [[s[k] for k in ("budget", "actual", "outturn", "variance")] for s in st["schemes"]]
pos = [r for r in rows if r and r[0] == "Positions"][1]
assert pos[8] == st["positions"][0]["text"] and pos[6] == st["positions"][0]["due"]
assert pos[9:14] == [st["positions"][0][k] for k in ("due_to_date", "due_basis", "arrears", "net", "to_come")]
assert [r[2] for r in rows if r and r[0] == "Headline"][1:] == st["headline"]
PY
ok "the csv reads back section by section with the json's figures"

# The manifest.
(cd $S && minisign -Vm MANIFEST.sha256 -p ../keys/dcc-operator.pub >/dev/null) || fail "minisign -V"
(cd $S && sha256sum --quiet -c MANIFEST.sha256) || fail "sha256sum -c"
[ "$(wc -l <$S/MANIFEST.sha256)" = 15 ] || fail "the manifest should list 15 files"
ok "minisign -V verifies the manifest and sha256sum -c every file"
cp -r $S changed
printf ' ' >>changed/$Q-ICB.csv
(cd changed && ! sha256sum --quiet -c MANIFEST.sha256 >/dev/null 2>&1) || fail "a changed file passed"
sed -i 's/^\([0-9a-f]*\)  \(.*ICB.csv\)$/'"$(sha256sum changed/$Q-ICB.csv | cut -c1-64)"'  \2/' changed/MANIFEST.sha256
(cd changed && sha256sum --quiet -c MANIFEST.sha256) || fail "the rewritten manifest should match"
(cd changed && ! minisign -Vm MANIFEST.sha256 -p ../keys/dcc-operator.pub >/dev/null 2>&1) ||
  fail "minisign accepted a rewritten manifest"
ok "a changed statement fails the manifest; a manifest rewritten to match fails minisign"

# A second run on the same ledger gives identical files.
"$P" statements --pool BCF24 --period 2024/25-Q2 --out again -k keys/dcc-operator.key >/dev/null
diff -r $S again >/dev/null || fail "a second run gave different files"
ok "a second run gives identical files (no clock inside)"

# Reports across periods and the drill-down: pool show --by quarter|month
# equals pool show of each period; pool list; log's filters add up to the
# figures a statement shows.
"$P" pool show BCF24 --by quarter --json >byq.json
"$P" pool show BCF24 --by month --json >bym.json
"$P" pool list --json >list.json
for n in 1 2 3 4; do "$P" pool show BCF24 --period 2024/25-Q$n --json >q$n.json; done
"$P" pool show BCF24 --period 2024/25 --json >y.json
"$P" log --pool BCF24 --scheme S02 --type expenditure --json >s02.jsonl
"$P" log --pool BCF24 --scheme S02 --type expenditure --from 2024-07-01 --to 2024-09-30 --json >s02q2.jsonl
"$P" log --pool BCF24 --partner ICB --type contribution --to 2024-09-30 --json >icb.jsonl
"$P" log --ref INV-DUP --json >dup.jsonl
"$PY" - <<'PY'
import json
load = lambda p: json.load(open(p))
lines = lambda p: [dict(json.loads(l)["line"], record=json.loads(l)["record"]) for l in open(p) if l.strip()]
pence = lambda s: int(s.replace(".", ""))
byq, bym, year = load("byq.json"), load("bym.json"), load("y.json")
assert byq["by"] == "quarter" and len(byq["periods"]) == 4 and len(bym["periods"]) == 12
prev = 0
for n, row in enumerate(byq["periods"], 1):
    q = load("q%d.json" % n)
    t = q["totals"]
    assert row["period"] == q["period"] and row["status"] == q["status"]
    for k, want in (("budget", t["budget"]), ("actual_ytd", t["actual"]), ("outturn", t["outturn"]),
                    ("variance", t["variance"]), ("received_ytd", t["received"]), ("due_to_date", t["due_to_date"])):
        assert row[k] == want, (n, k, row[k], want)
    assert pence(row["actual"]) == pence(t["actual"]) - prev, (n, row["actual"])
    assert pence(row["budget_ytd"]) == pence(t["budget"]) * 3 * n // 12
    assert pence(row["ytd_variance"]) == pence(t["actual"]) - pence(row["budget_ytd"])
    prev = pence(t["actual"])
    months = bym["periods"][3 * n - 3:3 * n]
    assert sum(pence(m["actual"]) for m in months) == pence(row["actual"]), n
    assert months[-1]["actual_ytd"] == row["actual_ytd"] and months[-1]["outturn"] == row["outturn"]
assert sum(pence(r["actual"]) for r in byq["periods"]) == pence(year["totals"]["actual"])
# The drill-down: S02's expenditure and its reversals sum to pool show's S02 actual.
s02 = lines("s02.jsonl")
want = next(s for s in year["schemes"] if s["id"] == "S02")
assert sum(pence(l["amount"]) for l in s02) == pence(want["actual"]), "S02 drill-down"
assert any(l["type"] == "reversal" and l["target_type"] == "expenditure" for l in s02)
assert all(l["scheme"] == "S02" and l["record"]["entry"]["id"] == l["id"] for l in s02)
q2 = next(s for s in byq["periods"][1]["schemes"] if s["id"] == "S02")
got = lines("s02q2.jsonl")
assert got and all("2024-07-01" <= l["date"] <= "2024-09-30" for l in got)
assert sum(pence(l["amount"]) for l in got) == pence(q2["actual"]), "S02 in Q2"
icb = next(p for p in load("q2.json")["partners"] if p["id"] == "ICB")
assert sum(pence(l["amount"]) for l in lines("icb.jsonl")) == pence(icb["received"])
dup, = lines("dup.jsonl")
assert dup["reference"] == "INV-DUP" and dup["amount"] == "12345.67" and dup["type"] == "expenditure"
pools = load("list.json")
assert [p["id"] for p in pools] == ["BCF24"] and pools[0]["status"] == "settled"
assert pools[0]["budget"] == "40000000.00" and pools[0]["partners"] == ["DCC", "ICB"]
PY
"$P" log --scheme S02 --type expenditure | grep "INV-DUP" >/dev/null || fail "log's text lists the reference"
ok "pool show --by quarter|month equals each period's pool show; pool list; log filters drill down to pool show's figures"

# Refusals, each one line on stderr.
expect() { # expect EXIT "MESSAGE" CMD...
  local want=$1 msg=$2; shift 2
  set +e; "$@" >out.txt 2>err.txt; local code=$?; set -e
  [ "$code" = "$want" ] || fail "$*: exit $code, expected $want ($(cat err.txt))"
  [ "$(cat err.txt)" = "$msg" ] || fail "$*: stderr '$(cat err.txt)', expected '$msg'"
  [ ! -s out.txt ] || fail "$*: printed on stdout"
}
expect 2 "poolbook: error: --by is quarter or month, not 'week' (usage: poolbook pool show [POOL] [--period 2024/25-Q2 | --by quarter|month] [--json])" \
  "$P" pool show BCF24 --by week
expect 2 "poolbook: error: --to must be a date YYYY-MM-DD or an index, not '2024-13-01' (usage: poolbook log [--pool P] [--scheme S] [--partner X] [--type T] [--from DATE|INDEX] [--to DATE])" \
  "$P" log --to 2024-13-01
expect 2 "poolbook: error: give --period or --by, not both (usage: poolbook pool show [POOL] [--period 2024/25-Q2 | --by quarter|month] [--json])" \
  "$P" pool show BCF24 --by month --period 2024/25-Q1
expect 2 "poolbook: error: --negatives is minus or brackets, not 'red' (usage: poolbook statement --pool POOL --partner PARTNER [--period 2024/25-Q2] [--format FORMAT] [-o FILE])" \
  "$P" statement --pool BCF24 --partner DCC --negatives red
expect 2 "poolbook: error: give --pool, --period, --out and -k (usage: poolbook statements --pool POOL --period 2024/25-Q2 --out DIR -k HOSTKEY [--format LIST])" \
  "$P" statements --pool BCF24 --out x -k keys/dcc-operator.key
expect 2 "poolbook: error: unknown format 'pdf' (usage: poolbook statement --pool POOL --partner PARTNER [--period 2024/25-Q2] [--format FORMAT] [-o FILE])" \
  "$P" statement --pool BCF24 --partner DCC --format pdf
expect 1 "poolbook: error: period 2025/26-Q1 is not in pool BCF24's year 2024/25 (--period)" \
  "$P" statement --pool BCF24 --partner DCC --period 2025/26-Q1
auditor=$("$PY" -c 'import base64,sys; r=base64.b64decode(open(sys.argv[1]).read().splitlines()[1]); print("%016X" % int.from_bytes(r[2:10], "little"))' keys/icb-auditor.pub)
expect 1 "poolbook: error: key $auditor is ICB's auditor key; statements are signed by the host DCC's operator or signatory key (keys/icb-auditor.key)" \
  "$P" statements --pool BCF24 --period 2024/25-Q2 --out nope -k keys/icb-auditor.key
[ ! -e nope ] || fail "a refused run created its folder"
ok "usage errors exit 2, refusals exit 1, each one line"
# The read-only page of the pool over HTTP (127.0.0.1, a free port).
"$P" serve --listen 127.0.0.1:0 --public-reads --ready-file ready 2>serve.log &
server_pid=$!
for _ in $(seq 100); do [ -s ready ] && break; sleep 0.1; done
[ -s ready ] || fail "the server did not start in 10 s"
URL=$(cat ready)
code=$(curl -sS --max-time 30 -o page.html -w '%{http_code}' "$URL/pools/BCF24?period=2024/25-Q2")
[ "$code" = 200 ] || fail "GET /pools/BCF24: $code $(cat page.html)"
cmp page.html $S/$Q-summary.html || fail "the served page is not the run's summary html"
! grep -qi '<script' page.html || fail "the page has a script"
code=$(curl -sS --max-time 30 -o nope.txt -w '%{http_code}' "$URL/pools/NOPE")
[ "$code" = 404 ] || fail "GET /pools/NOPE: $code $(cat nope.txt)"
timeout 120 chromium --headless --no-sandbox --disable-gpu --screenshot="$work/page.png" \
  --window-size=1200,1600 "$URL/pools/BCF24?period=2024/25-Q2" >/dev/null 2>&1 || true
[ "$(stat -c %s "$work/page.png" 2>/dev/null || echo 0)" -gt 20000 ] ||
  fail "headless chromium did not render the served page"
# A partner's statement and the pool's figures through --remote: the same as
# on the host's ledger (the mirror is the server's log, checked record by record).
for args in "statement --pool BCF24 --partner DCC --period 2024/25-Q2 --format json" \
            "pool show BCF24 --period 2024/25-Q2 --json" \
            "policy explain --pool BCF24 --period 2024/25-Q2 --json"; do
  # shellcheck disable=SC2086 # word splitting wanted
  POOLBOOK_REMOTE_CACHE=$work/mirror.ledger "$P" --remote "$URL" $args >remote.out ||
    fail "--remote $args"
  # shellcheck disable=SC2086
  "$P" $args | cmp - remote.out || fail "--remote $args differs from the host's"
done
kill -TERM "$server_pid"; wait "$server_pid" || fail "the server exited $? on SIGTERM"; server_pid=
ok "serve --public-reads: /pools/BCF24 is the summary html, rendered by chromium; unknown pool 404; statement, pool show and policy explain through --remote equal the host's"
echo "statements: $checks checks passed"
