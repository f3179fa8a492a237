#!/usr/bin/env bash
# progress.sh — progress on standard error when it is a terminal (DESIGN 8,
# cli/progress.c, pb_store_set_progress): verify, append of a batch,
# import, reindex, export and statements each draw "N of M records, R a
# second, about m:ss left" and end with the count and time taken; with
# standard error a file or a pipe they print nothing of it, and what goes to
# standard output is the same either way. `script` (util-linux) gives the
# command a terminal.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}" "${PB_BUILD:?}"
P=$POOLBOOK
export POOLBOOK_NOW=2024-06-30T12:00:00Z
unset POOLBOOK_PASSPHRASE_FILE
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-progress.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export POOLBOOK_LEDGER=$work/test.ledger
fails=0
fail() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}

# A ledger with the demo pool and a batch of 600 documents: more than two
# progress steps (PB_PROGRESS_STEP is 256), so an update is drawn mid-way.
. "$PB_SRC/tests/support/realistic_ledger.sh"
realistic_ledger
export POOLBOOK_NOW=2024-06-30T12:00:00Z
"$PB_BUILD/gen_docs" example.gov.uk/derbyshire-bcf dcc-fin.key bulk 600 >batch.jsonl

# on_tty NAME CMD...: run CMD with a terminal as its standard error (and
# output), keeping what it drew in NAME.tty.
on_tty() {
  local name=$1
  shift
  script -qec "$(printf '%q ' "$@")" /dev/null >"$name.tty" </dev/null
}
# drew NAME WHAT TOTAL: NAME.tty shows WHAT mid-way with a rate and time left,
# and a last line with the total.
drew() {
  local text
  text=$(tr '\r' '\n' <"$1.tty")
  grep -Eq "^$2: [0-9,]+ of $3 records, [0-9,]+ a second, about [0-9]+:[0-9]{2} left" <<<"$text" ||
    fail "$1 on a terminal drew no update with a rate and time left: $text"
  grep -Eq "^$2: $3 records in [0-9]+:[0-9]{2} \\([0-9,]+ a second\\)" <<<"$text" ||
    fail "$1 on a terminal drew no last line: $text"
}
# quiet NAME CMD...: with standard error a file, nothing is drawn.
quiet() {
  local name=$1
  shift
  "$@" >"$name.out" 2>"$name.err"
  ! grep -q ' a second' "$name.err" || fail "$name drew progress without a terminal: $(cat "$name.err")"
}

on_tty append "$P" append batch.jsonl
drew append appending 600
quiet verify "$P" verify
[ ! -s verify.err ] || fail "verify without a terminal wrote to stderr: $(cat verify.err)"
on_tty verify "$P" verify --full  # a full replay: the run above was remembered (docs/verify.md)
drew verify verifying 617
# What goes to standard output does not change with a terminal.
grep -q "$(head -1 verify.out)" verify.tty || fail "verify on a terminal lost its output"
on_tty reindex "$P" reindex
drew reindex reindexing 617
quiet reindex "$P" reindex
on_tty export "$P" export --format jsonl -o bundle.jsonl
drew export exporting 617
quiet export "$P" export --format csv -o entries.csv
on_tty statements "$P" statements --pool BCF24 --period 2024/25-Q1 --out st -k op.key
text=$(tr '\r' '\n' <statements.tty)
grep -Eq "^writing statements: 3 statements in [0-9]+:[0-9]{2}" <<<"$text" ||
  fail "statements on a terminal: $text"
quiet statements2 "$P" statements --pool BCF24 --period 2024/25-Q1 --out st2 -k op.key

# import: its rows are appended as one batch, with the same progress.
# (its rows moved from the closed first quarter into the third)
sed 's/^2024-0[456]-/2024-10-/' "$PB_SRC/tests/data/import/icb.csv" >icb.csv
cp "$PB_SRC/tests/data/import/map-icb.json" .
POOLBOOK_NOW=2024-10-31T12:00:00Z on_tty import "$P" import icb.csv --map map-icb.json -k icb-fin.key || fail "import: $(cat import.tty)"
text=$(tr '\r' '\n' <import.tty)
grep -Eq "^appending: 3 records in [0-9]+:[0-9]{2}" <<<"$text" || fail "import on a terminal: $text"

if [ "$fails" -ne 0 ]; then
  echo "progress: $fails failures"
  exit 1
fi
echo "progress: ok"
