#!/usr/bin/env bash
# ledger_format.sh — the ledger file's two layouts (docs/formats.md). A new
# ledger is "poolbook-ledger-v2": its tree hashes are keyed by the leaf whose
# append completes them, so they are appended in order and fill their pages.
# A "poolbook-ledger-v1" ledger (keyed level then index; made here with the
# test knob POOLBOOK_TEST_LEDGER_FORMAT=v1, as poolbook made every ledger
# before) is read and appended to as it is. The same records give the same
# root and the same inclusion and consistency proofs in both; verify passes on
# both, also after the tamper tool rewrites every tree hash from the records
# (it reads the layout from the file), and catches a record changed in either.
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

# new.ledger: genesis and 40 documents (tree levels 0..5), the v2 layout.
genesis_ledger new.ledger
for i in $(seq 1 40); do
  printf 'Board minutes %s\n' "$i" >"doc-$i.txt"
  "$P" --ledger new.ledger post document "doc-$i.txt" --title "Minutes $i" --id "minutes-$i" \
    -k dcc-fin.key >/dev/null
done
# old.ledger: the same records appended, in two batches, to a v1 ledger.
POOLBOOK_TEST_LEDGER_FORMAT=v1 "$P" --ledger old.ledger init >/dev/null
"$P" --ledger new.ledger log --json | python3 -c '
import json, sys
for line in sys.stdin:
    print(json.dumps(json.loads(line)["record"], sort_keys=True, separators=(",", ":"),
                     ensure_ascii=False))
' >records.jsonl
[ "$(wc -l <records.jsonl)" = 41 ] || fail "log --json gave $(wc -l <records.jsonl) records, not 41"
head -n 17 records.jsonl >first.jsonl
tail -n +18 records.jsonl >rest.jsonl
"$P" --ledger old.ledger append first.jsonl >/dev/null || fail "append to a v1 ledger"
"$P" --ledger old.ledger append rest.jsonl >/dev/null || fail "append more to a v1 ledger"

checks=$((checks + 1))
grep -a -q 'poolbook-ledger-v2' new.ledger || fail "a new ledger is not poolbook-ledger-v2"
grep -a -q 'poolbook-ledger-v1' old.ledger && ! grep -a -q 'poolbook-ledger-v2' old.ledger ||
  fail "the v1 ledger did not stay poolbook-ledger-v1"

root_of() { "$P" --ledger "$1" verify --full --json | sed -n 's/.*"root":"\([^"]*\)".*/\1/p'; }
checks=$((checks + 1))
r_new=$(root_of new.ledger) || fail "verify of the v2 ledger"
r_old=$(root_of old.ledger) || fail "verify of the v1 ledger"
[ -n "$r_new" ] && [ "$r_new" = "$r_old" ] || fail "roots differ: v2 '$r_new', v1 '$r_old'"

checks=$((checks + 1))
for args in "inclusion 0" "inclusion 17" "inclusion 40" "inclusion 5 --size 23" \
  "consistency 1 41" "consistency 16 32" "consistency 23 41" "consistency 31 33"; do
  # shellcheck disable=SC2086
  a=$("$P" --ledger new.ledger proof $args) || fail "proof $args on the v2 ledger"
  # shellcheck disable=SC2086
  b=$("$P" --ledger old.ledger proof $args) || fail "proof $args on the v1 ledger"
  [ -n "$a" ] && [ "$a" = "$b" ] || fail "proof $args differs between the layouts"
done

checks=$((checks + 1))
for l in new old; do
  cp "$l.ledger" "$l-re.ledger"
  "$T" "$l-re.ledger" rehash || fail "tamper rehash of $l"
  [ "$(root_of "$l-re.ledger")" = "$r_new" ] || fail "verify after rehash of $l"
  cp "$l.ledger" "$l-bad.ledger"
  "$T" "$l-bad.ledger" flip 20 30 || fail "tamper flip of $l"
  if "$P" --ledger "$l-bad.ledger" verify --full >bad.out 2>&1; then
    fail "verify passed a changed record in the $l layout"
  fi
  grep -q '(record 20)' bad.out || fail "the $l layout's error names no record 20: $(cat bad.out)"
done

echo "ledger_format: $checks checks, $fails failures"
[ "$fails" -eq 0 ]
