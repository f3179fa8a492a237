#!/usr/bin/env bash
# go_interop.sh — poolbook's proofs and checkpoints against Go's
# golang.org/x/mod/sumdb (tlog and note), an implementation that shares no
# code with poolbook (DESIGN 4). Builds a ledger of 317 records (genesis and
# documents, appended in batches) with checkpoints at sizes 1, 150 and 317,
# each cosigned by the auditor; dumps every record and proof with
# tests/tools/proof_dump; and runs tests/go/interop.go over the dump and the
# checkpoint notes. Also checks that `poolbook proof` prints exactly what the
# dump holds. Go is required: without it this test fails (scripts/deps.sh
# test installs golang-go and golang-golang-x-mod-dev).
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}" "${PB_BUILD:?}"
P=$POOLBOOK
DUMP_TOOL=$PB_BUILD/proof_dump
GOSRC=/usr/share/gocode   # where golang-golang-x-mod-dev puts its Go source
TOTAL=317                 # records: genesis and TOTAL-1 documents
MID=150                   # the middle checkpoint's tree size

fail() { echo "go_interop: FAIL: $*" >&2; exit 1; }
step() { echo "go_interop: [${SECONDS}s] $*"; }

command -v go >/dev/null 2>&1 ||
  fail "no 'go' command: install golang-go and golang-golang-x-mod-dev (bash scripts/deps.sh test)"
[ -f "$GOSRC/src/golang.org/x/mod/sumdb/tlog/tlog.go" ] ||
  fail "no $GOSRC/src/golang.org/x/mod/sumdb: install golang-golang-x-mod-dev"
[ -x "$DUMP_TOOL" ] || fail "no $DUMP_TOOL: build the tests/tools programs first"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Go without modules, against the Debian package's source; caches in the
# temp dir so it runs as root in CI and leaves nothing behind.
export GO111MODULE=off GOPATH=$GOSRC GOCACHE=$tmp/gocache HOME=$tmp/home GOFLAGS=
export CGO_ENABLED=0
export POOLBOOK_LEDGER=$tmp/l.ledger POOLBOOK_NOW=2025-04-01T09:00:00Z
mkdir -p "$tmp/home" "$tmp/docs"
cd "$tmp"

step "building tests/go/interop.go with $(go version)"
go build -o "$tmp/interop" "$PB_SRC/tests/go/interop.go"

step "keys and genesis"
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

# checkpoint SIZE: the operator signs the whole tree, the auditor cosigns,
# and the full note is kept as cp-SIZE.note.
checkpoint() {
  local size
  size=$("$P" log --json | wc -l)
  [ "$size" -eq "$1" ] || fail "expected $1 records before the checkpoint, log shows $size"
  "$P" checkpoint -k op.key >/dev/null
  "$P" cosign -k aud.key >/dev/null
  "$P" checkpoint --show --size "$1" >"cp-$1.note"
}
checkpoint 1

# draft_range FIRST LAST: documents FIRST..LAST, each drafted and signed by
# the finance key through a pipe, as JSON lines on stdout (the commands' notes
# go to stderr). Each file differs, so each default id (from the file's hash)
# does.
draft_range() {
  local i
  for ((i = $1; i <= $2; i++)); do
    printf 'Minutes of the joint commissioning board, meeting %d\n' "$i" >"docs/m$i.txt"
    "$P" new document "docs/m$i.txt" --title "Minutes $i" -o - |
      "$P" sign - -k fin.key
  done
}

# documents FIRST LAST: draft FIRST..LAST in JOBS parallel runs of
# consecutive documents (each command is short, and under the sanitizers
# most of its time is start-up and the leak check), then append them all, in
# order, as JSON lines on stdin in one transaction.
JOBS=4
documents() {
  local per=$((($2 - $1 + JOBS) / JOBS)) lo hi j pids=()
  for ((j = 0; j < JOBS; j++)); do
    lo=$(($1 + j * per))
    hi=$((lo + per - 1 < $2 ? lo + per - 1 : $2))
    : >"batch-$j.jsonl"
    if ((lo <= hi)); then
      draft_range "$lo" "$hi" >"batch-$j.jsonl" 2>"draft-$j.log" &
      pids+=($!)
    fi
  done
  for j in "${pids[@]}"; do
    wait "$j" || { tail -n 5 draft-*.log >&2; fail "drafting documents $1..$2 failed"; }
  done
  for ((j = 0; j < JOBS; j++)); do cat "batch-$j.jsonl"; done >batch.jsonl
  [ "$(wc -l <batch.jsonl)" -eq $(($2 - $1 + 1)) ] || fail "drafted too few documents"
  "$P" append <batch.jsonl >/dev/null
}
step "documents 1..$((MID - 1))"
documents 1 $((MID - 1))
checkpoint $MID
step "documents $MID..$((TOTAL - 1))"
documents $MID $((TOTAL - 1))
checkpoint $TOTAL

step "proof_dump"
"$DUMP_TOOL" "$POOLBOOK_LEDGER" --size 1 --size $MID >dump.jsonl
[ "$(grep -c '"record"' dump.jsonl)" -eq $TOTAL ] || fail "the dump does not hold $TOTAL records"

step "\`poolbook proof\` prints what the dump holds"
cli_proofs=0
same() {
  local out
  out=$("$P" proof "$@") || fail "poolbook proof $* failed"
  grep -qxF -- "$out" dump.jsonl || fail "poolbook proof $* printed $out, not in the dump"
  cli_proofs=$((cli_proofs + 1))
}
for args in "0 --size 1" "0 --size 2" "1 --size 2" "5 --size 7" "63 --size 64" "64 --size 65" \
            "0 --size $MID" "$((MID - 1)) --size $MID" "100 --size 300" "0" "$((TOTAL - 1))" \
            "256"; do
  # shellcheck disable=SC2086 # word splitting wanted
  same inclusion $args
done
for pair in "1 1" "1 2" "2 3" "3 7" "4 8" "7 8" "8 9" "16 17" "1 $MID" "$MID $TOTAL" \
            "64 $TOTAL" "$TOTAL $TOTAL" "129 300"; do
  # shellcheck disable=SC2086
  same consistency $pair
done

step "Go: sumdb/tlog over the dump, sumdb/note over the checkpoints"
"$tmp/interop" -dump dump.jsonl -min-size 300 \
  -vkey "$("$P" checkpoint --verifier -p op.pub)" \
  -vkey "$("$P" checkpoint --verifier -p aud.pub)" \
  -note cp-1.note -note cp-$MID.note -note cp-$TOTAL.note

step "done: $cli_proofs CLI proofs equal the dump's"
