#!/usr/bin/env bash
# output_paths.sh — issue 13 item 1: no output path (-o of export, new, sign,
# statement; statements --out and its manifest) can replace the ledger, its
# lock file (by any spelling or hard link) or anything that is not a regular
# file; "-" is stdout; the temporary file has an unpredictable name, so a
# symbolic link planted where the old fixed name was redirects nothing.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}" "${PB_BUILD:?}"
P=$POOLBOOK
work=$(mktemp -d)
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
sum_ledger=$(sha256sum pool.ledger)
ino_lock=$(stat -c %i pool.ledger-lock)

# expect CODE LINE cmd...: exit code, the one-line error, the ledger intact.
expect() {
  local code=$1 line=$2
  shift 2
  set +e
  "$@" >out.txt 2>err.txt
  local got=$?
  set -e
  [ "$got" = "$code" ] || fail "$* exited $got, not $code: $(cat err.txt)"
  [ "$(cat err.txt)" = "$line" ] || fail "$*: got '$(cat err.txt)', want '$line'"
  [ "$(sha256sum pool.ledger)" = "$sum_ledger" ] || fail "$*: the ledger file changed"
  [ "$(stat -c %i pool.ledger-lock)" = "$ino_lock" ] || fail "$*: the lock file was replaced"
  [ "$(root)" = "$before" ] || fail "$*: the ledger's records changed"
}
refused="the output is the ledger or its lock file"
for f in pool.ledger ./pool.ledger "$work/pool.ledger" pool.ledger-lock; do
  kept=$work/pool.ledger
  case $f in *-lock) kept=$work/pool.ledger-lock ;; esac
  expect 2 "poolbook: error: $refused ($kept): it is not replaced ($f)" \
    "$P" export --format jsonl -o "$f"
done
ok "export -o refuses the ledger and its lock file, however spelled"
ln pool.ledger hard.ledger
expect 2 "poolbook: error: $refused ($work/pool.ledger): it is not replaced (hard.ledger)" \
  "$P" export --format csv -o hard.ledger
rm hard.ledger
ok "a hard link to the ledger is the ledger"
expect 2 "poolbook: error: $refused ($work/pool.ledger): it is not replaced (pool.ledger)" \
  "$P" statement --pool BCF24 --partner DCC --period 2024/25-Q1 -o pool.ledger
expect 2 "poolbook: error: $refused ($work/pool.ledger): it is not replaced (pool.ledger)" \
  "$P" statement --pool BCF24 --partner DCC --period 2024/25-Q1 --format xlsx -o pool.ledger
expect 2 "poolbook: error: $refused ($work/pool.ledger): it is not replaced (pool.ledger)" \
  "$P" new document s75.txt --title t -o pool.ledger
cp genesis.json draft.json
expect 2 "poolbook: error: $refused ($work/pool.ledger-lock): it is not replaced (pool.ledger-lock)" \
  "$P" sign draft.json -k dcc-sig.key -o pool.ledger-lock
ok "statement (text and xlsx), new and sign refuse the ledger and its lock file"

mkfifo fifo
mkdir folder
ln -s out-target.txt link.txt
for f in fifo folder link.txt /dev/null; do
  expect 2 "poolbook: error: the output exists and is not a regular file: it is not replaced ($f)" \
    "$P" export --format jsonl -o "$f"
done
[ ! -e out-target.txt ] || fail "the symbolic link was followed"
ok "a FIFO, a folder, a symbolic link and a device are not replaced"

# A run whose folder is the ledger's: a statement file named like the ledger
# cannot exist (names are chosen by poolbook), but the manifest's names are
# fixed: a hard link of the ledger there is refused.
mkdir run
ln pool.ledger run/MANIFEST.sha256
expect 2 "poolbook: error: $refused ($work/pool.ledger): it is not replaced (run/MANIFEST.sha256)" \
  "$P" statements --pool BCF24 --period 2024/25-Q1 --out run -k op.key
rm run/MANIFEST.sha256
ok "statements' manifest refuses the ledger"

# The old fixed temporary names: symbolic links planted there redirect nothing.
ln -s victim.txt "out.jsonl.tmp$$"
for i in $(seq 1 200); do ln -sf victim.txt "out.jsonl.tmp$((i + $$))"; done
ln -s victim.txt run/MANIFEST.sha256.tmp
"$P" export --format jsonl -o out.jsonl
"$P" statements --pool BCF24 --period 2024/25-Q1 --out run -k op.key --format json >/dev/null
[ ! -e victim.txt ] || fail "a planted symbolic link was written through"
[ "$(wc -l <out.jsonl)" -gt 17 ] || fail "the export was not written"
[ -z "$(find . run -maxdepth 1 -name '.*.tmp')" ] || fail "a temporary file was left behind"
ok "the temporary files have unpredictable names; none is left behind"

umask 022
"$P" export --format jsonl -o modes.jsonl
[ "$(stat -c %a modes.jsonl)" = 644 ] || fail "an export is mode $(stat -c %a modes.jsonl)"
"$P" export --format jsonl -o - | cmp - out.jsonl || fail "-o - is not stdout"
ok "outputs get 0666 less the umask; -o - is stdout"
echo "output_paths.sh: $checks checks passed"
