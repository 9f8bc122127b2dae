#!/usr/bin/env python3
"""Writes tiny.osm.pbf (and tiny-uncompressed.osm.pbf, its data block stored raw): a 3 x 3 grid
of streets about 100 m apart, with one-way streets, a maxspeed, a footway a car may not use, a way
that leaves the extract and a private road.
Small enough to be a fuzzing seed; a valid PBF file that `corridor roads import` reads.
Run: python3 make-tiny-pbf.py (it writes both beside itself)."""
import os, struct, zlib

def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])

def zigzag(n):
    return (n << 1) ^ (n >> 63)

def key(field, wire):
    return varint(field << 3 | wire)

def ld(field, data):
    return key(field, 2) + varint(len(data)) + data

def num(field, n):
    return key(field, 0) + varint(n)

def packed(field, values, signed=False, delta=False):
    prev, data = 0, b""
    for v in values:
        w = v - prev if delta else v
        prev = v
        data += varint(zigzag(w) if signed else w)
    return ld(field, data)

strings = [b"", b"highway", b"residential", b"oneway", b"yes", b"maxspeed", b"30", b"name",
           b"Mill lane", b"footway", b"access", b"private", b"service", b"Church street"]
S = {s: i for i, s in enumerate(strings)}

# Node ids 1..9 on a grid: row r, column c -> id 3r + c + 1.
nodes = []
for r in range(3):
    for c in range(3):
        nodes.append((3 * r + c + 1, int((53.5500 + 0.0009 * r) * 1e7), int((13.2600 + 0.0015 * c) * 1e7)))
dense = (packed(1, [n[0] for n in nodes], signed=True, delta=True)
         + packed(8, [n[1] for n in nodes], signed=True, delta=True)
         + packed(9, [n[2] for n in nodes], signed=True, delta=True))

def way(wid, refs, tags):
    return (num(1, wid)
            + packed(2, [S[k] for k, _ in tags])
            + packed(3, [S[v] for _, v in tags])
            + packed(8, refs, signed=True, delta=True))

ways = [
    way(101, [1, 2, 3], [(b"highway", b"residential"), (b"name", b"Mill lane")]),
    way(102, [4, 5, 6], [(b"highway", b"residential"), (b"maxspeed", b"30")]),
    way(103, [7, 8, 9], [(b"highway", b"residential"), (b"name", b"Church street")]),
    way(104, [1, 4, 7], [(b"highway", b"residential")]),
    way(105, [3, 6, 9], [(b"highway", b"residential"), (b"oneway", b"yes")]),
    way(106, [9, 6, 3], [(b"highway", b"residential"), (b"oneway", b"yes")]),
    way(107, [2, 5, 8], [(b"highway", b"footway")]),
    way(108, [5, 99], [(b"highway", b"residential")]),
    way(109, [8, 5], [(b"highway", b"service"), (b"access", b"private")]),
]
group = ld(2, dense) + b"".join(ld(3, w) for w in ways)
block = ld(1, b"".join(ld(1, s) for s in strings)) + ld(2, group) + num(17, 100)
header = ld(4, b"OsmSchema-V0.6") + ld(4, b"DenseNodes") + ld(16, b"corridor tests")

def blob(kind, payload, compress):
    body = (num(2, len(payload)) + ld(3, zlib.compress(payload))) if compress else ld(1, payload)
    head = ld(1, kind) + num(3, len(body))
    return struct.pack(">I", len(head)) + head + body

here = os.path.dirname(os.path.abspath(__file__))
for name, compress in [("tiny.osm.pbf", True), ("tiny-uncompressed.osm.pbf", False)]:
    out = blob(b"OSMHeader", header, False) + blob(b"OSMData", block, compress)
    path = os.path.join(here, name)
    with open(path, "wb") as f:
        f.write(out)
    print(f"wrote {path}: {len(out)} bytes")
