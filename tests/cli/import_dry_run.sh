#!/usr/bin/env bash
# import_dry_run.sh — `import --dry-run` streams its rows through a batch as
# the real import does (pb_preview_new/finish) and must say exactly what
# `append --dry-run` says (pb_append_preview, which takes the records as one
# array: an independent path) of the very records the real import signs. On
# an extract of 9,000 rows (three chunks of 4,096 drafts: the first is
# admitted while the importer still reads, holding its own snapshot) mixing DCC
# contributions and payments on two pools: the --json preview and the text
# are byte for byte those of `append --dry-run` of the records the import
# makes in a copy of the ledger (POOLBOOK_NOW fixes their time, so their
# signatures are the same), on the empty ledger and on one already holding
# some of them; the ledger's bytes, records and root are unchanged; a bad
# amount and a reused reference far into the file give the real import's
# one line and exit, and write nothing.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}"
P=$POOLBOOK
export POOLBOOK_NOW=2024-10-15T12:00:00Z
unset POOLBOOK_PASSPHRASE_FILE
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-import-dry-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export POOLBOOK_LEDGER=$work/l.ledger
fails=0
fail() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}

. "$PB_SRC/tests/support/genesis_ledger.sh"
genesis_ledger
agree_pool "$PB_SRC/tests/data/import/pool.json"
# A second pool, the same but for its id, so the rows name two.
python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
p["id"] = "BCFX24"
json.dump(p, open("pool2.json", "w"))' "$PB_SRC/tests/data/import/pool.json"
agree_pool pool2.json
# The GL map, with the pool read from the cost centre's name.
python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
m["fields"]["pool"] = {"column": "Cost Centre Name", "values": {"Main": "BCF24", "Extra": "BCFX24"}}
json.dump(m, open("map.json", "w"))' "$PB_SRC/tests/data/import/map-gl.json"

# rows.csv: N rows; every 97th a DCC contribution, the rest payments on
# three schemes; pools alternate in runs of seven. BAD (a 0-based row) gets
# a bad amount; SAME a row whose reference row 3 already used.
extract() {
  python3 - "$@" <<'PY'
import sys
n, bad, same = (int(a) for a in sys.argv[1:4])
with open("rows.csv", "w", newline="") as f:
    f.write("Period,Trans Date,Account,Account Name,Cost Centre,Cost Centre Name,"
            "Supplier,Description,Doc No,Net Amount\r\n")
    for i in range(n):
        pool = "Main" if (i // 7) % 2 == 0 else "Extra"
        date = f"{1 + i % 28:02d}/{4 + i % 6:02d}/2024"
        if i % 97 == 0:
            f.write(f"2024/01,{date},91000,Contribution,CC4101,{pool},DCC,IBCF {i},"
                    f'CON-{i:07d},"-{1000 + i % 900:,}.00"\r\n')
            continue
        amount = "12a.00" if i == bad else f"{1 + i % 900:,}.{i % 100:02d}"
        ref = "INV-0000003" if i == same else f"INV-{i:07d}"
        f.write(f"2024/01,{date},51100,Payments,CC410{1 + i % 3},{pool},Provider {i % 50},"
                f'Package {i},{ref},"{amount}"\r\n')
PY
}
snapshot() {
  sha256sum "$POOLBOOK_LEDGER"
  "$P" log --json | sha256sum
  "$P" verify --json
}
# export_new FROM: the records after index 3 (genesis, two pools) as JSON
# lines, as bench/bench_scale.sh exports them.
export_new() {
  "$P" --ledger "$1" log --json | python3 -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    if o["index"] >= 3:
        print(json.dumps(o["record"], sort_keys=True, separators=(",", ":"), ensure_ascii=False))'
}

extract 9000 -1 -1
before=$(snapshot)
"$P" import rows.csv --map map.json -k dcc-fin.key --dry-run --json >import.json
"$P" import rows.csv --map map.json -k dcc-fin.key --dry-run >import.txt
[ "$(snapshot)" = "$before" ] || fail "import --dry-run changed the ledger"
python3 - <<'PY' || fail "the --json preview is not what 9,000 rows on two pools make"
import json
p = json.load(open("import.json"))
assert (p["first_index"], p["appended"], p["present"]) == (3, 9000, 0), p
assert len(p["records"]) == 9000, len(p["records"])
assert [x["pool"] for x in p["pools"]] == ["BCF24", "BCFX24"], p["pools"]
types = [r["type"] for r in p["records"]]
assert types.count("contribution") == 93 and types.count("expenditure") == 8907
PY

# The records themselves: the real import in a copy, exported.
cp "$POOLBOOK_LEDGER" copy.ledger
"$P" --ledger copy.ledger import rows.csv --map map.json -k dcc-fin.key >/dev/null
export_new copy.ledger >rows.jsonl
[ "$(wc -l <rows.jsonl)" = 9000 ] || fail "the real import made $(wc -l <rows.jsonl) records"
"$P" append rows.jsonl --dry-run --json >append.json
"$P" append rows.jsonl --dry-run >append.txt
cmp -s import.json append.json || fail "import --dry-run --json differs from append --dry-run --json:
$(diff <(tr , '\n' <import.json) <(tr , '\n' <append.json) | head -20)"
cmp -s import.txt append.txt || fail "import --dry-run differs from append --dry-run:
$(diff import.txt append.txt | head -20)"
[ "$(sed -n 22p import.txt)" = "  ... and 8980 more (--json lists every one)" ] ||
  fail "the text lists: $(sed -n 22p import.txt)"
[ "$(snapshot)" = "$before" ] || fail "append --dry-run changed the ledger"

# A ledger already holding the first 4,500 of them: those are present.
cp "$POOLBOOK_LEDGER" part.ledger
head -n 4500 rows.jsonl >part.jsonl
"$P" --ledger part.ledger append part.jsonl >/dev/null
"$P" --ledger part.ledger import rows.csv --map map.json -k dcc-fin.key --dry-run --json \
  >part-import.json
"$P" --ledger part.ledger append rows.jsonl --dry-run --json >part-append.json
cmp -s part-import.json part-append.json || fail "partly present: import and append previews differ"
python3 -c '
import json
p = json.load(open("part-import.json"))
assert (p["first_index"], p["appended"], p["present"]) == (4503, 4500, 4500), p' ||
  fail "partly present: $(head -c 80 part-import.json)"

# Bad rows far into the file: the real import's line and exit; nothing written.
bad_case() { # NAME BAD SAME WANT
  extract 9000 "$2" "$3"
  cp "$POOLBOOK_LEDGER" real.ledger
  set +e
  "$P" --ledger real.ledger import rows.csv --map map.json -k dcc-fin.key >real.out 2>real.err
  local real_rc=$?
  "$P" import rows.csv --map map.json -k dcc-fin.key --dry-run --json >dry.out 2>dry.err
  local dry_rc=$?
  set -e
  [ "$dry_rc" = 1 ] && [ "$real_rc" = 1 ] || fail "$1: exit $dry_rc (real import $real_rc)"
  [ "$(cat dry.err)" = "$4" ] || fail "$1: the dry run said: $(cat dry.err)"
  cmp -s dry.err real.err || fail "$1: the real import said: $(cat real.err)"
  [ ! -s dry.out ] || fail "$1: the dry run printed $(head -c 80 dry.out)"
  [ "$(snapshot)" = "$before" ] || fail "$1: the dry run changed the ledger"
  cmp -s real.ledger "$POOLBOOK_LEDGER" || fail "$1: the real import wrote"
}
bad_case "bad amount" 8501 -1 \
  'poolbook: error: amount "12a.00" has an unexpected '"'a'"' at byte 3 (rows.csv, row 8503, column "Net Amount")'
id3=$(sed -n 4p rows.jsonl | python3 -c 'import json, sys; print(json.load(sys.stdin)["entry"]["id"])')
bad_case "reused reference" -1 8784 \
  "poolbook: error: reference \"INV-0000003\" is already used by $id3 (row 5) for pool BCF24: if this is another payment under the same reference, import it with --allow-same-ref (rows.csv, row 8786, column \"Doc No\")"

if [ "$fails" -gt 0 ]; then
  echo "import_dry_run: $fails failure(s)"
  exit 1
fi
echo "import_dry_run: ok"
