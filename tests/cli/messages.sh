#!/usr/bin/env bash
# messages.sh — what the bad-input corpus cannot pin, being more than one line:
# `policy --help` lists the options of explain; `pool show` (text and --json)
# lists streams and schemes in the agreement's order, not sorted by id. The
# one-line refusals of issue 17 (decimal comma, public key as -k, unknown
# entry type, --pool named, partner outside the pool, period forms, "an
# expenditure") are cases of tests/data/bad/.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}"
P=$POOLBOOK
export POOLBOOK_NOW=2024-06-30T12:00:00Z
unset POOLBOOK_PASSPHRASE_FILE
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-messages.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export POOLBOOK_LEDGER=$work/test.ledger
fails=0
fail() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}

help=$("$P" policy --help)
for opt in --pool --period --actual --json; do
  grep -q -- "^ *$opt " <<<"$help" || fail "policy --help does not list $opt"
done

. "$PB_SRC/tests/support/genesis_ledger.sh"
genesis_ledger
# The demo pool with its streams and schemes reversed, so that the agreement's
# order is not the order of the ids.
python3 - "$PB_SRC/examples/demo/pool.json" >pool.json <<'PY'
import json, sys
pool = json.load(open(sys.argv[1]))
pool["streams"].reverse()
pool["schemes"].reverse()
print(json.dumps(pool))
PY
agree_pool pool.json

want_streams=$(python3 -c 'import json; print(" ".join(s["id"] for s in json.load(open("pool.json"))["streams"]))')
want_schemes=$(python3 -c 'import json; print(" ".join(s["id"] for s in json.load(open("pool.json"))["schemes"]))')
[ "$want_streams" = "DISCH DFG IBCF NHSMIN" ] || fail "the reversed pool has streams $want_streams"
"$P" pool show BCF24 --json >show.json
got=$(python3 -c 'import json; print(" ".join(s["id"] for s in json.load(open("show.json"))["streams"]))')
[ "$got" = "$want_streams" ] || fail "pool show --json streams: $got, want $want_streams"
got=$(python3 -c 'import json; print(" ".join(s["id"] for s in json.load(open("show.json"))["schemes"]))')
[ "$got" = "$want_schemes" ] || fail "pool show --json schemes: $got, want $want_schemes"
"$P" pool show BCF24 >show.txt
got=$(awk '/^stream /{on=1; next} on && $1 != "partner" && $1 != "total" && NF {print $1}' show.txt |
      tr '\n' ' ' | sed 's/ $//')
[ "$got" = "$want_streams" ] || fail "pool show streams: $got, want $want_streams"

if [ "$fails" -ne 0 ]; then
  echo "messages: $fails failures"
  exit 1
fi
echo "messages: ok"
