#!/usr/bin/env bash
# ledger_format.sh — the ledger file's three layouts (docs/formats.md). A new
# ledger is "poolbook-ledger-v3": its tree hashes are keyed by the leaf whose
# append completes them, so they are appended in order and fill their pages,
# and it stores no leaf hash (each is computed from its record). A
# "poolbook-ledger-v2" ledger (the same keys, leaf hashes stored) and a
# "poolbook-ledger-v1" one (keyed level then index), made here with the test
# knob POOLBOOK_TEST_LEDGER_FORMAT=v2 or v1 as poolbook made every ledger
# before, are read and appended to as they are. The same records give the
# same root, the same inclusion and consistency proofs and the same tiles in
# all three; verify passes on each, also after the tamper tool rewrites every
# tree hash from the records (it reads the layout from the file), and catches
# a record changed in any of them.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}" "${PB_BUILD:?}"
P=$POOLBOOK
T=$PB_BUILD/tamper
export POOLBOOK_NOW=2024-06-30T12:00:00Z
unset POOLBOOK_LEDGER POOLBOOK_TEST_LEDGER_FORMAT
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-format.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fails=0
checks=0
fail() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}
. "$PB_SRC/tests/support/genesis_ledger.sh"

# new.ledger: genesis and 40 documents (tree levels 0..5), the v3 layout.
genesis_ledger new.ledger
for i in $(seq 1 40); do
  printf 'Board minutes %s\n' "$i" >"doc-$i.txt"
  "$P" --ledger new.ledger post document "doc-$i.txt" --title "Minutes $i" --id "minutes-$i" \
    -k dcc-fin.key >/dev/null
done
# v1.ledger, v2.ledger: the same records appended, in two batches, to a
# ledger of each older layout.
"$P" --ledger new.ledger log --json | python3 -c '
import json, sys
for line in sys.stdin:
    print(json.dumps(json.loads(line)["record"], sort_keys=True, separators=(",", ":"),
                     ensure_ascii=False))
' >records.jsonl
[ "$(wc -l <records.jsonl)" = 41 ] || fail "log --json gave $(wc -l <records.jsonl) records, not 41"
head -n 17 records.jsonl >first.jsonl
tail -n +18 records.jsonl >rest.jsonl
for v in v1 v2; do
  POOLBOOK_TEST_LEDGER_FORMAT=$v "$P" --ledger $v.ledger init >/dev/null
  "$P" --ledger $v.ledger append first.jsonl >/dev/null || fail "append to a $v ledger"
  "$P" --ledger $v.ledger append rest.jsonl >/dev/null || fail "append more to a $v ledger"
done

# Each file names its own format, and only the v3 one lacks leaf hashes: 41
# leaves and the parents they complete (20 + 10 + 5 + 2 + 1 complete subtrees).
checks=$((checks + 1))
grep -a -q 'poolbook-ledger-v3' new.ledger || fail "a new ledger is not poolbook-ledger-v3"
for v in v1 v2; do
  grep -a -q "poolbook-ledger-$v" $v.ledger && ! grep -a -q 'poolbook-ledger-v3' $v.ledger ||
    fail "the $v ledger did not stay poolbook-ledger-$v"
done
levels=$("$T" new.ledger hash-levels | tr '\n' ' ')
[ "$levels" = "1 20 2 10 3 5 4 2 5 1 " ] || fail "the v3 ledger stores hashes by level: $levels"
for v in v1 v2; do
  levels=$("$T" $v.ledger hash-levels | tr '\n' ' ')
  [ "$levels" = "0 41 1 20 2 10 3 5 4 2 5 1 " ] || fail "the $v ledger stores by level: $levels"
done

root_of() { "$P" --ledger "$1" verify --full --json | sed -n 's/.*"root":"\([^"]*\)".*/\1/p'; }
checks=$((checks + 1))
r_new=$(root_of new.ledger) || fail "verify of the v3 ledger"
[ -n "$r_new" ] || fail "no root from the v3 ledger"
for v in v1 v2; do
  r=$(root_of $v.ledger) || fail "verify of the $v ledger"
  [ "$r_new" = "$r" ] || fail "roots differ: v3 '$r_new', $v '$r'"
done

# Every inclusion proof at the full size and at 23, and every consistency
# proof from each size to 41 and to 32.
checks=$((checks + 1))
proofs=()
for i in $(seq 0 40); do proofs+=("inclusion $i"); done
for i in $(seq 0 22); do proofs+=("inclusion $i --size 23"); done
for i in $(seq 1 41); do proofs+=("consistency $i 41"); done
for i in $(seq 1 32); do proofs+=("consistency $i 32"); done
for l in new v1 v2; do
  for args in "${proofs[@]}"; do
    # shellcheck disable=SC2086
    "$P" --ledger $l.ledger proof $args || echo "FAILED: proof $args"
  done >"proofs-$l.txt"
done
[ "$(grep -c '"proof"' proofs-new.txt)" = "${#proofs[@]}" ] ||
  fail "the v3 ledger did not give ${#proofs[@]} proofs: $(grep FAILED proofs-new.txt | head -1)"
for v in v1 v2; do
  cmp -s proofs-new.txt "proofs-$v.txt" || fail "the proofs of the v3 and $v layouts differ"
done

# The same checkpoint's tiles (tlog's tile/0/... are leaf hashes: a v3
# ledger reads each from its record).
checks=$((checks + 1))
for l in new v1 v2; do
  "$P" --ledger $l.ledger checkpoint -k op.key >/dev/null || fail "checkpoint of the $l ledger"
  "$P" --ledger $l.ledger tiles --out "tiles-$l" >/dev/null || fail "tiles of the $l ledger"
done
[ -f tiles-new/tile/0/000.p/41 ] || fail "no level-0 tile from the v3 ledger"
for v in v1 v2; do
  diff -r tiles-new "tiles-$v" >/dev/null || fail "the tiles of the v3 and $v layouts differ"
done

checks=$((checks + 1))
for l in new v1 v2; do
  cp "$l.ledger" "$l-re.ledger"
  "$T" "$l-re.ledger" rehash || fail "tamper rehash of $l"
  [ "$(root_of "$l-re.ledger")" = "$r_new" ] || fail "verify after rehash of $l"
  [ "$("$T" "$l-re.ledger" hash-levels)" = "$("$T" "$l.ledger" hash-levels)" ] ||
    fail "tamper rehash of $l wrote other levels than the $l layout stores"
  cp "$l.ledger" "$l-bad.ledger"
  "$T" "$l-bad.ledger" flip 20 30 || fail "tamper flip of $l"
  if "$P" --ledger "$l-bad.ledger" verify --full >bad.out 2>&1; then
    fail "verify passed a changed record in the $l layout"
  fi
  grep -q '(record 20)' bad.out || fail "the $l layout's error names no record 20: $(cat bad.out)"
done

# A v3 ledger keeps growing as v3; an older layout is appended to as it is.
checks=$((checks + 1))
for l in new v1 v2; do
  printf 'Board minutes 41\n' >doc-41.txt
  "$P" --ledger $l.ledger post document doc-41.txt --title "Minutes 41" --id minutes-41 \
    -k dcc-fin.key >/dev/null || fail "append to the $l ledger"
done
r_new=$(root_of new.ledger)
for v in v1 v2; do
  [ "$(root_of $v.ledger)" = "$r_new" ] || fail "after one more record the $v root differs"
done
[ "$("$T" new.ledger hash-levels | head -1)" = "1 21" ] || fail "the v3 ledger stored a leaf"

# A format this poolbook does not know (a newer one) is refused with one line
# naming the formats it knows, exit 3, before anything is read or written.
checks=$((checks + 1))
python3 -c '
import sys
b = open("new.ledger", "rb").read()
assert b.count(b"poolbook-ledger-v3") == 1
open("v9.ledger", "wb").write(b.replace(b"poolbook-ledger-v3", b"poolbook-ledger-v9"))
'
cp v9.ledger v9.before
code=0
"$P" --ledger v9.ledger log >v9.out 2>v9.err || code=$?
want="poolbook: error: not a poolbook ledger file (poolbook-ledger-v3, poolbook-ledger-v2 or"
want="$want poolbook-ledger-v1) (v9.ledger)"
[ "$code" = 3 ] && [ "$(cat v9.err)" = "$want" ] && [ ! -s v9.out ] ||
  fail "an unknown format: exit $code: $(cat v9.err)"
cmp -s v9.ledger v9.before || fail "an unknown format: the file changed"

echo "ledger_format: $checks checks, $fails failures"
[ "$fails" -eq 0 ]
