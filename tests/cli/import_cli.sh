#!/usr/bin/env bash
# import_cli.sh — `poolbook import` (ledger/interchange/import.c, docs/import.md) on the
# files of tests/data/import: a Unit4-style GL extract (UTF-8 BOM, CR LF,
# dd/mm/yyyy, "£", thousands separators, income in parentheses, a journal
# row the map skips), a £000 forecast return (dd-Mon-yyyy) and an ICB
# receipts listing (ISO dates, the partner from a column). Checks: the pool's
# figures equal the files' sums; an imported row is byte-identical to the
# same entry made with `new` and signed; ids follow the documented rule
# (recomputed with Python's hashlib); re-importing appends nothing and
# changes nothing; a later extract that repeats rows appends only the new
# ones; identical rows stay distinct; a large file with one bad row in the
# middle (refused by the store, after the rows before it were admitted in
# the same transaction) appends nothing.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}"
P=$POOLBOOK
export P PB_SRC
export POOLBOOK_NOW=2024-06-30T12:00:00Z
unset POOLBOOK_PASSPHRASE_FILE
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-import-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export POOLBOOK_LEDGER=$work/test.ledger
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
cp "$data"/*.csv "$data"/*.json .
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

# state: every record, the recomputed root and the derived state, to show a
# command changed nothing.
state() {
  "$P" log --json
  "$P" verify --json
  "$P" pool show BCF24 --json
}

# expect_out WANT ARGS...: poolbook ARGS exits 0 and prints exactly WANT.
expect_out() {
  local want=$1 out code=0
  shift
  out=$("$P" "$@" 2>err.txt) || code=$?
  if [ "$code" -ne 0 ] || [ "$out" != "$want" ]; then
    fail "$* exited $code, printed '$out', want '$want': $(cat err.txt)"
  fi
}

# ---- the three files: every row in, the figures add up ----
expect_out "imported 7 rows: appended 7 records at index 2..8; 1 row skipped by the map" \
  import gl.csv --map map-gl.json -k dcc-fin.key
expect_out "imported 3 rows: appended 3 records at index 9..11" \
  import forecast.csv --map map-forecast.json -k dcc-fin.key
expect_out "imported 3 rows: appended 3 records at index 12..14" \
  import icb.csv --map map-icb.json -k icb-fin.key
"$P" pool show BCF24 --json >pool.json
python3 - <<'PY' || fail "pool figures after import"
import json
r = json.load(open("pool.json"))
schemes = {s["id"]: s for s in r["schemes"]}
streams = {s["id"]: s for s in r["streams"]}
want = {
    # GL: 12,450.00 + £12,450 + 12,450.00 on S01; 48000 on S02; £3,275.5 on S03
    ("S01", "actual"): "37350.00", ("S02", "actual"): "48000.00", ("S03", "actual"): "3275.50",
    # £000: 5,120.5 / 2,480.25 / 500
    ("S01", "forecast"): "5120500.00", ("S02", "forecast"): "2480250.00",
    ("S03", "forecast"): "500000.00",
}
bad = [f"{k}: {schemes[k[0]][k[1]]} != {v}" for k, v in want.items() if schemes[k[0]][k[1]] != v]
# GL income in parentheses, negated by the map: (£166,666.67) + (166,666.67)
if streams["IBCF"]["received"] != "333333.34":
    bad.append(f"IBCF received {streams['IBCF']['received']}")
# ICB: 1,500,000.00 + £1,500,000 + 1500000.5
if streams["NHSMIN"]["received"] != "4500000.50":
    bad.append(f"NHSMIN received {streams['NHSMIN']['received']}")
if bad:
    print("; ".join(bad))
    raise SystemExit(1)
PY

# ---- an imported row is the entry `new` makes from the same values ----
"$P" log --json >log.json
python3 - >row3.txt <<'PY'
import json
for line in open("log.json"):
    o = json.loads(line)
    if o["index"] == 5:
        e = o["record"]["entry"]
        print(e["id"]); print(e["created"])
        print(json.dumps(o["record"], sort_keys=True, separators=(",", ":"), ensure_ascii=False))
PY
id=$(sed -n 1p row3.txt)
created=$(sed -n 2p row3.txt)
"$P" new expenditure --pool BCF24 --scheme S03 --amount '£3,275.5' --date 2024-04-26 \
  --payee "Stairlift Services, Chesterfield" --ref INV-20415 \
  --memo 'Stairlift install, "Smith" case' --id "$id" --created "$created" -o posted.json 2>/dev/null
"$P" sign posted.json -k dcc-fin.key 2>/dev/null
[ "$(cat posted.json)" = "$(sed -n 3p row3.txt)" ] ||
  fail "imported row 5 differs from the same entry made by new: $(cat posted.json)"

# ---- ids: docs/import.md's rule, recomputed ----
python3 - <<'PY' || fail "import ids do not follow docs/import.md"
import csv, hashlib, json
def digest(source, pairs):
    h = hashlib.sha256()
    for t in ["poolbook-import-v1", source] + [x for p in pairs for x in p]:
        h.update(t.encode() + b"\0")
    return h.digest()
def ids(path, mapfile, skip=lambda row: False):
    m = json.load(open(mapfile))
    f = m["fields"]
    order = ["type", "pool", "partner", "stream", "scheme", "date", "amount", "payee", "ref", "memo"]
    cols = [f[k]["column"] for k in order if isinstance(f.get(k), dict)]
    seen, out = {}, []
    for row in csv.DictReader(open(path, encoding="utf-8-sig", newline="")):
        if skip(row):
            continue
        d = digest(m["source"], [(c, row[c]) for c in cols])
        n = seen.get(d, 0); seen[d] = n + 1
        h = hashlib.sha256(d + n.to_bytes(8, "big")).hexdigest()[:16]
        out.append(h)
    return out
want = (ids("gl.csv", "map-gl.json", lambda r: r["Account"] == "99999")
        + ids("forecast.csv", "map-forecast.json") + ids("icb.csv", "map-icb.json"))
got = [json.loads(l)["record"]["entry"]["id"] for l in open("log.json")][2:]
pre = [i.rsplit("-", 1)[0] for i in got]
assert [i.rsplit("-", 1)[1] for i in got] == want, (got, want)
assert pre[0] == "imp-BCF24-20240405" and pre[-1] == "imp-BCF24-20240614", pre
PY

# ---- re-importing appends nothing and changes nothing, whenever it runs ----
before=$(state)
export POOLBOOK_NOW=2024-09-30T08:00:00Z
expect_out "imported 7 rows: nothing appended (7 already present); 1 row skipped by the map" \
  import gl.csv --map map-gl.json -k dcc-fin.key
expect_out "imported 3 rows: nothing appended (3 already present)" \
  import icb.csv --map map-icb.json -k icb-fin.key
[ "$(state)" = "$before" ] || fail "re-import changed the ledger"
# Line ends and the BOM are not part of a row: the same rows saved with LF
# and no BOM are the same rows.
sed '1s/^\xEF\xBB\xBF//; s/\r$//' gl.csv >gl-lf.csv
expect_out "imported 7 rows: nothing appended (7 already present); 1 row skipped by the map" \
  import gl-lf.csv --map map-gl.json -k dcc-fin.key

# ---- a later extract repeating earlier rows appends only the new ones ----
cp gl.csv gl-ytd.csv
printf '2024/03,14/06/2024,51100,Payments to providers,CC4101,Reablement,Derbyshire Homecare Ltd,Reablement packages June,INV-20611,"9,999.99"\r\n' >>gl-ytd.csv
expect_out "imported 8 rows: appended 1 record at index 15..15 (7 already present); 1 row skipped by the map" \
  import gl-ytd.csv --map map-gl.json -k dcc-fin.key

# ---- identical rows are distinct entries, and stay so on re-import ----
{ head -1 icb.csv; sed -n 2p icb.csv; sed -n 2p icb.csv | sed 's/2024-04-15/2024-07-15/'
  sed -n 2p icb.csv | sed 's/2024-04-15/2024-07-15/'; } >icb-twice.csv
# They reuse April's remittance: refused as `post` refuses it (naming the
# ledger's first entry with it), unless --allow-same-ref; the ledger unchanged.
before=$(state)
code=0
"$P" import icb-twice.csv --map map-icb.json -k icb-fin.key >out.txt 2>err.txt || code=$?
april=$("$P" log --ref RA-24-0415 --json | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["record"]["entry"]["id"])')
[ "$code" -eq 1 ] && [ ! -s out.txt ] &&
  [ "$(cat err.txt)" = "poolbook: error: reference \"RA-24-0415\" is already used by $april for pool BCF24: if this is another payment under the same reference, import it with --allow-same-ref (icb-twice.csv, row 3, column \"Remittance\")" ] ||
  fail "import reusing a reference: exit $code: $(cat err.txt)"
[ "$(state)" = "$before" ] || fail "a refused import changed the ledger"
expect_out "imported 3 rows: appended 2 records at index 16..17 (1 already present)" \
  import icb-twice.csv --map map-icb.json -k icb-fin.key --allow-same-ref
# Rows the ledger holds are not new payments: no flag needed to import them again.
expect_out "imported 3 rows: nothing appended (3 already present)" \
  import icb-twice.csv --map map-icb.json -k icb-fin.key

# ---- the same rows read another way are refused, not imported twice ----
before=$(state)
sed 's/"CC4102": "S02"/"CC4102": "S01"/' map-gl.json >map-gl-other.json
code=0
"$P" import gl.csv --map map-gl-other.json -k dcc-fin.key >out.txt 2>err.txt || code=$?
grep -q '^poolbook: error: id "imp-BCF24-20240503-[0-9a-f]*" is already used by a different record at index 6 (gl.csv, row 7)$' err.txt ||
  fail "re-mapped import: $(cat err.txt)"
[ "$code" -eq 1 ] && [ ! -s out.txt ] || fail "re-mapped import exited $code"
[ "$(state)" = "$before" ] || fail "a refused import changed the ledger"

# ---- a large file, one row in the middle refused by the store: nothing appended ----
rows=100000
if [ "${PB_SANITIZE:-OFF}" = ON ]; then rows=20000; fi # ASan: same path, a tenth of the time
python3 - "$rows" <<'PY'
import sys
n = int(sys.argv[1])
with open("big.csv", "w", newline="") as f:
    f.write("Period,Trans Date,Account,Account Name,Cost Centre,Cost Centre Name,Supplier,Description,Doc No,Net Amount\r\n")
    for i in range(n):
        cc = "CC4199" if i == n // 2 else ["CC4101", "CC4102", "CC4103"][i % 3]
        f.write(f'2024/01,{1 + i % 28:02d}/0{4 + i % 6}/2024,51100,Payments,{cc},Scheme,'
                f'Provider {i % 50},Package {i},BIG-{i:06d},"{1 + i % 900:,}.{i % 100:02d}"\r\n')
PY
sed 's/"CC4103": "S03"/"CC4103": "S03", "CC4199": "S09"/' map-gl.json >map-big.json
before=$(state)
code=0
"$P" import big.csv --map map-big.json -k dcc-fin.key >out.txt 2>err.txt || code=$?
want_err="poolbook: error: pool BCF24 has no scheme \"S09\" (big.csv, row $((rows / 2 + 2)), column \"Cost Centre\")"
[ "$code" -eq 1 ] && [ "$(cat err.txt)" = "$want_err" ] && [ ! -s out.txt ] ||
  fail "large file with a bad row: exit $code: $(cat err.txt)"
[ "$(state)" = "$before" ] || fail "a large refused import changed the ledger"

# ---- usage ----
code=0
"$P" import gl.csv -k dcc-fin.key >/dev/null 2>err.txt || code=$?
[ "$code" -eq 2 ] && grep -q 'import needs --map MAP.json and -k SECKEY' err.txt ||
  fail "import without --map exited $code: $(cat err.txt)"
"$P" import --help | grep -q '^usage: poolbook import FILE.csv --map MAP.json -k SECKEY' ||
  fail "import --help"
"$P" verify >/dev/null || fail "verify after the imports"

if [ "$fails" -ne 0 ]; then
  echo "import_cli: $fails failure(s)"
  exit 1
fi
echo "import_cli: ok"
