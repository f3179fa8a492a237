#!/usr/bin/env bash
# concurrent.sh — issue 13 item 8: four writers append 200 records each, one
# `poolbook append` per record, while a reader lists the ledger over and over.
# Afterwards every record is there exactly once (0 lost, 0 duplicated), the
# reader never saw the ledger shrink or fail, and the ledger verifies. Bounded
# in time: each writer and the reader stop after 120 s whatever happens.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}" "${PB_BUILD:?}"
P=$POOLBOOK
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
for k in dcc-sig dcc-fin icb-sig icb-fin op aud; do
  cp "$PB_SRC/tests/data/keys/$k.pub" "$PB_SRC/tests/data/keys/$k.key" .
  chmod 600 "$k.key"
done
export POOLBOOK_LEDGER=$work/c.ledger POOLBOOK_NOW=2024-06-30T12:00:00Z
"$P" init >/dev/null
"$P" new genesis --origin example.gov.uk/concurrent --partner DCC:council:"Derbyshire County Council" \
  --partner ICB:icb:"NHS Derby and Derbyshire ICB" --key DCC:signatory:dcc-sig.pub \
  --key DCC:finance:dcc-fin.pub --key ICB:signatory:icb-sig.pub --key ICB:finance:icb-fin.pub \
  --key DCC:operator:op.pub --key ICB:auditor:aud.pub -o genesis.json 2>/dev/null
"$P" sign genesis.json -k dcc-sig.key 2>/dev/null
"$P" sign genesis.json -k icb-sig.key 2>/dev/null
"$P" append genesis.json >/dev/null
writers=4
posts=${PB_CONCURRENT_POSTS:-200}
for w in $(seq 1 $writers); do
  "$PB_BUILD/gen_docs" example.gov.uk/concurrent dcc-fin.key "w$w" "$posts" >"w$w.jsonl"
done
deadline=$(($(date +%s) + 120))
writer() { # writer N: one append per line; a failure is written down
  while IFS= read -r line; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "timeout" >>"w$1.err"; return; }
    printf '%s\n' "$line" | "$P" append - >/dev/null 2>>"w$1.err" || echo "failed" >>"w$1.err"
  done <"w$1.jsonl"
}
reader() { # list the ledger until the writers are done; it must never shrink
  local last=0 n
  while [ ! -e writers.done ] && [ "$(date +%s)" -lt "$deadline" ]; do
    n=$("$P" log --json 2>>reader.err | wc -l)
    [ "$n" -ge "$last" ] || echo "shrank from $last to $n" >>reader.err
    last=$n
    echo "$n" >>reader.sizes
  done
}
reader &
reader_pid=$!
pids+=("$reader_pid")
t0=$(date +%s%N)
for w in $(seq 1 $writers); do
  writer "$w" &
  pids+=("$!")
done
for pid in "${pids[@]:1}"; do wait "$pid"; done
touch writers.done
wait "$reader_pid"
ms=$((($(date +%s%N) - t0) / 1000000))
for w in $(seq 1 $writers); do
  [ ! -s "w$w.err" ] || fail "writer $w: $(sort "w$w.err" | uniq -c | head -5)"
done
[ ! -s reader.err ] || fail "reader: $(head -5 reader.err)"
"$P" log --json >all.jsonl
python3 - "$writers" "$posts" <<'PY'
import json, sys, collections
writers, posts = int(sys.argv[1]), int(sys.argv[2])
want = set()
for w in range(1, writers + 1):
    for line in open(f"w{w}.jsonl"):
        want.add(json.loads(line)["entry"]["id"])
ids = collections.Counter()
for line in open("all.jsonl"):
    ids[json.loads(line)["record"]["entry"]["id"]] += 1
lost = [i for i in want if ids[i] == 0]
dup = [i for i, n in ids.items() if n > 1]
print(f"concurrent.sh: {len(want)} posted, {len(lost)} lost, {len(dup)} duplicated")
sys.exit(1 if lost or dup or len(ids) != len(want) + 1 else 0)
PY
"$P" verify >/dev/null || fail "the ledger does not verify"
echo "concurrent.sh: $writers writers x $posts appends in $ms ms with a reader ($(wc -l <reader.sizes) listings): 0 lost, 0 duplicated"
