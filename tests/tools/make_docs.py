#!/usr/bin/env python3
"""make_docs.py — signed document records for load tests, made without
poolbook (python3-nacl): the canonical entry is json.dumps(sort_keys=True,
separators=(",", ":"), ensure_ascii=False) (DESIGN 3), the signed message
"poolbook-entry-v1\\n" + that, the key an unencrypted minisign secret key
made by `poolbook keygen -W`. poolbook must admit them as its own.

  make_docs.py SECKEY ORIGIN CREATED FIRST LAST OUTDIR

writes OUTDIR/doc-<i>.json for FIRST <= i <= LAST, each one canonical line
(entry id "doc-<i>", title "Minutes <i>").
"""
import base64
import hashlib
import json
import struct
import sys

from nacl.signing import SigningKey


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def main(argv):
    key_path, origin, created, first, last, outdir = argv
    raw = base64.b64decode(open(key_path).read().splitlines()[1], validate=True)
    assert len(raw) == 158 and raw[:2] == b"Ed" and raw[2:4] == b"\0\0", "an unencrypted key"
    keyid = "%016X" % struct.unpack("<Q", raw[54:62])[0]
    key = SigningKey(raw[62:94])
    for i in range(int(first), int(last) + 1):
        text = ("Minutes of meeting %d\n" % i).encode()
        entry = {"v": 1, "type": "document", "id": "doc-%d" % i, "ledger": origin,
                 "created": created, "sha256": hashlib.sha256(text).hexdigest(),
                 "size": len(text), "title": "Minutes %d" % i}
        msg = b"poolbook-entry-v1\n" + canonical(entry).encode()
        sig = base64.b64encode(key.sign(msg).signature).decode()
        record = {"entry": entry, "sigs": [{"key": keyid, "sig": sig}]}
        with open("%s/doc-%d.json" % (outdir, i), "w") as f:
            f.write(canonical(record) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
