#!/usr/bin/env bash
# tamper.sh — DESIGN 9: "an operator edits or deletes a stored record" and "the
# log shows different histories to different partners". Builds a ledger
# (genesis, 20 documents, a checkpoint cosigned by the auditor), then for each
# edit takes a fresh copy, changes its LMDB file directly with the tamper tool
# (bypassing poolbook), and checks that `poolbook verify` exits 1 with one
# error line naming the right record, "(record N)". Then two ledgers forked
# from one genesis: their checkpoints at one size disagree, and neither can
# prove the other's checkpoint.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}" "${PB_BUILD:?}"
P=$POOLBOOK
T=$PB_BUILD/tamper
export POOLBOOK_NOW=2024-06-30T12:00:00Z
unset POOLBOOK_PASSPHRASE_FILE
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-tamper.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fails=0
checks=0

fail() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}

# ---- the ledger: genesis, documents 1..20 at indexes 1..20, a checkpoint ----
for k in dcc-sig dcc-fin icb-sig icb-fin op aud; do
  cp "$PB_SRC/tests/data/keys/$k.pub" "$PB_SRC/tests/data/keys/$k.key" .
  chmod 600 "$k.key"
done
export POOLBOOK_LEDGER=$work/base.ledger
"$P" init >/dev/null
"$P" new genesis --origin example.gov.uk/derbyshire-bcf \
  --partner DCC:council:"Derbyshire County Council" \
  --partner ICB:icb:"NHS Derby and Derbyshire ICB" \
  --key DCC:signatory:dcc-sig.pub --key DCC:finance:dcc-fin.pub \
  --key ICB:signatory:icb-sig.pub --key ICB:finance:icb-fin.pub \
  --key DCC:operator:op.pub --key ICB:auditor:aud.pub -o genesis.json 2>/dev/null
"$P" sign genesis.json -k dcc-sig.key 2>/dev/null
"$P" sign genesis.json -k icb-sig.key 2>/dev/null
"$P" append genesis.json >/dev/null
post_documents() { # FROM TO TAG: post documents FROM..TO, alternating partners
  local i key
  for i in $(seq "$1" "$2"); do
    printf 'Pooled fund board minutes %s, %s\n' "$i" "$3" >"doc-$3-$i.txt"
    key=dcc-fin.key
    [ $((i % 2)) -eq 0 ] && key=icb-fin.key
    "$P" post document "doc-$3-$i.txt" --title "Minutes $i" --id "minutes-$i" -k "$key" \
      >/dev/null
  done
}
post_documents 1 20 a
"$P" checkpoint -k op.key >checkpoint.txt
"$P" cosign -k aud.key >/dev/null
good_root=$("$P" verify --json | sed -n 's/.*"root":"\([^"]*\)".*/\1/p')
unset POOLBOOK_LEDGER

# The stored bytes of record INDEX of a ledger, with no newline: `log --json`
# prints them verbatim as {"index":I,"record":BYTES,"line":{...}} (no record
# holds the key "line", so the first ,"line":{ after the bytes ends them).
record_bytes() {
  "$P" --ledger "$1" log --json --from "$2" --limit 1 |
    sed 's/^{"index":[0-9]*,"record"://; s/,"line":{.*}}$//' | tr -d '\n'
}

# Offset of the first byte of TEXT in record INDEX of base.ledger, plus SKIP.
offset_of() {
  local at
  record_bytes base.ledger "$1" >rec.bin
  at=$(grep -obaF -- "$2" rec.bin | head -1 | cut -d: -f1)
  [ -n "$at" ] || { echo "offset_of: \"$2\" is not in record $1" >&2; exit 1; }
  echo $((at + ${3:-0}))
}

# expect_caught NAME INDEX [TEXT]: verify must exit 1 with one line ending in
# "(record INDEX)" (and containing TEXT, when given) for ledger NAME.ledger.
expect_caught() {
  local name=$1 index=$2 text=${3:-} code=0
  checks=$((checks + 1))
  "$P" --ledger "$name.ledger" verify >"$name.out" 2>"$name.err" || code=$?
  local line
  line=$(cat "$name.err")
  if [ "$code" -ne 1 ]; then
    fail "$name: verify exited $code, not 1: $line"
  elif [ "$(wc -l <"$name.err")" -ne 1 ]; then
    fail "$name: verify wrote not one line to stderr:"; cat "$name.err"
  elif [[ "$line" != "poolbook: error: "*" (record $index)" ]]; then
    fail "$name: verify did not name record $index: $line"
  elif [ -n "$text" ] && [[ "$line" != *"$text"* ]]; then
    fail "$name: verify's reason lacks \"$text\": $line"
  else
    echo "ok: $name: $line"
  fi
}

fresh() { # fresh NAME: a copy of the good ledger
  cp base.ledger "$1.ledger"
}

# ---- the untampered copy verifies, with the same root ------------------------
fresh untouched
checks=$((checks + 1))
if out=$("$P" --ledger untouched.ledger verify --json 2>&1) &&
   [[ "$out" == *"\"root\":\"$good_root\""* && "$out" == *'"records":21'* ]]; then
  echo "ok: untouched copy verifies: $out"
else
  fail "untouched copy: $out"
fi

# ---- one byte changed ---------------------------------------------------------
# A letter of a title: "Minutes 7" becomes "minutes 7" (still canonical JSON).
fresh title-byte
"$T" title-byte.ledger flip 7 "$(offset_of 7 '"title":"Minutes 7"' 9)" 20
expect_caught title-byte 7 "does not verify"

# A byte inside a signature's base64: pick a character that XOR 1 keeps in the
# base64 alphabet, so the record still parses and only the signature is wrong.
fresh sig-byte
sig_at=$(offset_of 12 '"sig":"' 7)
sig_at=$((sig_at + 10))
while [[ "$(dd if=rec.bin bs=1 skip="$sig_at" count=1 2>/dev/null)" != [B-Yb-y0-9] ]]; do
  sig_at=$((sig_at + 1))
done
"$T" sig-byte.ledger flip 12 "$sig_at"
expect_caught sig-byte 12 "does not verify"

# A byte of the key id of a signature: now an unknown key.
fresh keyid-byte
"$T" keyid-byte.ledger flip 3 "$(offset_of 3 '"key":"' 8)" 01
expect_caught keyid-byte 3

# A byte that breaks the JSON itself (the first '{' becomes 'z').
fresh json-byte
"$T" json-byte.ledger flip 16 0 01
expect_caught json-byte 16

# The genesis: a partner's name.
fresh genesis-byte
"$T" genesis-byte.ledger flip 0 "$(offset_of 0 '"name":"Derbyshire' 8)" 20
expect_caught genesis-byte 0

# The same bytes with a newline added: no longer canonical.
fresh not-canonical
record_bytes base.ledger 9 >rec.bin
echo >>rec.bin
"$T" not-canonical.ledger put 9 rec.bin
expect_caught not-canonical 9 "canonical"

# ---- the last record deleted ------------------------------------------------
fresh drop-last
"$T" drop-last.ledger drop-last
expect_caught drop-last 20 "missing"

# ---- two records swapped -------------------------------------------------------
fresh swap
"$T" swap.ledger swap 5 9
expect_caught swap 5

# ---- a document re-signed by another valid key --------------------------------
# Record 15 is signed by the council's finance key. Rebuild it as a draft, sign
# it with the ICB's finance key (also allowed to sign a document), and store
# that: every signature in the ledger is now valid, and the Merkle tree must
# catch the change.
fresh resign
record_bytes base.ledger 15 | sed 's/"sigs":\[.*\]}$/"sigs":[]}/' >resign.json
"$P" --ledger base.ledger sign resign.json -k icb-fin.key 2>/dev/null
# sign writes the canonical record and a newline; a record is stored without.
tr -d '\n' <resign.json >resign.bin
if ! grep -q '"sigs":\[{"key":"0B6A3010127FFC5C","sig":"[^"]*"}\]}$' resign.bin; then
  fail "resign: the re-signed record is not signed by the ICB's finance key alone"
fi
"$T" resign.ledger put 15 resign.bin
expect_caught resign 15 "stored tree hash (level 1, index 7) of records 14..15 does not match"

# The ledger stores no leaf hash (poolbook-ledger-v3): a re-signed record at an
# even index shows in the level-1 hash over it and the next record, which
# names both...
record_bytes base.ledger 14 | sed 's/"sigs":\[.*\]}$/"sigs":[]}/' >resign14.json
"$P" --ledger base.ledger sign resign14.json -k dcc-fin.key 2>/dev/null
tr -d '\n' <resign14.json >resign14.bin
fresh resign-even
"$T" resign-even.ledger put 14 resign14.bin
expect_caught resign-even 15 "stored tree hash (level 1, index 7) of records 14..15 does not match"
# ...and the last record, in no complete subtree but the leaf, is caught by
# the checkpoint of size 21, which covers it.
record_bytes base.ledger 20 | sed 's/"sigs":\[.*\]}$/"sigs":[]}/' >resign20.json
"$P" --ledger base.ledger sign resign20.json -k dcc-fin.key 2>/dev/null
tr -d '\n' <resign20.json >resign20.bin
cmp -s resign20.bin <(record_bytes base.ledger 20) && fail "resign-last: the record is unchanged"
fresh resign-last
"$T" resign-last.ledger put 20 resign20.bin
expect_caught resign-last 20 "checkpoint of tree size 21"
# A ledger that stores leaf hashes (poolbook-ledger-v2, as poolbook made
# before) names the very record by its stored leaf hash.
POOLBOOK_TEST_LEDGER_FORMAT=v2 "$P" --ledger resign-v2.ledger init >/dev/null
"$P" --ledger base.ledger log --json | python3 -c '
import json, sys
for line in sys.stdin:
    print(json.dumps(json.loads(line)["record"], sort_keys=True, separators=(",", ":"),
                     ensure_ascii=False))
' | "$P" --ledger resign-v2.ledger append >/dev/null
"$T" resign-v2.ledger put 14 resign14.bin
expect_caught resign-v2 14 "stored tree hash (level 0, index 14) does not match"

# ...and with the stored tree hashes recomputed to match, only the signed
# checkpoint (size 21) can tell, and it must.
fresh resign-rehash
"$T" resign-rehash.ledger put 15 resign.bin
"$T" resign-rehash.ledger rehash
expect_caught resign-rehash 20 "checkpoint of tree size 21"

# A title changed and the tree rehashed: the signature still catches it first.
fresh title-rehash
"$T" title-rehash.ledger flip 7 "$(offset_of 7 '"title":"Minutes 7"' 9)" 20
"$T" title-rehash.ledger rehash
expect_caught title-rehash 7 "does not verify"

# The last record dropped and the tree rehashed: the checkpoint is beyond it.
fresh drop-rehash
"$T" drop-rehash.ledger drop-last
"$T" drop-rehash.ledger rehash
expect_caught drop-rehash 20 "missing"

# ---- verification that is not repeated (docs/verify.md) -----------------------
# kept.ledger: the good ledger plus documents 21..24 (indexes 21..24) after the
# checkpoint of size 21. Its host verified it (kept.ledger-verified) and so did
# an auditor with a file of its own (aud.state); the host's next verify
# continues from there.
fresh kept
"$P" --ledger kept.ledger verify --state aud.state >/dev/null
"$P" --ledger kept.ledger verify >/dev/null
export POOLBOOK_LEDGER=$work/kept.ledger
post_documents 21 24 c
unset POOLBOOK_LEDGER
checks=$((checks + 1))
out=$("$P" --ledger kept.ledger verify --json --show-from)
if [[ "$out" == *'"records":25'* && "$out" == *'"from":21}' ]]; then
  echo "ok: kept: the next verify continues from 21 records: $out"
else
  fail "kept: verify did not continue from 21: $out"
fi
checks=$((checks + 1))
out=$("$P" --ledger kept.ledger verify --full --json --show-from)
if [[ "$out" == *'"records":25'* && "$out" == *'"from":0}' ]]; then
  echo "ok: kept: verify --full replays every record: $out"
else
  fail "kept: verify --full: $out"
fi
"$P" --ledger kept.ledger verify --state aud.state >/dev/null
# A copy of the ledger with its host's verified state (kept through 25).
kept_copy() { # NAME
  cp kept.ledger "$1.ledger"
  cp kept.ledger-verified "$1.ledger-verified"
}
# expect_kept NAME TEXT [ARGS]: verify ARGS exits 1 with one line containing TEXT.
expect_kept() {
  local name=$1 text=$2 code=0
  shift 2
  checks=$((checks + 1))
  "$P" --ledger "$name.ledger" verify "$@" >"$name.out" 2>"$name.err" || code=$?
  local line
  line=$(cat "$name.err")
  if [ "$code" -ne 1 ] || [ "$(wc -l <"$name.err")" -ne 1 ] ||
     [[ "$line" != "poolbook: error: "*"$text"* ]]; then
    fail "$name: verify $* exited $code, expected \"$text\": $line"
  else
    echo "ok: $name (verify $*): $line"
  fi
}
# A verified record covered by the checkpoint, tree rehashed: the incremental
# verify finds the remembered subtree 0..15 changed.
kept_copy kept-old
"$T" kept-old.ledger flip 7 "$(offset_of 7 '"title":"Minutes 7"' 9)" 20
"$T" kept-old.ledger rehash
expect_kept kept-old "the stored tree of records 0..15 no longer has the hash verified before: a verified record or tree hash was changed (records 0..15)"
# A verified record after the last checkpoint (23), tree rehashed: only the
# remembered state can tell, and does.
record_bytes kept.ledger 23 >rec23.bin
at23=$(grep -obaF -- '"title":"Minutes 23"' rec23.bin | head -1 | cut -d: -f1)
kept_copy kept-new
"$T" kept-new.ledger flip 23 $((at23 + 9)) 20
"$T" kept-new.ledger rehash
expect_kept kept-new "the stored tree of records 16..23 no longer has the hash verified before: a verified record or tree hash was changed (records 16..23)"
# ...and with the host's remembered state rewritten to the new tree too:
# verify --full and the auditor's own state file still catch it.
"$T" kept-new.ledger remark
expect_kept kept-new "does not verify (record 23)" --full
cp kept-new.ledger kept-aud.ledger
expect_kept kept-aud "the stored tree of records 16..23 no longer has the hash verified before: a verified record or tree hash was changed (records 16..23)" --state aud.state
# Records verified before, now gone: the ledger is shorter than remembered.
kept_copy kept-drop
"$T" kept-drop.ledger drop-last
"$T" kept-drop.ledger rehash
expect_kept kept-drop "24 records, but 25 were verified before: records are missing"

# --state FILE that is no verifier's state: refused with one line, nothing written.
# expect_state_refused FILE CODE TEXT
expect_state_refused() {
  local file=$1 want=$2 text=$3 code=0
  checks=$((checks + 1))
  cp kept.ledger before-state.ledger
  [ -e "$file" ] && cp "$file" before-state.file
  "$P" --ledger kept.ledger verify --state "$file" >state.out 2>state.err || code=$?
  local line
  line=$(cat state.err)
  if [ "$code" -ne "$want" ] || [ "$(wc -l <state.err)" -ne 1 ] ||
     [[ "$line" != "poolbook: error: $text ($file)" ]]; then
    fail "--state $file: exited $code (want $want): $line"
  elif ! cmp -s kept.ledger before-state.ledger; then
    fail "--state $file: the ledger changed"
  elif [ -e before-state.file ] && ! cmp -s "$file" before-state.file; then
    fail "--state $file: the file changed"
  else
    echo "ok: --state $file refused: $line"
  fi
  rm -f before-state.ledger before-state.file
}
expect_state_refused genesis.json 3 "not a verifier's state file: MDB_INVALID: File is not an LMDB file"
expect_state_refused kept.ledger 2 "the ledger itself, not a verifier's state file"
expect_state_refused base.ledger 2 "a ledger, not a verifier's state file"
expect_state_refused missing/dir/state 3 "cannot open the verified state: No such file or directory"

# ---- a forked log (DESIGN 9) ----------------------------------------------------
# Ledger B starts from the same signed genesis and the same documents 1..9,
# then records different documents 10..20. Both operators sign a checkpoint of
# size 21. Each ledger verifies on its own; the fork shows as two checkpoints
# of one origin and size with different roots, and as a prefix that agrees
# only up to size 10.
export POOLBOOK_LEDGER=$work/fork.ledger
"$P" init >/dev/null
"$P" append genesis.json >/dev/null
post_documents 1 9 a
post_documents 10 20 b
"$P" checkpoint -k op.key >fork-checkpoint.txt
unset POOLBOOK_LEDGER
json_field() { # NAME: a string field of the JSON object on stdin
  sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"
}
root_at() { # LEDGER SIZE: the root of the tree of SIZE records
  "$P" --ledger "$1" proof inclusion 0 --size "$2" | json_field root
}
checks=$((checks + 1))
a_head=$(head -3 checkpoint.txt)
b_head=$(head -3 fork-checkpoint.txt)
if ! "$P" --ledger fork.ledger verify >/dev/null; then
  fail "fork: the forked ledger does not verify on its own"
elif [ "$(sed -n 1,2p checkpoint.txt)" != "$(sed -n 1,2p fork-checkpoint.txt)" ]; then
  fail "fork: the checkpoints should share origin and size: $a_head / $b_head"
elif [ "$(sed -n 3p checkpoint.txt)" = "$(sed -n 3p fork-checkpoint.txt)" ]; then
  fail "fork: two different histories have the same root at size 21"
elif [ "$(root_at base.ledger 10)" != "$(root_at fork.ledger 10)" ]; then
  fail "fork: the common prefix (size 10) should have one root"
elif [ "$(root_at base.ledger 11)" = "$(root_at fork.ledger 11)" ]; then
  fail "fork: the histories differ from record 10, yet roots at size 11 agree"
else
  echo "ok: fork: roots agree at size 10, differ at 11 and in the two checkpoints of size 21"
fi

# A partner holding A's checkpoint (size 21) asks B to prove that B's log
# extends it: B's consistency proof starts from B's own root at 21, not A's.
checks=$((checks + 1))
export POOLBOOK_LEDGER=$work/fork.ledger
post_documents 21 21 b
unset POOLBOOK_LEDGER
old_root=$("$P" --ledger fork.ledger proof consistency 21 22 | json_field old_root)
if [ "$old_root" = "$(sed -n 3p checkpoint.txt)" ]; then
  fail "fork: B's log claims to extend A's checkpoint"
elif [ "$old_root" != "$(sed -n 3p fork-checkpoint.txt)" ]; then
  fail "fork: B's consistency proof does not start from B's own checkpoint"
else
  echo "ok: fork: B's proof from size 21 starts at $old_root, not A's checkpointed root"
fi

echo "$checks checks, $fails failed"
[ "$fails" -eq 0 ]
