# ledger.sh — sourced by the import tests (tests/cli/import_cli.sh and the
# import-* cases of tests/data/bad/): in a folder holding the test keys and a
# ledger ($POOLBOOK_LEDGER) founded by genesis with DCC (host) and ICB, agree
# the pool of pool.json (BCF24: streams NHSMIN from ICB and IBCF from DCC;
# schemes S01, S02, S03), signed by both signatories. Needs $P and $PB_SRC.
"$P" new pool.agree --file "$PB_SRC/tests/data/import/pool.json" -o agree.json 2>/dev/null
"$P" sign agree.json -k dcc-sig.key 2>/dev/null
"$P" sign agree.json -k icb-sig.key 2>/dev/null
"$P" append agree.json >/dev/null
