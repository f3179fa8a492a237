#!/usr/bin/env bash
# bounded_input.sh — issue 13 item 5: a limit on every input, checked while
# reading. A bundle, a batch or a draft without a newline (/dev/zero) stops at
# its line limit at once; an import over PB_BATCH_RECORDS_MAX rows is refused
# before a record is built, naming the file; numeric options are whole
# decimal numbers in range, nothing else.
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
before=$(root)
# Limits from the header: a bundle line, a record, a draft.
hdr=$PB_SRC/include/poolbook.h
record=$(sed -n 's/^#define PB_RECORD_BYTES_MAX \([0-9]*\)$/\1/p' "$hdr")
[ -n "$record" ] || fail "PB_RECORD_BYTES_MAX not found in poolbook.h"
bundle_line=$((record + 1024))
draft=$((record * 2))
# Run under ulimit -v, unless ASan (it reserves terabytes of shadow memory).
memlimit=(bash -c 'ulimit -v 400000 && exec "$@"' memlimit)
[ "${PB_SANITIZE:-OFF}" != ON ] || memlimit=(env)

# expect CODE LINE cmd...: exit code and exact line within 20 s, ledger unchanged.
expect() {
  local code=$1 line=$2
  shift 2
  set +e
  timeout 20 "$@" >out.txt 2>err.txt
  local got=$?
  set -e
  [ "$got" = "$code" ] || fail "$* exited $got, not $code: $(head -c 300 err.txt)"
  [ "$(cat err.txt)" = "$line" ] || fail "$*: got '$(head -c 300 err.txt)', want '$line'"
  [ "$(root)" = "$before" ] || fail "$*: the ledger changed"
}
expect 1 "poolbook: error: the line is over $bundle_line bytes (/dev/zero line 1)" \
  "${memlimit[@]}" "$P" verify --bundle /dev/zero
expect 1 "poolbook: error: line 1 is longer than 1048576 bytes (/dev/zero)" \
  "${memlimit[@]}" "$P" append /dev/zero
expect 1 "poolbook: error: line 1 is longer than 1048576 bytes (stdin)" \
  "${memlimit[@]}" sh -c "\"$P\" append - </dev/zero"
expect 1 "poolbook: error: input is larger than $draft bytes (/dev/zero)" \
  "${memlimit[@]}" "$P" sign /dev/zero -k dcc-fin.key
head -c $((draft + 10)) /dev/zero | tr '\0' '\n' >tall.json
expect 1 "poolbook: error: input is larger than $draft bytes (tall.json)" "$P" sign tall.json -k dcc-fin.key
ok "bundles, batches (file and stdin) and drafts stop at their limits while reading"

# A bundle header's counts claim what is to come; memory follows the lines
# read, not the claim (fuzz_bundle found a header of 422,222,222 keys cost
# 6.7 GB of calloc before the first key line).
"$P" export --format jsonl -o genuine.jsonl
lines=$(wc -l <genuine.jsonl)
python3 - <<'PY'
import json
lines = open("genuine.jsonl").read().split("\n")
h = json.loads(lines[0])
h["keys"] = 422222222
lines[0] = json.dumps(h, sort_keys=True, separators=(",", ":"))
open("claims.jsonl", "w").write("\n".join(lines))
PY
expect 1 "poolbook: error: the bundle ends early: its header lists 2 checkpoints and 422222222 keys after the records (claims.jsonl line $((lines + 1)))" \
  "${memlimit[@]}" "$P" verify --bundle claims.jsonl
ok "a bundle header claiming 422,222,222 keys is read line by line under a 400 MB limit"

python3 - <<'PY'
with open("huge.csv", "w") as f:
    f.write("Period,Trans Date,Account,Account Name,Cost Centre,Cost Centre Name,Supplier,Description,Doc No,Net Amount\n")
    f.write(",,,,,,,,,\n" * 1000001)
PY
expect 1 "poolbook: error: 1000001 data rows: more than 1000000 rows to import in one batch (huge.csv)" \
  "${memlimit[@]}" "$P" import huge.csv --map "$PB_SRC/tests/data/import/map-gl.json" -k dcc-fin.key
ok "an import over the row limit is refused before its rows are built, naming the file"

# The usage line each command prints with --help, as its errors quote it.
usage() { echo "(usage: $("$P" "$@" --help | head -1 | sed 's/^usage: //'))"; }
usage_log=$(usage log)
for bad in +1 " 1" 1e3 0x10 1.0 ""; do
  expect 2 "poolbook: error: --from must be a whole number, not '$bad' $usage_log" "$P" log --from "$bad"
done
# --from takes a date as well as an index: with a '-' it is read as a date.
expect 2 "poolbook: error: --from must be a date YYYY-MM-DD or an index, not '-1' $usage_log" \
  "$P" log --from -1
expect 2 "poolbook: error: --limit must be from 0 to 18446744073709551615, not '18446744073709551616' $usage_log" \
  "$P" log --limit 18446744073709551616
usage_verify=$(usage verify)
expect 2 "poolbook: error: --threads must be from 0 to 1024, not '1025' $usage_verify" \
  "$P" verify --threads 1025
expect 2 "poolbook: error: --threads must be a whole number, not '-1' $usage_verify" \
  "$P" verify --threads -1
expect 2 "poolbook: error: --size must be a whole number, not '7x' $(usage checkpoint)" \
  "$P" checkpoint --show --size 7x
expect 2 "poolbook: error: --size must be a whole number, not '-7' $(usage cosign)" \
  "$P" cosign -k aud.key --size -7
expect 2 "poolbook: error: INDEX must be a whole number, not '0x1' $(usage proof)" \
  "$P" proof inclusion 0x1
expect 2 "poolbook: error: INDEX must be from 0 to 18446744073709551615, not '99999999999999999999' $(usage show)" \
  "$P" show 99999999999999999999
"$P" checkpoint --show --size 7 | head -2 | tail -1 | grep -qx 7 || fail "--size 7 no longer works"
ok "numeric options are whole decimal numbers in range"
echo "bounded_input.sh: $checks checks passed"
