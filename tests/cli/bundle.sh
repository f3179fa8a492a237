#!/usr/bin/env bash
# bundle.sh — the offline audit bundle (docs/bundle.md, docs/auditor-bundle.md):
# `export --format jsonl` of a realistic ledger verifies with `verify --bundle`
# from another directory with the ledger deleted, to the same root as `verify`;
# its record lines hold exactly the stored bytes; and every kind of tampering
# with the bundle (a record byte, a record dropped, two swapped, a checkpoint
# signature, a forged checkpoint root, the header, truncation, an extra line,
# a key line) exits 1 with one error line naming the bundle line at fault.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}"
export P=$POOLBOOK
unset POOLBOOK_PASSPHRASE_FILE
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-bundle.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/ledger" "$work/auditor"
cd "$work/ledger"
export POOLBOOK_LEDGER=$work/ledger/l.ledger
fails=0
checks=0
fail() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}

# shellcheck source=../support/realistic_ledger.sh
source "$PB_SRC/tests/support/realistic_ledger.sh"
realistic_ledger
ledger_json=$("$P" verify --json)
"$P" export --format jsonl -o "$work/auditor/b.jsonl"
"$P" export --format jsonl >stdout.jsonl
"$P" log --json >log.jsonl

# ---- the bundle holds the ledger --------------------------------------------
checks=$((checks + 1))
if cmp -s stdout.jsonl "$work/auditor/b.jsonl"; then
  echo "ok: -o FILE and stdout give the same bundle"
else
  fail "export -o and export to stdout differ"
fi
checks=$((checks + 1))
# Record lines carry the stored bytes: `log --json` prints them as
# {"index":I,"record":BYTES,"line":{...}}; the bundle as {"index":I,"kind":"record","record":BYTES}.
if diff <(sed 's/^{"index":\([0-9]*\),"record":/\1 /; s/,"line":{.*}}$/}/' log.jsonl) \
        <(grep '"kind":"record"' "$work/auditor/b.jsonl" |
          sed 's/^{"index":\([0-9]*\),"kind":"record","record":/\1 /') >/dev/null; then
  echo "ok: the record lines hold exactly the stored records"
else
  fail "the bundle's records differ from log --json's"
fi
checks=$((checks + 1))
python3 - "$work/auditor/b.jsonl" <<'PY' || fail "the bundle's shape"
import hashlib, json, sys, base64
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
assert lines[-1] == "", "ends with a newline"
objs = [json.loads(l) for l in lines[:-1]]
canon = lambda v: json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
for l, o in zip(lines, objs):
    assert l == canon(o), "every line canonical"
h = objs[0]
assert h["kind"] == "header" and h["format"] == "poolbook-bundle-v1", h
assert (h["size"], h["checkpoints"], h["keys"]) == (17, 2, 7), h
kinds = [o["kind"] for o in objs]
assert kinds == ["header"] + ["record"] * 17 + ["checkpoint"] * 2 + ["key"] * 7, kinds
# RFC 6962 root of the record lines' records, by hand: the header's root.
def mth(leaves):
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()
leaves = [hashlib.sha256(b"\x00" + canon(o["record"]).encode()).digest() for o in objs[1:18]]
assert base64.b64encode(mth(leaves)).decode() == h["root"], "header root"
for o in objs[18:20]:
    size = int(o["note"][1])
    assert o["note"][2] == base64.b64encode(mth(leaves[:size])).decode(), "note root"
    assert len(o["keys"]) == len(o["note"]) - 4 == 2
print("ok: every line canonical; header root and note roots equal Python's RFC 6962 roots")
PY

# ---- verified elsewhere, with no ledger -------------------------------------
cp "$work/ledger"/{aud,op,dcc-fin,stranger}.pub "$work/auditor/"
rm -f "$work/ledger/l.ledger" "$work/ledger/l.ledger-lock"
unset POOLBOOK_LEDGER
cd "$work/auditor"
checks=$((checks + 1))
if out=$("$P" verify --bundle b.jsonl --json 2>&1) && [ "$out" = "$ledger_json" ]; then
  echo "ok: the bundle verifies with the ledger deleted, as the ledger did: $out"
else
  fail "verify --bundle: $out (the ledger gave $ledger_json)"
fi
checks=$((checks + 1))
if out=$("$P" verify --bundle - <b.jsonl 2>&1) && [[ "$out" == "self-consistent: 17 records"* ]]; then
  echo "ok: from stdin"
else
  fail "verify --bundle - : $out"
fi
[ ! -e poolbook.ledger ] || fail "verify --bundle created a ledger file"

# expect_bad NAME LINE TEXT [ARGS...]: verify --bundle NAME.jsonl exits 1 with
# one stderr line naming "NAME.jsonl line LINE" and holding TEXT.
expect_bad() {
  local name=$1 line=$2 text=$3 code=0
  shift 3
  checks=$((checks + 1))
  "$P" verify --bundle "$name.jsonl" "$@" >"$name.out" 2>"$name.err" || code=$?
  local err
  err=$(cat "$name.err")
  if [ "$code" -ne 1 ]; then
    fail "$name: exit $code, not 1: $err"
  elif [ "$(wc -l <"$name.err")" -ne 1 ] || [ -s "$name.out" ]; then
    fail "$name: not one error line and nothing on stdout: $err"
  elif [[ "$err" != "poolbook: error: "*"($name.jsonl line $line"[,\)]* ]]; then
    fail "$name: does not name line $line: $err"
  elif [[ "$err" != *"$text"* ]]; then
    fail "$name: lacks \"$text\": $err"
  else
    echo "ok: $name: $err"
  fi
}
# edit NAME PYTHON: NAME.jsonl is b.jsonl with `lines` (a list of the lines,
# newline included) changed by PYTHON.
edit() {
  python3 - "$2" >"$1.jsonl" <<'PY'
import sys
lines = open("b.jsonl", encoding="utf-8").read().splitlines(keepends=True)
exec(sys.argv[1])
sys.stdout.write("".join(lines))
PY
}

# Lines: 1 header, 2..18 records 0..16, 19 and 20 checkpoints (7, 17), 21..27 keys.
edit record-byte 'lines[8] = lines[8].replace("Provider 2", "Provider 3")'
expect_bad record-byte "9, record 7" "does not verify"
edit record-sig 'import re; lines[6] = re.sub(r"\"sig\":\"A", "\"sig\":\"B", lines[6]) if "\"sig\":\"A" in lines[6] else re.sub(r"\"sig\":\"(.)", lambda m: "\"sig\":\"" + ("A" if m.group(1) != "A" else "B"), lines[6], count=1)'
expect_bad record-sig "7, record 5" "does not verify"
edit record-not-json 'lines[5] = lines[5].replace("\"entry\":{", "\"entry\":{{", 1)'
expect_bad record-not-json "6, record 4" ""
edit record-dropped 'del lines[8]'
expect_bad record-dropped "9, record 7" "records are out of order or missing"
edit record-last-dropped 'del lines[17]'
expect_bad record-last-dropped 18 "found a checkpoint line"
edit records-swapped 'lines[4], lines[5] = lines[5], lines[4]'
expect_bad records-swapped "5, record 3" "out of order"
# The same swap with the index numbers rewritten: each line is in place, each
# record's signature is good; the checkpoint of size 7 sees the changed root.
edit records-renumbered 'a, b = lines[2], lines[3]; lines[2] = b.replace("{\"index\":2,", "{\"index\":1,", 1); lines[3] = a.replace("{\"index\":1,", "{\"index\":2,", 1)'
expect_bad records-renumbered 19 "checkpoint of tree size 7: signature of \"example.gov.uk/derbyshire-bcf\" does not verify"
edit record-repeated 'lines[3] = lines[2].replace("{\"index\":1,", "{\"index\":2,", 1)'
expect_bad record-repeated "4, record 2" "already used by record 1"
edit checkpoint-sig 'i = lines[18].rindex("=\"]"); lines[18] = lines[18][:i-5] + ("AAAAA" if lines[18][i-5:i] != "AAAAA" else "BBBBB") + lines[18][i:]'
expect_bad checkpoint-sig 19 "checkpoint of tree size 7"
edit checkpoint-root 'import json; o = json.loads(lines[19]); o["note"][2] = json.loads(lines[18])["note"][2]; lines[19] = json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"'
expect_bad checkpoint-root 20 "states a root"
edit checkpoint-dropped 'del lines[18]'
expect_bad checkpoint-dropped 20 "expected checkpoint 2 of 2 {kind, note, keys}, found a key line"
edit checkpoint-unbound-key 'lines[19] = lines[19].replace("694E10DE9B09AAA1\"]", "0B6A3010127FFC5C\"]")'
expect_bad checkpoint-unbound-key 20 "checkpoint of tree size 17: signed by key 0B6A3010127FFC5C, a finance key, not an auditor key"
edit header-root 'import json; o = json.loads(lines[0]); o["root"] = json.loads(lines[18])["note"][2]; lines[0] = json.dumps(o, sort_keys=True, separators=(",", ":")) + "\n"'
expect_bad header-root 1 "the header's root"
edit header-size 'lines[0] = lines[0].replace("\"size\":17", "\"size\":16")'
expect_bad header-size 18 "expected checkpoint 1 of 2"
edit header-origin 'lines[0] = lines[0].replace("derbyshire-bcf", "derby-bcf")'
expect_bad header-origin 19 "is not the bundle's"
edit truncated-mid-line 'lines[-1] = lines[-1][:40]'
expect_bad truncated-mid-line 27 "truncated"
edit truncated-at-line 'del lines[-1]'
expect_bad truncated-at-line 27 "ends early"
edit truncated-in-records 'del lines[12:]'
expect_bad truncated-in-records 13 "ends after 11 records"
edit extra-junk 'lines.append("junk\n")'
expect_bad extra-junk 28 "a line after the end"
edit extra-record 'lines.insert(18, lines[17].replace("{\"index\":16,", "{\"index\":17,", 1))'
expect_bad extra-record 19 "expected checkpoint 1 of 2"
edit key-role 'lines[23] = lines[23].replace("\"role\":\"finance\"", "\"role\":\"signatory\"")'
expect_bad key-role 24 "not the records' binding"
edit key-dropped 'del lines[22]; lines[0] = lines[0].replace("\"keys\":7", "\"keys\":6")'
expect_bad key-dropped 1 "the records bind 7"
edit not-canonical 'lines[1] = lines[1].replace("{\"index\":0,", "{\"index\": 0,", 1)'
expect_bad not-canonical 2 "not in canonical form"
: >empty.jsonl
expect_bad empty 1 "the bundle is empty"
printf 'hello\n' >not-json.jsonl
expect_bad not-json 1 "not a JSON line"

# ---- an auditor's own key ------------------------------------------------------
checks=$((checks + 1))
if out=$("$P" verify --bundle b.jsonl --key aud.pub 2>&1); then
  echo "ok: the auditor's key signed the latest checkpoint"
else
  fail "verify --bundle --key aud.pub: $out"
fi
cp b.jsonl trusted-finance.jsonl
expect_bad trusted-finance 20 "not signed by the trusted key A6B779F7B49CF6D6" --key dcc-fin.pub
"$P" keygen -W outsider >/dev/null
cp b.jsonl trusted-outsider.jsonl
expect_bad trusted-outsider 1 "is not bound by the bundle's records" --key outsider.pub

# ---- anchoring to keys you hold (verify --trust) -------------------------------------
# A cosignature on a checkpoint the operator never signed vouches for nothing.
edit cosign-alone 'import json; o = json.loads(lines[18]); del o["note"][4]; del o["keys"][0]; lines[18] = json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"'
expect_bad cosign-alone 19 "checkpoint of tree size 7: cosigned by key 694E10DE9B09AAA1, but the operator never signed that checkpoint"
keys=$PB_SRC/tests/data/keys
checks=$((checks + 1))
out=$("$P" verify --bundle b.jsonl --trust "$keys/dcc-sig.pub" --trust "$keys/icb-sig.pub" \
  --trust "$keys/op.pub" 2>&1) || fail "verify --trust: $out"
[[ "$out" == "verified: 17 records, 19 signatures, 2 checkpoints, 2 cosignatures; anchored to 3 keys you hold"* ]] ||
  fail "verify --trust result line: $out"
# A file listing the keys (relative to the list's folder), and --json.
mkdir -p held && cp "$keys"/{dcc-sig,icb-sig,op}.pub held/
printf '# the keys we were handed in person\ndcc-sig.pub\nicb-sig.pub\n\nop.pub\n' >held/keys.txt
checks=$((checks + 1))
out=$("$P" verify --bundle b.jsonl --trust held/keys.txt --json 2>&1) || fail "verify --trust list: $out"
[[ "$out" == '{"ok":true,"anchored":true,"records":17,'* ]] || fail "verify --trust --json: $out"
# A key bound only later (by key.add), or never, does not anchor the genesis.
cp b.jsonl trusted-later.jsonl
checks=$((checks + 1))
out=$("$P" verify --bundle trusted-later.jsonl --trust "$keys/stranger.pub" 2>&1) && fail "trusted a key the genesis does not bind"
[ "$out" = "poolbook: error: the trusted key EE53BFF30D7CED1D is not bound by the ledger's genesis: this is not a ledger founded with the keys you hold (trusted-later.jsonl line 2, the genesis)" ] ||
  fail "trusted-later: $out"

# ---- usage and environment --------------------------------------------------------
checks=$((checks + 1))
code=0
"$P" verify --bundle missing.jsonl 2>err.txt || code=$?
[ "$code" -eq 3 ] && grep -q 'missing.jsonl' err.txt || fail "missing bundle: exit $code $(cat err.txt)"
checks=$((checks + 1))
code=0
"$P" verify --key aud.pub 2>err.txt || code=$?
[ "$code" -eq 2 ] || fail "--key without --bundle: exit $code"
checks=$((checks + 1))
code=0
"$P" export --format pdf 2>err.txt || code=$?
[ "$code" -eq 2 ] && grep -q "unknown format 'pdf'" err.txt || fail "export --format pdf: exit $code"
checks=$((checks + 1))
code=0
POOLBOOK_LEDGER=$work/auditor/none.ledger "$P" export --format jsonl -o x.jsonl 2>err.txt || code=$?
[ "$code" -eq 3 ] && [ ! -e x.jsonl ] || fail "export of no ledger: exit $code $(cat err.txt)"
checks=$((checks + 1))
code=0
"$P" init --ledger empty.ledger >/dev/null 2>&1 || "$P" --ledger empty.ledger init >/dev/null
"$P" --ledger empty.ledger export --format jsonl -o x.jsonl 2>err.txt || code=$?
if [ "$code" -eq 1 ] && [ ! -e x.jsonl ] && grep -q 'the ledger is empty' err.txt; then
  echo "ok: an empty ledger is refused and no file is left: $(cat err.txt)"
else
  fail "export of an empty ledger: exit $code $(cat err.txt)"
fi

echo "$checks checks, $fails failed"
[ "$fails" -eq 0 ]
