#!/usr/bin/env bash
# witness.sh — DESIGN 9/10 "a host shows partners different histories:
# partners' witnesses cosign only consistent checkpoints; forked log refused
# by a witness" (docs/witness.md). A ledger with two partners' auditor keys;
# `poolbook witness` on loopback; `checkpoint --witness` cosigned, with the
# 409-then-proof exchange; then a fork (two copies sharing a prefix, then
# differing) refused with 409 at the same size and 422 beyond it, a rolled-back
# copy refused, the witness's record unchanged by every refusal and kept across
# a restart; unknown origin 404, untrusted operator key 403, old size above the
# checkpoint 400, a witness whose key the ledger does not bind ignored; and
# `verify` checking the cosignature/v1 lines (a spoiled one fails in
# tests/test_witness.c).
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}" "${PB_BUILD:?}"
P=$POOLBOOK
work=$(mktemp -d)
source "$PB_SRC/examples/lib/witness.sh"
trap 'witness_stop_all; rm -rf "$work"' EXIT
cd "$work"
fail() { echo "witness.sh: FAIL: $*" >&2; exit 1; }
for k in dcc-sig dcc-fin icb-sig icb-fin op aud stranger; do
  cp "$PB_SRC/tests/data/keys/$k.pub" "$PB_SRC/tests/data/keys/$k.key" .
  chmod 600 "$k.key"
done
"$P" keygen -W dcc-aud >/dev/null
export POOLBOOK_LEDGER=$work/host.ledger POOLBOOK_NOW=2024-06-30T12:00:00Z
ORIGIN=example.gov.uk/witnessed
"$P" init >/dev/null
"$P" new genesis --origin $ORIGIN --partner DCC:council:"Derbyshire County Council" \
  --partner ICB:icb:"NHS Derby and Derbyshire ICB" --key DCC:signatory:dcc-sig.pub \
  --key DCC:finance:dcc-fin.pub --key ICB:signatory:icb-sig.pub --key ICB:finance:icb-fin.pub \
  --key DCC:operator:op.pub --key ICB:auditor:aud.pub --key DCC:auditor:dcc-aud.pub \
  -o genesis.json 2>/dev/null
"$P" sign genesis.json -k dcc-sig.key 2>/dev/null
"$P" sign genesis.json -k icb-sig.key 2>/dev/null
"$P" append genesis.json >/dev/null
doc() { # doc LEDGER TEXT: post a document entry to LEDGER
  echo "$2" >"$2.txt"
  POOLBOOK_LEDGER=$1 "$P" post document "$2.txt" --title "$2" -k dcc-fin.key >/dev/null 2>&1
}
root_of() { POOLBOOK_LEDGER=$1 "$P" verify | sed -n 's/^root: //p'; }
VK=$("$P" checkpoint --verifier -p op.pub)

witness_start icb aud.key icb.state --log "$ORIGIN=$VK"
echo "witness.sh: ICB's witness at $icb_url ($icb_vkey)"

# 1. The first checkpoint: old size 0, cosigned at once.
"$P" checkpoint -k op.key --witness "$icb_url" >note1.txt 2>err.txt || { cat err.txt; fail "first"; }
grep -q "^poolbook: witness $icb_url cosigned tree size 1 as poolbook-witness/" err.txt ||
  fail "no report of the cosignature: $(cat err.txt)"
[ "$(grep -c '^— ' note1.txt)" = 2 ] || fail "the note has not the operator's and the witness's lines"
"$P" verify | grep -q '1 checkpoints, 1 cosignatures (1 by witnesses)' || fail "verify: $("$P" verify)"

# 2. Later checkpoints: the witness answers 409 with its size, then takes the proof.
for i in 1 2 3; do doc "$POOLBOOK_LEDGER" "minutes-$i"; done
"$P" checkpoint -k op.key --witness "$icb_url" >/dev/null 2>err.txt || { cat err.txt; fail "second"; }
grep -q "cosigned tree size 4 as .* from size 1)" err.txt || fail "second: $(cat err.txt)"
grep -q "409: this witness holds $ORIGIN at size 1, not 0" icb.state.err ||
  fail "the witness did not answer 409 with its size"
curl_latest() { python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode(), end="")' "$1/latest/$ORIGIN"; }
curl_latest "$icb_url" | sed -n 2p | grep -qx 4 || fail "GET /latest does not show size 4"

# 3. A fork: a copy of the ledger at size 4 goes its own way.
cp host.ledger fork.ledger
doc "$POOLBOOK_LEDGER" "minutes-5-host"
doc "$work/fork.ledger" "minutes-5-fork"
"$P" checkpoint -k op.key --witness "$icb_url" >/dev/null 2>err.txt || { cat err.txt; fail "host 5"; }
held=$(curl_latest "$icb_url")
POOLBOOK_LEDGER=$work/fork.ledger "$P" checkpoint -k op.key >/dev/null
fork_root=$(root_of "$work/fork.ledger")
set +e
POOLBOOK_LEDGER=$work/fork.ledger "$P" checkpoint --witness "$icb_url" >/dev/null 2>err.txt
rc=$?
set -e
[ "$rc" = 1 ] || fail "a fork of the same size: exit $rc, not 1"
grep -qx "poolbook: error: the witness refused the checkpoint of size 5: 409, it has cosigned another tree of size 5: a fork ($icb_url)" err.txt ||
  fail "fork of the same size: $(cat err.txt)"
doc "$work/fork.ledger" "minutes-6-fork"
set +e
POOLBOOK_LEDGER=$work/fork.ledger "$P" checkpoint -k op.key --witness "$icb_url" >/dev/null 2>err.txt
rc=$?
set -e
[ "$rc" = 1 ] || fail "a longer fork: exit $rc"
grep -q "^poolbook: error: the witness refused the checkpoint of size 6: 422 size 6 of $ORIGIN is not consistent with size 5 this witness cosigned" err.txt ||
  fail "longer fork: $(cat err.txt)"
[ "$(curl_latest "$icb_url")" = "$held" ] || fail "a refused fork changed the witness's record"
for size in 5 6; do
  if POOLBOOK_LEDGER=$work/fork.ledger "$P" checkpoint --show --size $size | grep -q '^— poolbook-witness/'; then
    fail "the fork holds a witness line for its refused checkpoint of size $size"
  fi
done
POOLBOOK_LEDGER=$work/fork.ledger "$P" verify | grep -q '(2 by witnesses)' ||
  fail "the fork should keep only the two cosignatures of the shared prefix (sizes 1 and 4)"

# 4. A rolled-back copy (the ledger as it was at size 1) is refused.
POOLBOOK_LEDGER=$work/rolled.ledger "$P" init >/dev/null
POOLBOOK_LEDGER=$work/rolled.ledger "$P" append genesis.json >/dev/null
POOLBOOK_LEDGER=$work/rolled.ledger "$P" checkpoint -k op.key >/dev/null
set +e
POOLBOOK_LEDGER=$work/rolled.ledger "$P" checkpoint --witness "$icb_url" >/dev/null 2>err.txt
rc=$?
set -e
[ "$rc" = 1 ] || fail "rollback: exit $rc"
grep -qx "poolbook: error: the witness has cosigned size 5 of $ORIGIN, beyond this ledger's 1: this copy is behind it (rolled back, or another history) ($icb_url)" err.txt ||
  fail "rollback: $(cat err.txt)"

# 5. The record survives a restart: the fork is still refused afterwards.
witness_stop "$icb_pid"
witness_start icb aud.key icb.state --log "$ORIGIN=$VK"
[ "$(curl_latest "$icb_url")" = "$held" ] || fail "the record changed across a restart"
set +e
POOLBOOK_LEDGER=$work/fork.ledger "$P" checkpoint --witness "$icb_url" >/dev/null 2>err.txt
rc=$?
set -e
[ "$rc" = 1 ] && grep -q ' 422 ' err.txt || fail "after a restart the fork was not refused: $(cat err.txt)"

# 6. Raw requests for the statuses the host never provokes itself.
status() { # status URL BODYFILE -> the HTTP status
  python3 - "$1" "$2" <<'PY'
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1] + "/add-checkpoint", data=open(sys.argv[2], "rb").read(), method="POST")
try:
    r = urllib.request.urlopen(req); print(r.status, r.headers.get_content_type(), r.read().decode().strip())
except urllib.error.HTTPError as e:
    print(e.code, e.headers.get_content_type(), e.read().decode().strip())
PY
}
"$P" checkpoint --show --size 5 >note5.txt
{ printf 'old 6\n\n'; cat note5.txt; } >old-above.txt
status "$icb_url" old-above.txt | grep -q '^400 text/plain the old size 6 is above the checkpoint.s 5$' ||
  fail "old size above: $(status "$icb_url" old-above.txt)"
{ printf 'old 3\n\n'; cat note5.txt; } >stale.txt
[ "$(status "$icb_url" stale.txt)" = "409 text/x.tlog.size 5" ] || fail "409: $(status "$icb_url" stale.txt)"
{ printf 'old 0\n\n'; sed 's/^example.gov.uk\/witnessed$/example.gov.uk\/other/' note5.txt; } >other.txt
status "$icb_url" other.txt | grep -q '^404 ' || fail "404: $(status "$icb_url" other.txt)"
# The root's first character changed (to A, or B when it was A: the root is
# random: a no-op edit made this test fail one run in 64, as CI's ASan pass did once).
{ printf 'old 5\n\n'; sed '3{s/^A/B/;t;s/^./A/}' note5.txt; } >badsig.txt
status "$icb_url" badsig.txt | grep -q '^403 ' || fail "403: $(status "$icb_url" badsig.txt)"
printf 'old 05\n\nx\n' >malformed.txt
status "$icb_url" malformed.txt | grep -q '^400 ' || fail "malformed: $(status "$icb_url" malformed.txt)"
[ "$(curl_latest "$icb_url")" = "$held" ] || fail "a refused raw request changed the record"

# 7. Witnesses the host cannot use: another origin (404), another operator key
# (403), a key the ledger does not bind (its cosignature is not kept).
root_before=$(root_of "$POOLBOOK_LEDGER")
before=$("$P" checkpoint --show)
witness_start other aud.key other.state --log "example.gov.uk/other=$VK"
witness_start stranger stranger.key stranger.state --log "$ORIGIN=$VK"
STRANGE_VK=$(python3 -c '
import base64,hashlib,sys
name=sys.argv[1]; pk=base64.b64decode(open(sys.argv[2]).read().split()[-1])[10:]
h=hashlib.sha256(name.encode()+b"\n\x01"+pk).digest()[:4].hex()
print(name+"+"+h+"+"+base64.b64encode(b"\x01"+pk).decode())' "$ORIGIN" stranger.pub)
witness_start untrusting aud.key untrusting.state --log "$ORIGIN=$STRANGE_VK"
for case in "other:404 this witness does not witness log $ORIGIN" \
            "untrusting:403 no signature on the checkpoint of $ORIGIN verifies with its key"; do
  v=${case%%:*}_url
  set +e
  "$P" checkpoint --witness "${!v}" >/dev/null 2>err.txt
  rc=$?
  set -e
  [ "$rc" = 1 ] || fail "${case%%:*}: exit $rc"
  grep -qx "poolbook: error: the witness refused the checkpoint of size 5: ${case#*:} (${!v})" err.txt ||
    fail "${case%%:*}: $(cat err.txt)"
done
set +e
"$P" checkpoint --witness "$stranger_url" >/dev/null 2>err.txt
rc=$?
set -e
[ "$rc" = 1 ] || fail "stranger: exit $rc"
grep -q "^poolbook: error: the witness returned no cosignature by an auditor key of this ledger: the cosignature by \"poolbook-witness/.*\" verifies with no auditor key bound in the ledger ($stranger_url)" err.txt ||
  fail "stranger: $(cat err.txt)"
set +e
"$P" checkpoint --witness http://127.0.0.1:1 >/dev/null 2>err.txt
rc=$?
set -e
[ "$rc" = 3 ] && grep -q '^poolbook: error: cannot connect: Connection refused (http://127.0.0.1:1)$' err.txt ||
  fail "unreachable: exit $rc, $(cat err.txt)"
[ "$("$P" checkpoint --show)" = "$before" ] || fail "a refusal changed the stored checkpoint"
[ "$(root_of "$POOLBOOK_LEDGER")" = "$root_before" ] || fail "a refusal changed the root"

# 8. Both partners' witnesses cosign; verify checks every cosignature/v1 line.
witness_start dcc dcc-aud.key dcc.state --log "$ORIGIN=$VK"
doc "$POOLBOOK_LEDGER" "minutes-6-host"
"$P" checkpoint -k op.key --witness "$icb_url" --witness "$dcc_url" >note6.txt 2>err.txt ||
  { cat err.txt; fail "two witnesses"; }
[ "$(grep -c 'cosigned tree size 6' err.txt)" = 2 ] || fail "two witnesses: $(cat err.txt)"
[ "$(grep -c '^— poolbook-witness/' note6.txt)" = 2 ] || fail "two witness lines expected"
"$P" verify | grep -q "(5 by witnesses)" || fail "verify: $("$P" verify)"
# 9. The witness policy (C2SP tlog-policy, a witness.policy entry signed by
# every partner's signatory) says when a checkpoint is final: both witnesses.
cat >policy.txt <<EOF
# Derbyshire BCF: both partners' auditors must witness a checkpoint
log $VK
witness icb $icb_vkey $icb_url
witness dcc $dcc_vkey $dcc_url
group both all icb dcc
quorum both
EOF
refuse_policy() { # refuse_policy FILE EXPECTED-LINE [SIGNERS...]
  local file=$1 want=$2 rc=0
  shift 2
  root_before=$(root_of "$POOLBOOK_LEDGER")
  rm -f wp-bad.json
  # --no-check: the draft goes to append, whose refusal is what is tested here
  # (new refuses it before anyone signs: checked below).
  "$P" new witness.policy --no-check --file "$file" -o wp-bad.json 2>/dev/null || true
  for k in "$@"; do "$P" sign wp-bad.json -k "$k" >/dev/null 2>&1 || true; done
  "$P" append wp-bad.json >/dev/null 2>err.txt || rc=$?
  [ "$rc" = 1 ] && [ "$(cat err.txt)" = "$want" ] || fail "policy $file: exit $rc, $(cat err.txt)"
  [ "$(root_of "$POOLBOOK_LEDGER")" = "$root_before" ] || fail "a refused policy changed the root"
}
refuse_policy policy.txt "poolbook: error: the witness.policy entry still needs a signatory signature of: ICB (wp-bad.json line 1, \$.sigs)" dcc-sig.key
sed 's/^group both all icb dcc$/group both 3 icb dcc/' policy.txt >policy-3of2.txt
"$P" new witness.policy --file policy-3of2.txt -o /dev/null 2>err.txt && fail "3 of 2 accepted by new"
grep -qx 'poolbook: error: policy line 5: threshold 3 is not all, any or 1..2 (--file)' err.txt ||
  fail "3 of 2: $(cat err.txt)"
{ grep -v '^quorum' policy.txt; echo "witness stranger $stranger_vkey"; echo "quorum both"; } >policy-stranger.txt
refuse_policy policy-stranger.txt "poolbook: error: witness stranger's key is not an auditor key bound in this ledger (wp-bad.json line 1, \$.entry.policy)" dcc-sig.key icb-sig.key
"$P" new witness.policy --file policy-stranger.txt -o /dev/null 2>err.txt &&
  fail "a stranger's witness accepted by new"
grep -q "witness stranger's key is not an auditor key bound in this ledger" err.txt ||
  fail "stranger at new: $(cat err.txt)"
"$P" new witness.policy --file policy.txt -o wp.json 2>/dev/null
"$P" sign wp.json -k dcc-sig.key 2>/dev/null
"$P" sign wp.json -k icb-sig.key 2>/dev/null
"$P" append wp.json >/dev/null
"$P" checkpoint -k op.key --witness "$icb_url" >/dev/null 2>err.txt || { cat err.txt; fail "policy: icb"; }
grep -qx 'poolbook: the checkpoint is NOT final under the ledger.s witness policy (1 witness cosignatures)' err.txt ||
  fail "one of two witnesses: $(cat err.txt)"
"$P" checkpoint --witness "$dcc_url" >/dev/null 2>err.txt || { cat err.txt; fail "policy: dcc"; }
grep -qx 'poolbook: the checkpoint is final under the ledger.s witness policy (2 witness cosignatures)' err.txt ||
  fail "both witnesses: $(cat err.txt)"
"$P" checkpoint -k op.key --witnesses >/dev/null 2>err.txt || { cat err.txt; fail "--witnesses"; }
[ "$(grep -c 'cosigned tree size 7' err.txt)" = 2 ] && grep -q 'is final under' err.txt ||
  fail "--witnesses: $(cat err.txt)"
"$P" verify | grep -qx 'witness policy: the latest checkpoint (tree size 7) is final (2 witness cosignatures)' ||
  fail "verify does not say the checkpoint is final: $("$P" verify)"
# 10. The audit bundle carries the witness lines, and verify --bundle checks them.
"$P" export --format jsonl -o bundle.jsonl
"$P" verify --bundle bundle.jsonl --key op.pub >out.txt 2>&1 || { cat out.txt; fail "verify --bundle"; }
grep -q '(7 by witnesses)' out.txt || fail "verify --bundle: $(cat out.txt)"
# 11. The witness's own bad input: one line, the right exit code.
wbad() { # wbad EXIT EXPECTED-LINE ARGS...
  local want_rc=$1 want=$2 rc=0
  shift 2
  timeout 10 "$P" witness "$@" >/dev/null 2>err.txt || rc=$?
  [ "$rc" = "$want_rc" ] && [ "$(cat err.txt)" = "$want" ] || fail "witness $*: exit $rc, $(cat err.txt)"
}
wbad 2 "poolbook: error: witness needs -k AUDITORKEY and --state FILE (usage: poolbook witness --listen ADDR:PORT -k AUDITORKEY --state FILE --log ORIGIN=VKEY... [--name NAME])" \
  --listen 127.0.0.1:0 -k aud.key --log "$ORIGIN=$VK"
wbad 2 "poolbook: error: --listen needs ADDR:PORT, e.g. 127.0.0.1:8080 (usage: poolbook witness --listen ADDR:PORT -k AUDITORKEY --state FILE --log ORIGIN=VKEY... [--name NAME])" \
  --listen 127.0.0.1 -k aud.key --state x.state --log "$ORIGIN=$VK"
wbad 2 "poolbook: error: give at least one --log ORIGIN=VKEY (usage: poolbook witness --listen ADDR:PORT -k AUDITORKEY --state FILE --log ORIGIN=VKEY... [--name NAME])" \
  --listen 127.0.0.1:0 -k aud.key --state x.state
wbad 3 "poolbook: error: \"not-a-key\" is not a note verifier key <name>+<8 hex>+<base64 of 0x01 or 0x04 and 32 bytes> (--log $ORIGIN)" \
  --listen 127.0.0.1:0 -k aud.key --state x.state --log "$ORIGIN=not-a-key"
wbad 3 "poolbook: error: the key of log $ORIGIN is a cosigner key; a log signs with an Ed25519 note key (0x01) (--log $ORIGIN)" \
  --listen 127.0.0.1:0 -k aud.key --state x.state --log "$ORIGIN=$icb_vkey"
port=${icb_url##*:}
wbad 3 "poolbook: error: cannot listen on 127.0.0.1:$port: Failed to bind to port $port: Address already in use (--listen 127.0.0.1:$port)" \
  --listen "127.0.0.1:$port" -k aud.key --state x.state --log "$ORIGIN=$VK"
echo "witness.sh: every check passed"
