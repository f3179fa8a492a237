#!/usr/bin/env bash
# remote.sh — the command line with --remote against `poolbook serve` on
# 127.0.0.1 at a free port (DESIGN 9): a partner with no ledger file posts
# and appends over HTTP (requests signed with RFC 9421 by its bound key), an
# auditor reads log, show and proofs and runs verify on a mirror checked
# against the server's tiles and checkpoint; a refusal prints the server's
# one line and exits 1; and `verify` remembers the checkpoint it verified,
# so a forked server (same genesis, another history) is caught even after
# the mirror is deleted. Servers are killed on exit; waits are bounded.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}" "${PB_BUILD:?}"
P=$POOLBOOK
fail() { echo "remote: FAIL: $*" >&2; exit 1; }
step() { echo "remote: [${SECONDS}s] $*"; }

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"
export POOLBOOK_NOW=2025-04-01T09:00:00Z HOME=$tmp/home
unset POOLBOOK_REMOTE POOLBOOK_REMOTE_KEY POOLBOOK_REMOTE_CACHE
mkdir -p host dcc auditor home

step "the host's ledger"
(cd host
 for k in dcc-sig icb-sig fin op aud; do "$P" keygen -W "$k" >/dev/null; done
 export POOLBOOK_LEDGER=$PWD/l.ledger
 "$P" init >/dev/null
 "$P" new genesis --origin example.gov.uk/bcf \
   --partner DCC:council:"Derbyshire County Council" --partner ICB:icb:"Derby and Derbyshire ICB" \
   --key DCC:signatory:dcc-sig.pub --key DCC:finance:fin.pub --key ICB:signatory:icb-sig.pub \
   --key DCC:operator:op.pub --key ICB:auditor:aud.pub -o g.json 2>/dev/null
 "$P" sign g.json -k dcc-sig.key 2>/dev/null
 "$P" sign g.json -k icb-sig.key 2>/dev/null
 "$P" append g.json >/dev/null
 "$P" checkpoint -k op.key >/dev/null
 cp l.ledger fork.ledger)
cp host/fin.key host/fin.pub dcc/
cp host/aud.key host/aud.pub auditor/

# serve LEDGER READYFILE: start a server, wait for its URL (10 s at most).
serve() {
  "$P" --ledger "$1" serve --listen 127.0.0.1:0 -k host/op.key --ready-file "$2" 2>>"$2.log" &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$2" ] && break; sleep 0.1; done
  [ -s "$2" ] || fail "a server did not start in 10 s: $(cat "$2.log")"
}
serve host/l.ledger ready
URL=$(cat ready)

step "DCC posts from its desk: no ledger file, the request signed by its finance key"
(cd dcc
 printf 'Invoice 1047\n' >inv.txt
 out=$("$P" --remote "$URL" --remote-key fin.key post document inv.txt --title "Invoice 1047" --id inv-1047 -k fin.key)
 [ "$out" = "appended at index 1 inv-1047" ] || fail "remote post: $out"
 out=$("$P" --remote "$URL" --remote-key fin.key post document inv.txt --title "Invoice 1047" --id inv-1047 -k fin.key)
 [ "$out" = "already present at index 1 inv-1047" ] || fail "remote post again: $out"
 [ ! -e poolbook.ledger ] || fail "a remote post made a local ledger"
 printf 'Invoice 1048\n' >inv2.txt
 "$P" --ledger "$HOME/.cache/poolbook/127.0.0.1_${URL##*:}.ledger" new document inv2.txt \
   --title "Invoice 1048" --id inv-1048 -o inv2.json 2>/dev/null
 "$P" sign inv2.json -k fin.key 2>/dev/null
 sed 's/Invoice 1048/Invoice 1049/' inv2.json >forged.json
 if POOLBOOK_REMOTE=$URL POOLBOOK_REMOTE_KEY=fin.key "$P" append forged.json 2>err.txt; then
   fail "a forged record was appended"
 fi
 grep -qx "poolbook: error: signature by key [0-9A-F]* does not verify (request body, \$.sigs)" err.txt ||
   fail "forged: $(cat err.txt)"
 out=$(POOLBOOK_REMOTE=$URL POOLBOOK_REMOTE_KEY=fin.key "$P" append inv2.json)
 [ "$out" = "appended at index 2 inv-1048" ] || fail "remote append: $out")

step "two partners co-sign over --remote: a draft on the server, appended at the last signature"
cp host/dcc-sig.key host/dcc-sig.pub dcc/
mkdir -p icb && cp host/icb-sig.key host/icb-sig.pub icb/
(cd dcc
 "$P" keygen -W uhdb-sig >/dev/null
 out=$("$P" --remote "$URL" --remote-key dcc-sig.key new partner.admit --partner-id UHDB \
   --kind trust --name "University Hospitals" --key signatory:uhdb-sig.pub)
 case "$out" in "draft admit-UHDB is on the server (0 signatures); it still needs: "*) ;;
   *) fail "remote new: $out" ;; esac
 out=$("$P" --remote "$URL" sign admit-UHDB -k dcc-sig.key)
 case "$out" in "draft admit-UHDB is on the server (1 signature); it still needs: "*) ;;
   *) fail "DCC's remote sign: $out" ;; esac
 cp uhdb-sig.key ../icb/)
(cd icb
 out=$("$P" --remote "$URL" sign admit-UHDB -k icb-sig.key)
 case "$out" in "draft admit-UHDB is on the server (2 signatures)"*) ;; *) fail "ICB: $out" ;; esac
 # The new partner's key is not bound yet: ICB's key carries its signature.
 out=$("$P" --remote "$URL" --remote-key icb-sig.key sign admit-UHDB -k uhdb-sig.key)
 [ "$out" = "appended at index 3 admit-UHDB" ] || fail "the last signature: $out")

step "the auditor reads and verifies through the mirror"
# The auditor's cosignature on the latest checkpoint travels with it.
(cd host && "$P" --ledger l.ledger cosign -k aud.key >/dev/null)
(cd auditor
 R=("$P" --remote "$URL" --remote-key aud.key)
 [ "$("${R[@]}" log | wc -l)" -eq 4 ] || fail "remote log: $("${R[@]}" log)"
 "${R[@]}" show inv-1048 | grep -q "Invoice 1048" || fail "remote show"
 "${R[@]}" proof inclusion 1 | grep -q '"tree_size":4' || fail "remote proof"
 "${R[@]}" verify --json >v.json || fail "remote verify"
 grep -q '"cosignatures":1' v.json || fail "the cosignature did not travel: $(cat v.json)"
 [ -s "$HOME/.cache/poolbook/127.0.0.1_${URL##*:}.ledger.verified-checkpoint" ] ||
   fail "verify kept no checkpoint"
 # Unsigned reads of tiles are refused by this server.
 if "$P" --remote "$URL" log 2>err.txt >/dev/null; then fail "an unsigned mirror read succeeded"; fi
 grep -q "the request is not signed" err.txt || fail "unsigned: $(cat err.txt)")

step "a forked server is caught by the checkpoint verify kept"
(cd host
 export POOLBOOK_LEDGER=$PWD/fork.ledger
 for i in 1 2 3; do
   printf 'Other %d\n' "$i" >"o$i.txt"
   "$P" post document "o$i.txt" --title "Other $i" -k fin.key >/dev/null
 done
 "$P" checkpoint -k op.key >/dev/null)
serve host/fork.ledger ready-fork
FORK=$(cat ready-fork)
(cd auditor
 cache=$tmp/pinned.ledger
 POOLBOOK_REMOTE_CACHE=$cache "$P" --remote "$URL" --remote-key aud.key verify >/dev/null ||
   fail "verify of the real server"
 # The same mirror against the fork: its records do not make the fork's root.
 if POOLBOOK_REMOTE_CACHE=$cache "$P" --remote "$FORK" --remote-key aud.key verify 2>err.txt; then
   fail "the fork verified against the mirror"
 fi
 grep -q "^poolbook: error: the server's checkpoint does not check" err.txt || fail "fork: $(cat err.txt)"
 # Mirror deleted, the verified checkpoint kept: the fork is still caught.
 rm -f "$cache"
 if POOLBOOK_REMOTE_CACHE=$cache "$P" --remote "$FORK" --remote-key aud.key verify 2>err.txt; then
   fail "the fork verified once the mirror was gone"
 fi
 grep -q "not an extension of the checkpoint verified before" err.txt || fail "fork 2: $(cat err.txt)")
step "the URL: a trailing '/' adds no slash; https or a closed port exit 3 with one line"
(cd auditor
 POOLBOOK_REMOTE_CACHE=$tmp/slash.ledger "$P" --remote "$URL/" --remote-key aud.key verify \
   >/dev/null 2>err.txt || fail "verify through $URL/: $(cat err.txt)"
 rc=0
 POOLBOOK_REMOTE_CACHE=$tmp/none.ledger "$P" --remote https://127.0.0.1:1/ log 2>err.txt || rc=$?
 [ "$rc" = 3 ] && [ "$(cat err.txt)" = "poolbook: error: https://127.0.0.1:1/: only http:// URLs are supported (put TLS in a proxy) (--remote)" ] ||
   fail "https: exit $rc: $(cat err.txt)"
 rc=0
 POOLBOOK_REMOTE_CACHE=$tmp/none.ledger "$P" --remote http://127.0.0.1:1 log 2>err.txt || rc=$?
 [ "$rc" = 3 ] && [ "$(cat err.txt)" = "poolbook: error: cannot connect: Connection refused (http://127.0.0.1:1)" ] ||
   fail "closed port: exit $rc: $(cat err.txt)")
step "done"
