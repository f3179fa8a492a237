#!/usr/bin/env bash
# ledger_file.sh — issue 13 items 3 to 5: what is at the ledger's path.
# A truncated ledger file (it raised SIGBUS in every command), an empty file,
# a FIFO (opening it hung) and a folder each get one clear line; readers killed
# with -9 holding a read transaction fill LMDB's reader table, and poolbook
# still opens the ledger (mdb_reader_check); a read-only command works under a
# `ulimit -v` far below the writer's 64 GiB map.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}" "${PB_BUILD:?}"
P=$POOLBOOK
work=$(mktemp -d)
holder=
cleanup() {
  if [ -n "$holder" ]; then kill "$holder" 2>/dev/null || true; wait "$holder" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
checks=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }
export POOLBOOK_LEDGER=$work/pool.ledger
# shellcheck source=../support/realistic_ledger.sh
. "$PB_SRC/tests/support/realistic_ledger.sh"
realistic_ledger
good=$("$P" log --json | sha256sum)

# expect CODE LINE cmd...: the exit code and the exact one-line error, within 20 s.
expect() {
  local code=$1 line=$2
  shift 2
  set +e
  timeout 20 "$@" >out.txt 2>err.txt
  local got=$?
  set -e
  [ "$got" = "$code" ] || fail "$* exited $got, not $code: $(cat err.txt)"
  [ "$(cat err.txt)" = "$line" ] || fail "$*: got '$(cat err.txt)', want '$line'"
}

size=$(stat -c %s pool.ledger)
cp pool.ledger cut.ledger
truncate -s $((size / 2)) cut.ledger
for cmd in "log" "verify" "export --format jsonl" "pool show BCF24"; do
  # shellcheck disable=SC2086
  set +e
  POOLBOOK_LEDGER=cut.ledger timeout 20 "$P" $cmd >out.txt 2>err.txt
  got=$?
  set -e
  [ "$got" = 3 ] || fail "$cmd on a truncated ledger exited $got: $(cat err.txt)"
  grep -Eq "^poolbook: error: the ledger file is truncated: $((size / 2)) bytes, but its pages end at [0-9]+ \(cut.ledger\)$" err.txt ||
    fail "$cmd on a truncated ledger: $(cat err.txt)"
done
cp pool.ledger cut.ledger
truncate -s 3000 cut.ledger
expect 3 "poolbook: error: not an LMDB ledger file: MDB_INVALID: File is not an LMDB file (cut.ledger)" \
  env POOLBOOK_LEDGER=cut.ledger "$P" log
ok "a truncated ledger file is refused in one line, no SIGBUS"

: >empty.ledger
expect 3 "poolbook: error: the ledger file is empty (empty.ledger)" \
  env POOLBOOK_LEDGER=empty.ledger "$P" verify
mkfifo fifo.ledger
expect 3 "poolbook: error: the ledger path is not a regular file (a FIFO, device or socket) (fifo.ledger)" \
  env POOLBOOK_LEDGER=fifo.ledger "$P" log
mkdir folder.ledger
expect 3 "poolbook: error: the ledger path is a folder, not a file (folder.ledger)" \
  env POOLBOOK_LEDGER=folder.ledger "$P" log
expect 3 "poolbook: error: the ledger path is not a regular file (a FIFO, device or socket) (/dev/null)" \
  env POOLBOOK_LEDGER=/dev/null "$P" log
ok "an empty file, a FIFO, a folder and a device are refused at once"

# Readers killed holding a slot, while another process keeps the lock file's
# table alive: more than LMDB's 126 slots.
"$PB_BUILD/lmdb_reader" pool.ledger hold 60 &
holder=$!
sleep 0.2
for _ in $(seq 1 130); do
  "$PB_BUILD/lmdb_reader" pool.ledger die && fail "the reader did not die"
done 2>/dev/null
[ "$("$PB_BUILD/lmdb_reader" pool.ledger die 2>&1 || true)" = "lmdb_reader: MDB_READERS_FULL: Environment maxreaders limit reached" ] ||
  fail "the reader table did not fill"
[ "$("$P" log --json | sha256sum)" = "$good" ] || fail "log failed with the reader table full"
"$P" verify >/dev/null || fail "verify failed with the reader table full"
ok "130 readers killed with -9 do not stop poolbook (mdb_reader_check)"
kill "$holder"
wait "$holder" 2>/dev/null || true
holder=

if [ "${PB_SANITIZE:-OFF}" != ON ]; then # ASan reserves terabytes of shadow memory
  (ulimit -v 300000 && "$P" log --json | sha256sum >log.sum && "$P" verify >/dev/null) ||
    fail "a read-only command failed under ulimit -v 300000"
  [ "$(cat log.sum)" = "$good" ] || fail "log differs under ulimit -v"
  ok "read-only commands run under ulimit -v 300000 (the writer's map is 64 GiB)"
fi
echo "ledger_file.sh: $checks checks passed"
