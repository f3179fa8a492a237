#!/usr/bin/env bash
# first_hour.sh — docs/first-hour.md works as written: its ```sh blocks,
# extracted in order, run with the installed command (cmake --install into a
# fresh prefix, on PATH) in an empty folder with an empty config home, every
# command succeeding; then the outcome is checked: the contribution and the
# spending are in the ledger, the config file was used, the statement shows
# the ICB's £1,500,000.00 received, and verify passes.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}" "${PB_BUILD:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-first-hour.XXXXXX")
trap 'rm -rf "$work"' EXIT
cmake --install "$PB_BUILD" --prefix "$work/usr" >/dev/null
mkdir "$work/home" "$work/run"
# The page's commands, in order. keygen and post ask for a passphrase on the
# terminal; here it comes from $POOLBOOK_PASSPHRASE_FILE (docs/config.md).
awk '/^```sh$/ {on=1; next} /^```/ {on=0} on' "$PB_SRC/docs/first-hour.md" >"$work/steps.sh"
[ "$(grep -c '^poolbook ' "$work/steps.sh")" -ge 20 ] ||
  { echo "first_hour: found too few commands in docs/first-hour.md"; exit 1; }
printf 'practice passphrase\n' >"$work/pass"
cd "$work/run"
if ! env -i PATH="$work/usr/bin:/usr/bin:/bin" HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" \
     POOLBOOK_PASSPHRASE_FILE="$work/pass" MANPATH="$work/usr/share/man" \
     bash -euo pipefail -x "$work/steps.sh" >"$work/out" 2>"$work/err"; then
  echo "first_hour: a command of docs/first-hour.md failed:"
  tail -20 "$work/err"
  exit 1
fi
fails=0
fail() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}
P=$work/usr/bin/poolbook
export POOLBOOK_LEDGER=$work/run/poolbook.ledger
[ "$("$P" log --json | wc -l)" = 4 ] || fail "the ledger does not hold 4 records: $("$P" log)"
"$P" log --json | python3 -c '
import json, sys
entries = [json.loads(l)["record"]["entry"] for l in sys.stdin]
c = [e for e in entries if e["type"] == "contribution"]
assert len(c) == 1 and c[0]["amount"] == "1500000.00" and c[0]["pool"] == "BCF24", c
x = [e for e in entries if e["type"] == "expenditure"]
assert len(x) == 1 and x[0]["amount"] == "420000.00", x
' || fail "the posted entries differ from the page"
grep -q 'dry run: nothing was written; 1 record would be appended' "$work/out" ||
  fail "the dry run printed no preview"
grep -q '1,500,000.00' "$work/out" || fail "the statement does not show the contribution"
grep -q '<html' "$work/run/icb-q1.html" || fail "icb-q1.html is not a page"
"$P" verify >/dev/null || fail "the ledger does not verify"
if [ "$fails" -ne 0 ]; then
  echo "first_hour: $fails failures"
  exit 1
fi
echo "first_hour: ok ($(grep -c '^poolbook ' "$work/steps.sh") commands)"
