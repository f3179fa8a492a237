#!/usr/bin/env bash
# install.sh — poolbook as people install it: `cmake --install` puts the
# command, poolbook(1) and the bash and zsh completions in the usual places;
# the manual lists every command and every option each command's --help
# lists (both come from the same tables) and renders without a warning;
# `poolbook --version` names the libraries; the bash completion completes
# commands, options, entry types and the ledger's pool and partner ids; and
# `cpack -G DEB` makes a package with its library dependencies declared that
# unpacks into a clean folder and runs.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_SRC:?}" "${PB_BUILD:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/pb-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0
fail() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}

# ---- cmake --install ----
cmake --install "$PB_BUILD" --prefix "$work/usr" >/dev/null
for f in bin/poolbook share/man/man1/poolbook.1 share/bash-completion/completions/poolbook \
         share/zsh/vendor-completions/_poolbook; do
  [ -f "$work/usr/$f" ] || fail "cmake --install did not install $f"
done
P=$work/usr/bin/poolbook
version=$("$P" --version)
for lib in "poolbook [0-9]+\.[0-9]+\.[0-9]+" "lmdb [0-9.]+" "libsodium [0-9.]+" \
           "jansson [0-9.]+" "libxlsxwriter [0-9.]+" "libcsv [0-9.]+"; do
  grep -Eq "^ *$lib" <<<"$version" || fail "--version lacks $lib: $version"
done

# ---- the manual agrees with --help ----
man1=$work/usr/share/man/man1/poolbook.1
warnings=$(groff -man -Tutf8 -ww -z "$man1" 2>&1) || fail "groff failed on poolbook.1"
[ -z "$warnings" ] || fail "poolbook.1 renders with warnings: $warnings"
page=$(groff -man -rcR=1 -rHY=0 -Tutf8 -P-cbou "$man1" 2>/dev/null)
for c in $("$P" __complete commands); do
  grep -q "^POOLBOOK $c\$" <<<"$page" || fail "the manual has no section for $c"
  for opt in $("$P" "$c" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
    [ "$opt" = --help ] && continue
    # The option in the command's own section of the page.
    section=$(awk -v c="POOLBOOK $c" '$0 == c {on=1; next} /^POOLBOOK / {on=0} on' <<<"$page")
    grep -q -- "$opt" <<<"$section" || fail "the manual's $c section lacks $opt"
  done
done

# ---- bash completion ----
cd "$work"
export POOLBOOK_NOW=2024-06-30T12:00:00Z POOLBOOK_LEDGER=$work/l.ledger
for k in dcc-sig icb-sig op; do
  cp "$PB_SRC/tests/data/keys/$k.pub" "$PB_SRC/tests/data/keys/$k.key" .
  chmod 600 "$k.key"
done
"$P" init >/dev/null
"$P" new genesis --origin example.gov.uk/c --partner DCC:council:"D C C" \
  --partner ICB:icb:"I C B" --key DCC:signatory:dcc-sig.pub --key ICB:signatory:icb-sig.pub \
  --key DCC:operator:op.pub -o g.json 2>/dev/null
"$P" sign g.json -k dcc-sig.key 2>/dev/null
"$P" sign g.json -k icb-sig.key 2>/dev/null
"$P" append g.json >/dev/null
"$P" new pool.agree --file "$PB_SRC/examples/demo/pool.json" -o a.json 2>/dev/null
"$P" sign a.json -k dcc-sig.key 2>/dev/null
"$P" sign a.json -k icb-sig.key 2>/dev/null
"$P" append a.json >/dev/null
# complete LINE: the words bash would offer at the end of LINE.
complete_line() {
  bash -c '
    . "$1"
    read -ra COMP_WORDS <<<"$2"
    case $2 in *" ") COMP_WORDS+=("") ;; esac
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _poolbook
    printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
    _ "$work/usr/share/bash-completion/completions/poolbook" "$1"
}
check_completion() {
  local got
  got=$(complete_line "$1")
  [[ " $got" == *" $2 "* ]] || fail "completing '$1' offers '$got', not $2"
}
check_completion "$P sta" "statement"
check_completion "$P sta" "statements"
check_completion "$P post con" "contribution"
check_completion "$P new pool." "pool.agree"
check_completion "$P post --d" "--dry-run"
check_completion "$P statement --pool " "BCF24"
check_completion "$P statement --pool BCF24 --partner " "ICB"
check_completion "$P pool show " "BCF24"

# ---- cpack -G DEB, unpacked into a clean folder ----
cpack -G DEB --config "$PB_BUILD/CPackConfig.cmake" -B "$work/pkg" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack -G DEB failed"; }
deb=$(ls "$work"/pkg/poolbook_*.deb 2>/dev/null | head -1)
if [ -n "$deb" ]; then
  depends=$(dpkg-deb -f "$deb" Depends)
  for lib in liblmdb libsodium libjansson libxlsxwriter libcsv; do
    grep -q "$lib" <<<"$depends" || fail "the package does not depend on $lib: $depends"
  done
  dpkg-deb -x "$deb" "$work/root"
  "$work/root/usr/bin/poolbook" --version | head -1 | grep -Eq '^poolbook [0-9]' ||
    fail "the packaged poolbook --version failed"
  [ -f "$work/root/usr/share/man/man1/poolbook.1" ] || fail "the package has no manual page"
  [ -f "$work/root/usr/share/bash-completion/completions/poolbook" ] ||
    fail "the package has no bash completion"
else
  fail "cpack made no .deb"
fi

if [ "$fails" -ne 0 ]; then
  echo "install: $fails failures"
  exit 1
fi
echo "install: ok"
