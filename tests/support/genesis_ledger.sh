# genesis_ledger.sh — sourced by CLI tests: genesis_ledger [LEDGER] copies the
# fixed test keys (tests/data/keys: dcc-sig dcc-fin icb-sig icb-fin op aud
# stranger, .pub and .key) into the current directory and founds LEDGER (or
# $POOLBOOK_LEDGER) with a genesis of DCC (council, host) and ICB, each with a
# signatory and a finance key, DCC's operator key and ICB's auditor key,
# signed by both signatories. Needs $P (poolbook) and $PB_SRC.
genesis_ledger() {
  local k ledger=()
  if [ $# -gt 0 ]; then
    ledger=(--ledger "$1")
  fi
  for k in dcc-sig dcc-fin icb-sig icb-fin op aud stranger; do
    cp "$PB_SRC/tests/data/keys/$k.pub" "$PB_SRC/tests/data/keys/$k.key" .
    chmod 600 "$k.key"
  done
  "$P" "${ledger[@]}" init >/dev/null
  "$P" "${ledger[@]}" new genesis --origin example.gov.uk/derbyshire-bcf \
    --partner DCC:council:"Derbyshire County Council" \
    --partner ICB:icb:"NHS Derby and Derbyshire ICB" \
    --key DCC:signatory:dcc-sig.pub --key DCC:finance:dcc-fin.pub \
    --key ICB:signatory:icb-sig.pub --key ICB:finance:icb-fin.pub \
    --key DCC:operator:op.pub --key ICB:auditor:aud.pub -o genesis.json 2>/dev/null
  "$P" "${ledger[@]}" sign genesis.json -k dcc-sig.key 2>/dev/null
  "$P" "${ledger[@]}" sign genesis.json -k icb-sig.key 2>/dev/null
  "$P" "${ledger[@]}" append genesis.json >/dev/null
}

# agree_pool FILE [LEDGER]: agree the pool of FILE, signed by both signatories.
agree_pool() {
  local ledger=()
  if [ $# -gt 1 ]; then
    ledger=(--ledger "$2")
  fi
  "$P" "${ledger[@]}" new pool.agree --file "$1" -o agree.json 2>/dev/null
  "$P" "${ledger[@]}" sign agree.json -k dcc-sig.key 2>/dev/null
  "$P" "${ledger[@]}" sign agree.json -k icb-sig.key 2>/dev/null
  "$P" "${ledger[@]}" append agree.json >/dev/null
}
