# bad_pool.sh — sourced by bad-input cases (tests/data/bad/<case>/setup) that
# need a pool in the fixture ledger: the two-partner pool BCF24 (DCC hosts;
# S01 5,000,000.00, S02 2,500,000.00, S03 500,000.00; virement limit
# 250,000.00), agreed by both signatories. Runs in the case's directory with
# $P and the fixture's keys.
cat >pool.json <<'JSON'
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
JSON
$P new pool.agree --file pool.json -o agree.json
$P sign agree.json -k dcc-sig.key
$P sign agree.json -k icb-sig.key
$P append agree.json
