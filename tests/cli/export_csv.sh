#!/usr/bin/env bash
# export_csv.sh — `export --format csv` (docs/csv.md) of a realistic ledger,
# read back with Python's csv module and compared field by field with the
# records `log --json` prints and the key bindings `show`/`log` imply: one row
# per record, the columns of docs/csv.md, RFC 4180 quoting of commas and
# quotes, CRLF row ends, a reversal carrying the negated amount of its target.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}"
export P=$POOLBOOK
unset POOLBOOK_PASSPHRASE_FILE
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-export-csv.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export POOLBOOK_LEDGER=$work/l.ledger
# shellcheck source=../support/realistic_ledger.sh
source "$PB_SRC/tests/support/realistic_ledger.sh"
realistic_ledger
"$P" export --format csv -o entries.csv
"$P" export --format csv >stdout.csv
cmp -s entries.csv stdout.csv || { echo "FAIL: -o and stdout differ"; exit 1; }
"$P" log --json >log.jsonl
"$P" show 0 --json >genesis.json
python3 - <<'PY'
import csv, json, sys
raw = open("entries.csv", "rb").read()
problems = []
if raw.count(b"\r\n") != 18 or raw.replace(b"\r\n", b"").count(b"\n") != 0:
    problems.append("rows must end in CRLF: 18 rows (header and 17 records)")
rows = list(csv.DictReader(open("entries.csv", newline="", encoding="utf-8"), strict=True))
want_cols = ["index", "id", "type", "created", "date", "pool", "partner", "stream", "scheme",
             "to_scheme", "amount", "payee", "reference", "target", "target_type", "period", "memo",
             "signers"]
if list(rows[0].keys()) != want_cols:
    problems.append(f"columns {list(rows[0].keys())}")
records = [json.loads(l) for l in open("log.jsonl", encoding="utf-8")]
if len(rows) != len(records):
    problems.append(f"{len(rows)} rows for {len(records)} records")
# Who each key is, from the records themselves (genesis and key.add).
keys = {}
for r in records:
    e = r["record"]["entry"]
    if e["type"] == "genesis":
        for k in e["keys"]:
            keys[k["key"]] = f'{k["partner"]}:{k["role"]}'
    if e["type"] == "key.add":
        keys[e["key"]] = f'{e["partner"]}:{e["role"]}'
by_id = {r["record"]["entry"]["id"]: r["record"]["entry"] for r in records}
for row, r in zip(rows, records):
    e = r["record"]["entry"]
    pool = e.get("pool")
    want = {
        "index": str(r["index"]), "id": e["id"], "type": e["type"], "created": e["created"],
        "date": e.get("date", ""),
        "pool": pool["id"] if isinstance(pool, dict) else (pool or ""),
        "partner": e["partner"]["id"] if isinstance(e.get("partner"), dict) else e.get("partner", ""),
        "stream": e.get("stream", ""), "scheme": e.get("scheme", e.get("from", "")),
        "to_scheme": e.get("to", ""), "amount": e.get("amount", ""), "payee": e.get("payee", ""),
        "reference": e.get("ref", ""), "target": e.get("target", ""), "target_type": "",
        "period": e.get("period", ""),
        "memo": e.get("memo") or e.get("title") or (pool.get("name") if isinstance(pool, dict) else None)
                or (e["ledger"] if e["type"] == "genesis" else None) or e.get("reason", ""),
        "signers": ";".join(f'{keys[s["key"]]}:{s["key"]}' for s in r["record"]["sigs"]),
    }
    if e["type"] == "reversal":
        t = by_id[e["target"]]
        want.update(pool=t["pool"], partner=t.get("partner", ""), stream=t.get("stream", ""),
                    scheme=t.get("scheme", t.get("from", "")), to_scheme=t.get("to", ""),
                    amount="-" + t["amount"], target_type=t["type"])
    for col in want_cols:
        if row[col] != want[col]:
            problems.append(f"row {r['index']} {col}: {row[col]!r}, want {want[col]!r}")
# The hand-checked rows: quoting, money, the reversal, the second finance key.
rev = next(x for x in rows if x["type"] == "reversal")
if (rev["amount"], rev["scheme"], rev["target"], rev["target_type"]) != ("-12345.67", "S02", "exp-dup", "expenditure"):
    problems.append(f"reversal row {rev}")
if b'"Section 75 agreement, ""BCF 2024/25"""' not in raw:
    problems.append("a title with a comma and quotes is not RFC 4180 quoted")
if b',Derbyshire Reablement ""Home First"" Ltd,' in raw or b'"Derbyshire Reablement ""Home First"" Ltd"' not in raw:
    problems.append("a payee with quotes is not quoted")
if b",1250000," in raw or rows[4]["amount"] != "2000000.00":
    problems.append(f"amounts are not plain pounds with pence: {rows[4]['amount']}")
last = rows[-1]
if last["signers"] != "ICB:finance:EE53BFF30D7CED1D":
    problems.append(f"signers of the last row: {last['signers']}")
if rows[0]["signers"] != "DCC:signatory:B5A89E827A5A4236;ICB:signatory:B78212BAE33D64E1":
    problems.append(f"signers of genesis: {rows[0]['signers']}")
net = sum(int(x["amount"].replace(".", "")) for x in rows
          if x["type"] in ("expenditure", "reversal"))
if net != 74500010 + 90000000 + 25000000:
    problems.append(f"net expenditure in pence {net}: the reversal should cancel the duplicate")
if problems:
    print("FAIL:\n  " + "\n  ".join(problems))
    sys.exit(1)
print(f"ok: {len(rows)} rows equal the records field by field; quoting, CRLF, reversal, signers")
PY
# No ledger, or an output that cannot be written: environment errors (exit 3),
# and no file left behind.
code=0
POOLBOOK_LEDGER=$work/none.ledger "$P" export --format csv -o none.csv 2>err.txt || code=$?
if [ "$code" -ne 3 ] || [ -e none.csv ] || [ "$(wc -l <err.txt)" -ne 1 ]; then
  echo "FAIL: export with no ledger: exit $code, $(cat err.txt)"; exit 1
fi
code=0
"$P" export --format csv -o /nonexistent-dir/x.csv 2>err.txt || code=$?
if [ "$code" -ne 3 ] || [ "$(cat err.txt)" != 'poolbook: error: cannot create the file: No such file or directory (/nonexistent-dir/x.csv)' ]; then
  echo "FAIL: export to an unwritable place: exit $code, $(cat err.txt)"; exit 1
fi
echo "ok: no ledger and an unwritable output are environment errors (exit 3)"
