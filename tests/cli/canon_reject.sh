#!/usr/bin/env bash
# canon_reject.sh — inputs outside poolbook's JSON subset (DESIGN 3), many of
# which Python's json module accepts (duplicate keys, reals, big integers, lone
# surrogates, NaN): for each tests/data/canon-reject/<case>.json, canon_dump
# must exit 1, print nothing on stdout, and print exactly the one line in
# <case>.expected on stderr (the code, the JSON path or line and column, and
# the evidence), as jansson's test/suites/invalid does.
set -euo pipefail
: "${PB_SRC:?}" "${PB_BUILD:?}"
tool="$PB_BUILD/canon_dump"
dir="$PB_SRC/tests/data/canon-reject"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0
for f in "$dir"/*.json; do
  name=$(basename "$f" .json)
  n=$((n + 1))
  rc=0
  "$tool" "$f" >"$tmp/out" 2>"$tmp/err" || rc=$?
  if [ "$rc" -ne 1 ]; then
    echo "FAIL $name: exit $rc, expected 1"; cat "$tmp/err"; fail=1; continue
  fi
  if [ -s "$tmp/out" ]; then
    echo "FAIL $name: wrote to stdout"; fail=1
  fi
  if ! cmp -s "$dir/$name.expected" "$tmp/err"; then
    echo "FAIL $name"
    echo "  expected: $(cat "$dir/$name.expected")"
    echo "  got:      $(cat "$tmp/err")"
    fail=1
  fi
done
[ "$n" -ge 40 ] || { echo "FAIL: only $n reject cases"; fail=1; }
echo "canon_reject: $n inputs refused as expected"
exit $fail
