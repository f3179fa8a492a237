#!/usr/bin/env bash
# post_cli.sh — the finance lead's path for pool and money entries (cli/cmd_new.c,
# docs/finance-lead.md): `new TYPE` writes a draft whose JSON has exactly the
# type's fields (docs/entries.md), amounts typed friendly come out canonical,
# default ids follow the rule (the hash checked with Python's hashlib), `post`
# signs and appends; a bad value exits 1 with one line naming the option or
# the file and JSON path, a missing option exits 2 with the type's synopsis,
# and `new --help` / `post --help` carry every type's synopsis.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}"
P=$POOLBOOK
export POOLBOOK_NOW=2024-06-30T12:00:00Z
unset POOLBOOK_PASSPHRASE_FILE
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-post-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export POOLBOOK_LEDGER=$work/test.ledger
ORIGIN=example.gov.uk/derbyshire-bcf
fails=0
checks=0

fail() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}

# ---- a ledger: genesis of DCC (host) and ICB ----
for k in dcc-sig dcc-fin icb-sig icb-fin op aud; do
  cp "$PB_SRC/tests/data/keys/$k.pub" "$PB_SRC/tests/data/keys/$k.key" .
  chmod 600 "$k.key"
done
"$P" init >/dev/null
"$P" new genesis --origin "$ORIGIN" \
  --partner DCC:council:"Derbyshire County Council" \
  --partner ICB:icb:"NHS Derby and Derbyshire ICB" \
  --key DCC:signatory:dcc-sig.pub --key DCC:finance:dcc-fin.pub \
  --key ICB:signatory:icb-sig.pub --key ICB:finance:icb-fin.pub \
  --key DCC:operator:op.pub --key ICB:auditor:aud.pub -o genesis.json 2>/dev/null
"$P" sign genesis.json -k dcc-sig.key 2>/dev/null
"$P" sign genesis.json -k icb-sig.key 2>/dev/null
"$P" append genesis.json >/dev/null

# check_draft FILE TYPE ID_PREFIX FIELDS_JSON: FILE holds one canonical draft
# line of TYPE whose own fields are exactly FIELDS_JSON, with the common fields,
# no signatures, and the default id ID_PREFIX<8 hex> of docs/entries.md (an
# ID_PREFIX of "=ID" means the id must be ID).
check_draft() {
  checks=$((checks + 1))
  python3 - "$@" "$ORIGIN" "$POOLBOOK_NOW" <<'PY' || fail "draft $1 ($2)"
import hashlib, json, re, sys
path, typ, prefix, want, origin, now = sys.argv[1:7]
text = open(path, encoding="utf-8").read()
rec = json.loads(text)
canon = lambda v: json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
problems = []
if text != canon(rec) + "\n":
    problems.append("not one canonical line")
if sorted(rec) != ["entry", "sigs"] or rec["sigs"] != []:
    problems.append("not an unsigned record")
e = rec["entry"]
common = {"v": 1, "type": typ, "ledger": origin, "created": now}
for k, v in common.items():
    if e.get(k) != v:
        problems.append(f"{k} is {e.get(k)!r}, want {v!r}")
own = {k: v for k, v in e.items() if k not in common and k != "id"}
if own != json.loads(want):
    problems.append(f"fields {canon(own)}, want {canon(json.loads(want))}")
if prefix.startswith("="):
    if e["id"] != prefix[1:]:
        problems.append(f"id {e['id']}, want {prefix[1:]}")
else:
    hexpart = hashlib.sha256(canon({k: v for k, v in e.items() if k not in ("id", "created")}).encode()).hexdigest()[:8]
    if e["id"] != prefix + hexpart:
        problems.append(f"id {e['id']}, want {prefix}{hexpart}")
    if len(e["id"]) > 64 or not re.fullmatch(r"[A-Za-z0-9._:-]+", e["id"]):
        problems.append(f"id {e['id']} breaks the id rule")
if problems:
    print(f"{path}: " + "; ".join(problems))
    sys.exit(1)
PY
}

# expect_new NAME ARGS...: `new ARGS` exits 0, prints the draft alone to stdout
# (into NAME.json) and nothing to stderr.
expect_new() {
  local name=$1 code=0
  shift
  checks=$((checks + 1))
  "$P" new "$@" >"$name.json" 2>"$name.err" || code=$?
  if [ "$code" -ne 0 ] || [ -s "$name.err" ] || [ "$(wc -l <"$name.json")" -ne 1 ]; then
    fail "new $* exited $code: $(cat "$name.err")"
  fi
}

# expect_error CODE WHERE_OR_TEXT COMMAND...: exits CODE with exactly one line
# on stderr, containing the text, and nothing on stdout.
expect_error() {
  local want=$1 text=$2 code=0
  shift 2
  checks=$((checks + 1))
  "$P" "$@" >err.out 2>err.txt || code=$?
  if [ "$code" -ne "$want" ]; then
    fail "$* exited $code, want $want: $(cat err.txt)"
  elif [ "$(wc -l <err.txt)" -ne 1 ] || ! grep -qF -- "$text" err.txt; then
    fail "$*: stderr is not one line with '$text': $(cat err.txt)"
  elif [ -s err.out ]; then
    fail "$*: printed to stdout on error"
  fi
}

# expect_post OUTPUT_START ARGS...: `post ARGS` exits 0 and prints OUTPUT_START...
expect_post() {
  local want=$1 code=0 out
  shift
  checks=$((checks + 1))
  out=$("$P" post "$@" 2>post.err) || code=$?
  case "$code:$out" in
    "0:$want"*) ;;
    *) fail "post $* exited $code with '$out', want '$want...': $(cat post.err)" ;;
  esac
}

# ---- pool.agree: the pool object from a file, signed by both signatories ----
cat >pool.json <<'EOF'
{"id": "BCF24", "name": "Derbyshire Better Care Fund 2024/25", "kind": "bcf",
 "year": "2024/25", "term": {"start": "2024-04-01", "end": "2025-03-31"},
 "host": "DCC", "partners": ["DCC", "ICB"],
 "streams": [{"id": "NHSMIN", "name": "NHS minimum contribution", "payer": "ICB", "planned": "6000000.00"},
             {"id": "IBCF", "name": "Improved Better Care Fund", "payer": "DCC", "planned": "2000000.00"}],
 "schemes": [{"id": "S01", "name": "Reablement", "lead": "DCC", "budget": "5000000.00", "class": "revenue"},
             {"id": "S02", "name": "Hospital discharge", "lead": "ICB", "budget": "2500000.00", "class": "revenue"},
             {"id": "S03", "name": "Disabled Facilities Grant", "lead": "DCC", "budget": "500000.00", "class": "capital"}],
 "policy": {"name": "pro rata", "netting": "pool", "overspend": {"split": "contributions"}, "underspend": {"split": "contributions"}},
 "virement_limit": "250000.00", "key_decision_threshold": "1000000.00"}
EOF
pool_canon=$(python3 -c 'import json,sys; print(json.dumps(json.load(open("pool.json")), sort_keys=True, separators=(",", ":"), ensure_ascii=False))')
expect_new agree pool.agree --file pool.json
check_draft agree.json pool.agree agree-BCF24- "{\"pool\": $pool_canon}"
"$P" sign agree.json -k dcc-sig.key 2>/dev/null
"$P" sign agree.json -k icb-sig.key 2>/dev/null
agree_id=$(python3 -c 'import json; print(json.load(open("agree.json"))["entry"]["id"])')
checks=$((checks + 1))
out=$("$P" append agree.json) || fail "append pool.agree"
[ "$out" = "appended at index 1 $agree_id" ] || fail "append pool.agree printed '$out'"

# A friendly amount inside the file is refused, naming the file and JSON path.
sed 's/"planned": "6000000.00"/"planned": "6,000,000.00"/' pool.json >pool-friendly.json
expect_error 1 "(pool-friendly.json, \$.streams[0].planned)" new pool.agree --file pool-friendly.json
sed 's/"planned": "6000000.00"/"planned": 6000000.00/' pool.json >pool-real.json
expect_error 1 "(pool-real.json, \$.streams[0].planned)" new pool.agree --file pool-real.json
printf '{"id": "BCF24",\n "name": }\n' >pool-broken.json
expect_error 1 "(pool-broken.json, line 2 column 10)" new pool.agree --file pool-broken.json
sed 's/"planned": "2000000.00"/"planned": "2000000.01"/' pool.json >pool-unbalanced.json
expect_error 1 "(pool-unbalanced.json" new pool.agree --file pool-unbalanced.json
expect_error 3 "missing.json" new pool.agree --file missing.json

# ---- contribution: friendly input, optional fields, default id ----
expect_new con contribution --pool BCF24 --partner ICB --stream NHSMIN --amount '£1,500,000.5' \
  --date 2024-04-15 --ref REM-0415 --memo 'Q1 instalment'
check_draft con.json contribution con-BCF24-20240415- \
  '{"pool":"BCF24","partner":"ICB","stream":"NHSMIN","amount":"1500000.50","date":"2024-04-15","ref":"REM-0415","memo":"Q1 instalment"}'
con_id=$(python3 -c 'import json; print(json.load(open("con.json"))["entry"]["id"])')
# post builds the identical entry (same POOLBOOK_NOW), so the same id; posting
# it again is reported as already present.
expect_post "appended at index 2 $con_id" contribution --pool BCF24 --partner ICB --stream NHSMIN \
  --amount '£1,500,000.5' --date 2024-04-15 --ref REM-0415 --memo 'Q1 instalment' -k icb-fin.key
expect_post "already present at index 2 $con_id" contribution --pool BCF24 --partner ICB \
  --stream NHSMIN --amount '1500000.50' --date 2024-04-15 --ref REM-0415 --memo 'Q1 instalment' \
  -k icb-fin.key
expect_new con2 contribution --pool BCF24 --partner=DCC --stream IBCF --amount 500,000 \
  --date 2024-05-01 --id dcc-ibcf-may
check_draft con2.json contribution =dcc-ibcf-may \
  '{"pool":"BCF24","partner":"DCC","stream":"IBCF","amount":"500000.00","date":"2024-05-01"}'
expect_post "appended at index 3 dcc-ibcf-may" contribution --pool BCF24 --partner=DCC \
  --stream IBCF --amount 500,000 --date 2024-05-01 --id dcc-ibcf-may -k dcc-fin.key
# The paying partner's finance key only.
expect_error 1 "" post contribution --pool BCF24 --partner ICB --stream NHSMIN --amount 10 \
  --date 2024-04-16 -k dcc-fin.key

# ---- expenditure: at the key-decision threshold it needs the host signatory too ----
expect_new exp expenditure --pool BCF24 --scheme S01 --amount 1,250,000 --date 2024-05-10 \
  --payee 'Derbyshire Community Health Services' --ref INV-1001
check_draft exp.json expenditure exp-BCF24-20240510- \
  '{"pool":"BCF24","scheme":"S01","amount":"1250000.00","date":"2024-05-10","payee":"Derbyshire Community Health Services","ref":"INV-1001"}'
expect_error 1 "" post expenditure --pool BCF24 --scheme S01 --amount 1,250,000 --date 2024-05-10 \
  --payee 'Derbyshire Community Health Services' --ref INV-1001 -k dcc-fin.key
"$P" sign exp.json -k dcc-fin.key 2>/dev/null
"$P" sign exp.json -k dcc-sig.key 2>/dev/null
checks=$((checks + 1))
out=$("$P" append exp.json) || fail "append expenditure"
case "$out" in "appended at index 4 exp-BCF24-20240510-"*) ;; *) fail "append exp: '$out'" ;; esac
expect_new exp2 expenditure --pool BCF24 --scheme S02 --amount 12,000.00 --date 2024-06-03 \
  --payee 'Care Agency Ltd' --memo 'discharge to assess'
check_draft exp2.json expenditure exp-BCF24-20240603- \
  '{"pool":"BCF24","scheme":"S02","amount":"12000.00","date":"2024-06-03","payee":"Care Agency Ltd","memo":"discharge to assess"}'
exp2_id=$(python3 -c 'import json; print(json.load(open("exp2.json"))["entry"]["id"])')
expect_post "appended at index 5 $exp2_id" expenditure --pool BCF24 --scheme S02 \
  --amount 12,000.00 --date 2024-06-03 --payee 'Care Agency Ltd' --memo 'discharge to assess' \
  -k icb-fin.key

# ---- forecast, virement ----
expect_new fc forecast --pool BCF24 --scheme S01 --amount 5,100,000 --date 2024-06-28 \
  --memo 'winter beds'
check_draft fc.json forecast fc-BCF24-20240628- \
  '{"pool":"BCF24","scheme":"S01","amount":"5100000.00","date":"2024-06-28","memo":"winter beds"}'
expect_post "appended at index 6 fc-BCF24-20240628-" forecast --pool BCF24 --scheme S01 \
  --amount 5,100,000 --date 2024-06-28 --memo 'winter beds' -k dcc-fin.key
expect_new vir virement --pool BCF24 --from S01 --to S02 --amount '£100,000' --date 2024-06-01 \
  --reason 'discharge pressures'
check_draft vir.json virement vir-BCF24-20240601- \
  '{"pool":"BCF24","from":"S01","to":"S02","amount":"100000.00","date":"2024-06-01","reason":"discharge pressures"}'
expect_post "appended at index 7 vir-BCF24-20240601-" virement --pool BCF24 --from S01 --to S02 \
  --amount '£100,000' --date 2024-06-01 --reason 'discharge pressures' -k dcc-sig.key

# ---- reversal: no pool in the id ----
expect_new rev reversal --target "$exp2_id" --date 2024-06-20 --reason 'charged to the wrong scheme'
check_draft rev.json reversal rev-20240620- \
  "{\"target\":\"$exp2_id\",\"date\":\"2024-06-20\",\"reason\":\"charged to the wrong scheme\"}"
expect_post "appended at index 8 rev-20240620-" reversal --target "$exp2_id" --date 2024-06-20 \
  --reason 'charged to the wrong scheme' -k icb-fin.key

# ---- period.close: dated today (POOLBOOK_NOW) unless --date ----
expect_new close period.close --pool BCF24 --period 2024/25-Q1
check_draft close.json period.close close-BCF24-20240630- \
  '{"pool":"BCF24","period":"2024/25-Q1","date":"2024-06-30"}'
expect_new close2 period.close --pool BCF24 --period 2024/25-M03 --date 2024-07-02
check_draft close2.json period.close close-BCF24-20240702- \
  '{"pool":"BCF24","period":"2024/25-M03","date":"2024-07-02"}'
expect_new close3 period.close --pool BCF24 --period 2024/25-Q1 --created 2024-07-05T09:00:00Z
checks=$((checks + 1))
grep -qF '"date":"2024-07-05"' close3.json || fail "period.close date from --created"
expect_post "appended at index 9 close-BCF24-20240630-" period.close --pool BCF24 \
  --period 2024/25-Q1 -k dcc-fin.key
expect_error 1 "2024/25-Q1" post contribution --pool BCF24 --partner ICB --stream NHSMIN \
  --amount 10 --date 2024-05-01 -k icb-fin.key

# ---- pool.vary: the changes from a file ----
printf '{"virement_limit": "300000.00"}\n' >set.json
expect_new vary pool.vary --pool BCF24 --date 2024-07-01 --file set.json --reason 'board 2024-06-25'
check_draft vary.json pool.vary vary-BCF24-20240701- \
  '{"pool":"BCF24","date":"2024-07-01","set":{"virement_limit":"300000.00"},"reason":"board 2024-06-25"}'
"$P" sign vary.json -k dcc-sig.key 2>/dev/null
"$P" sign vary.json -k icb-sig.key 2>/dev/null
checks=$((checks + 1))
out=$("$P" append vary.json) || fail "append pool.vary"
case "$out" in "appended at index 10 vary-BCF24-20240701-"*) ;; *) fail "append vary: '$out'" ;; esac
# A friendly amount in SET.json is refused: with the ledger at hand `new`
# checks the draft against the pool before anyone signs (docs/entries.md
# "Drafts"); made with --no-check, every append refuses it, naming the field.
printf '{"virement_limit": "300,000"}\n' >set-friendly.json
expect_error 1 "(\$.entry.set.virement_limit)" new pool.vary --pool BCF24 --date 2024-07-02 \
  --file set-friendly.json --reason r
"$P" new pool.vary --pool BCF24 --date 2024-07-02 --file set-friendly.json --reason r \
  --no-check -o vary-friendly.json 2>/dev/null
"$P" sign vary-friendly.json --no-check -k dcc-sig.key 2>/dev/null
"$P" sign vary-friendly.json --no-check -k icb-sig.key 2>/dev/null
expect_error 1 "\$.entry.set.virement_limit" append vary-friendly.json

# ---- bad values: exit 1, one line naming the option ----
C=(--pool BCF24 --partner ICB --stream NHSMIN --date 2024-07-10)
expect_error 1 'amount "1,25,000"' new contribution "${C[@]}" --amount 1,25,000
expect_error 1 "(--amount)" new contribution "${C[@]}" --amount 1,25,000
expect_error 1 "(--amount)" new contribution "${C[@]}" --amount 12.345
expect_error 1 "(--amount)" new contribution "${C[@]}" --amount '(300)'
expect_error 1 "(--amount)" new contribution "${C[@]}" --amount -300
expect_error 1 "(--amount)" new contribution "${C[@]}" --amount 0
expect_error 1 "(--amount)" new forecast --pool BCF24 --scheme S01 --date 2024-07-10 \
  --amount 10,000,000,000,000.01
expect_error 1 "(--date)" new contribution --pool BCF24 --partner ICB --stream NHSMIN \
  --amount 10 --date 2024-13-01
expect_error 1 "(--date)" new reversal --target x --date 31/03/2025 --reason r
expect_error 1 "(--period)" new period.close --pool BCF24 --period 2024/25-Q5
expect_error 1 "(--period)" new period.close --pool BCF24 --period Q1
expect_error 1 "(--created)" new period.close --pool BCF24 --period 2024/25-Q1 --created yesterday
expect_error 1 "(--id)" new contribution "${C[@]}" --amount 10 --id 'has space'
expect_error 1 "(--pool)" new forecast --pool 'BCF 24' --scheme S01 --amount 1 --date 2024-07-10
expect_error 1 "(--memo)" new contribution "${C[@]}" --amount 10 --memo $'a\x01b'
expect_error 1 "(--payee)" new expenditure --pool BCF24 --scheme S01 --amount 1 \
  --date 2024-07-10 --payee "$(head -c 1100 /dev/zero | tr '\0' x)"

# ---- usage: exit 2 with the type's synopsis ----
expect_error 2 "contribution needs --amount (usage: poolbook new contribution --pool P" \
  new contribution --pool BCF24 --partner ICB --stream NHSMIN --date 2024-07-10
expect_error 2 "contribution needs --partner" new contribution --pool BCF24 --stream NHSMIN \
  --amount 1 --date 2024-07-10
expect_error 2 "contribution takes one --partner" new contribution "${C[@]}" --partner DCC --amount 1
expect_error 2 "contribution takes no --payee" new contribution "${C[@]}" --amount 1 --payee X
expect_error 2 "reversal takes no --pool" new reversal --pool BCF24 --target x --date 2024-07-10 \
  --reason r
expect_error 2 "forecast takes no --partner" new forecast --pool BCF24 --scheme S01 --amount 1 \
  --date 2024-07-10 --partner ICB
expect_error 2 "virement takes no --title" new virement --pool BCF24 --from S01 --to S02 \
  --amount 1 --date 2024-07-10 --title T
expect_error 2 "usage: poolbook post expenditure" post expenditure --pool BCF24 --scheme S01 \
  --amount 1 --date 2024-07-10 -k dcc-fin.key
expect_error 2 "post needs -k" post forecast --pool BCF24 --scheme S01 --amount 1 \
  --date 2024-07-10

# ---- help: every type's synopsis, the same as its usage error ----
"$P" new --help >new-help.txt
"$P" post --help >post-help.txt
for t in pool.agree pool.vary contribution expenditure forecast virement reversal period.close; do
  for verb in new post; do
    [ "$verb" = post ] && case $t in pool.*) continue ;; esac
    checks=$((checks + 1))
    "$P" "$verb" "$t" >/dev/null 2>usage.txt || true
    synopsis=$(sed -n 's/.*(usage: poolbook \(.*\))$/\1/p' usage.txt)
    if [ -z "$synopsis" ] || ! grep -qxF "  $synopsis" "$verb-help.txt"; then
      fail "$verb --help lacks the synopsis of $t: '$synopsis'"
    fi
  done
done

# ---- the ledger holds what was posted and verifies ----
checks=$((checks + 1))
"$P" verify >/dev/null || fail "verify"
checks=$((checks + 1))
"$P" pool show BCF24 --json >show.json || fail "pool show"
python3 - <<'PY' || fail "pool show figures"
import json
r = json.load(open("show.json"))
def find(rows, id_):
    return next(x for x in rows if x["id"] == id_)
assert find(r["streams"], "NHSMIN")["received"] == "1500000.50", r["streams"]
assert find(r["streams"], "IBCF")["received"] == "500000.00", r["streams"]
assert find(r["schemes"], "S01")["actual"] == "1250000.00", r["schemes"]
assert find(r["schemes"], "S02")["actual"] == "0.00", r["schemes"]  # reversed
PY

# ---- policy explain: the pool's variance apportioned, parts adding up ----
checks=$((checks + 1))
"$P" policy explain --pool BCF24 --json >explain.json || fail "policy explain"
python3 - <<'PY' || fail "policy explain figures"
import json
from decimal import Decimal
r = json.load(open("explain.json"))
show = json.load(open("show.json"))
assert r["variance"] == show["totals"]["variance"], (r["variance"], show["totals"])
parts = sum(Decimal(v) for v in r["shares"].values())
parts += Decimal(r["unallocated"]) + Decimal(r["carried_forward"])
assert parts == Decimal(r["variance"]), r
assert r["workings"][0]["step"] == "inputs" and r["workings"][-1]["step"] == "result", r
PY
checks=$((checks + 1))
"$P" policy explain --pool BCF24 >explain.txt || fail "policy explain text"
python3 - <<'PY' || fail "policy explain text: $(cat explain.txt)"
import json
r = json.load(open("explain.json"))
text = open("explain.txt").read()
def money(s):
    sign = "-" if s.startswith("-") else ""
    whole, pence = s.lstrip("-").split(".")
    return sign + "{:,}".format(int(whole)) + "." + pence
# One numbered English line per step, and the figures of the JSON.
lines = [l for l in text.splitlines() if l[:5].strip().rstrip(".").isdigit()]
assert len(lines) == len(r["workings"]), (len(lines), len(r["workings"]))
assert "{" not in text, "a step printed as JSON"
for partner, amount in r["shares"].items():
    assert any(l.split() == [partner, money(amount)] for l in text.splitlines()), partner
assert any(l.split() == ["variance", money(r["variance"])] for l in text.splitlines())
PY
checks=$((checks + 1))
if "$P" policy explain --pool NOPE 2>/dev/null; then fail "policy explain of an unknown pool"; fi

# ---- the first entry with a reference: its ref:<POOL>:<SCHEME>:<HASH> row
# holds the entry's index (4, the INV-1001 expenditure), and an older
# poolbook's row, which held the entry's id, is read still; reindex rewrites
# it as an index (docs/formats.md). ----
exp_id=$(python3 -c 'import json; print(json.load(open("exp.json"))["entry"]["id"])')
ref_key="ref:BCF24:S01:$(printf 'INV-1001' | sha256sum | cut -c1-32)"
checks=$((checks + 1))
[ "$("$PB_BUILD/tamper" "$POOLBOOK_LEDGER" state-get "$ref_key")" = 4 ] ||
  fail "$ref_key does not hold index 4: '$("$PB_BUILD/tamper" "$POOLBOOK_LEDGER" state-get "$ref_key" 2>&1)'"
same_ref=(post expenditure --pool BCF24 --scheme S01 --amount 20.00 --date 2024-06-04
  --payee 'Derbyshire Community Health Services' --ref INV-1001 -k dcc-fin.key)
expect_error 1 "reference INV-1001 is already used by $exp_id for pool BCF24" "${same_ref[@]}"
cp "$POOLBOOK_LEDGER" oldref.ledger
printf '"exp-from-an-older-poolbook"' >old-ref.json
"$PB_BUILD/tamper" oldref.ledger state-put "$ref_key" old-ref.json || fail "tamper state-put $ref_key"
POOLBOOK_LEDGER=$work/oldref.ledger expect_error 1 \
  "reference INV-1001 is already used by exp-from-an-older-poolbook for pool BCF24" "${same_ref[@]}"
POOLBOOK_LEDGER=$work/oldref.ledger "$P" reindex >/dev/null 2>&1 || fail "reindex of the old ref row"
checks=$((checks + 1))
[ "$("$PB_BUILD/tamper" oldref.ledger state-get "$ref_key")" = 4 ] || fail "reindex kept the old ref row"
POOLBOOK_LEDGER=$work/oldref.ledger expect_error 1 \
  "reference INV-1001 is already used by $exp_id for pool BCF24" "${same_ref[@]}"

# ---- a ledger an older poolbook wrote: its m:<ID> rows held a copy of each
# money entry, with the same needs_approval / needs_host_signatory /
# reversed_by members, which are read still (docs/formats.md); reindex
# rewrites them. The old rows here claim more than the contribution needed,
# so the refusals show that they are read. ----
cp "$POOLBOOK_LEDGER" old.ledger
old_row() { # NEEDS_HOST REVERSED_BY_MEMBER
  printf '{"amount":"500000.00","by":"DCC","date":"2024-05-01","id":"dcc-ibcf-may","needs_approval":false,"needs_host_signatory":%s,"pool":"BCF24",%s"stream":"IBCF","type":"contribution"}' \
    "$1" "$2" >old-row.json
  "$PB_BUILD/tamper" old.ledger state-put m:dcc-ibcf-may old-row.json || fail "tamper state-put"
}
old_row true ""
POOLBOOK_LEDGER=$work/old.ledger expect_error 1 "still needs a signatory signature of: DCC" \
  post reversal --target dcc-ibcf-may --date 2024-07-01 --reason 'paid twice' -k dcc-fin.key
old_row false '"reversed_by":"rev-earlier",'
POOLBOOK_LEDGER=$work/old.ledger expect_error 1 "dcc-ibcf-may was already reversed by rev-earlier" \
  post reversal --target dcc-ibcf-may --date 2024-07-01 --reason 'paid twice' -k dcc-fin.key
checks=$((checks + 1))
POOLBOOK_LEDGER=$work/old.ledger "$P" reindex >/dev/null 2>&1 || fail "reindex of the old ledger"
POOLBOOK_LEDGER=$work/old.ledger expect_post "appended at index" reversal --target dcc-ibcf-may \
  --date 2024-07-01 --reason 'paid twice' -k dcc-fin.key
checks=$((checks + 1))
POOLBOOK_LEDGER=$work/old.ledger "$P" verify >/dev/null 2>&1 || fail "verify of the old ledger"

echo "post_cli: $checks checks, $fails failures"
[ "$fails" -eq 0 ]
