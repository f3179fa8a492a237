#!/usr/bin/env bash
# config.sh — defaults set once (cli/config.c, docs/config.md): the config
# file's ledger, key, passphrase-file and pool serve when no option is typed
# (pool: also `pool show` without POOL; remote: the default for --remote);
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
CONF
# No --ledger, -k or --pool: all three from the file.
contribution --id c1 >out || fail "post with the config's defaults: $(cat out)"
[ "$(count a.ledger)" = 3 ] && [ "$(count b.ledger)" = 2 ] || fail "post did not use the config's ledger"
# (Into a file, then grep: grep -q quitting early would SIGPIPE the writer.)
"$P" statement --partner ICB --period 2024/25-Q1 >st.txt || fail "statement without --pool"
grep -q 'BCF24' st.txt || fail "statement without --pool: no BCF24 in it"
"$P" policy explain --json >/dev/null || fail "policy explain without --pool"
# pool show without POOL: the config's pool, the same figures as naming it.
"$P" pool show --json >show-default.json || fail "pool show without POOL"
"$P" pool show BCF24 --json >show-named.json
cmp -s show-default.json show-named.json && grep -q '"BCF24"' show-default.json ||
  fail "pool show without POOL is not pool show BCF24: $(head -c 200 show-default.json)"
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

# No pool in the config: pool show without POOL is a usage error.
printf 'ledger = %s\n' "$work/a.ledger" >cfg/poolbook/config
set +e
err=$("$P" pool show 2>&1)
code=$?
set -e
[ "$code" = 2 ] && [ "$err" = "poolbook: error: say pool show POOL (no pool is set in the config file) (usage: poolbook pool show [POOL] [--period 2024/25-Q2 | --by quarter|month] [--json])" ] ||
  fail "pool show, no POOL and no config pool: exit $code: $err"

# remote: the default for --remote, after --remote and $POOLBOOK_REMOTE; a
# ledger given by --ledger or $POOLBOOK_LEDGER turns it off. Port 1 on
# loopback refuses, so the line names the server each command chose.
printf 'ledger = %s\nremote = http://127.0.0.1:1\n' "$work/a.ledger" >cfg/poolbook/config
export POOLBOOK_REMOTE_CACHE=$work/mirror.ledger
unset POOLBOOK_REMOTE
# remote_says WANT_URL ARGS...: the command fails (exit 3) trying WANT_URL.
remote_says() {
  local want=$1 code=0
  shift
  err=$("$@" 2>&1) || code=$?
  [ "$code" = 3 ] && [ "$err" = "poolbook: error: cannot connect: Connection refused ($want)" ] ||
    fail "$* should try $want: exit $code: $err"
}
remote_says http://127.0.0.1:1 "$P" log
remote_says http://127.0.0.1:2 env POOLBOOK_REMOTE=http://127.0.0.1:2 "$P" log
remote_says http://127.0.0.1:3 env POOLBOOK_REMOTE=http://127.0.0.1:2 "$P" --remote http://127.0.0.1:3 log
remote_says http://127.0.0.1:1 "$P" post contribution --partner ICB --stream NHSMIN --amount 100 \
  --date 2024-04-15 --pool BCF24 -k "$work/icb-fin.key" --id c6
[ "$(count a.ledger)" = 4 ] || fail "a post to the config's remote changed the local ledger"
[ "$("$P" --ledger "$work/a.ledger" log --json | wc -l)" = 4 ] || fail "--ledger did not turn the config's remote off"
[ "$(POOLBOOK_LEDGER=$work/b.ledger "$P" log --json | wc -l)" = 3 ] ||
  fail "\$POOLBOOK_LEDGER did not turn the config's remote off"
[ ! -e mirror.ledger ] || fail "a mirror was made though no server answered"
unset POOLBOOK_REMOTE_CACHE

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
