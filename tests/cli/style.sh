#!/usr/bin/env bash
# style.sh — the rules a machine can check (STYLE 1, 14): every global symbol
# of the library starts with pb_; no banned unsafe functions; no floating
# point types in the library (nor in cli/ but the xlsx writer); every command
# answers --help.
set -euo pipefail
: "${PB_SRC:?}" "${PB_BUILD:?}" "${POOLBOOK:?}"
fail=0
lib="$PB_BUILD/libpoolbook.a"
# (ASan adds an __odr_asan.<name> symbol for each global variable <name>.)
bad=$(nm -g --defined-only "$lib" | awk 'NF==3 {print $3}' | sed 's/^__odr_asan\.//' |
      grep -v '^pb_' || true)
if [ -n "$bad" ]; then
  echo "global symbols without the pb_ prefix:"; echo "$bad"; fail=1
fi
# A call is the name and "(": English words ("ICB gets a penny") are not calls.
if grep -nE '\b(sprintf|strcpy|strcat|gets|atoi|strtok)[[:space:]]*\(' "$PB_SRC"/ledger/*/*.c \
   "$PB_SRC"/cli/*.c; then
  echo "banned functions used (above)"; fail=1
fi
if grep -nwE 'float|double' "$PB_SRC"/ledger/*/*.c "$PB_SRC"/ledger/*/*.h "$PB_SRC"/include/*.h; then
  echo "floating point in the library (above): money is int64_t pence"; fail=1
fi
# The command holds no floating point either, except where a spreadsheet
# number cell is written (an xlsx number is an IEEE double: render_xlsx.c).
# (A type or a cast, not the word in text such as "double-entry".)
if grep -nE '\b(float|double)([[:space:]]+[A-Za-z_*(]|\)|[[:space:]]*$)' "$PB_SRC"/cli/*.c \
   "$PB_SRC"/cli/*.h | grep -v '/cli/render_xlsx\.c:'; then
  echo "floating point in cli/ outside render_xlsx.c (above)"; fail=1
fi
# Every command in the table answers --help with exit 0 and a usage line.
cmds=$("$POOLBOOK" --help | awk '/^commands:/ {on=1; next} on && NF {print $1}')
for c in $cmds; do
  out=$("$POOLBOOK" "$c" --help) || { echo "$c --help failed"; fail=1; continue; }
  case "$out" in
    "usage: poolbook $c"*) ;;
    *) echo "$c --help prints no usage line"; fail=1 ;;
  esac
done
exit $fail
