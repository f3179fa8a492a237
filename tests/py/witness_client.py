#!/usr/bin/env python3
"""witness_client.py -- a tlog-witness client written from the C2SP text alone
(c2sp.org/tlog-witness, c2sp.org/tlog-cosignature, c2sp.org/signed-note),
sharing no code with poolbook, used by tests/cli/witness_interop.sh to drive
`poolbook witness` and check what it returns.

usage: witness_client.py URL AUDITOR.pub NAME VKEY DIR
  URL        the witness (submission and monitoring prefix)
  AUDITOR.pub  the witness's minisign public key file
  NAME       the witness's key name; VKEY its verifier key as it printed it
  DIR        holds note-A.txt (a checkpoint at size A), note-B.txt (at B > A)
             and proof-A-B.json (`poolbook proof consistency A B`)

Checks, each against the spec's words: the verifier key is
name+hex(key ID)+base64(0x04 || key) with key ID = SHA-256(name || "\\n" ||
0x04 || key)[:4]; a first request "old 0" with no proof is cosigned (200, note
signature lines); each cosignature is base64(key ID || u64 big-endian
timestamp || Ed25519 signature) over "cosignature/v1\\ntime <t>\\n" followed by
the note body, and verifies with PyNaCl; a stale old size gets 409 with
Content-Type text/x.tlog.size and the size held; the proof from A to B is
cosigned; a spoiled proof gets 422; an old size above the checkpoint's 400.
Prints one line per check; exits 1 on the first failure.
"""
import base64
import hashlib
import sys
import time
import urllib.error
import urllib.request

import nacl.signing

DASH = "\u2014"


def fail(msg):
    print("witness_client.py: FAIL: " + msg)
    sys.exit(1)


def post(url, body):
    req = urllib.request.Request(url + "/add-checkpoint", data=body.encode(), method="POST")
    try:
        r = urllib.request.urlopen(req, timeout=10)
        return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def minisign_key(path):
    """The Ed25519 key of a minisign public key file: base64 of "Ed" ||
    key number (8) || key (32) on its second line."""
    raw = base64.b64decode(open(path).read().splitlines()[1])
    if len(raw) != 42 or raw[:2] != b"Ed":
        fail(path + " is not a minisign Ed25519 public key")
    return raw[10:]


def body_of(note):
    """The note body: the text up to and including the newline before the
    blank line that separates it from the signatures."""
    i = note.index("\n\n")
    return note[: i + 1]


def check_cosignature(line, name, key, body, key_id):
    if not line.startswith(DASH + " " + name + " "):
        fail("not a signature line by %s: %r" % (name, line))
    blob = base64.b64decode(line.rsplit(" ", 1)[1], validate=True)
    if len(blob) != 4 + 8 + 64:
        fail("a cosignature/v1 is 76 bytes, this is %d" % len(blob))
    if blob[:4] != key_id:
        fail("key ID %s, the spec derives %s" % (blob[:4].hex(), key_id.hex()))
    timestamp = int.from_bytes(blob[4:12], "big")
    if timestamp >= 2**63 or abs(timestamp - time.time()) > 3600:
        fail("timestamp %d is not the time of signing" % timestamp)
    msg = ("cosignature/v1\ntime %d\n" % timestamp).encode() + body.encode()
    nacl.signing.VerifyKey(key).verify(msg, blob[12:])  # raises on a bad signature
    return timestamp


def main():
    if len(sys.argv) != 6:
        print(__doc__)
        sys.exit(2)
    url, pub, name, vkey, d = sys.argv[1:]
    key = minisign_key(pub)
    key_id = hashlib.sha256(name.encode() + b"\n\x04" + key).digest()[:4]
    want_vkey = "%s+%s+%s" % (name, key_id.hex(), base64.b64encode(b"\x04" + key).decode())
    if vkey != want_vkey:
        fail("verifier key %s, the spec gives %s" % (vkey, want_vkey))
    print("ok: verifier key and key ID derived from the spec: " + key_id.hex())

    note_a = open(d + "/note-A.txt").read()
    note_b = open(d + "/note-B.txt").read()
    size_a = int(note_a.split("\n")[1])
    size_b = int(note_b.split("\n")[1])
    import json

    proof = json.load(open(d + "/proof-A-B.json"))["proof"]

    status, ctype, text = post(url, "old 0\n\n" + note_a)
    if status != 200:
        fail("first request: %d %s" % (status, text))
    lines = text.splitlines()
    if not lines or any(not l.startswith(DASH + " ") for l in lines):
        fail("the 200 body is not note signature lines: %r" % text)
    t = check_cosignature(lines[0], name, key, body_of(note_a), key_id)
    print("ok: old 0 cosigned size %d at time %d; signature verified with PyNaCl" % (size_a, t))

    status, ctype, text = post(url, "old 0\n\n" + note_b)
    if status != 409 or ctype.split(";")[0].strip() != "text/x.tlog.size" or text != "%d\n" % size_a:
        fail("stale old size: %d %r %r" % (status, ctype, text))
    print("ok: stale old size answered 409 text/x.tlog.size %d" % size_a)

    spoiled = list(proof)
    h = bytearray(base64.b64decode(spoiled[0]))
    h[0] ^= 1
    spoiled[0] = base64.b64encode(bytes(h)).decode()
    status, ctype, text = post(url, "old %d\n%s\n%s" % (size_a, "".join(p + "\n" for p in spoiled), note_b))
    if status != 422:
        fail("spoiled proof: %d %s" % (status, text))
    print("ok: a spoiled consistency proof answered 422")

    status, ctype, text = post(url, "old %d\n\n%s" % (size_b + 1, note_b))
    if status != 400:
        fail("old size above the checkpoint: %d %s" % (status, text))
    print("ok: an old size above the checkpoint answered 400")

    status, ctype, text = post(url, "old %d\n%s\n%s" % (size_a, "".join(p + "\n" for p in proof), note_b))
    if status != 200:
        fail("proof from %d to %d: %d %s" % (size_a, size_b, status, text))
    check_cosignature(text.splitlines()[0], name, key, body_of(note_b), key_id)
    print("ok: the proof from %d to %d cosigned; signature verified" % (size_a, size_b))

    origin = note_b.split("\n")[0]
    latest = urllib.request.urlopen(url + "/latest/" + origin, timeout=10).read().decode()
    if body_of(latest) != body_of(note_b):
        fail("GET /latest is not the checkpoint of size %d" % size_b)
    mine = [l for l in latest.splitlines() if l.startswith(DASH + " " + name + " ")]
    if len(mine) != 1:
        fail("GET /latest holds %d lines by the witness" % len(mine))
    check_cosignature(mine[0], name, key, body_of(note_b), key_id)
    print("ok: GET /latest/%s gives size %d with a verifying cosignature" % (origin, size_b))


if __name__ == "__main__":
    main()
