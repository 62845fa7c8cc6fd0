#!/usr/bin/python3
"""Writes the item-pool fixtures under tests/data/value (item_pool_<name>.pkl) and
item_pool.expected.json: for each, repr(pickle.loads(data)) as CPython prints it (sets sorted by
the repr of their members, as tests/common/python_repr.h prints them), or the exception's type
name when CPython refuses the bytes.

The pickles are written opcode by opcode so that containers change after others were made
(the cases where a view of one container's items could outlive a move of the shared pool):
- lists_interleaved: five lists, each appended to (APPEND / APPENDS) in rounds between which
  other lists, dicts, sets and tuples are made;
- dict_duplicates_later: dicts that SETITEMS / SETITEM reach again after other containers were
  added, with keys that repeat (later value wins, first place kept), 1 == 1.0 == True keys, a
  batch of 20 pairs, and batches with the same memoized keys as the one before;
- sets_and_reconstructors: sets grown by ADDITEMS between other containers, a frozenset with
  repeats, collections.OrderedDict of a list of pairs and of a dict, builtins.set of a list;
- unhashable_key: a batch whose third key is a list (CPython: TypeError).

Run with Debian's python3:
    /usr/bin/python3 tests/value/gen_item_pool.py
"""
import json
import os
import pickle
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "value")


class P:
    def __init__(self):
        self.b = bytearray(b"\x80\x02")

    def op(self, *codes):
        for c in codes:
            self.b += c
        return self

    def int(self, v):
        if 0 <= v < 256:
            self.b += b"K" + bytes([v])
        else:
            self.b += b"J" + struct.pack("<i", v)
        return self

    def float(self, v):
        self.b += b"G" + struct.pack(">d", v)
        return self

    def str(self, s):
        e = s.encode()
        self.b += b"X" + struct.pack("<I", len(e)) + e
        return self

    def put(self, i):
        self.b += b"q" + bytes([i])
        return self

    def get(self, i):
        self.b += b"h" + bytes([i])
        return self

    def done(self):
        return bytes(self.b + b".")


def lists_interleaved():
    p = P().op(b"(")  # the final tuple's MARK
    for i in range(5):
        p.op(b"]").put(i)
    n = 0
    for r in range(12):
        for i in range(5):
            p.get(i)
            if (r + i) % 3 == 0:
                p.int(n).op(b"a")
                n += 1
            else:
                p.op(b"(")
                for _ in range(r + i + 1):
                    p.int(n % 250)
                    n += 1
                p.op(b"e")
            p.op(b"0")
            # another container between two appends
            p.op(b"]", b"(").int(r).int(i).op(b"e", b"0")
            p.op(b"}", b"(").str("k%d" % r).int(i).op(b"u", b"0")
            p.op(b"(").int(i).int(r).op(b"t", b"0")
    for i in range(5):
        p.get(i)
    p.op(b"t")
    return p.done()


def dict_duplicates_later():
    p = P().op(b"(")
    p.op(b"}").put(0).op(b"(").str("a").int(1).str("b").int(2).op(b"u")
    p.op(b"]", b"(").int(7).int(8).op(b"e", b"0")
    p.get(0).op(b"(").str("a").int(9).str("c").int(3).str("c").int(4).op(b"u", b"0")
    p.get(0).str("b").op(b"]").op(b"s", b"0")
    # 1 == 1.0 == True: one key, its first form, the last value
    p.op(b"}", b"(").int(1).str("int").float(1.0).str("float").op(b"\x88").str("bool").op(b"u")
    # the same memoized keys as the batch before, then the same ids repeated
    p.op(b"}", b"(").str("x").put(10).int(1).str("y").put(11).int(2).op(b"u")
    p.op(b"}", b"(").get(10).int(3).get(11).int(4).op(b"u")
    p.op(b"}", b"(").get(10).int(5).get(10).int(6).op(b"u")
    p.op(b"}", b"(").get(10).int(7).get(11).int(8).op(b"u")
    # 20 pairs with repeats, into a new dict and then into the first dict again
    p.op(b"}").put(1).op(b"(")
    for i in range(20):
        p.int(i % 13).int(i)
    p.op(b"u")
    p.op(b"]", b"(").int(1).op(b"e", b"0")
    p.get(1).op(b"(")
    for i in range(20):
        p.int((i * 7) % 23).int(100 + i)
    p.op(b"u", b"0")
    p.op(b"t")
    return p.done()


def sets_and_reconstructors():
    p = P().op(b"(")
    p.op(b"\x8f").put(0).op(b"(").int(1).int(2).int(2).op(b"\x90")
    p.op(b"]", b"(").int(5).op(b"e", b"0")
    p.get(0).op(b"(").int(3).float(1.0).op(b"\x88", b"\x90", b"0")
    p.op(b"(").int(4).int(4).float(4.0).int(6).op(b"\x91")
    # OrderedDict([(k, v), ...]) and OrderedDict({...})
    p.op(b"ccollections\nOrderedDict\n").put(1)
    p.op(b"]", b"(")
    for i in range(6):
        p.str("k%d" % (i % 4)).int(i).op(b"\x86")
    p.op(b"e", b"\x85", b"R")
    p.get(1).op(b"}", b"(").str("z").int(1).str("y").int(2).op(b"u", b"\x85", b"R")
    p.op(b"c__builtin__\nset\n", b"]", b"(").int(3).int(1).int(3).op(b"e", b"\x85", b"R")
    p.op(b"t")
    return p.done()


def unhashable_key():
    return P().op(b"}", b"(").int(1).int(1).int(2).int(2).op(b"]").int(3).op(b"u").done()


def repr_of(v):
    if isinstance(v, (set, frozenset)):
        body = ", ".join(sorted(repr_of(x) for x in v))
        if isinstance(v, frozenset):
            return "frozenset({%s})" % body if v else "frozenset()"
        return "{%s}" % body if v else "set()"
    if isinstance(v, tuple):
        inner = ", ".join(repr_of(x) for x in v)
        return "(%s,)" % inner if len(v) == 1 else "(%s)" % inner
    if isinstance(v, list):
        return "[%s]" % ", ".join(repr_of(x) for x in v)
    if type(v) is dict:
        return "{%s}" % ", ".join("%s: %s" % (repr_of(k), repr_of(x)) for k, x in v.items())
    return repr(v)


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    for name, make in [("lists_interleaved", lists_interleaved),
                       ("dict_duplicates_later", dict_duplicates_later),
                       ("sets_and_reconstructors", sets_and_reconstructors),
                       ("unhashable_key", unhashable_key)]:
        data = make()
        with open(os.path.join(OUT, "item_pool_%s.pkl" % name), "wb") as f:
            f.write(data)
        try:
            expected[name] = {"repr": repr_of(pickle.loads(data))}
        except Exception as e:  # CPython refuses the bytes
            expected[name] = {"error": type(e).__name__}
    with open(os.path.join(OUT, "item_pool.expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
