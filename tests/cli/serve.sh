#!/usr/bin/env bash
# serve.sh — `poolbook serve` on 127.0.0.1 at a free port (DESIGN 9):
# GET /checkpoint and every tile equal what `poolbook tiles` writes and Go's
# sumdb/tlog checks them (tests/go/tiles.go); POST /add-entry appends a signed
# record and answers a c2sp.org/tlog-proof@v1 that Go's tlog.CheckRecord
# accepts, 409 with the proof when already present; every malformed request
# (malformed JSON, unbound key, bad signature, an id reused, too large,
# truncated, a slow client) gets its status and the CLI's one-line message
# and leaves the ledger unchanged; requests are signed (RFC 9421, ed25519,
# by tests/tools/httpsig.py on python3-nacl, an implementation that shares no
# code with the server) and unsigned, stale, forged or unknown-key requests
# are refused; a second, read-only server with --public-reads serves tiles to
# anyone; logs are JSON lines; SIGTERM stops it cleanly. The server is killed on exit whatever happens; every wait is
# bounded.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}" "${PB_BUILD:?}"
P=$POOLBOOK
GOSRC=/usr/share/gocode
PER=${PB_SERVE_LOAD_PER:-40}   # posts per client in the load step (8 clients)

fail() { echo "serve: FAIL: $*" >&2; [ -f "${tmp:-}/serve.log" ] && tail -5 "$tmp/serve.log" >&2; exit 1; }
step() { echo "serve: [${SECONDS}s] $*"; }
command -v go >/dev/null 2>&1 || fail "no 'go' command (bash scripts/deps.sh test)"
command -v curl >/dev/null 2>&1 || fail "no curl (bash scripts/deps.sh test)"

tmp=$(mktemp -d)
server_pid=
reader_pid=
pids=()
clients=()
cleanup() {
  for p in $server_pid $reader_pid; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
export GO111MODULE=off GOPATH=$GOSRC GOCACHE=$tmp/gocache HOME=$tmp/home GOFLAGS= CGO_ENABLED=0
export POOLBOOK_LEDGER=$tmp/l.ledger POOLBOOK_NOW=2025-04-01T09:00:00Z
mkdir -p "$tmp/home"
cd "$tmp"
go build -o "$tmp/tiles" "$PB_SRC/tests/go/tiles.go" &
go_pid=$!

for k in dcc-sig icb-sig fin op aud stranger; do "$P" keygen -W "$k" >/dev/null; done
"$P" init
"$P" new genesis --origin example.gov.uk/bcf \
  --partner DCC:council:"Derbyshire County Council" \
  --partner ICB:icb:"Derby and Derbyshire ICB" \
  --key DCC:signatory:dcc-sig.pub --key DCC:finance:fin.pub \
  --key ICB:signatory:icb-sig.pub --key DCC:operator:op.pub --key ICB:auditor:aud.pub \
  -o g.json 2>/dev/null
"$P" sign g.json -k dcc-sig.key 2>/dev/null
"$P" sign g.json -k icb-sig.key 2>/dev/null
"$P" append g.json >/dev/null
"$P" checkpoint -k op.key >/dev/null

# doc N [KEY]: a signed document record in doc-N.json (canonical, one line).
doc() {
  printf 'Minutes of meeting %d\n' "$1" >"m$1.txt"
  # --no-check: some of these are meant for the server to refuse (an unbound key).
  "$P" new document "m$1.txt" --title "Minutes $1" --id "doc-$1" -o - 2>/dev/null |
    "$P" sign --no-check - -k "${2:-fin}.key" >"doc-$1.json" 2>/dev/null
}
state() { "$P" log --json | sha256sum; "$P" verify --json | sha256sum; }

step "start the server on a free port"
# Files the server writes go through pb_file_write: a symbolic link planted at
# the fixed temporary names they once used (ready.tmp, DRAFT.json.tmp) is
# neither followed nor replaced.
printf 'victim\n' >victim.txt
ln -s victim.txt ready.tmp
mkdir -m 700 "$POOLBOOK_LEDGER.drafts"
ln -s "$PWD/victim.txt" "$POOLBOOK_LEDGER.drafts/admit-UHDB.json.tmp"
# The load posts thousands a minute with one key: the rate limit is raised here
# (and tested on the second server).
"$P" serve --listen 127.0.0.1:0 -k op.key --ready-file ready --timeout 2 --rate 1000000 2>serve.log &
server_pid=$!
for _ in $(seq 100); do [ -s ready ] && break; sleep 0.1; done
[ -s ready ] || fail "the server did not start in 10 s"
URL=$(cat ready)
case "$URL" in http://127.0.0.1:[0-9]*) ;; *) fail "ready file holds '$URL'" ;; esac
C=(curl -sS --max-time 10)
PY=
for c in /usr/bin/python3 python3; do
  if "$c" -c 'import nacl.signing' 2>/dev/null; then PY=$c; break; fi
done
[ -n "$PY" ] || fail "python3-nacl is not installed (scripts/deps.sh test)"
HS=("$PY" "$PB_SRC/tests/tools/httpsig.py")
# signed OUT KEY METHOD PATH [BODYFILE] [httpsig options]: a signed request;
# prints the status, the body goes to OUT.
signed() {
  local out=$1; shift
  "${HS[@]}" "$1" "$2" "$URL$3" "${@:4}" >"$out.raw" || fail "httpsig.py $*"
  head -n 1 "$out.raw"; tail -n +2 "$out.raw" >"$out"
}

step "GET /checkpoint"
"${C[@]}" -D h.txt "$URL/checkpoint" >cp.txt
cmp cp.txt <("$P" checkpoint --show) || fail "/checkpoint is not the stored note"
grep -qi '^content-type: text/plain' h.txt || fail "checkpoint content type: $(cat h.txt)"
grep -qi '^cache-control: public, max-age=2' h.txt || fail "checkpoint cache: $(cat h.txt)"

step "POST /add-entry: 200 with a tlog-proof Go checks"
wait "$go_pid" || fail "building tests/go/tiles.go failed"
vkey=$("$P" checkpoint --verifier -p op.pub)
doc 1
code=$(signed proof-1.txt fin.key POST /add-entry doc-1.json)
[ "$code" = 200 ] || fail "add-entry: $code $(cat proof-1.txt)"
head -c -1 doc-1.json >rec-1.bin
"$tmp/tiles" -proof proof-1.txt -record rec-1.bin -vkey "$vkey"
grep -qx 'index 1' proof-1.txt || fail "proof index: $(head -2 proof-1.txt)"
[ "$("$P" show doc-1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["index"])')" = 1 ] ||
  fail "doc-1 is not at index 1"

step "the same record again: 409 with its proof"
code=$(signed proof-1b.txt fin.key POST /add-entry doc-1.json)
[ "$code" = 409 ] || fail "again: $code"
"$tmp/tiles" -proof proof-1b.txt -record rec-1.bin -vkey "$vkey" >/dev/null

# refused NAME STATUS FILE: POST FILE, expect STATUS and the line the CLI
# prints for `append FILE` (its place "FILE line 1" read as "request body"),
# and the ledger unchanged.
refused() {
  local before code want
  before=$(state)
  code=$(signed "resp-$1.txt" fin.key POST /add-entry "$3")
  [ "$code" = "$2" ] || fail "$1: status $code, expected $2: $(cat "resp-$1.txt")"
  if "$P" append "$3" >/dev/null 2>"cli-$1.txt"; then fail "$1: the CLI appended it"; fi
  want=$(sed "s/($3 line 1/(request body/; s/($3)/(request body)/" "cli-$1.txt")
  [ "$(cat "resp-$1.txt")" = "$want" ] || fail "$1: body '$(cat "resp-$1.txt")', CLI '$want'"
  [ "$(state)" = "$before" ] || fail "$1 changed the ledger"
}
step "refusals: 400, 403, 422, 413"
printf '{"entry":' >truncated.json
refused truncated 400 truncated.json
doc 2 stranger
refused unbound 403 doc-2.json
doc 3
sed 's/Minutes 3/Minutes 4/' doc-3.json >forged.json
refused forged 403 forged.json
printf 'Minutes of meeting 1, revised\n' >m1.txt
"$P" new document m1.txt --no-check --title "Minutes 1" --id doc-1 -o - 2>/dev/null |
  "$P" sign --no-check - -k fin.key >reused.json 2>/dev/null
refused reused 422 reused.json
before=$(state)
head -c 70000 /dev/zero | tr '\0' 'x' >big.txt
code=$("${C[@]}" -o resp-big.txt -w '%{http_code}' --data-binary @big.txt "$URL/add-entry")
[ "$code" = 413 ] || fail "oversized: $code"
grep -q "^poolbook: error: request body is over the limit of 65535 bytes" resp-big.txt ||
  fail "oversized body: $(cat resp-big.txt)"
code=$("${C[@]}" -o resp-big2.txt -w '%{http_code}' -H 'Transfer-Encoding: chunked' \
  --data-binary @big.txt "$URL/add-entry")
[ "$code" = 413 ] || fail "oversized, chunked: $code"
[ "$(state)" = "$before" ] || fail "an oversized request changed the ledger"

step "drafts: co-signed over HTTP, kept across a restart, appended when complete"
"$P" keygen -W uhdb-sig >/dev/null
"$P" new partner.admit --partner-id UHDB --kind trust --name "University Hospitals" \
  --key signatory:uhdb-sig.pub -o admit.json 2>/dev/null
cp admit.json admit-dcc.json
"$P" sign admit-dcc.json -k dcc-sig.key 2>/dev/null
before=$(state)
[ "$(signed r.txt dcc-sig.key POST /drafts admit-dcc.json)" = 202 ] || fail "POST /drafts: $(cat r.txt)"
id=$("$PY" -c 'import json,sys; print(json.load(open("r.txt"))["id"])')
[ "$id" = admit-UHDB ] || fail "draft id $id"
grep -q '"needs":"[^"]' r.txt || fail "the draft does not say what it needs: $(cat r.txt)"
[ -f "$POOLBOOK_LEDGER.drafts/admit-UHDB.json" ] || fail "no draft file beside the ledger"
[ ! -L "$POOLBOOK_LEDGER.drafts/admit-UHDB.json" ] && [ ! -L ready ] &&
  [ "$(cat victim.txt)" = victim ] || fail "a planted link at a temporary name was followed"
[ "$(state)" = "$before" ] || fail "a draft changed the ledger"
# sig_of KEY: this key's signature object over the draft, made by `poolbook sign`.
sig_of() {
  cp admit.json "s-$1.json"
  "$P" sign "s-$1.json" -k "$1.key" 2>/dev/null
  "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps(r["sigs"][0]))' \
    "s-$1.json" >"sig-$1.json"
}
sig_of icb-sig
sig_of uhdb-sig
"$PY" -c 'import json; s=json.load(open("sig-icb-sig.json")); s["sig"]=s["sig"][:10]+("A" if s["sig"][10]!="A" else "B")+s["sig"][11:]; print(json.dumps(s))' >sig-forged.json
[ "$(signed r.txt icb-sig.key POST /drafts/admit-UHDB/signatures sig-forged.json)" = 403 ] ||
  fail "a forged draft signature: $(cat r.txt)"
kill -TERM "$server_pid"; wait "$server_pid" || fail "restart: the server exited $?"
rm -f ready
"$P" serve --listen 127.0.0.1:0 -k op.key --ready-file ready --timeout 2 --rate 1000000 2>>serve.log &
server_pid=$!
for _ in $(seq 100); do [ -s ready ] && break; sleep 0.1; done
[ -s ready ] || fail "the server did not restart in 10 s"
URL=$(cat ready)
[ "$(signed r.txt aud.key GET /drafts)" = 200 ] || fail "GET /drafts"
"$PY" - <<'PY' || fail "GET /drafts after the restart: $(cat r.txt)"
import json
d = json.load(open("r.txt"))
assert [x["id"] for x in d] == ["admit-UHDB"], d
assert len(d[0]["signed_by"]) == 1 and d[0]["needs"], d
PY
[ "$(signed r.txt icb-sig.key POST /drafts/admit-UHDB/signatures sig-icb-sig.json)" = 202 ] ||
  fail "ICB's signature: $(cat r.txt)"
[ "$(state)" = "$before" ] || fail "an incomplete draft changed the ledger"
# The new partner's key is not bound yet: a bound key (DCC's) carries its signature.
[ "$(signed r.txt uhdb-sig.key POST /drafts/admit-UHDB/signatures sig-uhdb-sig.json)" = 403 ] ||
  fail "a request signed by a key not yet bound: $(cat r.txt)"
[ "$(signed r.txt dcc-sig.key POST /drafts/admit-UHDB/signatures sig-uhdb-sig.json)" = 200 ] ||
  fail "the last signature: $(cat r.txt)"
grep -q '^c2sp.org/tlog-proof@v1$' r.txt || fail "no proof for the appended draft"
"$P" show admit-UHDB >/dev/null || fail "admit-UHDB is not in the log"
[ ! -f "$POOLBOOK_LEDGER.drafts/admit-UHDB.json" ] || fail "the appended draft is still pending"
[ "$(signed r.txt aud.key GET /drafts)" = 200 ] && [ "$(cat r.txt)" = "[]" ] ||
  fail "drafts after the append: $(cat r.txt)"

step "request signatures: unsigned 401, stale 401, forged 403, unknown key 403, reads too"
before=$(state)
doc 5
[ "$("${C[@]}" -o r.txt -w '%{http_code}' --data-binary @doc-5.json "$URL/add-entry")" = 401 ] ||
  fail "unsigned add-entry: $(cat r.txt)"
grep -q "^poolbook: error: the request is not signed" r.txt || fail "unsigned: $(cat r.txt)"
[ "$(signed r.txt fin.key POST /add-entry doc-5.json --skew -900)" = 401 ] || fail "stale: $(cat r.txt)"
[ "$(signed r.txt fin.key POST /add-entry doc-5.json --forge)" = 403 ] || fail "forged: $(cat r.txt)"
grep -q "does not verify" r.txt || fail "forged: $(cat r.txt)"
[ "$(signed r.txt stranger.key POST /add-entry doc-5.json)" = 403 ] || fail "stranger: $(cat r.txt)"
grep -q "is not bound in this ledger" r.txt || fail "stranger: $(cat r.txt)"
[ "$(signed r.txt fin.key POST /add-entry doc-5.json --no-digest)" = 401 ] || fail "no digest"
[ "$(state)" = "$before" ] || fail "refused requests changed the ledger"
[ "$("${C[@]}" -o r.txt -w '%{http_code}' "$URL/tile/entries/000.p/2")" = 401 ] || fail "unsigned tile read"
[ "$(signed r.txt aud.key GET /tile/entries/000.p/2)" = 200 ] || fail "signed tile read (auditor)"
[ "$(signed r.txt stranger.key GET /tile/entries/000.p/2)" = 403 ] || fail "stranger's tile read"

step "a slow client is cut off at the timeout; the ledger unchanged"
exec 3<>/dev/tcp/127.0.0.1/"${URL##*:}"
printf 'POST /add-entry HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{"entry":' >&3
start=$SECONDS
timeout 10 cat <&3 >/dev/null || true
exec 3<&-
[ $((SECONDS - start)) -lt 9 ] || fail "a stalled body was not cut off"
[ "$(state)" = "$before" ] || fail "a stalled request changed the ledger"

step "unknown paths and methods"
[ "$("${C[@]}" -o /dev/null -w '%{http_code}' "$URL/nothing")" = 401 ] || fail "unsigned /nothing"
[ "$(signed r.txt fin.key GET /nothing)" = 404 ] || fail "/nothing"
[ "$(signed r.txt fin.key GET /tile/0/1)" = 404 ] || fail "/tile/0/1"
grep -q 'is not a tile path' r.txt || fail "/tile/0/1: $(cat r.txt)"
[ "$(signed r.txt fin.key GET /tile/0/005)" = 404 ] || fail "/tile/0/005 (not yet in the tree)"
[ "$(signed r.txt fin.key DELETE /checkpoint)" = 405 ] || fail "DELETE"

step "load: 8 clients x $PER posts at once: 0 lost, 0 duplicated"
# Made first (tests/tools/make_docs.py signs them with python3-nacl, so the
# load does not wait on hundreds of drafting runs), then posted by 8
# concurrent clients.
"$PY" "$PB_SRC/tests/tools/make_docs.py" fin.key example.gov.uk/bcf "$POOLBOOK_NOW" 100 \
  $((100 + 8 * PER - 1)) . || fail "making the load's records"
size_before=$("$P" log --json | wc -l)
for ((c = 0; c < 8; c++)); do
  files=()
  for ((i = 100 + c * PER; i < 100 + (c + 1) * PER; i++)); do files+=("doc-$i.json"); done
  "${HS[@]}" fin.key POST "$URL/add-entry" --many "${files[@]}" >"client-$c.log" 2>&1 &
  clients+=($!)
done
for p in "${clients[@]}"; do wait "$p" || fail "a client failed: $(tail -3 client-*.log)"; done
[ "$(cat client-*.log | grep -c '^200 ')" -eq $((8 * PER)) ] || fail "not every post answered 200: $(grep -v '^200 ' client-*.log | head -3)"
"$P" log --json >log.jsonl
[ "$(wc -l <log.jsonl)" -eq $((size_before + 8 * PER)) ] || fail "$(wc -l <log.jsonl) records, expected $((size_before + 8 * PER))"
python3 - "$PER" <<'PY' || fail "lost or duplicated records"
import json, sys
per = int(sys.argv[1])
ids = [json.loads(l)["record"]["entry"]["id"] for l in open("log.jsonl")]
want = {"doc-%d" % i for i in range(100, 100 + 8 * per)}
assert len(ids) == len(set(ids)), "duplicated"
assert want <= set(ids), sorted(want - set(ids))[:5]
PY
"$P" verify >/dev/null || fail "verify after the load"

step "a read-only server with --public-reads: tiles equal the static ones, Go checks them"
"$P" serve --listen 127.0.0.1:0 --public-reads --rate 3 --ready-file ready2 2>serve2.log &
reader_pid=$!
for _ in $(seq 100); do [ -s ready2 ] && break; sleep 0.1; done
[ -s ready2 ] || fail "the read-only server did not start in 10 s"
URL2=$(cat ready2)
[ "$(signed r.txt fin.key POST /add-entry doc-5.json)" = 200 ] || fail "posting doc-5"
"${HS[@]}" fin.key POST "$URL2/add-entry" doc-5.json >r.txt
[ "$(head -n 1 r.txt)" = 405 ] || fail "the read-only server took a write: $(cat r.txt)"
for _ in 1 2; do "${HS[@]}" fin.key POST "$URL2/add-entry" doc-5.json >r.txt; done
[ "$(head -n 1 r.txt)" = 405 ] || fail "third signed request in the minute: $(cat r.txt)"
"${HS[@]}" fin.key POST "$URL2/add-entry" doc-5.json >r.txt
[ "$(head -n 1 r.txt)" = 429 ] || fail "the fourth request in a minute at --rate 3: $(cat r.txt)"
"$P" tiles --out static >/dev/null
(cd static && find tile -type f) | sort >list.txt
grep -qx 'tile/0/000' list.txt || fail "no full tile: $(cat list.txt)"
mkdir -p fetched
while read -r t; do
  mkdir -p "fetched/$(dirname "$t")"
  "${C[@]}" -f -D "h-tile.txt" -o "fetched/$t" "$URL2/$t" || fail "GET /$t"
  case "$t" in
    *.p/*) grep -qi '^cache-control: public, max-age=60' h-tile.txt || fail "$t cache" ;;
    *) grep -qi '^cache-control: public, max-age=31536000, immutable' h-tile.txt || fail "$t cache" ;;
  esac
done <list.txt
"${C[@]}" -o fetched/checkpoint "$URL2/checkpoint"
diff -r static fetched || fail "tiles over HTTP differ from the static ones"
kill -TERM "$reader_pid"; wait "$reader_pid" || fail "the read-only server exited $?"; reader_pid=
"$tmp/tiles" -dir fetched -min-size $((size_before + 8 * PER + 1)) -vkey "$vkey"

step "request logs are JSON lines; SIGTERM stops the server"
kill -TERM "$server_pid"
for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$server_pid" 2>/dev/null && fail "the server ignored SIGTERM for 10 s"
wait "$server_pid" || fail "the server exited $? on SIGTERM"
server_pid=
grep -q "stopped by signal 15" serve.log || fail "no shutdown line"
grep '^{' serve.log | python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin]
assert len(lines) >= 10, len(lines)
for l in lines:
    for k in ("time", "client", "method", "path", "status", "bytes", "us"):
        assert k in l, (k, l)
assert any(l["path"] == "/add-entry" and l["status"] == 200 for l in lines)
assert any(l["status"] == 413 for l in lines)
assert any(l.get("key") for l in lines)
' || fail "request log lines"
"$P" verify >/dev/null || fail "verify after the run"
step "done"
