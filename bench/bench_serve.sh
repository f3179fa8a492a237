#!/usr/bin/env bash
# bench_serve.sh — `poolbook serve` against the local baseline, measured in
# the same run (DESIGN 9; the issue's goal: a post over HTTP within 2x of a
# local post):
#  1. N posts of a document with `poolbook --remote URL post` (mirror synced,
#     record signed, POST /add-entry, checkpoint signed, proof returned)
#     against N local `poolbook post` of the same kind into an identical
#     ledger: both rates and remote/local time;
#  2. every tile of the log fetched R times over HTTP by one curl process
#     (keep-alive) from a --public-reads server, against reading the same
#     files R times with cat (one process, as curl is one): tiles per second
#     each way and the ratio.
# usage: bash bench/bench_serve.sh [N] [R] [BUILD_DIR]   (default 100, 20, build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-100}
reps=${2:-20}
P=$(cd "${3:-$root/build}" && pwd)/poolbook
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-bench-serve.XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
cd "$work"
export HOME=$work POOLBOOK_NOW=2025-04-01T09:00:00Z
for k in dcc-sig icb-sig fin op; do "$P" keygen -W "$k" >/dev/null; done
found() {
  "$P" --ledger "$1" init >/dev/null
  "$P" --ledger "$1" new genesis --origin example.gov.uk/bcf \
    --partner DCC:council:"Derbyshire County Council" --partner ICB:icb:"Derby and Derbyshire ICB" \
    --key DCC:signatory:dcc-sig.pub --key DCC:finance:fin.pub --key ICB:signatory:icb-sig.pub \
    --key DCC:operator:op.pub -o g.json 2>/dev/null
  "$P" sign g.json -k dcc-sig.key 2>/dev/null
  "$P" sign g.json -k icb-sig.key 2>/dev/null
  "$P" --ledger "$1" append g.json >/dev/null
  "$P" --ledger "$1" checkpoint -k op.key >/dev/null
}
found local.ledger
found served.ledger
for ((i = 0; i < n; i++)); do printf 'Minutes %d\n' "$i" >"m$i.txt"; done
now_ns() { date +%s%N; }

"$P" --ledger served.ledger serve --listen 127.0.0.1:0 -k op.key --ready-file ready 2>serve.log &
pids+=($!)
for _ in $(seq 100); do [ -s ready ] && break; sleep 0.1; done
URL=$(cat ready)

t0=$(now_ns)
for ((i = 0; i < n; i++)); do
  "$P" --ledger local.ledger post document "m$i.txt" --title "Minutes $i" -k fin.key >/dev/null
done
t1=$(now_ns)
for ((i = 0; i < n; i++)); do
  "$P" --remote "$URL" --remote-key fin.key post document "m$i.txt" --title "Minutes $i" \
    -k fin.key >/dev/null
done
t2=$(now_ns)
local_ms=$(((t1 - t0) / 1000000)); remote_ms=$(((t2 - t1) / 1000000))
echo "post: $n local in ${local_ms} ms ($((n * 1000000 / (local_ms > 0 ? local_ms : 1))) per 1000 s), $n over HTTP in ${remote_ms} ms ($((n * 1000000 / (remote_ms > 0 ? remote_ms : 1))) per 1000 s)"
echo "post: HTTP/local time ratio $((remote_ms * 100 / (local_ms > 0 ? local_ms : 1)))/100 (goal: at most 200/100)"

"$P" --ledger served.ledger tiles --out static >/dev/null
"$P" --ledger served.ledger serve --listen 127.0.0.1:0 --public-reads --ready-file ready2 2>serve2.log &
pids+=($!)
for _ in $(seq 100); do [ -s ready2 ] && break; sleep 0.1; done
URL2=$(cat ready2)
(cd static && find tile -type f) | sort >list.txt
count=$(($(wc -l <list.txt) * reps))
: >urls.txt
for ((r = 0; r < reps; r++)); do sed "s|^|url = \"$URL2/|; s|$|\"\noutput = \"/dev/null\"|" list.txt >>urls.txt; done
for ((r = 0; r < reps; r++)); do cat list.txt; done >files.txt
t0=$(now_ns)
curl -s -K urls.txt
t1=$(now_ns)
(cd static && xargs cat <../files.txt >/dev/null)
t2=$(now_ns)
http_us=$(((t1 - t0) / 1000)); file_us=$(((t2 - t1) / 1000))
echo "tiles: $count over HTTP in ${http_us} us ($((count * 1000000 / (http_us > 0 ? http_us : 1)))/s), from files in ${file_us} us ($((count * 1000000 / (file_us > 0 ? file_us : 1)))/s)"
echo "tiles: HTTP/file time ratio $((http_us * 100 / (file_us > 0 ? file_us : 1)))/100"
