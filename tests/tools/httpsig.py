#!/usr/bin/env python3
"""httpsig.py — an independent RFC 9421 client for the server's tests, on
python3-nacl: signs "@method" "@path" "@authority" (and "content-digest",
RFC 9530 sha-256, with a body) with an unencrypted minisign secret key made
by `poolbook keygen -W`, keyid = its 16-hex KEYID, alg="ed25519", sends the
request and prints the status on the first line, then the body.

  httpsig.py SECKEY METHOD URL [BODYFILE] [--skew SECONDS] [--forge]
             [--no-digest] [--keyid KEYID]
  httpsig.py SECKEY POST URL --many BODYFILE...

--many sends one request per file, one after another on one connection, and
prints "<status> <file>" for each (a load client without a process a post).

--skew moves "created"; --forge changes one byte of the signature;
--no-digest leaves content-digest out of the covered components.
"""
import base64
import hashlib
import http.client
import struct
import sys
import time
import urllib.parse

from nacl.signing import SigningKey


def load_key(path):
    raw = base64.b64decode(open(path).read().splitlines()[1], validate=True)
    assert len(raw) == 158 and raw[:2] == b"Ed" and raw[2:4] == b"\0\0", "an unencrypted key"
    keynum = raw[54:62]
    seed = raw[62:94]
    return SigningKey(seed), "%016X" % struct.unpack("<Q", keynum)[0]


def main(argv):
    opts = {"--skew": "0", "--keyid": None}
    flags = set()
    args = []
    i = 0
    while i < len(argv):
        if argv[i] in opts:
            opts[argv[i]] = argv[i + 1]
            i += 2
        elif argv[i].startswith("--"):
            flags.add(argv[i])
            i += 1
        else:
            args.append(argv[i])
            i += 1
    key_path, method, url = args[:3]
    key, keyid = load_key(key_path)
    keyid = opts["--keyid"] or keyid
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    if "--many" in flags:
        for f in args[3:]:
            status, _ = send(conn, key, keyid, method, u, open(f, "rb").read(), opts, flags)
            print(status, f, flush=True)
        return
    body = open(args[3], "rb").read() if len(args) > 3 else b""
    status, data = send(conn, key, keyid, method, u, body, opts, flags)
    sys.stdout.write("%d\n" % status)
    sys.stdout.flush()
    sys.stdout.buffer.write(data)


def send(conn, key, keyid, method, u, body, opts, flags):
    components = [("@method", method), ("@path", u.path), ("@authority", u.netloc)]
    headers = {}
    if body:
        digest = "sha-256=:%s:" % base64.b64encode(hashlib.sha256(body).digest()).decode()
        headers["Content-Digest"] = digest
        if "--no-digest" not in flags:
            components.append(("content-digest", digest))
    created = int(time.time()) + int(opts["--skew"])
    params = "(%s);created=%d;keyid=\"%s\";alg=\"ed25519\"" % (
        " ".join('"%s"' % n for n, _ in components), created, keyid)
    base = "".join('"%s": %s\n' % (n, v) for n, v in components)
    base += '"@signature-params": ' + params
    sig = bytearray(key.sign(base.encode()).signature)
    if "--forge" in flags:
        sig[10] ^= 1
    headers["Signature-Input"] = "sig1=" + params
    headers["Signature"] = "sig1=:%s:" % base64.b64encode(bytes(sig)).decode()
    conn.request(method, u.path, body=body or None, headers=headers)
    resp = conn.getresponse()
    return resp.status, resp.read()


if __name__ == "__main__":
    main(sys.argv[1:])
