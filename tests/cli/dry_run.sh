#!/usr/bin/env bash
# dry_run.sh — `post`, `append` and `import --dry-run` (pb_append_preview,
# cli/dry_run.c): each checks what the append would, writes nothing (the
# ledger file's bytes, every record, the root, the checkpoints and every
# pool's figures are as before), prints what would be appended and the
# figures that would change; the real append then lands where the dry run
# said, with the figures it said. A refused dry run is the append's refusal.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}"
P=$POOLBOOK
export POOLBOOK_NOW=2024-06-30T12:00:00Z
unset POOLBOOK_PASSPHRASE_FILE
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-dry-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export POOLBOOK_LEDGER=$work/test.ledger
fails=0
fail() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}

. "$PB_SRC/tests/support/genesis_ledger.sh"
genesis_ledger
P=$P PB_SRC=$PB_SRC . "$PB_SRC/tests/data/import/ledger.sh"
"$P" checkpoint -k op.key >/dev/null

# Everything a dry run must leave as it was.
snapshot() {
  sha256sum "$POOLBOOK_LEDGER"
  "$P" log --json
  "$P" verify --json
  "$P" pool show BCF24 --json
}
same_as() {
  [ "$(snapshot)" = "$1" ] || fail "$2 changed the ledger"
}

# ---- post --dry-run ----
before=$(snapshot)
out=$("$P" post contribution --pool BCF24 --partner ICB --stream NHSMIN --amount 1,234.50 \
        --date 2024-04-15 --id c1 -k icb-fin.key --dry-run)
same_as "$before" "post --dry-run"
want="dry run: nothing was written; 1 record would be appended at index 2
  contribution c1
pool BCF24 2024/25: figures that would change
  stream NHSMIN received                       0.00 ->         1,234.50  (+1,234.50)
  total received                               0.00 ->         1,234.50  (+1,234.50)"
[ "$out" = "$want" ] || fail "post --dry-run printed:
$out"
# The real post lands where the dry run said, with the figures it said.
"$P" post contribution --pool BCF24 --partner ICB --stream NHSMIN --amount 1,234.50 \
  --date 2024-04-15 --id c1 -k icb-fin.key >post.out
[ "$(cat post.out)" = "appended at index 2 c1" ] || fail "post after the dry run: $(cat post.out)"
got=$("$P" pool show BCF24 --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
print([s["received"] for s in r["streams"] if s["id"] == "NHSMIN"][0], r["totals"]["received"])')
[ "$got" = "1234.50 1234.50" ] || fail "figures after the post: $got"

# A refused dry run is the append's refusal, and changes nothing.
before=$(snapshot)
set +e
"$P" post expenditure --pool BCF24 --scheme S01 --amount 500 --payee "Care Co" \
  --date 2024-04-20 -k dcc-sig.key --dry-run >refused.out 2>refused.err
code=$?
set -e
[ "$code" = 1 ] || fail "refused dry run exit $code"
[ ! -s refused.out ] || fail "refused dry run printed on stdout: $(cat refused.out)"
grep -q "an expenditure entry needs" refused.err || fail "refused dry run said: $(cat refused.err)"
same_as "$before" "a refused post --dry-run"

# ---- append --dry-run: a batch of two drafts, one already present ----
"$P" new expenditure --pool BCF24 --scheme S01 --amount 500 --payee "Care Co" \
  --date 2024-04-20 --id e1 -o e1.json 2>/dev/null
"$P" sign e1.json -k dcc-fin.key 2>/dev/null
"$P" new forecast --pool BCF24 --scheme S01 --amount 5,100,000 --date 2024-06-30 --id f1 \
  -o f1.json 2>/dev/null
"$P" sign f1.json -k dcc-fin.key 2>/dev/null
before=$(snapshot)
"$P" append --dry-run --json e1.json f1.json >batch.json
same_as "$before" "append --dry-run"
python3 - <<'PY' || fail "append --dry-run --json"
import json
p = json.load(open("batch.json"))
assert p["first_index"] == 3 and p["appended"] == 2 and p["present"] == 0, p
assert [r["id"] for r in p["records"]] == ["e1", "f1"], p["records"]
(pool,) = p["pools"]
lines = {c["line"]: (c["before"], c["after"], c["change"]) for c in pool["changes"]}
want = {
    "scheme S01 actual": ("0.00", "500.00", "500.00"),
    "scheme S01 forecast": ("5000000.00", "5100000.00", "100000.00"),
    "scheme S01 variance": ("0.00", "100000.00", "100000.00"),
    "total actual": ("0.00", "500.00", "500.00"),
}
for k, v in want.items():
    assert lines.get(k) == v, (k, lines.get(k))
PY
"$P" append e1.json f1.json >append.out
[ "$(cat append.out)" = "appended 2 records at index 3..4" ] || fail "append: $(cat append.out)"
# Again as a dry run: both already present, nothing would change.
out=$("$P" append --dry-run e1.json f1.json)
case "$out" in
  "dry run: nothing was written; 0 records would be appended (2 already present)"*) ;;
  *) fail "append --dry-run of present records: $out" ;;
esac

# A reversal names no pool: its preview shows its target's pool.
before=$(snapshot)
out=$("$P" post reversal --target e1 --date 2024-04-25 --reason "wrong scheme" --id r1 \
        -k dcc-fin.key --dry-run)
same_as "$before" "post reversal --dry-run"
grep -Eq '^  scheme S01 actual +500\.00 -> +0\.00  \(-500\.00\)$' <<<"$out" ||
  fail "reversal --dry-run shows no change to S01's actual: $out"

# ---- import --dry-run ----
cp "$PB_SRC/tests/data/import/icb.csv" "$PB_SRC/tests/data/import/map-icb.json" .
before=$(snapshot)
"$P" import icb.csv --map map-icb.json -k icb-fin.key --dry-run >import.out
same_as "$before" "import --dry-run"
head -1 import.out | grep -q '^dry run: nothing was written; 3 records would be appended at index 5..7$' ||
  fail "import --dry-run: $(head -1 import.out)"
dry_total=$(awk '$1 == "total" && $2 == "received" {print $5}' import.out)
"$P" import icb.csv --map map-icb.json -k icb-fin.key >/dev/null
real_total=$("$P" pool show BCF24 --json | python3 -c '
import json, sys
from decimal import Decimal
print("{:,.2f}".format(Decimal(json.load(sys.stdin)["totals"]["received"])))')
[ -n "$dry_total" ] && [ "$dry_total" = "$real_total" ] ||
  fail "import --dry-run said total received $dry_total; the import made $real_total"

if [ "$fails" -ne 0 ]; then
  echo "dry_run: $fails failures"
  exit 1
fi
echo "dry_run: ok"
