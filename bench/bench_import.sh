#!/usr/bin/env bash
# bench_import.sh — the rate of `poolbook import` of an N-row CSV extract,
# against `poolbook append` of the very same signed entries as JSON lines into
# an identical ledger, measured in the same run; prints both rates and their
# ratio (import rate / append rate). Import also parses the CSV, builds each
# draft and signs it; append only parses and stores.
# usage: bash bench/bench_import.sh [ROWS] [BUILD_DIR]   (default 100000, build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-100000}
P=$(cd "${2:-$root/build}" && pwd)/poolbook
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-bench-import.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
. "$root/bench/found.sh"
python3 - "$rows" <<'PY'
import sys
centres = ["CC4101", "CC4102", "CC4103"]
with open("rows.csv", "w", newline="") as f:
    f.write("Period,Trans Date,Account,Account Name,Cost Centre,Cost Centre Name,"
            "Supplier,Description,Doc No,Net Amount\r\n")
    for i in range(int(sys.argv[1])):
        f.write(f"2024/01,{1 + i % 28:02d}/0{4 + i % 6}/2024,51100,Payments,{centres[i % 3]},"
                f'Scheme,Provider {i % 50},Package {i},INV-{i:06d},"{1 + i % 900:,}.{i % 100:02d}"\r\n')
PY
now() { date +%s.%N; }
found import
t0=$(now)
"$P" import rows.csv --map "$root/tests/data/import/map-gl.json" -k dcc-fin.key >/dev/null
t1=$(now)
"$P" log --json | python3 -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    if o["index"] >= 2:
        print(json.dumps(o["record"], sort_keys=True, separators=(",", ":"), ensure_ascii=False))
' >rows.jsonl
found append
t2=$(now)
"$P" append rows.jsonl >/dev/null
t3=$(now)
python3 - "$rows" "$t0" "$t1" "$t2" "$t3" <<'PY'
import sys
n = int(sys.argv[1]); t0, t1, t2, t3 = map(float, sys.argv[2:])
imp, app = n / (t1 - t0), n / (t3 - t2)
print(f"import: {n} rows in {t1 - t0:.2f} s, {imp:,.0f} rows/s")
print(f"append: {n} records (same entries, JSON lines) in {t3 - t2:.2f} s, {app:,.0f} records/s")
print(f"ratio import/append: {imp / app:.2f}")
PY
