#!/usr/bin/env bash
# faults.sh — issue 13 item 8: a full disk and a full map. On a 1 MiB tmpfs
# the ledger grows by batches until the disk is full: the append that does
# not fit is refused in one line ("no space left on the device"), the ledger
# keeps every record appended before it and verifies; a new ledger whose lock
# file cannot get its blocks is refused the same way (it raised SIGBUS).
# With a tiny map (POOLBOOK_TEST_MAP_BYTES) the append that overflows it is
# refused and the ledger verifies. The tmpfs needs root (CI runs as root);
# the same full disk is also made without root by an LD_PRELOAD shim
# (tests/shims/enospc.c: writes, syncs and fallocate on regular files fail
# with ENOSPC after PB_ENOSPC_BYTES bytes), which runs everywhere, so a
# machine without root still tests a full disk.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}" "${PB_BUILD:?}"
P=$POOLBOOK
work=$(mktemp -d)
disk=$work/disk
mounted=
cleanup() {
  if [ -n "$mounted" ]; then umount "$disk" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
checks=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }
for k in dcc-sig dcc-fin icb-sig icb-fin op aud; do
  cp "$PB_SRC/tests/data/keys/$k.pub" "$PB_SRC/tests/data/keys/$k.key" .
  chmod 600 "$k.key"
done
export POOLBOOK_NOW=2024-06-30T12:00:00Z
genesis() { # genesis LEDGER ORIGIN
  POOLBOOK_LEDGER=$1 "$P" init >/dev/null
  POOLBOOK_LEDGER=$1 "$P" new genesis --origin "$2" --partner DCC:council:"Derbyshire County Council" \
    --partner ICB:icb:"NHS Derby and Derbyshire ICB" --key DCC:signatory:dcc-sig.pub \
    --key DCC:finance:dcc-fin.pub --key ICB:signatory:icb-sig.pub --key ICB:finance:icb-fin.pub \
    --key DCC:operator:op.pub --key ICB:auditor:aud.pub -o genesis.json 2>/dev/null
  POOLBOOK_LEDGER=$1 "$P" sign genesis.json -k dcc-sig.key 2>/dev/null
  POOLBOOK_LEDGER=$1 "$P" sign genesis.json -k icb-sig.key 2>/dev/null
  POOLBOOK_LEDGER=$1 "$P" append genesis.json >/dev/null
}

# The shim: a full disk at several points of an append, and at init.
shim=$PB_BUILD/libpb_enospc.so
[ -f "$shim" ] || fail "no $shim (built from tests/shims/enospc.c)"
# An ASan build's runtime must come first unless told otherwise.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
export POOLBOOK_LEDGER=$work/shim.ledger
genesis "$POOLBOOK_LEDGER" example.gov.uk/shim
"$PB_BUILD/gen_docs" example.gov.uk/shim dcc-fin.key s1 200 >batch.jsonl
before=$("$P" log --json | sha256sum)
for bytes in 0 4096 65536 100000; do
  set +e
  PB_ENOSPC_BYTES=$bytes LD_PRELOAD=$shim "$P" append batch.jsonl >out.txt 2>err.txt
  code=$?
  set -e
  [ "$code" = 3 ] && [ "$(wc -l <err.txt)" = 1 ] &&
    grep -Eq '^poolbook: error: .*no space left on the device' err.txt ||
    fail "append with a full disk after $bytes bytes: exit $code: $(cat err.txt)"
  [ "$("$P" log --json | sha256sum)" = "$before" ] || fail "the refused batch changed the ledger ($bytes)"
  "$P" verify >/dev/null || fail "the ledger does not verify after a full disk at $bytes bytes"
done
"$P" append batch.jsonl >/dev/null || fail "the batch does not append once there is room"
set +e
PB_ENOSPC_BYTES=1000 LD_PRELOAD=$shim POOLBOOK_LEDGER=$work/shim-new.ledger "$P" init >out.txt 2>err.txt
code=$?
set -e
[ "$code" = 3 ] && grep -q "no space left on the device" err.txt ||
  fail "init on a full disk (shim): exit $code: $(cat err.txt)"
ok "a full disk without root (LD_PRELOAD shim) refuses the append at 0, 4096, 65536 and 100000 bytes in one line, the ledger unchanged and verifying; init refused"

mkdir -p "$disk"
if ! mount -t tmpfs -o size=1m tmpfs "$disk" 2>/dev/null; then
  echo "faults.sh: no tmpfs can be mounted here (not root): the full disk is the shim's alone"
else
  mounted=1
  export POOLBOOK_LEDGER=$disk/full.ledger
  genesis "$POOLBOOK_LEDGER" example.gov.uk/full
  refused=
  for round in $(seq 1 40); do
    "$PB_BUILD/gen_docs" example.gov.uk/full dcc-fin.key "r$round" 200 >batch.jsonl
    before=$("$P" log --json | sha256sum)
    if ! "$P" append batch.jsonl >out.txt 2>err.txt; then
      refused=$round
      break
    fi
  done
  [ -n "$refused" ] || fail "1 MiB never filled"
  grep -Eq '^poolbook: error: .*no space left on the device' err.txt ||
    fail "a full disk said: $(cat err.txt)"
  [ "$(wc -l <err.txt)" = 1 ] || fail "not one line: $(cat err.txt)"
  [ "$("$P" log --json | sha256sum)" = "$before" ] || fail "the refused batch changed the ledger"
  "$P" verify >/dev/null || fail "the ledger does not verify after a full disk"
  ok "a full disk refuses batch $refused in one line ($(cat err.txt | cut -c1-80)...); the ledger verifies"

  # Fill what is left, then a new ledger: its lock file cannot get its blocks.
  head -c 4M /dev/zero >"$disk/filler" 2>/dev/null || true
  set +e
  POOLBOOK_LEDGER=$disk/new.ledger "$P" init >out.txt 2>err.txt
  code=$?
  set -e
  [ "$code" = 3 ] && grep -q "no space left on the device" err.txt ||
    fail "init on a full disk: exit $code: $(cat err.txt)"
  init_err=$(cat err.txt)
  set +e
  "$P" log >out.txt 2>err.txt
  code=$?
  set -e
  [ "$code" != 135 ] && [ "$code" != 139 ] || fail "a command on the full disk crashed ($code)"
  ok "on a full disk init is refused in one line, no SIGBUS ($init_err)"
  umount "$disk"
  mounted=
fi

export POOLBOOK_LEDGER=$work/map.ledger
genesis "$POOLBOOK_LEDGER" example.gov.uk/map
refused=
# At most 100 rounds of 50 documents: a poolbook-ledger-v3 file (no leaf
# hashes) takes about 2,000 documents before 1 MiB is full.
for round in $(seq 1 100); do
  "$PB_BUILD/gen_docs" example.gov.uk/map dcc-fin.key "m$round" 50 >batch.jsonl
  before=$("$P" log --json | sha256sum)
  if ! POOLBOOK_TEST_MAP_BYTES=1048576 "$P" append batch.jsonl >out.txt 2>err.txt; then
    refused=$round
    break
  fi
done
[ -n "$refused" ] || fail "a 1 MiB map never filled"
grep -Eq '^poolbook: error: .*MDB_MAP_FULL' err.txt || fail "a full map said: $(cat err.txt)"
[ "$("$P" log --json | sha256sum)" = "$before" ] || fail "the refused batch changed the ledger"
"$P" verify >/dev/null || fail "the ledger does not verify after a full map"
"$P" append batch.jsonl >/dev/null || fail "the batch does not append with the normal map"
ok "a full map refuses batch $refused in one line; the ledger verifies; a normal map takes it"
echo "faults.sh: $checks checks passed"
