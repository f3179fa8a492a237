#!/usr/bin/env bash
# layers.sh — the library's arrows run one way (README "Layout"):
#   base <- log <- books <- interchange <- cli
# A file may include headers of its own layer and the layers below it, never
# above: the log knows nothing of pools. Checked twice: on the #include lines
# of the sources, and on the built objects (no log or base object refers to a
# symbol that only an upper layer defines), so a declaration copied by hand
# does not get round the rule.
set -euo pipefail
: "${PB_SRC:?}" "${PB_BUILD:?}"
fail=0
rank() {
  case "$1" in
    base) echo 0 ;; log) echo 1 ;; books) echo 2 ;; interchange) echo 3 ;; *) echo 9 ;;
  esac
}
layers="base log books interchange"
for layer in $layers; do
  mine=$(rank "$layer")
  for f in "$PB_SRC"/ledger/"$layer"/*.[ch]; do
    while IFS= read -r inc; do
      dir=${inc%%/*}
      if [ "$dir" = "$inc" ]; then
        # Only the public header may be included without a layer folder.
        [ "$inc" = poolbook.h ] || { echo "$f includes \"$inc\": name its layer folder"; fail=1; }
        continue
      fi
      if [ "$(rank "$dir")" -gt "$mine" ]; then
        echo "$f (layer $layer) includes \"$inc\" from the layer above ($dir)"; fail=1
      fi
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
  done
done
# server/ calls the library only through its public header (DESIGN 1: it
# holds no rules of its own), so it includes poolbook.h and server/ headers.
for f in "$PB_SRC"/server/*.[ch]; do
  [ -f "$f" ] || continue
  while IFS= read -r inc; do
    case "$inc" in
      poolbook.h | server/*) ;;
      *) echo "$f includes \"$inc\": server/ may include only poolbook.h and server/"; fail=1 ;;
    esac
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done
# The library has no other folders of sources.
if ls "$PB_SRC"/ledger/*.[ch] >/dev/null 2>&1; then
  echo "sources directly under ledger/: put each in its layer folder"; ls "$PB_SRC"/ledger/*.[ch]; fail=1
fi
# Objects: which layer defines each pb_ symbol, and which layers refer to it.
objdir="$PB_BUILD/CMakeFiles/poolbook_lib.dir/ledger"
if [ -d "$objdir" ]; then
  defs=$(mktemp); trap 'rm -f "$defs"' EXIT
  for layer in $layers; do
    for o in "$objdir/$layer"/*.o; do
      nm --defined-only -g "$o" | awk -v l="$layer" 'NF==3 {print $3, l}'
    done
  done | sort -u > "$defs"
  for layer in base log; do
    mine=$(rank "$layer")
    for o in "$objdir/$layer"/*.o; do
      for sym in $(nm -u "$o" | awk '{print $2}' | grep '^pb_' || true); do
        owner=$(awk -v s="$sym" '$1==s {print $2; exit}' "$defs")
        if [ -n "$owner" ] && [ "$(rank "$owner")" -gt "$mine" ]; then
          echo "$(basename "$o") (layer $layer) calls $sym, defined in $owner"; fail=1
        fi
      done
    done
  done
else
  echo "no objects at $objdir: build first"; fail=1
fi
[ $fail -eq 0 ] && echo "layers: every arrow runs base <- log <- books <- interchange"
exit $fail
