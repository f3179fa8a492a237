#!/usr/bin/env bash
# bench_post.sh — `post` on a quiet machine: bench_post times POSTS
# expenditure posts in process against sign + verify + synced commit measured
# in the same run; then the same post as a process (`poolbook post
# expenditure`, nanosecond clock), against the same primitives.
# usage: bash bench/bench_post.sh [POSTS] [BUILD_DIR]   (default 200, build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
posts=${1:-200}
build=$(cd "${2:-$root/build}" && pwd)
P=$build/poolbook
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-bench-post.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
. "$root/bench/found.sh"
found post
"$build/bench_post" "$POOLBOOK_LEDGER" dcc-fin.key "$posts" | tee in-process.txt |
  grep -v '^primitives_ns'
base=$(sed -n 's/^primitives_ns //p' in-process.txt)
t0=$(date +%s%N)
for i in $(seq "$posts"); do
  "$P" post expenditure --pool BCF24 --scheme S01 --amount 1,234.56 --date 2024-05-16 \
    --payee "Provider $i" --ref "PROC-$i" -k dcc-fin.key >/dev/null
done
t1=$(date +%s%N)
per=$(((t1 - t0) / posts))
printf '%-34s %10d ns   ratio to sign+verify+commit %d.%02d\n' "post, as a process" "$per" \
  $((per / base)) $((per * 100 / base % 100))
