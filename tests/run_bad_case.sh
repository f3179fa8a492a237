#!/usr/bin/env bash
# run_bad_case.sh — run one case of the bad-input corpus (STYLE 12, DESIGN 9
# "malformed input: clear error; ledger unchanged"), as CTest bad_<case>:
#
#   bash tests/run_bad_case.sh tests/data/bad/<case>
#
# A case is a folder:
#   cmd       the command under test, a bash snippet run with $P = poolbook in a
#             directory holding a ledger (l.ledger, $POOLBOOK_LEDGER) of genesis
#             + one document (id minutes-1, file minutes-1.txt) + a checkpoint
#             cosigned by the auditor, and the test keys of tests/data/keys
#             (dcc-sig dcc-fin icb-sig icb-fin op aud stranger, .key and .pub)
#   setup     optional: a bash snippet run first (set -e), e.g. to build a signed
#             input and spoil it; it must succeed, and its output is not checked
#   input     optional: copied to ./input before setup
#   expected  the exact stderr of cmd: one line, "poolbook: error: <what> (<where>)"
#   exit      cmd's expected exit status (1 refused, 2 usage, 3 environment)
# A case whose message is not yet good enough to pin has, instead of expected,
#   pending   why, and what the line should say once poolbook is fixed
#   pattern   an extended regex the one line must match meanwhile
# (the refusal, exit status and unchanged ledger are still checked in full).
# The ledger's logical content — every record (log --json), the recomputed
# root and the checkpoints verified (verify --json) — must be the same after
# cmd as before it (after setup), and cmd must print nothing on stdout.
#
# The fixture ledger is built once per poolbook binary into $PB_BUILD and each
# case works on its own copy, so cases may run in parallel. Key files and
# POOLBOOK_NOW are fixed, so the ledger, its key ids and every message are the
# same on every machine.
set -euo pipefail
case_dir=${1:?usage: run_bad_case.sh CASE_DIR}
: "${POOLBOOK:?}" "${PB_SRC:?}" "${PB_BUILD:?}"
case_dir=$(cd "$case_dir" && pwd)
name=$(basename "$case_dir")
P=$POOLBOOK
export POOLBOOK_NOW=2024-06-30T12:00:00Z
unset POOLBOOK_PASSPHRASE_FILE POOLBOOK_LEDGER

for f in cmd exit; do
  [ -f "$case_dir/$f" ] || { echo "bad_$name: missing $f"; exit 1; }
done
if [ -f "$case_dir/expected" ]; then
  if [ "$(wc -l <"$case_dir/expected")" -ne 1 ]; then
    echo "bad_$name: expected must be exactly one line"; exit 1
  fi
elif [ ! -f "$case_dir/pending" ] || [ ! -f "$case_dir/pattern" ]; then
  echo "bad_$name: needs expected (or pending and pattern)"; exit 1
fi

# The fixture: keys, the ledger, the document file.
build_fixture() {
  local keys=$PB_SRC/tests/data/keys
  for k in dcc-sig dcc-fin icb-sig icb-fin op aud stranger; do
    cp "$keys/$k.pub" "$keys/$k.key" .
    chmod 600 "$k.key"
  done
  export POOLBOOK_LEDGER=$PWD/l.ledger
  printf 'Minutes of the joint commissioning board, 2 April 2024.\n' >minutes-1.txt
  "$P" init
  "$P" new genesis --origin example.gov.uk/derbyshire-bcf \
    --partner DCC:council:"Derbyshire County Council" \
    --partner ICB:icb:"NHS Derby and Derbyshire ICB" \
    --key DCC:signatory:dcc-sig.pub --key DCC:finance:dcc-fin.pub \
    --key ICB:signatory:icb-sig.pub --key ICB:finance:icb-fin.pub \
    --key DCC:operator:op.pub --key ICB:auditor:aud.pub -o genesis.json
  "$P" sign genesis.json -k dcc-sig.key
  "$P" sign genesis.json -k icb-sig.key
  "$P" append genesis.json
  "$P" post document minutes-1.txt --title "Board minutes, April 2024" --id minutes-1 \
    -k dcc-fin.key
  "$P" checkpoint -k op.key
  "$P" cosign -k aud.key
  "$P" verify
}

stamp=$(cat "$P" "$PB_SRC/tests/run_bad_case.sh" "$PB_SRC"/tests/data/keys/*.key |
        sha256sum | cut -c1-16)
fixture=$PB_BUILD/bad-fixture-$stamp
if [ ! -f "$fixture/ready" ]; then
  tmp=$(mktemp -d "$PB_BUILD/bad-fixture-tmp.XXXXXX")
  if ! (cd "$tmp" && build_fixture) >"$tmp.log" 2>&1; then
    echo "bad_$name: building the fixture ledger failed:"; cat "$tmp.log"
    rm -rf "$tmp" "$tmp.log"; exit 1
  fi
  rm -f "$tmp.log" "$tmp/l.ledger-lock"
  touch "$tmp/ready"
  # Another case may have won the race: keep theirs.
  mv -T "$tmp" "$fixture" 2>/dev/null || rm -rf "$tmp"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pb-bad-$name.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -p "$fixture"/* "$work"/
rm -f "$work/ready"
cd "$work"
export POOLBOOK_LEDGER=$work/l.ledger
export P

# Everything a refusal must leave as it was: every record's bytes, and the
# root, record count and checkpoint and cosignature counts verify recomputes.
snapshot() {
  "$P" log --json 2>&1 || echo "log exit $?"
  "$P" verify --json 2>&1 || echo "verify exit $?"
}

if [ -f "$case_dir/input" ]; then
  cp "$case_dir/input" input
fi
if [ -f "$case_dir/setup" ]; then
  if ! bash -euo pipefail "$case_dir/setup" >setup.log 2>&1; then
    echo "bad_$name: setup failed:"; cat setup.log; exit 1
  fi
fi
before=$(snapshot)

set +e
bash "$case_dir/cmd" >cmd.stdout 2>cmd.stderr
code=$?
set -e

fail=0
want_code=$(tr -d '[:space:]' <"$case_dir/exit")
if [ "$code" != "$want_code" ]; then
  echo "bad_$name: exit $code, expected $want_code"; fail=1
fi
if [ -f "$case_dir/expected" ]; then
  if ! cmp -s cmd.stderr "$case_dir/expected"; then
    echo "bad_$name: stderr differs from expected:"
    echo "  expected: $(cat "$case_dir/expected")"
    echo "  got:      $(cat cmd.stderr)"
    fail=1
  fi
elif [ "$(wc -l <cmd.stderr)" -ne 1 ] || ! grep -Eq -f "$case_dir/pattern" cmd.stderr; then
  echo "bad_$name: stderr is not one line matching $(cat "$case_dir/pattern"):"
  cat cmd.stderr
  fail=1
fi
if [ -s cmd.stdout ]; then
  echo "bad_$name: a refusal printed on stdout:"; cat cmd.stdout; fail=1
fi
after=$(snapshot)
if [ "$before" != "$after" ]; then
  echo "bad_$name: the ledger changed:"
  diff <(echo "$before") <(echo "$after") || true
  fail=1
fi
if [ "$fail" -ne 0 ]; then
  echo "cmd was: $(cat "$case_dir/cmd")"
  exit 1
fi
echo "bad_$name: ok: $(cat cmd.stderr)"
if [ -f "$case_dir/pending" ]; then
  echo "bad_$name: PENDING, message not pinned: $(cat "$case_dir/pending")"
fi
