#!/usr/bin/env bash
# append_stream.sh — issue 15 item 2: `append` of JSON lines streams them into
# one write transaction (pb_batch), a chunk of 4,096 at a time, parsed and
# checked on a worker while the writer admits the chunk before. The failure
# named is the one a whole read names: a line that does not parse (anywhere)
# before a record refused earlier, an earlier file's bad line before a later
# file's over-long line; the message names the file and line and the ledger is
# unchanged. A good batch from a file or stdin appends every record.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}" "${PB_BUILD:?}"
P=$POOLBOOK
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-append-stream.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
checks=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }
export POOLBOOK_LEDGER=$work/pool.ledger
# shellcheck source=../support/realistic_ledger.sh
. "$PB_SRC/tests/support/realistic_ledger.sh"
realistic_ledger
root() { "$P" log --json | sha256sum; }
before=$(root)
# 5,000 signed documents: two chunks and a part, and far over the size at
# which an input could be one pretty-printed draft, so it is read as lines.
"$PB_BUILD/gen_docs" example.gov.uk/derbyshire-bcf dcc-fin.key bulk 5000 >good.jsonl
[ "$(wc -l <good.jsonl)" = 5000 ] || fail "gen_docs"

# expect LINE-PATTERN cmd...: exit 1, the one line matches, ledger unchanged.
expect() {
  local want=$1
  shift
  set +e
  "$@" >out.txt 2>err.txt
  local got=$?
  set -e
  [ "$got" = 1 ] || fail "$* exited $got, not 1: $(head -c 300 err.txt)"
  [ "$(wc -l <err.txt)" = 1 ] || fail "$*: not one line: $(head -c 300 err.txt)"
  grep -Eq "^poolbook: error: $want\$" err.txt || fail "$*: got '$(cat err.txt)', want '$want'"
  [ "$(root)" = "$before" ] || fail "$*: the ledger changed"
}
# put N TEXT <in >out: line N replaced by TEXT.
put() { awk -v n="$1" -v t="$2" 'NR == n { print t; next } { print }'; }
# The id of line 5 reused by another record: refused at admission.
reused=$(sed -n 5p good.jsonl | sed 's/"title":"[^"]*"/"title":"Another"/')
sed -n 5p good.jsonl >first.jsonl

put 4500 '{"entry":' <good.jsonl >bad-json.jsonl
expect '.*\(bad-json.jsonl line 4500.*\)' "$P" append bad-json.jsonl
ok "a line that does not parse in the second chunk is named by its line"

put 10 "$reused" <good.jsonl | put 4900 '[1,' >both.jsonl
expect '.*\(both.jsonl line 4900.*\)' "$P" append both.jsonl
put 10 "$reused" <good.jsonl >reused.jsonl
expect 'id "bulk-4" is already used by a different record at index .* \(reused.jsonl line 10, \$.entry.id\)' \
  "$P" append first.jsonl reused.jsonl
ok "a line that does not parse is named before an earlier record refused at admission, as a whole read names it"

python3 -c 'import sys; sys.stdout.write("{\"x\":\"" + "a" * 1048600 + "\"}\n")' >long.jsonl
expect 'line 1 is longer than 1048576 bytes \(long.jsonl\)' "$P" append good.jsonl long.jsonl
expect '.*\(bad-json.jsonl line 4500.*\)' "$P" append bad-json.jsonl long.jsonl
ok "an over-long line in a later file is named, unless an earlier file has a line that does not parse"

"$P" append - <good.jsonl >out.txt
grep -q "^appended 5000 records at index " out.txt || fail "append from stdin: $(cat out.txt)"
"$P" append good.jsonl >out.txt
grep -q "^nothing appended: 5000 records already present" out.txt || fail "again: $(cat out.txt)"
"$P" verify >/dev/null || fail "verify after the streamed append"
ok "5,000 records streamed from stdin are all appended; again, all present; the ledger verifies"
echo "1..$checks"
