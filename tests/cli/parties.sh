#!/usr/bin/env bash
# parties.sh — the parties entries through the command (docs/entries.md):
# partner.admit made with `new`, signed by every partner and the new one, and
# appended; key.add and key.revoke posted in one step; the default ids
# (admit-ID, key-KEYID, revoke-KEYID), posting the same key.add again reported
# as already present; a revoked key still signing an entry dated before its
# revocation; and `verify` replaying it all. The refusals are in the bad-input
# corpus (tests/data/bad/key-*, admit-*).
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}" "${PB_BUILD:?}"
P=$POOLBOOK
export POOLBOOK_NOW=2024-06-30T12:00:00Z
unset POOLBOOK_PASSPHRASE_FILE
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-parties.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() {
  echo "FAIL: $*"
  exit 1
}

# expect WANT CMD...: run CMD, its stdout must be WANT.
expect() {
  local want=$1
  shift
  local got
  got=$("$@" 2>err.txt) || fail "$* exited $?: $(cat err.txt)"
  [ "$got" = "$want" ] || fail "$*: got '$got', want '$want'"
}

for k in dcc-sig dcc-fin icb-sig icb-fin op aud stranger; do
  cp "$PB_SRC/tests/data/keys/$k.pub" "$PB_SRC/tests/data/keys/$k.key" .
  chmod 600 "$k.key"
done
export POOLBOOK_LEDGER=$work/l.ledger
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

# A third partner: the stranger key becomes its signatory.
"$P" keygen -W uhdb-fin >/dev/null 2>&1
"$P" new partner.admit --partner-id UHDB --kind trust \
  --name "University Hospitals of Derby and Burton" \
  --key signatory:stranger.pub --key finance:uhdb-fin.pub -o admit.json 2>/dev/null
for k in dcc-sig icb-sig stranger; do
  "$P" sign admit.json -k $k.key 2>/dev/null
done
expect "appended at index 1 admit-UHDB" "$P" append admit.json

# Its keys work, and it binds one more of its own.
"$P" keygen -W uhdb-fin2 >/dev/null 2>&1
fin2=$(sed -n 2p uhdb-fin2.pub)
printf 'Invoice 1047\n' >invoice.txt
expect "appended at index 2 inv-1047" \
  "$P" post document invoice.txt --title "Invoice 1047" --id inv-1047 -k uhdb-fin.key
keyid=$("$P" post key.add --partner UHDB --role finance --pubkey uhdb-fin2.pub -k stranger.key \
  --json | sed 's/.*"id":"key-\([0-9A-F]*\)".*/\1/')
[ ${#keyid} -eq 16 ] || fail "key.add id: $keyid"
"$P" new key.add --partner UHDB --role finance --pubkey uhdb-fin2.pub -o again.json 2>/dev/null
"$P" sign again.json -k stranger.key 2>/dev/null
expect "already present at index 3 key-$keyid" "$P" append again.json
grep -q "$fin2" again.json || fail "the draft does not carry the public key"

# DCC's finance key signs an entry dated 30 June; then DCC revokes it from
# 1 July. Appended after the revocation, the key signs nothing, whatever date
# the entry claims (DESIGN 5: revocation by append order).
expect "appended at index 4 inv-1048" \
  "$P" post document invoice.txt --title "Invoice 1048" --id inv-1048 -k dcc-fin.key
expect "appended at index 5 revoke-A6B779F7B49CF6D6" \
  "$P" post key.revoke --partner DCC --keyid A6B779F7B49CF6D6 --date 2024-07-01 \
  --reason "Laptop lost" -k dcc-sig.key
if "$P" post document invoice.txt --title "Invoice 1049" --id inv-1049 -k dcc-fin.key \
  2>err.txt; then
  fail "a revoked key signed an entry appended after its revocation"
fi
grep -qF "key A6B779F7B49CF6D6 was revoked (from 2024-07-01) by record 5: it signs nothing appended after that, whatever the entry's date (2024-06-30)" err.txt ||
  fail "revoked: $(cat err.txt)"

"$P" verify >/dev/null 2>err.txt || fail "verify: $(cat err.txt)"
echo "parties: ok"
