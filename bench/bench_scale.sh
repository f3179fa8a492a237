#!/usr/bin/env bash
# bench_scale.sh — issue 15's table at each ledger size: a BCF pool (two
# partners, three schemes) is loaded by `poolbook import` of a generated
# general-ledger extract of N rows (expenditure, with a DCC contribution every
# 500th row), then every figure is measured and printed as a ratio to its
# baseline measured in the same run:
#   raw   libsodium's Ed25519 verify rate on one core (bench_raw), doubled
#         for the two cores the goals assume ("2 x raw verify");
#   ledger `ledger -f JOURNAL balance` on the journal `export --format ledger`
#         writes from the very same ledger (when ledger-cli is installed).
# Peak RSS comes from /usr/bin/time (maximum resident set size).
# usage: bash bench/bench_scale.sh [SIZES] [BUILD_DIR]
#   SIZES is a comma-separated list (default 10000,100000; add 1000000 when
#   there is time: it takes tens of minutes on two shared cores).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sizes=${1:-10000,100000}
build=$(cd "${2:-$root/build}" && pwd)
P=$build/poolbook
[ -x "$P" ] && [ -x "$build/bench_raw" ] || { echo "bench_scale: build first ($build)" >&2; exit 3; }
[ -x /usr/bin/time ] || { echo "bench_scale: /usr/bin/time is needed for peak RSS" >&2; exit 3; }
LEDGER_CLI=$(command -v ledger || true)
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-bench-scale.XXXXXX")
trap '[ -n "${PB_KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$work"
. "$root/bench/found.sh"
# A build with verification that is not repeated (docs/verify.md): the
# verify figures are of a full replay, and the continued verify is shown too.
full=
if "$P" verify --help 2>&1 | grep -q -- --full; then full=--full; fi
# timed NAME CMD...: run CMD with stdout to NAME.out; NAME.t holds "seconds kbytes":
# the seconds from a nanosecond clock (time's own %e counts in 10 ms steps,
# and a statement takes less), the peak RSS from /usr/bin/time.
timed() {
  local name=$1 t0 t1
  shift
  t0=$(date +%s%N)
  /usr/bin/time -f '%M' -o "$name.rss" "$@" >"$name.out"
  t1=$(date +%s%N)
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", (b - a) / 1e9}') $(tail -n 1 "$name.rss")" >"$name.t"
}
# mean of R runs of a quick command, same format as timed.
timed_mean() {
  local name=$1 runs=$2 i
  shift 2
  for i in $(seq "$runs"); do timed "$name.$i" "$@"; done
  cat "$name".*.t | awk -v n="$runs" '{s += $1; if ($2 > m) m = $2} END {printf "%.4f %d\n", s / n, m}' >"$name.t"
}

results=$work/results.txt
: >"$results"
IFS=, read -r -a list <<<"$sizes"
for n in "${list[@]}"; do
  python3 - "$n" <<'PY'
import sys
centres = ["CC4101", "CC4102", "CC4103"]
with open("rows.csv", "w", newline="") as f:
    f.write("Period,Trans Date,Account,Account Name,Cost Centre,Cost Centre Name,"
            "Supplier,Description,Doc No,Net Amount\r\n")
    for i in range(int(sys.argv[1])):
        month = 4 + i % 6
        if i % 500 == 0:
            f.write(f"2024/01,{1 + i % 28:02d}/{month:02d}/2024,91000,Contribution,CC4101,"
                    f'Scheme,DCC,IBCF {i},CON-{i:07d},"-{1000 + i % 900:,}.00"\r\n')
        else:
            f.write(f"2024/01,{1 + i % 28:02d}/{month:02d}/2024,51100,Payments,{centres[i % 3]},"
                    f'Scheme,Provider {i % 50},Package {i},INV-{i:07d},"{1 + i % 900:,}.{i % 100:02d}"\r\n')
PY
  echo "$n raw $("$build/bench_raw" 600 20000)" >>"$results"
  found "import-$n"
  timed import "$P" import rows.csv --map "$root/tests/data/import/map-gl.json" -k dcc-fin.key
  "$P" log --json | python3 -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    if o["index"] >= 2:
        print(json.dumps(o["record"], sort_keys=True, separators=(",", ":"), ensure_ascii=False))
' >rows.jsonl
  ledger_bytes=$(stat -c %s "$POOLBOOK_LEDGER")
  found "append-$n"
  timed append "$P" append rows.jsonl
  rm -f rows.jsonl "$work/append-$n.ledger"*
  export POOLBOOK_LEDGER=$work/import-$n.ledger
  total=$(("$n" + 2))
  timed verify "$P" verify $full
  timed verify1 "$P" verify $full --threads 1
  kept_bytes=$(stat -c %s "$POOLBOOK_LEDGER-verified" 2>/dev/null || echo 0)
  timed statements "$P" statements --pool BCF24 --period 2024/25-Q1 --out "stmts-$n" -k op.key
  timed statement "$P" statement --pool BCF24 --partner ICB --period 2024/25-Q1
  "$P" export --format ledger -o journal.ledger
  journal_bytes=$(stat -c %s journal.ledger)
  if [ -n "$LEDGER_CLI" ]; then
    timed ledger "$LEDGER_CLI" -f journal.ledger balance
  else
    echo "0 0" >ledger.t
  fi
  timed_mean poolshow 5 "$P" pool show BCF24 --period 2024/25-Q1
  timed_mean explain 5 "$P" policy explain --pool BCF24 --period 2024/25-Q1
  timed_mean proof 5 "$P" proof inclusion $((total / 2))
  timed reindex "$P" reindex
  timed_mean again 3 "$P" verify
  for f in import append verify verify1 statements statement ledger poolshow explain proof reindex again; do
    echo "$n $f $(cat "$f.t")" >>"$results"
  done
  echo "$n bytes $ledger_bytes $journal_bytes $kept_bytes" >>"$results"
  rm -rf "stmts-$n" journal.ledger "$work/import-$n.ledger"*
done

python3 - "$results" "${LEDGER_CLI:-}" "$full" <<'PY'
import sys
have_ledger = bool(sys.argv[2])
continued = bool(sys.argv[3])
rows = {}
for line in open(sys.argv[1]):
    n, what, *vals = line.split()
    rows.setdefault(int(n), {})[what] = vals
print("poolbook bench_scale: rates against 2 x raw Ed25519 verify (libsodium, one core, "
      "measured before each size); times against `ledger balance` on the exported journal" +
      ("" if have_ledger else " (ledger-cli not installed: no ratio)"))
for n, r in sorted(rows.items()):
    raw = int(r["raw"][0])
    two = 2 * raw
    def sec(k): return float(r[k][0])
    def mb(k): return int(r[k][1]) / 1024
    def rate(k): return n / sec(k) if sec(k) > 0 else 0
    lsec, lmb = sec("ledger"), mb("ledger")
    print(f"\n== {n:,} money entries ==   raw verify {raw:,}/s, 2 x raw = {two:,}/s")
    for k, label in (("import", "import"), ("append", "append"),
                     ("verify", "verify --full" if continued else "verify"),
                     ("verify1", "verify --threads 1"), ("reindex", "reindex")):
        print(f"{label:24s} {sec(k):9.2f} s {rate(k):10,.0f}/s  {rate(k) / two:5.2f}x of 2 x raw"
              f"   peak RSS {mb(k):8.1f} MB")
    if have_ledger:
        print(f"{'ledger balance':24s} {lsec:9.2f} s                                 "
              f"peak RSS {lmb:8.1f} MB")
    for k, label in (("statement", "statement (ICB, Q1)"), ("statements", "statements (all)"),
                     ("poolshow", "pool show"), ("explain", "policy explain"),
                     ("proof", "proof inclusion"),
                     ("again", "verify, nothing new" if continued else "verify again")):
        ratio = f"{lsec / sec(k):9.1f}x faster than ledger" if have_ledger and sec(k) > 0 else ""
        mem = f"  {100 * mb(k) / lmb:6.1f}% of its memory" if have_ledger and lmb > 0 else ""
        print(f"{label:24s} {sec(k) * 1000:9.1f} ms {ratio}   peak RSS {mb(k):8.1f} MB{mem}")
    led, jour, kept = (int(x) for x in r["bytes"])
    print(f"{'bytes per entry':24s} ledger file {led / n:,.0f}, journal {jour / n:,.0f}, "
          f"verifier's state file {kept / n:,.0f}")
PY
