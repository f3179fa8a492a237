#!/usr/bin/env bash
# minisign_interop.sh — poolbook keys and stock minisign work both ways
# (DESIGN 3): (a) keys made by `minisign -G -W` and `minisign -G` load in
# poolbook (through $PB_BUILD/key_sign, which uses the command's own
# cli_load_seckey) with the KEYID minisign printed, and their signatures verify
# with python3-nacl; (b) `minisign -S` signs with keys made by `poolbook keygen`
# (-W and with a passphrase) and `minisign -V` verifies against poolbook's .pub;
# (c) a wrong or missing passphrase exits 3 with one line on stderr; and
# keygen's refusals, file modes and terminal prompts behave as documented.
set -euo pipefail
: "${POOLBOOK:?}" "${PB_BUILD:?}" "${PB_SRC:?}"
KEY_SIGN="$PB_BUILD/key_sign"
command -v minisign >/dev/null || { echo "minisign is not installed (scripts/deps.sh test)"; exit 1; }
PY=
for c in /usr/bin/python3 python3; do
  if "$c" -c 'import nacl.signing' 2>/dev/null; then PY=$c; break; fi
done
[ -n "$PY" ] || { echo "python3-nacl is not installed (scripts/deps.sh test)"; exit 1; }
unset POOLBOOK_PASSPHRASE_FILE MINISIGN_PASSWORD
work=$(mktemp -d /tmp/pb-interop-XXXXXX)
trap '[ -n "${PB_KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$work"
printf 'Better Care Fund 2024/25 quarter 2 return\n' > msg.txt
checks=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }

# verify.py PUBFILE MSGFILE KEYID SIG_B64: the KEYID is minisign's %016X of the
# little-endian key number in PUBFILE, and the signature verifies (python3-nacl).
cat > verify.py <<'EOF'
import base64, sys
from nacl.signing import VerifyKey
pub_file, msg_file, keyid, sig_b64 = sys.argv[1:5]
lines = open(pub_file).read().splitlines()
assert lines[0].startswith("untrusted comment:"), lines[0]
raw = base64.b64decode(lines[1], validate=True)
assert len(raw) == 42 and raw[:2] == b"Ed", raw[:2]
want = "%016X" % int.from_bytes(raw[2:10], "little")
assert keyid == want, (keyid, want)
VerifyKey(raw[10:]).verify(open(msg_file, "rb").read(), base64.b64decode(sig_b64, validate=True))
EOF

# kdf.py SECFILE: print the kdf algorithm, opslimit and memlimit of a secret key file.
cat > kdf.py <<'EOF'
import base64, struct, sys
raw = base64.b64decode(open(sys.argv[1]).read().splitlines()[1], validate=True)
assert len(raw) == 158 and raw[:2] == b"Ed" and raw[4:6] == b"B2"
ops, mem = struct.unpack("<QQ", raw[38:54])
print(raw[2:4].decode() if raw[2:4] != b"\0\0" else "none", ops, mem)
EOF

# on_tty.py ANSWER... -- CMD...: run CMD on a new pseudo-terminal, typing each
# ANSWER at each passphrase prompt; print what the terminal showed, exit as CMD.
cat > on_tty.py <<'EOF'
import os, pty, signal, sys
sep = sys.argv.index("--")
answers, cmd = sys.argv[1:sep], sys.argv[sep + 1:]
signal.alarm(120)
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
seen, shown = b"", b""
while True:
    try:
        data = os.read(fd, 1024)
    except OSError:
        break
    if not data:
        break
    seen += data
    shown += data
    if answers and b"passphrase" in seen.lower() and seen.rstrip().endswith(b":"):
        os.write(fd, answers.pop(0).encode() + b"\n")
        seen = b""
_, status = os.waitpid(pid, 0)
sys.stdout.write(shown.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
EOF

sign_and_check() { # SECFILE PUBFILE WANT_KEYID [PASSFILE]
  local out keyid sig line
  out=$("$KEY_SIGN" "$1" msg.txt ${4:+"$4"}) || fail "key_sign $1 failed"
  keyid=$(sed -n 1p <<<"$out"); sig=$(sed -n 2p <<<"$out"); line=$(sed -n 3p <<<"$out")
  [ "$keyid" = "$3" ] || fail "$1: KEYID $keyid, expected '$3'; $2 is: $(cat "$2")"
  [ "$line" = "$(sed -n 2p "$2")" ] || fail "$1: public key differs from $2"
  "$PY" verify.py "$2" msg.txt "$keyid" "$sig" || fail "$1: signature does not verify"
}

# The KEYID minisign wrote in a .pub comment, as 16 digits: minisign 0.11
# prints it with "%" PRIX64, dropping leading zeros (1 key in 16); newer
# minisign pads it with %016.
minisign_keyid() {
  local id
  id=$(sed -n 's/^untrusted comment: minisign public key \([0-9A-F]\{1,16\}\)$/\1/p' "$1")
  [ -n "$id" ] || fail "no KEYID in minisign's $1: $(head -1 "$1")"
  while [ ${#id} -lt 16 ]; do id="0$id"; done
  echo "$id"
}

# (a) Keys made by stock minisign load in poolbook.
minisign -G -W -p ms_w.pub -s ms_w.key </dev/null >/dev/null
ms_w_id=$(minisign_keyid ms_w.pub)
sign_and_check ms_w.key ms_w.pub "$ms_w_id"
ok "minisign -G -W key loads; KEYID $ms_w_id; signature verifies with python3-nacl"

printf 'minisign pass phrase\n' > ms_e.pass
# minisign 0.11 reads the password from stdin when it is not a terminal.
printf 'minisign pass phrase\nminisign pass phrase\n' | minisign -G -p ms_e.pub -s ms_e.key >/dev/null 2>&1
ms_e_id=$(minisign_keyid ms_e.pub)
[ "$("$PY" kdf.py ms_e.key | cut -d' ' -f1)" = Sc ] || fail "minisign's key is not encrypted"
sign_and_check ms_e.key ms_e.pub "$ms_e_id" ms_e.pass
ok "minisign -G key with a passphrase (scrypt $("$PY" kdf.py ms_e.key | cut -d' ' -f2-)) loads"

# (b) Keys made by poolbook keygen work in stock minisign.
out=$("$POOLBOOK" keygen -W pw)
[ "$out" = "$(sed -n 's/^untrusted comment: poolbook public key //p' pw.pub) $(sed -n 2p pw.pub)" ] \
  || fail "keygen -W printed '$out'"
pw_id=${out%% *}
[ "$(stat -c %a pw.key)" = 600 ] || fail "pw.key mode $(stat -c %a pw.key)"
[ "$("$PY" kdf.py pw.key)" = "none 0 0" ] || fail "pw.key is not unencrypted"
minisign -S -s pw.key -m msg.txt -x pw.minisig </dev/null >/dev/null
minisign -V -p pw.pub -m msg.txt -x pw.minisig >/dev/null || fail "minisign -V rejects pw"
minisign -V -P "$(sed -n 2p pw.pub)" -m msg.txt -x pw.minisig >/dev/null || fail "minisign -V -P"
sign_and_check pw.key pw.pub "$pw_id"
ok "poolbook keygen -W: mode 600; minisign -S signs, minisign -V verifies; KEYID $pw_id"

printf 'poolbook pass phrase\n' > pe.pass
out=$("$POOLBOOK" keygen --passphrase-file pe.pass -c "DCC finance lead" pe)
pe_id=${out%% *}
[ "$(stat -c %a pe.key)" = 600 ] || fail "pe.key mode $(stat -c %a pe.key)"
ops=$(sed -n 's/^#define PB_KDF_OPSLIMIT \([0-9]*\)ULL$/\1/p' "$PB_SRC/include/poolbook.h")
mem=$(sed -n 's/^#define PB_KDF_MEMLIMIT \([0-9]*\)ULL$/\1/p' "$PB_SRC/include/poolbook.h")
[ "$("$PY" kdf.py pe.key)" = "Sc $ops $mem" ] || fail "pe.key kdf $("$PY" kdf.py pe.key)"
[ "$(head -1 pe.pub)" = "untrusted comment: DCC finance lead" ] || fail "comment not written"
printf 'poolbook pass phrase\n' | minisign -S -s pe.key -m msg.txt -x pe.minisig >/dev/null 2>&1 \
  || fail "minisign -S cannot unlock pe.key"
minisign -V -p pe.pub -m msg.txt -x pe.minisig >/dev/null || fail "minisign -V rejects pe"
printf 'poolbook pass phrase\n' | minisign -R -s pe.key -p pe.again.pub >/dev/null 2>&1
[ "$(sed -n 2p pe.again.pub)" = "$(sed -n 2p pe.pub)" ] || fail "minisign -R gives another key"
# minisign 0.11 prints a KEYID without its leading zeros (one key in 16).
grep -q "$(printf '%s' "$pe_id" | sed 's/^0*//')" pe.again.pub || fail "minisign -R prints another KEYID"
if printf 'wrong\n' | minisign -S -s pe.key -m msg.txt -x pe.bad.minisig >/dev/null 2>&1; then
  fail "minisign unlocked pe.key with a wrong passphrase"
fi
POOLBOOK_PASSPHRASE_FILE=pe.pass sign_and_check pe.key pe.pub "$pe_id"
ok "poolbook keygen with a passphrase: scrypt $ops/$mem read by minisign -S, -V and -R"

# (c) A wrong or missing passphrase: exit 3 and one line on stderr.
expect_fail() { # EXIT_CODE STDERR_LINE CMD...
  local want=$1 line=$2 rc=0
  shift 2
  "$@" >out.txt 2>err.txt || rc=$?
  [ "$rc" = "$want" ] || fail "$* exited $rc, want $want: $(cat err.txt)"
  [ "$(wc -l <err.txt)" = 1 ] || fail "$*: stderr is not one line: $(cat err.txt)"
  [ "$(cat err.txt)" = "$line" ] || fail "$*: stderr '$(cat err.txt)', want '$line'"
  [ ! -s out.txt ] || fail "$*: wrote to stdout"
}
printf 'not it\n' > wrong.pass
expect_fail 3 "poolbook: error: wrong passphrase for secret key file (pe.key)" \
  "$KEY_SIGN" pe.key msg.txt wrong.pass
expect_fail 3 "poolbook: error: wrong passphrase for secret key file (ms_e.key)" \
  env POOLBOOK_PASSPHRASE_FILE=wrong.pass "$KEY_SIGN" ms_e.key msg.txt
expect_fail 3 "poolbook: error: no passphrase: no terminal to ask on; use --passphrase-file FILE or \$POOLBOOK_PASSPHRASE_FILE (/dev/tty)" \
  setsid -w "$KEY_SIGN" pe.key msg.txt
expect_fail 3 "poolbook: error: cannot open passphrase file: No such file or directory (nope.pass)" \
  "$KEY_SIGN" pe.key msg.txt nope.pass
ok "wrong, missing and unreadable passphrases exit 3 with one line"

# keygen refusals: nothing is overwritten or left behind.
cp pw.key pw.key.before
expect_fail 3 "poolbook: error: key file exists already (pw.pub)" "$POOLBOOK" keygen -W pw
cmp -s pw.key pw.key.before || fail "keygen changed an existing key"
expect_fail 3 "poolbook: error: key file exists already (pw.key)" \
  "$POOLBOOK" keygen -W -p fresh.pub -s pw.key
[ ! -e fresh.pub ] || fail "keygen left fresh.pub behind"
: > empty.pass
expect_fail 3 "poolbook: error: the passphrase is empty; use -W for an unencrypted key (empty.pass)" \
  "$POOLBOOK" keygen --passphrase-file empty.pass e1
expect_fail 3 "poolbook: error: no passphrase: no terminal to ask on; use --passphrase-file FILE or \$POOLBOOK_PASSPHRASE_FILE (/dev/tty)" \
  setsid -w "$POOLBOOK" keygen e2
[ -z "$(ls e1.* e2.* 2>/dev/null)" ] || fail "a refused keygen left files"
usage="(usage: poolbook keygen [-W] [-p PUBFILE] [-s SECFILE] [-c COMMENT] [--passphrase-file FILE] [BASENAME])"
expect_fail 2 "poolbook: error: give BASENAME, or both -p and -s $usage" "$POOLBOOK" keygen -W
expect_fail 2 "poolbook: error: -W makes an unencrypted key: no --passphrase-file $usage" \
  "$POOLBOOK" keygen -W --passphrase-file pe.pass u1
expect_fail 2 "poolbook: error: the comment must be one line $usage" \
  "$POOLBOOK" keygen -W -c "$(printf 'two\nlines')" u2
expect_fail 2 "poolbook: error: one BASENAME at most $usage" "$POOLBOOK" keygen -W u3 u4
ok "keygen refusals: existing files, empty or missing passphrase, usage errors"

# The terminal: keygen asks twice with echo off; a mismatch makes nothing.
shown=$("$PY" on_tty.py 'typed secret' 'typed secret' -- "$POOLBOOK" keygen pt) \
  || fail "keygen on a terminal: $shown"
grep -q "New passphrase for pt.key: " <<<"$shown" || fail "no prompt: $shown"
! grep -q "typed secret" <<<"$shown" || fail "the passphrase was echoed"
[ "$(stat -c %a pt.key)" = 600 ] || fail "pt.key mode"
shown=$("$PY" on_tty.py 'typed secret' -- "$KEY_SIGN" pt.key msg.txt) || fail "unlock on a terminal"
grep -q "Passphrase for pt.key: " <<<"$shown" || fail "no unlock prompt: $shown"
rc=0
shown=$("$PY" on_tty.py 'one thing' 'another' -- "$POOLBOOK" keygen pm) || rc=$?
[ "$rc" = 3 ] || fail "mismatched passphrases exited $rc"
grep -q "poolbook: error: the two passphrases differ (terminal)" <<<"$shown" || fail "$shown"
[ ! -e pm.pub ] && [ ! -e pm.key ] || fail "mismatched passphrases left files"
ok "terminal: asked twice without echo, unlocks, a mismatch exits 3 and makes nothing"

echo "minisign_interop: $checks groups of checks passed"
