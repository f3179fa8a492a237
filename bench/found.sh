# found.sh — sourced by the shell benchmarks: copy the test keys into the
# current folder, and found NAME makes $PWD/NAME.ledger (POOLBOOK_LEDGER):
# genesis of DCC (host) and ICB, then pool BCF24 agreed by both
# (tests/data/import/ledger.sh). Needs $P (the poolbook command) and $root.
PB_SRC=$root
export P PB_SRC POOLBOOK_NOW=${POOLBOOK_NOW:-2024-10-15T12:00:00Z}
for k in dcc-sig dcc-fin icb-sig icb-fin op aud; do
  cp "$root/tests/data/keys/$k.pub" "$root/tests/data/keys/$k.key" .
  chmod 600 "$k.key"
done
found() {
  export POOLBOOK_LEDGER=$PWD/$1.ledger
  rm -f "$POOLBOOK_LEDGER" "$POOLBOOK_LEDGER-lock" "$POOLBOOK_LEDGER-verified" \
    "$POOLBOOK_LEDGER-verified-lock"
  "$P" init >/dev/null
  "$P" new genesis --origin example.gov.uk/derbyshire-bcf \
    --partner DCC:council:"Derbyshire County Council" --partner ICB:icb:"NHS Derby and Derbyshire ICB" \
    --key DCC:signatory:dcc-sig.pub --key DCC:finance:dcc-fin.pub \
    --key ICB:signatory:icb-sig.pub --key ICB:finance:icb-fin.pub \
    --key DCC:operator:op.pub --key ICB:auditor:aud.pub -o genesis.json 2>/dev/null
  "$P" sign genesis.json -k dcc-sig.key 2>/dev/null
  "$P" sign genesis.json -k icb-sig.key 2>/dev/null
  "$P" append genesis.json >/dev/null
  . "$root/tests/data/import/ledger.sh"
}
