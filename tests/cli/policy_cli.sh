#!/usr/bin/env bash
# policy_cli.sh — `poolbook policy check FILE`: a good policy passes; a bad one
# fails with exit 1 and the JSON path of the first fault (DESIGN 6).
set -uo pipefail
: "${POOLBOOK:?}"
P="$POOLBOOK"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 3
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

cat >good.json <<'JSON'
{"name": "host first 500k, then pro rata", "netting": "pool",
 "overspend": {"bands": [{"upto": "500000.00", "rule": {"split": "host"}},
                         {"rule": {"split": "contributions", "caps": {"ICB": "1000000.00"}, "residual": "DCC"}}]},
 "underspend": {"carry_forward": true}}
JSON
out=$("$P" policy check good.json) || fail "good policy refused"
[ "$out" = "good.json: policy ok" ] || fail "good policy output: $out"

cat >bad.json <<'JSON'
{"netting": "pool", "underspend": {"split": "host"},
 "overspend": {"bands": [{"upto": "1.00", "rule": {"split": "host"}},
                         {"rule": {"split": "fixed", "shares": {"DCC": "60", "ICB": "30"}}}]}}
JSON
"$P" policy check bad.json 2>err.txt
rc=$?
[ "$rc" -eq 1 ] || fail "bad policy exit $rc, want 1"
grep -qF 'overspend.bands[1].rule.shares: must sum to 100, not 90.00' err.txt ||
  fail "bad policy message: $(cat err.txt)"
grep -qF '$.overspend.bands[1].rule.shares' err.txt || fail "bad policy path: $(cat err.txt)"

# The file is named with the path, as new --file does.
grep -qF '(bad.json, $.overspend.bands[1].rule.shares)' err.txt || fail "bad policy file: $(cat err.txt)"

# Every template of policies/ passes, and says what it is in its name.
: "${PB_SRC:?}"
templates=0
for t in "$PB_SRC"/policies/*.json; do
  templates=$((templates + 1))
  out=$("$P" policy check "$t") || fail "template $t refused"
  [ "$out" = "$t: policy ok" ] || fail "template $t: $out"
  python3 -c 'import json, sys; n = json.load(open(sys.argv[1])).get("name", ""); sys.exit(len(n) < 20)' "$t" ||
    fail "template $t has no descriptive name"
  grep -qF "$(basename "$t")" "$PB_SRC/policies/README.md" || fail "template $t is not in policies/README.md"
done
[ "$templates" -ge 6 ] || fail "only $templates templates in policies/"

# docs/policies.md: a band whose bound lies below an earlier band's is not
# refused (mixed amount and percent_of_budget bounds cannot be compared before
# the budget is known); it takes nothing.
cat >down.json <<'JSON'
{"netting": "pool", "underspend": {"split": "planned"},
 "overspend": {"bands": [{"upto": "500000.00", "rule": {"split": "host"}},
                         {"upto": "100000.00", "rule": {"split": "planned"}},
                         {"rule": {"split": "contributions"}}]}}
JSON
"$P" policy check down.json >/dev/null || fail "a band bound below an earlier one was refused"

echo '{"netting": "pool", "overspend": 1.5}' >real.json
"$P" policy check real.json 2>/dev/null && fail "a JSON real was accepted"

"$P" policy frobnicate 2>/dev/null
[ $? -eq 2 ] || fail "unknown policy subcommand should exit 2"

echo "policy_cli: $fails failures"
[ "$fails" -eq 0 ]
