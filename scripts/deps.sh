#!/usr/bin/env bash
# deps.sh — install the Debian packages poolbook needs, only those missing.
# usage: bash scripts/deps.sh build|test
# "build" is what the library and command need; "test" adds the independent
# oracles the tests compare against (minisign, Go's sumdb packages, Python,
# hledger and ledger for the exported journal; openpyxl, xmllint and chromium
# for the statements; curl for the server's tests; dpkg-dev (dpkg-shlibdeps), groff
# and man-db for the package, its manual page and the first-hour page; clang and its
# libFuzzer runtime for the clang build and the fuzz targets).
set -euo pipefail
build=(cmake gcc make pkgconf liblmdb-dev libsodium-dev libjansson-dev libcmocka-dev libcsv-dev
       libxlsxwriter-dev libmicrohttpd-dev)
test=(minisign golang-go golang-golang-x-mod-dev python3 python3-nacl hledger ledger
      python3-openpyxl libxml2-utils chromium curl dpkg-dev groff-base man-db clang
      libclang-rt-14-dev)
want=("${build[@]}")
if [ "${1:-build}" = test ]; then
  want+=("${test[@]}")
fi
missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "poolbook: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
