#!/usr/bin/env bash
# canon_python.sh — canonical JSON against an independent oracle (DESIGN 3):
# for every file of the corpus tests/data/canon/*.json, and for a random
# corpus written by tests/tools/canon_gen.py under a printed seed, the bytes
# of canon_dump must equal Python's
#   json.dumps(json.load(f), sort_keys=True, separators=(",",":"), ensure_ascii=False)
# encoded as UTF-8, byte for byte. PB_CANON_SEED and PB_CANON_COUNT repeat or
# widen a run.
set -euo pipefail
: "${PB_SRC:?}" "${PB_BUILD:?}"
tool="$PB_BUILD/canon_dump"
[ -x "$tool" ] || { echo "canon_python: $tool not built"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Python's canonical form of every DIR/*.json, into OUT/<name>.py.
oracle() {
  python3 - "$1" "$2" <<'PY'
import json, os, sys
src, out = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(src)):
    if name.endswith(".json"):
        with open(os.path.join(src, name), encoding="utf-8", newline="") as f:
            canon = json.dumps(json.load(f), sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False)
        with open(os.path.join(out, name[:-5] + ".py"), "wb") as f:
            f.write(canon.encode("utf-8"))
PY
}

fail=0
# Compare canon_dump with the oracle for every DIR/*.json; at least MIN files.
compare() {
  local dir=$1 out=$2 min=$3 n=0 name
  mkdir -p "$out"
  oracle "$dir" "$out"
  for f in "$dir"/*.json; do
    name=${f##*/}; name=${name%.json}
    n=$((n + 1))
    if ! "$tool" "$f" >"$out/$name.c"; then
      echo "FAIL $f: canon_dump refused a value in the subset"; fail=1; continue
    fi
    if ! cmp -s "$out/$name.py" "$out/$name.c"; then
      echo "FAIL $f: canon_dump and Python differ"
      echo "  python:     $(head -c 300 "$out/$name.py")"
      echo "  canon_dump: $(head -c 300 "$out/$name.c")"
      fail=1
    fi
  done
  if [ "$n" -lt "$min" ]; then
    echo "FAIL $dir: $n files, expected at least $min"; fail=1
  fi
  echo "canon_python: $n files compared in $dir"
}

compare "$PB_SRC/tests/data/canon" "$tmp/fixed" 30

seed=${PB_CANON_SEED:-20240401}
count=${PB_CANON_COUNT:-500}
echo "canon_python: random corpus of $count values, seed $seed (PB_CANON_SEED=$seed repeats it)"
mkdir -p "$tmp/random"
python3 "$PB_SRC/tests/tools/canon_gen.py" "$tmp/random" "$count" "$seed"
compare "$tmp/random" "$tmp/random-out" "$count"

[ "$fail" -eq 0 ] && echo "canon_python: all identical"
exit $fail
