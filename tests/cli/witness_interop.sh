#!/usr/bin/env bash
# witness_interop.sh — `poolbook witness` and the checkpoints it cosigns,
# against code that shares nothing with poolbook (docs/witness.md):
#   - tests/py/witness_client.py, a tlog-witness client written from the C2SP
#     text with python3-nacl, drives a fresh witness (200, 409 with
#     text/x.tlog.size, 422, 400, GET /latest) and checks each cosignature/v1
#     and the key ID derivation;
#   - tests/go/witness_note.go opens the host's checkpoint carrying two
#     partners' witness lines with Go's golang.org/x/mod/sumdb/note and checks
#     each witness line from the spec with Go's crypto.
# Debian ships no tlog-witness client or tessera test log to use instead.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}" "${PB_BUILD:?}"
P=$POOLBOOK
GOSRC=/usr/share/gocode
work=$(mktemp -d)
source "$PB_SRC/examples/lib/witness.sh"
trap 'witness_stop_all; rm -rf "$work"' EXIT
cd "$work"
fail() { echo "witness_interop.sh: FAIL: $*" >&2; exit 1; }
command -v go >/dev/null 2>&1 || fail "no 'go': bash scripts/deps.sh test"
[ -f "$GOSRC/src/golang.org/x/mod/sumdb/note/note.go" ] || fail "no golang-golang-x-mod-dev"
PY=
for c in /usr/bin/python3 python3; do  # Debian's python3-nacl is in the system Python
  if "$c" -c 'import nacl.signing' 2>/dev/null; then PY=$c; break; fi
done
[ -n "$PY" ] || fail "no python3-nacl: bash scripts/deps.sh test"
for k in dcc-sig dcc-fin icb-sig icb-fin op aud; do
  cp "$PB_SRC/tests/data/keys/$k.pub" "$PB_SRC/tests/data/keys/$k.key" .
  chmod 600 "$k.key"
done
"$P" keygen -W dcc-aud >/dev/null
export POOLBOOK_LEDGER=$work/host.ledger POOLBOOK_NOW=2024-06-30T12:00:00Z
ORIGIN=example.gov.uk/interop
"$P" init >/dev/null
"$P" new genesis --origin $ORIGIN --partner DCC:council:"Derbyshire County Council" \
  --partner ICB:icb:"NHS Derby and Derbyshire ICB" --key DCC:signatory:dcc-sig.pub \
  --key DCC:finance:dcc-fin.pub --key ICB:signatory:icb-sig.pub --key ICB:finance:icb-fin.pub \
  --key DCC:operator:op.pub --key ICB:auditor:aud.pub --key DCC:auditor:dcc-aud.pub \
  -o genesis.json 2>/dev/null
"$P" sign genesis.json -k dcc-sig.key 2>/dev/null
"$P" sign genesis.json -k icb-sig.key 2>/dev/null
"$P" append genesis.json >/dev/null
VK=$("$P" checkpoint --verifier -p op.pub)

# Two checkpoints (sizes 6 and 23) and the proof between them, for the client.
"$PB_BUILD/gen_docs" $ORIGIN dcc-fin.key a 5 >a.jsonl
"$P" append a.jsonl >/dev/null
"$P" checkpoint -k op.key >note-A.txt
"$PB_BUILD/gen_docs" $ORIGIN dcc-fin.key b 17 >b.jsonl
"$P" append b.jsonl >/dev/null
"$P" checkpoint -k op.key >note-B.txt
"$P" proof consistency 6 23 >proof-A-B.json

witness_start icb aud.key icb.state --log "$ORIGIN=$VK" --name witness.icb.example/audit
"$PY" "$PB_SRC/tests/py/witness_client.py" "$icb_url" aud.pub witness.icb.example/audit \
  "$icb_vkey" "$work" || fail "the Python client"

# The host's own exchange with both partners' witnesses, opened by Go.
witness_start dcc dcc-aud.key dcc.state --log "$ORIGIN=$VK" --name witness.dcc.example/audit
"$PB_BUILD/gen_docs" $ORIGIN dcc-fin.key c 9 >c.jsonl
"$P" append c.jsonl >/dev/null
"$P" checkpoint -k op.key --witness "$icb_url" --witness "$dcc_url" >note-C.txt 2>err.txt ||
  { cat err.txt; fail "cosigning by both"; }
export GO111MODULE=off GOPATH=$GOSRC GOCACHE=$work/gocache HOME=$work/home GOFLAGS= CGO_ENABLED=0
mkdir -p "$work/home"
go build -o witness_note "$PB_SRC/tests/go/witness_note.go"
./witness_note -note note-C.txt -vkey "$VK" -witness "$icb_vkey" -witness "$dcc_vkey" ||
  fail "Go's note package and the spec's cosignature check"
# Not vacuous: a key the note was not cosigned with is reported missing.
if ./witness_note -note note-A.txt -vkey "$VK" -witness "$icb_vkey" >/dev/null; then
  fail "witness_note accepted a note with no witness line"
fi
echo "witness_interop.sh: Python (PyNaCl) and Go (sumdb/note) agree with the witness"
