#!/usr/bin/env bash
# base64_strict.sh — issue 13 item 2: every base64 field has one spelling.
# libsodium 1.0.18's decoder reads "é" where "//" was to the same bytes and
# ignores the unused low bits of the last character, so a re-spelled record
# signature verified, was appended, and then blocked the genuine record ("id
# already used by a different record"). Each field kind is re-spelled here and
# must be refused: a record's sig (append, and in a bundle), a secret key
# file's key line, a bundle header's root, a checkpoint note's root and its
# signature lines. The genuine record still appends afterwards.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}" "${PB_BUILD:?}"
P=$POOLBOOK
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
checks=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }
export POOLBOOK_LEDGER=$work/pool.ledger
# shellcheck source=../support/realistic_ledger.sh
. "$PB_SRC/tests/support/realistic_ledger.sh"
realistic_ledger
root() { "$P" log --json | sha256sum; }
# respell TEXT: the same bytes spelled otherwise (the last character before
# the padding with its lowest unused bit set).
respell() {
  python3 -c '
import sys
s = sys.argv[1]
a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
i = len(s.rstrip("=")) - 1
s2 = s[:i] + a[a.index(s[i]) ^ 1] + s[i + 1:]
import base64
assert s2 != s and base64.b64decode(s2) == base64.b64decode(s)
print(s2)' "$1"
}

# A document whose signature holds "//" (Ed25519 is deterministic: the same
# draft always gets the same signature, so the search ends at the same id).
export POOLBOOK_NOW=2024-07-01T09:00:00Z
found=
for i in $(seq 1 3000); do
  "$P" new document s75.txt --title 'Signed copy' --id "doc-$i" -o d.json 2>/dev/null
  "$P" sign d.json -k dcc-fin.key 2>/dev/null
  if grep -q '"sig":"[^"]*//' d.json; then found=$i; break; fi
done
[ -n "$found" ] || fail "no signature with // in 3000 drafts"
python3 - <<'PY'
import json
r = json.load(open("d.json"))
s = r["sigs"][0]["sig"]
r["sigs"][0]["sig"] = s.replace("//", "\u00e9", 1)
assert len(r["sigs"][0]["sig"].encode()) == len(s)
open("forged.json", "w").write(json.dumps(r, ensure_ascii=False, separators=(",", ":")))
PY
before=$(root)
set +e
"$P" append forged.json >out.txt 2>err.txt
code=$?
set -e
[ "$code" = 1 ] || fail "the re-spelled signature was not refused (exit $code): $(cat err.txt)"
[ "$(cat err.txt)" = "poolbook: error: sig is not base64 of 64 bytes (forged.json line 1, \$.sigs[0].sig)" ] ||
  fail "unexpected refusal: $(cat err.txt)"
[ "$(root)" = "$before" ] || fail "the ledger changed"
"$P" append d.json >/dev/null || fail "the genuine record was blocked"
ok "a sig with // re-spelled as é is refused; the genuine record appends (doc-$found)"

"$P" new document minutes.txt --title 'Minutes' --id doc-bits -o d2.json 2>/dev/null
"$P" sign d2.json -k dcc-fin.key 2>/dev/null
sig=$(python3 -c 'import json;print(json.load(open("d2.json"))["sigs"][0]["sig"])')
bad=$(respell "$sig")
python3 -c 'import json,sys
r = json.load(open("d2.json")); r["sigs"][0]["sig"] = sys.argv[1]
open("bits.json", "w").write(json.dumps(r, separators=(",", ":")))' "$bad"
set +e
"$P" append bits.json >out.txt 2>err.txt
code=$?
set -e
[ "$code" = 1 ] && [ "$(cat err.txt)" = "poolbook: error: sig is not base64 of 64 bytes (bits.json line 1, \$.sigs[0].sig)" ] ||
  fail "a sig with unused bits set was not refused (exit $code): $(cat err.txt)"
"$P" append d2.json >/dev/null
ok "a sig whose last character carries unused bits is refused"

# A secret key file: its key line re-spelled.
python3 - <<'PY'
lines = open("dcc-fin.key").read().split("\n")
a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
s = lines[1]
i = len(s.rstrip("=")) - 1
lines[1] = s[:i] + a[a.index(s[i]) ^ 1] + s[i + 1:]
open("respelled.key", "w").write("\n".join(lines))
PY
chmod 600 respelled.key
cp d2.json d3.json
set +e
"$P" sign d3.json -k respelled.key >out.txt 2>err.txt
code=$?
set -e
[ "$code" = 3 ] && grep -q "key line is not valid base64" err.txt ||
  fail "a re-spelled secret key was not refused (exit $code): $(cat err.txt)"
ok "a secret key file's key line has one spelling"

# The bundle: header root, a checkpoint's root and signature lines, a record's sig.
"$P" export --format jsonl -o bundle.jsonl
"$P" verify --bundle bundle.jsonl >/dev/null || fail "the genuine bundle does not verify"
mutate() { # mutate WHAT OUT: the bundle with one field re-spelled
  python3 - "$1" "$2" <<'PY'
import json, sys
what, out = sys.argv[1], sys.argv[2]
a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
def respell(s):
    i = len(s.rstrip("=")) - 1
    return s[:i] + a[a.index(s[i]) ^ 1] + s[i + 1:]
lines = [json.loads(l) for l in open("bundle.jsonl")]
done = False
for l in lines:
    if done:
        break
    if what == "header-root" and l["kind"] == "header":
        l["root"] = respell(l["root"]); done = True
    elif what == "note-root" and l["kind"] == "checkpoint":
        l["note"][2] = respell(l["note"][2]); done = True
    elif what == "note-sig" and l["kind"] == "checkpoint":
        head, b64 = l["note"][4].rsplit(" ", 1)
        l["note"][4] = head + " " + respell(b64); done = True
    elif what == "record-sig" and l["kind"] == "record" and l["index"] == 3:
        l["record"]["sigs"][0]["sig"] = respell(l["record"]["sigs"][0]["sig"]); done = True
assert done, what
with open(out, "w") as f:
    for l in lines:
        f.write(json.dumps(l, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n")
PY
}
for what in header-root note-root note-sig record-sig; do
  mutate "$what" "$what.jsonl"
  set +e
  "$P" verify --bundle "$what.jsonl" >out.txt 2>err.txt
  code=$?
  set -e
  [ "$code" = 1 ] || fail "bundle with a re-spelled $what verified (exit $code): $(cat out.txt)"
  echo "  $what: $(cat err.txt)"
done
ok "a bundle's header root, checkpoint root and signature lines and record sigs have one spelling"
echo "base64_strict.sh: $checks checks passed"
