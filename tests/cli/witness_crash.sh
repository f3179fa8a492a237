#!/usr/bin/env bash
# witness_crash.sh — a witness's record survives kill -9 at any moment
# (docs/witness.md; as tests/cli/crash.sh does for append). Each round the
# ledger grows, the host asks the witness to cosign, and the witness is killed
# -9 somewhere in 0..1.5x the time a request takes: before, during or after
# its LMDB commit. After every kill the restarted witness must hold either the
# size it held before or the new one, with the ledger's root at that size;
# every cosignature the host kept must be for a size the witness has reached;
# and the witness must take the next checkpoint. Kill times come from a fixed,
# printed seed; rounds are bounded.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}" "${PB_BUILD:?}"
P=$POOLBOOK
work=$(mktemp -d)
source "$PB_SRC/examples/lib/witness.sh"
trap 'witness_stop_all; rm -rf "$work"' EXIT
cd "$work"
fail() { echo "witness_crash.sh: FAIL: $*" >&2; exit 1; }
for k in dcc-sig dcc-fin icb-sig icb-fin op aud; do
  cp "$PB_SRC/tests/data/keys/$k.pub" "$PB_SRC/tests/data/keys/$k.key" .
  chmod 600 "$k.key"
done
export POOLBOOK_LEDGER=$work/host.ledger POOLBOOK_NOW=2024-06-30T12:00:00Z
ORIGIN=example.gov.uk/witness-crash
"$P" init >/dev/null
"$P" new genesis --origin $ORIGIN --partner DCC:council:"Derbyshire County Council" \
  --partner ICB:icb:"NHS Derby and Derbyshire ICB" --key DCC:signatory:dcc-sig.pub \
  --key DCC:finance:dcc-fin.pub --key ICB:signatory:icb-sig.pub --key ICB:finance:icb-fin.pub \
  --key DCC:operator:op.pub --key ICB:auditor:aud.pub -o genesis.json 2>/dev/null
"$P" sign genesis.json -k dcc-sig.key 2>/dev/null
"$P" sign genesis.json -k icb-sig.key 2>/dev/null
"$P" append genesis.json >/dev/null
VK=$("$P" checkpoint --verifier -p op.pub)
held_size() {
  python3 -c 'import sys,urllib.request
try: print(urllib.request.urlopen(sys.argv[1]).read().decode().split("\n")[1])
except Exception: print(0)' "$1/latest/$ORIGIN"
}
held_root() {
  python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode().split("\n")[2])' \
    "$1/latest/$ORIGIN"
}

seed=${PB_CRASH_SEED:-20241207}
echo "witness_crash.sh: seed $seed"
RANDOM=$seed
rounds=6
witness_start w aud.key w.state --log "$ORIGIN=$VK"
# Calibrate: one checkpoint with an exchange of two requests (409, then the proof).
"$PB_BUILD/gen_docs" $ORIGIN dcc-fin.key c0 20 >batch.jsonl
"$P" append batch.jsonl >/dev/null
"$P" checkpoint -k op.key --witness "$w_url" >/dev/null 2>&1
"$PB_BUILD/gen_docs" $ORIGIN dcc-fin.key c1 20 >batch.jsonl
"$P" append batch.jsonl >/dev/null
"$P" checkpoint -k op.key >/dev/null
t0=$(date +%s%N)
"$P" checkpoint --witness "$w_url" >/dev/null 2>&1
span_ms=$(( ($(date +%s%N) - t0) / 1000000 * 3 / 2 + 1 ))
echo "witness_crash.sh: a cosigning exchange takes ~$((span_ms * 2 / 3)) ms; kills land in 0..$span_ms ms"
killed=0
for round in $(seq 1 $rounds); do
  before=$(held_size "$w_url")
  "$PB_BUILD/gen_docs" $ORIGIN dcc-fin.key "r$round" 20 >batch.jsonl
  "$P" append batch.jsonl >/dev/null
  "$P" checkpoint -k op.key >/dev/null
  size=$("$P" log --json | wc -l)
  "$P" checkpoint --witness "$w_url" >/dev/null 2>&1 &
  client=$!
  delay=$((RANDOM % span_ms))
  sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
  if kill -0 "$w_pid" 2>/dev/null; then
    witness_stop "$w_pid" KILL
    killed=$((killed + 1))
  fi
  wait "$client" 2>/dev/null || true
  witness_start w aud.key w.state --log "$ORIGIN=$VK"
  after=$(held_size "$w_url")
  [ "$after" = "$before" ] || [ "$after" = "$size" ] ||
    fail "round $round: the witness held $before, was asked for $size, holds $after"
  want=$("$P" checkpoint --show --size "$after" | sed -n 3p)
  [ "$(held_root "$w_url")" = "$want" ] || fail "round $round: the held root is not the ledger's at $after"
  # Every cosignature the host kept is for a size the witness has reached.
  "$P" verify >/dev/null || fail "round $round: the host's ledger no longer verifies"
  if "$P" checkpoint --show --size "$size" | grep -q '^— poolbook-witness/' && [ "$after" != "$size" ]; then
    fail "round $round: the host holds a cosignature of size $size the witness does not hold"
  fi
  # The witness takes the checkpoint now (again, or for the first time).
  "$P" checkpoint --witness "$w_url" >/dev/null 2>err.txt || { cat err.txt; fail "round $round: retry"; }
  [ "$(held_size "$w_url")" = "$size" ] || fail "round $round: the retry left the witness behind"
  echo "round $round: held $before, asked $size, after kill -9 held $after; retry cosigned $size"
done
"$P" verify
echo "witness_crash.sh: $rounds rounds, $killed witnesses killed -9 mid-exchange; every record whole"
