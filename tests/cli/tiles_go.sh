#!/usr/bin/env bash
# tiles_go.sh — `poolbook tiles --out DIR` against Go's
# golang.org/x/mod/sumdb/tlog (tests/go/tiles.go): every tile path parsed by
# tlog.ParseTilePath, every hash tile authenticated against the checkpoint by
# tlog.TileHashReader, every entry bundle hashed to its leaves. A ledger of
# 300 records is published, then grown to 530 and published again into the
# same folder (full tiles kept, partial ones replaced), checked each time.
# Also: a checkpoint-less ledger is refused, a folder holding another log's
# full tile is refused, and the tree of the checkpoint (not newer records) is
# what is published. Go is required (scripts/deps.sh test).
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}" "${PB_BUILD:?}"
P=$POOLBOOK
GOSRC=/usr/share/gocode

fail() { echo "tiles_go: FAIL: $*" >&2; exit 1; }
step() { echo "tiles_go: [${SECONDS}s] $*"; }

command -v go >/dev/null 2>&1 || fail "no 'go' command (bash scripts/deps.sh test)"
[ -f "$GOSRC/src/golang.org/x/mod/sumdb/tlog/tile.go" ] || fail "no golang-golang-x-mod-dev"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GO111MODULE=off GOPATH=$GOSRC GOCACHE=$tmp/gocache HOME=$tmp/home GOFLAGS= CGO_ENABLED=0
export POOLBOOK_LEDGER=$tmp/l.ledger POOLBOOK_NOW=2025-04-01T09:00:00Z
mkdir -p "$tmp/home" "$tmp/docs"
cd "$tmp"

step "building tests/go/tiles.go"
go build -o "$tmp/tiles" "$PB_SRC/tests/go/tiles.go"

for k in dcc-sig icb-sig fin op aud; do "$P" keygen -W "$k" >/dev/null; done
"$P" init
"$P" new genesis --origin example.gov.uk/bcf \
  --partner DCC:council:"Derbyshire County Council" \
  --partner ICB:icb:"Derby and Derbyshire ICB" \
  --key DCC:signatory:dcc-sig.pub --key DCC:finance:fin.pub \
  --key ICB:signatory:icb-sig.pub --key DCC:operator:op.pub --key ICB:auditor:aud.pub \
  -o g.json
"$P" sign g.json -k dcc-sig.key
"$P" sign g.json -k icb-sig.key
"$P" append g.json

step "no checkpoint yet: refused"
if "$P" tiles --out pub 2>err.txt; then fail "tiles without a checkpoint succeeded"; fi
grep -q "the ledger has no checkpoint" err.txt || fail "unexpected message: $(cat err.txt)"
[ ! -e pub ] || fail "a refused run left pub/ behind"

# documents FIRST LAST: signed document records made by tests/tools/make_docs.py
# (python3-nacl; fast under the sanitizers too), appended in one transaction.
PY=
for c in /usr/bin/python3 python3; do
  if "$c" -c 'import nacl.signing' 2>/dev/null; then PY=$c; break; fi
done
[ -n "$PY" ] || fail "python3-nacl is not installed (scripts/deps.sh test)"
documents() {
  rm -f docs/doc-*.json
  "$PY" "$PB_SRC/tests/tools/make_docs.py" fin.key example.gov.uk/bcf "$POOLBOOK_NOW" "$1" "$2" docs
  for ((i = $1; i <= $2; i++)); do cat "docs/doc-$i.json"; done | "$P" append >/dev/null
}
vkeys=(-vkey "$("$P" checkpoint --verifier -p op.pub)" -vkey "$("$P" checkpoint --verifier -p aud.pub)")

step "300 records, checkpoint, cosign, publish"
documents 1 299
"$P" checkpoint -k op.key >/dev/null
"$P" cosign -k aud.key >/dev/null
documents 300 309   # appended after the checkpoint: not published
out=$("$P" tiles --out pub --json)
[ "$out" = '{"tiles_kept":0,"tiles_written":5,"tree_size":300}' ] || fail "first run: $out"
cmp pub/checkpoint <("$P" checkpoint --show) || fail "pub/checkpoint is not the stored note"
[ -f pub/tile/0/001.p/44 ] && [ -f pub/tile/1/000.p/1 ] && [ -f pub/tile/entries/000 ] ||
  fail "expected tile/0/001.p/44, tile/1/000.p/1, tile/entries/000: $(cd pub && find . -type f)"
"$tmp/tiles" -dir pub -min-size 300 "${vkeys[@]}"

step "530 records, publish again into the same folder"
documents 310 529
"$P" checkpoint -k op.key >/dev/null
before=$(sha256sum pub/tile/0/000)
out=$("$P" tiles --out pub --json)
# Full tiles 0/000, entries/000 kept; 0/001, entries/001 now full; 0/002.p/18,
# entries/002.p/18, 1/000.p/2 new.
[ "$out" = '{"tiles_kept":2,"tiles_written":5,"tree_size":530}' ] || fail "second run: $out"
[ "$(sha256sum pub/tile/0/000)" = "$before" ] || fail "a full tile changed"
# The old partial tiles stay (a reader of the old checkpoint may still want
# them); Go is shown the current tree's tiles only.
rm -r pub/tile/0/001.p pub/tile/entries/001.p pub/tile/1/000.p/1
"$tmp/tiles" -dir pub -min-size 530 -vkey "$("$P" checkpoint --verifier -p op.pub)"

step "a changed tile is caught by Go"
cp -r pub bad
printf '\001' | dd of=bad/tile/0/000 bs=1 seek=100 conv=notrunc 2>/dev/null
if "$tmp/tiles" -dir bad -vkey "$("$P" checkpoint --verifier -p op.pub)" 2>go-err.txt; then
  fail "Go accepted a changed tile"
fi
grep -q "tile/0/000" go-err.txt || fail "Go's complaint does not name the tile: $(cat go-err.txt)"

step "a folder with another log's full tile is refused, and left as it was"
if "$P" tiles --out bad 2>err.txt; then fail "tiles over another log succeeded"; fi
grep -q "tile/0/000 differs from the ledger's tile" err.txt || fail "message: $(cat err.txt)"
cmp bad/checkpoint pub/checkpoint || fail "the refused run changed the checkpoint"
step "done"
