# realistic_ledger.sh — sourced by CLI tests (bundle.sh, export_csv.sh): builds
# in the current directory, with the fixed test keys, a small ledger with a bit
# of everything: genesis, documents (a title with a comma and quotes), the
# demo's BCF pool agreement, contributions, spending, forecasts, a virement,
# a reversal, a closed quarter, and two checkpoints cosigned by the auditor.
# Needs $P (poolbook), $PB_SRC and $POOLBOOK_LEDGER; POOLBOOK_NOW is set per step.
# Afterwards: 17 records (0..16); checkpoints at sizes 7 and 17, each cosigned;
# 7 bound keys (stranger.pub is the ICB's second finance key, from record 15).
# shellcheck source=genesis_ledger.sh
. "$PB_SRC/tests/support/genesis_ledger.sh"
realistic_ledger() {
  export POOLBOOK_NOW=2024-04-01T09:00:00Z
  genesis_ledger
  printf 'Section 75 agreement, signed copy\n' >s75.txt
  printf 'Board minutes, April\n' >minutes.txt
  "$P" post document s75.txt --title 'Section 75 agreement, "BCF 2024/25"' --id s75 \
    -k dcc-fin.key >/dev/null
  "$P" post document minutes.txt --title 'Board minutes, April 2024' --id minutes-apr \
    -k icb-fin.key >/dev/null
  "$P" new pool.agree --file "$PB_SRC/examples/demo/pool.json" --id agree-bcf24 \
    -o agree.json 2>/dev/null
  "$P" sign agree.json -k dcc-sig.key 2>/dev/null
  "$P" sign agree.json -k icb-sig.key 2>/dev/null
  "$P" append agree.json >/dev/null
  export POOLBOOK_NOW=2024-04-30T12:00:00Z
  "$P" post contribution --pool BCF24 --partner ICB --stream NHSMIN --amount '£2,000,000' \
    --date 2024-04-05 --ref NHS-2024-04 --memo 'April instalment, NHS minimum' --id con-icb-apr \
    -k icb-fin.key >/dev/null
  "$P" post contribution --pool BCF24 --partner DCC --stream IBCF --amount 700,000 \
    --date 2024-04-05 --id con-dcc-apr -k dcc-fin.key >/dev/null
  "$P" post expenditure --pool BCF24 --scheme S01 --amount 745,000.10 --date 2024-04-20 \
    --payee 'Derbyshire Reablement "Home First" Ltd' --ref INV-0420 --id exp-s01-apr \
    -k dcc-fin.key >/dev/null
  "$P" checkpoint -k op.key >/dev/null
  "$P" cosign -k aud.key >/dev/null
  export POOLBOOK_NOW=2024-06-30T12:00:00Z
  "$P" post expenditure --pool BCF24 --scheme S02 --amount 12,345.67 --date 2024-05-21 \
    --payee 'Provider 2' --ref INV-DUP --id exp-dup -k icb-fin.key >/dev/null
  "$P" post reversal --target exp-dup --date 2024-05-25 --reason 'duplicate invoice, paid twice' \
    --id rev-dup -k icb-fin.key >/dev/null
  "$P" post virement --pool BCF24 --from S03 --to S01 --amount 150,000 --date 2024-05-15 \
    --reason 'reablement demand' --id vir-may -k dcc-sig.key >/dev/null
  "$P" post expenditure --pool BCF24 --scheme S04 --amount 900,000 --date 2024-06-20 \
    --payee 'Discharge to assess' --id exp-s04-jun -k icb-fin.key >/dev/null
  "$P" post contribution --pool BCF24 --partner ICB --stream DISCH --amount '£133,333.33' \
    --date 2024-06-05 --id con-icb-disch -k icb-fin.key >/dev/null
  "$P" post forecast --pool BCF24 --scheme S01 --amount 9,100,000 --date 2024-06-28 \
    --memo 'demand up; see minutes' --id fc-s01-q1 -k dcc-fin.key >/dev/null
  "$P" post forecast --pool BCF24 --scheme S04 --amount 10,950,000 --date 2024-06-28 \
    --id fc-s04-q1 -k icb-fin.key >/dev/null
  "$P" post period.close --pool BCF24 --period 2024/25-Q1 --id close-q1 \
    -k dcc-fin.key >/dev/null
  "$P" post key.add --partner ICB --role finance --pubkey stranger.pub --id key-icb-fin2 \
    -k icb-sig.key >/dev/null
  export POOLBOOK_NOW=2024-07-10T12:00:00Z
  "$P" post expenditure --pool BCF24 --scheme S06 --amount 250,000 --date 2024-07-10 \
    --payee 'Intermediate care' --id exp-s06-jul -k stranger.key >/dev/null
  "$P" checkpoint -k op.key >/dev/null
  "$P" cosign -k aud.key >/dev/null
}
