#!/usr/bin/env python3
# canon_gen.py — write COUNT random JSON values of poolbook's subset (DESIGN 3)
# into DIR as 0000.json, 0001.json, ..., each in a random textual form (key
# order, indentation, \u escapes with surrogate pairs, "\/", surrounding
# whitespace), for tests/cli/canon_python.sh to compare canon_dump with Python.
# Usage: canon_gen.py DIR COUNT SEED. The same seed writes the same files.
import json
import random
import sys

INT_MAX = 2**53 - 1  # the subset's integer bound (ledger/log/canon.c)
DEPTH_MAX = 16  # PB_JSON_DEPTH_MAX

# Code point ranges strings draw from: everything but the control characters
# (U+0000-U+001F, U+007F-U+009F) and the surrogates.
RANGES = [
    (0x20, 0x7E),  # ASCII printable, with " \ /
    (0xA0, 0xFF),  # Latin-1: £ é ÿ
    (0x100, 0x17F),  # Latin Extended-A: ŵ ŷ
    (0x2000, 0x206F),  # punctuation, U+2028 and U+2029
    (0x4E00, 0x9FFF),  # CJK
    (0xE000, 0xFFFF),  # private use up to the non-characters
    (0x10000, 0x10FFFF),  # astral planes: emoji and beyond
]


def gen_string(rng, ascii_only):
    n = rng.choice([0, 1, 2, 5, 12, 30])
    ranges = RANGES[:1] if ascii_only else RANGES
    out = []
    for _ in range(n):
        lo, hi = rng.choice(ranges)
        out.append(chr(rng.randint(lo, hi)))
    return "".join(out)


def gen_int(rng):
    return rng.choice([
        0, 1, -1, INT_MAX, -INT_MAX, INT_MAX - 1, -INT_MAX + 1,
        rng.randint(-1000, 1000), rng.randint(-INT_MAX, INT_MAX),
        rng.randint(-(10**15), 10**15),
    ])


def gen_scalar(rng):
    kind = rng.randrange(6)
    if kind == 0:
        return gen_int(rng)
    if kind in (1, 2):
        return gen_string(rng, False)
    return [True, False, None][kind - 3]


def gen_value(rng, depth, deep):
    """A value inside depth containers; deep favours going down to DEPTH_MAX."""
    if deep:
        p_container = 0.9
    else:
        p_container = 0.85 if depth == 0 else 0.6 / depth
    if depth >= DEPTH_MAX or rng.random() >= p_container:
        return gen_scalar(rng)
    n = rng.choice([0, 1, 2, 3, 5, 8]) if not deep else rng.choice([1, 2])
    if rng.random() < 0.5:
        return [gen_value(rng, depth + 1, deep) for _ in range(n)]
    obj = {}
    for _ in range(n):
        obj[gen_string(rng, True)] = gen_value(rng, depth + 1, deep)
    return obj


def render(rng, value):
    text = json.dumps(
        value,
        ensure_ascii=rng.random() < 0.4,
        indent=rng.choice([None, None, 0, 1, 4, "\t"]),
        separators=rng.choice([None, (",", ":"), (" , ", " : ")]),
    )
    if rng.random() < 0.2:
        text = text.replace("/", "\\/")  # "/" occurs only inside strings
    ws = " \t\r\n"
    lead = "".join(rng.choice(ws) for _ in range(rng.randrange(3)))
    trail = "".join(rng.choice(ws) for _ in range(rng.randrange(3)))
    return lead + text + trail


def main():
    out_dir, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    for i in range(count):
        value = gen_value(rng, 0, deep=rng.random() < 0.05)
        with open("%s/%04d.json" % (out_dir, i), "wb") as f:
            f.write(render(rng, value).encode("utf-8"))


if __name__ == "__main__":
    main()
