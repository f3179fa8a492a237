#!/usr/bin/env bash
# peak_anon.sh — run a command and print, besides its own output, the peak of
# its anonymous memory (RssAnon: heap, stacks and LMDB's malloc'd dirty pages;
# not the ledger file's pages it maps) and of its whole resident set, sampled
# every 50 ms from /proc. "Heap flat in N" (issue 15) is read from RssAnon,
# since a process that reads a ledger file maps it and /usr/bin/time's
# maximum resident set counts those file pages too.
#   bash bench/peak_anon.sh COMMAND [ARG...]     (prints to stderr at the end)
set -uo pipefail
"$@" &
pid=$!
anon=0
rss=0
while kill -0 "$pid" 2>/dev/null; do
  if read -r a r < <(awk '/^RssAnon:/ {a = $2} /^VmRSS:/ {r = $2} END {print a + 0, r + 0}' \
    "/proc/$pid/status" 2>/dev/null); then
    [ "$a" -gt "$anon" ] && anon=$a
    [ "$r" -gt "$rss" ] && rss=$r
  fi
  sleep 0.05
done
wait "$pid"
rc=$?
awk -v a="$anon" -v r="$rss" -v c="$rc" \
  'BEGIN {printf "peak_anon: RssAnon %.1f MB, VmRSS %.1f MB (exit %d)\n", a / 1024, r / 1024, c}' >&2
exit "$rc"
