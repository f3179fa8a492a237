#!/usr/bin/env bash
# config.sh — defaults set once (cli/config.c, docs/config.md): the config
# file's ledger, key, passphrase-file and pool serve when no option is typed;
# the environment ($POOLBOOK_LEDGER, $POOLBOOK_KEY) beats the file and an
# option beats both; an unknown key is refused naming its line; and
# `--passphrase-file -` reads the passphrase from standard input.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}"
P=$POOLBOOK
export POOLBOOK_NOW=2024-06-30T12:00:00Z
unset POOLBOOK_PASSPHRASE_FILE POOLBOOK_LEDGER POOLBOOK_KEY
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-config.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export XDG_CONFIG_HOME=$work/cfg
mkdir -p cfg/poolbook
fails=0
fail() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}
# count LEDGER: its number of records.
count() {
  "$P" --ledger "$1" log --json | wc -l
}

# Two ledgers alike (genesis and the demo pool), to tell which one was used.
. "$PB_SRC/tests/support/genesis_ledger.sh"
for l in a b; do
  genesis_ledger $l.ledger
  agree_pool "$PB_SRC/examples/demo/pool.json" $l.ledger
done
# The ICB's finance key again, encrypted with a passphrase (a key file whose
# public half the ledger already binds is not needed: keygen makes a new key,
# so bind nothing and only check that it unlocks and signs a draft).
printf 'correct horse\n' >pass.txt
"$P" keygen --passphrase-file pass.txt enc >/dev/null

contribution() {
  "$P" post contribution --partner ICB --stream NHSMIN --amount 100 --date 2024-04-15 "$@"
}

cat >cfg/poolbook/config <<CONF
# my defaults
ledger = $work/a.ledger
key = $work/icb-fin.key
pool = BCF24
passphrase-file = $work/pass.txt
remote = https://ledger.example.gov.uk
CONF
# No --ledger, -k or --pool: all three from the file.
contribution --id c1 >out || fail "post with the config's defaults: $(cat out)"
[ "$(count a.ledger)" = 3 ] && [ "$(count b.ledger)" = 2 ] || fail "post did not use the config's ledger"
# (Into a file, then grep: grep -q quitting early would SIGPIPE the writer.)
"$P" statement --partner ICB --period 2024/25-Q1 >st.txt || fail "statement without --pool"
grep -q 'BCF24' st.txt || fail "statement without --pool: no BCF24 in it"
"$P" policy explain --json >/dev/null || fail "policy explain without --pool"
# The environment beats the file; an option beats both.
POOLBOOK_LEDGER=$work/b.ledger contribution --id c2 >/dev/null
[ "$(count b.ledger)" = 3 ] || fail "\$POOLBOOK_LEDGER did not beat the config's ledger"
POOLBOOK_LEDGER=$work/b.ledger "$P" --ledger "$work/a.ledger" post contribution --partner ICB \
  --stream NHSMIN --amount 100 --date 2024-04-15 --id c3 >/dev/null
[ "$(count a.ledger)" = 4 ] || fail "--ledger did not beat \$POOLBOOK_LEDGER"
# A key that cannot sign a contribution: the refusal names the key used.
err=$(POOLBOOK_KEY=$work/dcc-sig.key contribution --id c4 2>&1) && fail "dcc-sig signed a contribution"
grep -q "dcc-sig.key" <<<"$err" || fail "\$POOLBOOK_KEY did not beat the config's key: $err"
err=$(POOLBOOK_KEY=$work/dcc-sig.key contribution --id c4 -k "$work/dcc-fin.key" 2>&1) &&
  fail "dcc-fin signed an ICB contribution"
grep -q "dcc-fin.key" <<<"$err" || fail "-k did not beat \$POOLBOOK_KEY: $err"
err=$("$P" post contribution --pool NOPE --partner ICB --stream NHSMIN --amount 100 \
        --date 2024-04-15 2>&1) && fail "pool NOPE accepted"
grep -q 'no pool "NOPE"' <<<"$err" || fail "--pool did not beat the config's pool: $err"
# The config's passphrase-file unlocks an encrypted key (--no-check: the key is
# not bound in the ledger; unlocking it is what is tested).
"$P" new document pass.txt --title t -o d.json 2>/dev/null
"$P" sign --no-check d.json -k enc.key 2>/dev/null || fail "the config's passphrase-file did not unlock enc.key"

# --passphrase-file - : the first line of standard input.
"$P" new document pass.txt --title t -o d2.json 2>/dev/null
printf 'correct horse\nnot this line\n' | "$P" sign --no-check d2.json -k enc.key --passphrase-file - \
  2>/dev/null || fail "--passphrase-file - did not read the passphrase from stdin"
err=$(printf 'wrong horse\n' | "$P" sign --no-check d2.json -k enc.key --passphrase-file - 2>&1) &&
  fail "a wrong passphrase on stdin was accepted"
grep -q 'stdin\|passphrase' <<<"$err" || fail "wrong stdin passphrase said: $err"

# An unknown key is refused with its line; nothing is appended.
printf 'ledger = %s\nledgr = x\n' "$work/a.ledger" >cfg/poolbook/config
before=$(count a.ledger)
set +e
err=$(contribution -k "$work/icb-fin.key" --pool BCF24 --id c5 2>&1)
code=$?
set -e
[ "$code" = 3 ] || fail "unknown config key: exit $code"
[ "$err" = "poolbook: error: config line 2 has an unknown key 'ledgr'; the keys are ledger, key, passphrase-file, remote and pool ($work/cfg/poolbook/config)" ] ||
  fail "unknown config key said: $err"
[ "$(count a.ledger)" = "$before" ] || fail "a bad config still appended"

if [ "$fails" -ne 0 ]; then
  echo "config: $fails failures"
  exit 1
fi
echo "config: ok"
