#!/usr/bin/python3
"""Generates the pickle fixtures under tests/data/pickle/ (run with /usr/bin/python3).

For every fixture NAME:
  NAME.pkl       the pickle bytes (made by CPython's pickler, or written by hand for opcodes
                 the pickler never emits)
  NAME.dis       exact stdout of `/usr/bin/python3 -m pickletools NAME.pkl`
  NAME.dis.err   only when pickletools raises: the last line of its traceback, then
                 "offset: N", the offset of the opcode it was handling
  NAME.repr      repr(pickle.loads(data, **options)) when it loads in a fresh interpreter
MANIFEST.tsv     name, protocol, encoding, fix_imports, loads (yes / exception), description
bad/*.pkl        malformed inputs, with bad/MANIFEST.tsv: name, exception type, message,
                 description (what CPython's pickle.loads raises)
opcodes.tsv      pickletools.opcodes: name, byte (hex), arg name, arg n, proto, stack before/after

Deterministic: run with PYTHONHASHSEED=0 (the script re-executes itself with it).
"""

import array
import argparse
import collections
import copyreg
import datetime
import decimal
import enum
import io
import os
import pickle
import pickletools
import subprocess
import struct
import sys
import types
import uuid

PY = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "pickle")

if os.environ.get("PYTHONHASHSEED") != "0":
    env = dict(os.environ, PYTHONHASHSEED="0")
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

# ---------------------------------------------------------------- classes pickled by reference
# They live in a module "psfixtures" that does not exist outside this script, so the pickles
# name psfixtures.X and pickle.load in a fresh interpreter fails (recorded in the manifest).
mod = types.ModuleType("psfixtures")
sys.modules["psfixtures"] = mod


def fixture_class(cls):
    cls.__module__ = "psfixtures"
    setattr(mod, cls.__name__, cls)
    return cls


@fixture_class
class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


@fixture_class
class Slotted:
    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a = a
        self.b = b


@fixture_class
class SlottedWithDict:
    __slots__ = ("a", "__dict__")

    def __init__(self):
        self.a = 1
        self.extra = "x"


def set_state(obj, state):
    obj.__dict__.update(state)


set_state.__module__ = "psfixtures"
mod.set_state = set_state


@fixture_class
class Reduced:
    def __init__(self, kind):
        self.kind = kind

    def __reduce__(self):
        if self.kind == "state":
            return (Reduced, ("state",), {"s": 1})
        if self.kind == "listitems":
            return (Reduced, ("listitems",), None, iter([1, 2, 3]))
        if self.kind == "dictitems":
            return (Reduced, ("dictitems",), None, None, iter([("a", 1), ("b", 2)]))
        if self.kind == "state_setter":
            return (Reduced, ("state_setter",), {"t": 2}, None, None, set_state)
        if self.kind == "all":
            return (Reduced, ("all",), {"u": 3}, iter([4]), iter([("k", "v")]))
        return (Reduced, (self.kind,))


@fixture_class
class MyDict(dict):
    pass


@fixture_class
class MyList(list):
    pass


@fixture_class
class NewArgsEx:
    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        self.args = args
        self.kwargs = kwargs
        return self

    def __getnewargs_ex__(self):
        return self.args, self.kwargs


@fixture_class
class NewArgs:
    def __new__(cls, a):
        self = object.__new__(cls)
        self.a = a
        return self

    def __getnewargs__(self):
        return (self.a,)


@fixture_class
class Color(enum.Enum):
    RED = 1
    GREEN = "g"


@fixture_class
class ExtA:
    pass


@fixture_class
class ExtB:
    pass


@fixture_class
class ExtC:
    pass


@fixture_class
class Persisted:
    def __init__(self, key):
        self.key = key


Pair = collections.namedtuple("Pair", "left right")
Pair.__module__ = "psfixtures"
mod.Pair = Pair

# ---------------------------------------------------------------- fixture registry

FIXTURES = []  # (name, bytes, protocol, description, encoding, fix_imports)


def add(name, data, protocol, description, encoding="ASCII", fix_imports=True):
    assert all(f[0] != name for f in FIXTURES), name
    FIXTURES.append((name, bytes(data), protocol, description, encoding, fix_imports))


def add_dumps(name, obj, description, protocols=range(0, 6), **kw):
    for p in protocols:
        add("%s_p%d" % (name, p), pickle.dumps(obj, protocol=p, **kw), p, description)


class PidPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Persisted):
            return obj.key
        return None


def dumps_pid(obj, protocol):
    f = io.BytesIO()
    PidPickler(f, protocol=protocol).dump(obj)
    return f.getvalue()


def build_fixtures():
    # ---- plain data at every protocol
    add_dumps("none", None, "None")
    add_dumps("bools", [True, False], "booleans")
    ints = [0, 1, -1, 255, 256, -256, 65535, 65536, -65536, 2**31 - 1, -2**31, 2**31,
            -2**31 - 1, 2**63 - 1, -2**63, 2**64, -2**64 - 1]
    add_dumps("ints", ints, "ints at every BININT1/BININT2/BININT/LONG1 cut-off")
    add_dumps("big_ints", [2**2039 - 1, -2**2040, 2**2040, 10**600, -(10**600) + 7],
              "ints around the LONG1/LONG4 cut-off (255 bytes)")
    add_dumps("huge_int", [7**3000], "an int with 2,534 decimal digits (LONG4)")
    floats = [0.0, -0.0, 1.0, -1.5, 0.1, 1e16, 1e-5, 1.5e-7, 123456789012345.6, 1e22, 1e300,
              5e-324, 2.2250738585072014e-308, float("inf"), float("-inf"), float("nan"),
              3.141592653589793, 9007199254740993.0, 1e15, 0.0001]
    add_dumps("floats", floats, "floats incl. nan/inf/-0.0, subnormals, exponents")
    strs = ["", "a", "it's", 'say "hi"', "both ' and \"", "tab\tnew\nline\rcr", "back\\slash",
            "caf\u00e9", "\u00a0nbsp\u00ad", "\x7f\x80\x9f", "\u4e2d\u6587", "\U0001f600 emoji",
            "\ud800 lone surrogate", "\udfff", "\u2028\u2029", "\u200b zero width", "x" * 300,
            "\x00nul", "\\u0041 not an escape", "\U0010ffff", "\ufeff bom", "\u0378 unassigned"]
    add_dumps("strings", strs, "str incl. quotes, escapes, non-ASCII, surrogates, newlines")
    byts = [b"", b"abc", b"it's", b'"', b"'\"", b"\x00\x01\x7f\x80\xff", bytes(range(256)),
            b"y" * 300]
    add_dumps("bytes", byts, "bytes of every length class")
    add_dumps("bytearray", [bytearray(b""), bytearray(b"abc\xff"), bytearray(300), bytearray(b"'"),
                            bytearray(b"\""), bytearray(b"'\""), bytearray(b"'\\")],
              "bytearray (its repr escapes a single quote even inside double quotes)")
    add_dumps("tuples", [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), ((),)], "tuples of size 0-4")
    add_dumps("lists", [[], [1], [1, 2], [[3]]], "lists")
    add_dumps("batching", [list(range(1005)), {i: None for i in range(1003)}, set(range(1002))],
              "APPENDS/SETITEMS/ADDITEMS batching at 1000", protocols=(1, 4))
    add_dumps("dicts", {"a": 1, 2: "b", None: [], (1, 2): {}, "n": {1: {2: 3}}}, "dicts")
    add_dumps("sets", [set(), {1, 2, 3}, frozenset(), frozenset({"a", "b"}), {(1, 2)}],
              "sets and frozensets")
    nested = {"l": [1, [2, [3, [4, {"d": (5, (6,))}]]]], "t": ((((),),),)}
    add_dumps("nested", nested, "nested containers")
    shared = [1, 2]
    add_dumps("shared", [shared, shared, (shared,), {"k": shared}], "shared references")
    selfl = []
    selfl.append(selfl)
    add_dumps("self_list", selfl, "a list that contains itself")
    selfd = {}
    selfd["me"] = selfd
    add_dumps("self_dict", selfd, "a dict that contains itself")
    t_in_l = ([],)
    t_in_l[0].append(t_in_l)
    add_dumps("recursive_tuple", t_in_l, "a tuple reached through itself (POP / POP_MARK)")
    many = ["s%d" % i for i in range(300)]
    add_dumps("memo_many", [many, many[299], many[0]], "over 256 memo entries (LONG_BINPUT/GET)")

    # ---- objects
    add_dumps("obj_dict", Point(1, "two"), "class instance with __dict__")
    add_dumps("obj_slots", Slotted(1, [2]), "class with __slots__", protocols=range(2, 6))
    add_dumps("obj_slots_dict", SlottedWithDict(), "__slots__ and __dict__", protocols=range(2, 6))
    for kind in ("state", "listitems", "dictitems", "state_setter", "all", "plain"):
        add_dumps("reduce_" + kind, Reduced(kind), "__reduce__ returning " + kind)
    add_dumps("dict_subclass", MyDict(a=1), "dict subclass")
    ml = MyList([1, 2])
    ml.attr = 3
    add_dumps("list_subclass", ml, "list subclass with attribute")
    add_dumps("namedtuple", Pair(1, "r"), "namedtuple")
    add_dumps("newobj_ex", NewArgsEx(1, k=2), "__getnewargs_ex__ with kwargs", protocols=range(2, 6))
    add_dumps("newargs", NewArgs(5), "__getnewargs__")
    tz = datetime.timezone(datetime.timedelta(hours=5, minutes=30), "IST")
    add_dumps("datetimes", [datetime.datetime(2020, 1, 2, 3, 4, 5, 6),
                            datetime.datetime(2021, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc),
                            datetime.datetime(2021, 5, 6, 7, 8, 9, tzinfo=tz),
                            datetime.date(1999, 12, 31), datetime.time(23, 59, 58, 1),
                            datetime.timedelta(days=-1, seconds=5, microseconds=7), tz],
              "datetime, date, time, timedelta, timezone")
    add_dumps("decimals", [decimal.Decimal("1.10"), decimal.Decimal("-Infinity"),
                           decimal.Decimal("NaN"), decimal.Decimal("1E+100")], "Decimal")
    add_dumps("complex", [1 + 2j, complex(float("inf"), -0.0)], "complex")
    add_dumps("collections", [collections.OrderedDict([("b", 1), ("a", 2)]),
                              collections.defaultdict(list, {"x": [1]}),
                              collections.Counter("abracadabra"),
                              collections.deque([1, 2, 3], maxlen=5)],
              "OrderedDict, defaultdict, Counter, deque")
    add_dumps("arrays", [array.array("i", [1, -2, 3]), array.array("d", [0.5]),
                         array.array("u", "hi"), array.array("B")], "array.array")
    add_dumps("namespace", argparse.Namespace(a=1, b="x"), "argparse.Namespace")
    add_dumps("range_slice", [range(1, 10, 2), slice(1, None, -1), Ellipsis, NotImplemented],
              "range, slice, Ellipsis, NotImplemented")
    add_dumps("enum", [Color.RED, Color.GREEN], "Enum members")
    add_dumps("uuid", uuid.UUID("12345678-1234-5678-1234-567812345678"), "uuid.UUID")
    add_dumps("builtins_refs", [len, dict, int.__add__, object], "references to builtins")

    # ---- protocol 5 buffers
    ro = pickle.PickleBuffer(b"read-only bytes")
    rw = pickle.PickleBuffer(bytearray(b"writable"))
    add("oob_buffers_p5", pickle.dumps([ro, rw], protocol=5, buffer_callback=lambda b: False), 5,
        "out-of-band buffers (NEXT_BUFFER, READONLY_BUFFER); loads needs buffers=")
    add("inband_buffers_p5", pickle.dumps([ro, rw], protocol=5), 5,
        "PickleBuffer pickled in band (bytes and BYTEARRAY8)")

    # ---- extension codes
    copyreg.add_extension("psfixtures", "ExtA", 1)
    copyreg.add_extension("psfixtures", "ExtB", 300)
    copyreg.add_extension("psfixtures", "ExtC", 70000)
    try:
        add_dumps("ext_codes", [ExtA, ExtB, ExtC], "EXT1, EXT2, EXT4 via copyreg.add_extension",
                  protocols=range(2, 6))
    finally:
        copyreg.remove_extension("psfixtures", "ExtA", 1)
        copyreg.remove_extension("psfixtures", "ExtB", 300)
        copyreg.remove_extension("psfixtures", "ExtC", 70000)

    # ---- persistent ids
    for p in range(0, 6):
        add("persistent_p%d" % p, dumps_pid([Persisted("key1"), 1, Persisted("key2")], p), p,
            "persistent ids (PERSID at protocol 0, BINPERSID above); loads needs persistent_load")

    # ---- hand-written programs for opcodes the pickler never emits
    add("hand_dup", b"\x80\x02]2a.", 2, "DUP: a list appended to itself")
    add("hand_obj", b"(cbuiltins\nlist\no.", 1, "OBJ with no arguments")
    add("hand_obj_args", b"(cbuiltins\ncomplex\nK\x01K\x02o.", 1, "OBJ with arguments")
    add("hand_inst", b"(K\x01K\x02ibuiltins\ncomplex\np0\n.", 0, "INST")
    add("hand_inst_py2", b"(S'abc'\ni__builtin__\nstr\np0\n.", 0, "INST with a Python 2 name")
    add("hand_string", b"(S'abc'\nS\"it's\"\nS'a\\nb\\x41\\\\\\''\nS''\nS'\\101\\0'\nl.", 0,
        "STRING with escapes and both quote styles")
    add("hand_binstring", b"]q\x00(T\x03\x00\x00\x00abcT\x00\x00\x00\x00U\x02hiU\x00e.", 1,
        "BINSTRING and SHORT_BINSTRING, ASCII")
    add("hand_binstring_latin1", b"]q\x00(U\x04caf\xe9T\x02\x00\x00\x00\x80\xffe.", 1,
        "SHORT_BINSTRING/BINSTRING with bytes >= 0x80 (ASCII decoding fails)")
    add("hand_binstring_latin1_enc", b"]q\x00(U\x04caf\xe9T\x02\x00\x00\x00\x80\xffe.", 1,
        "same bytes, loaded with encoding=latin1", encoding="latin1")
    add("hand_binstring_bytes_enc", b"]q\x00(U\x04caf\xe9T\x02\x00\x00\x00\x80\xffe.", 1,
        "same bytes, loaded with encoding=bytes", encoding="bytes")
    add("hand_pop_mark", b"K\x01(K\x02K\x031.", 1, "POP_MARK discards a marked slice")
    add("hand_pop", b"K\x01K\x020.", 0, "POP")
    add("hand_pop_of_mark", b"K\x01(0.", 0, "POP taking a MARK off the stack")
    add("hand_binbytes8", b"\x80\x04\x8e\x03\x00\x00\x00\x00\x00\x00\x00abc\x8e\x00\x00\x00\x00\x00\x00\x00\x00\x86.",
        4, "BINBYTES8")
    add("hand_binunicode8", b"\x80\x04\x8d\x04\x00\x00\x00\x00\x00\x00\x00\xc3\xa9ab\x85.", 4,
        "BINUNICODE8")
    add("hand_persid", b"(Pfoo bar\nPx\nt.", 0, "PERSID")
    add("hand_long4", b"\x80\x02\x8b\x02\x00\x00\x00\x00\x80\x8b\x00\x00\x00\x00\x8b\x01\x00\x00\x00\xff\x87.",
        2, "LONG4 small values incl. zero length")
    add("hand_long1_edge", b"\x80\x02(\x8a\x00\x8a\x01\x80\x8a\x02\xff\x7f\x8a\x01\xff\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01t.",
        2, "LONG1 zero, -128, 32767, -1, 2**64")
    add("hand_text_ints", b"(I00\nI01\nI-5\nI+7\nI 12 \nI1_000\nI007\nL12L\nL-0L\nL99999999999999999999999\nL 3\nI123456789012345678901\nl.",
        0, "INT/LONG text forms: bools, signs, spaces, underscores, leading zeros, big")
    add("hand_text_floats", b"(F1\nF-0.0\nF1e16\nF1E-5\nFinf\nF-Infinity\nFnan\nF.5\nF5.\nF0.1\nF1.7976931348623157e308\nl.",
        0, "FLOAT text forms")
    add("hand_unicode_text", b"(Vabc\nVcaf\\u00e9\nV\\U0001f600\nVraw\xe9\nV\\\\u0041\nVback\\slash\nVa\\x41\nl.",
        0, "UNICODE raw-unicode-escape forms")
    add("hand_global_py2", b"(c__builtin__\nset\n((lp0\nI1\naI2\natRc__builtin__\nxrange\n(I0\nI5\nI1\ntRccopy_reg\n_reconstructor\n(c__builtin__\nobject\nc__builtin__\nobject\nNtRl.",
        0, "GLOBAL with Python 2 names (fix_imports maps them)")
    add("hand_global_py2_nofix", b"(c__builtin__\nset\n((lp0\nI1\naI2\natRl.", 0,
        "Python 2 names with fix_imports=False", fix_imports=False)
    add("hand_text_floats_lenient", b"(F 2.5 \nF1_0.5\nF\t-3\nF1e400\nl.", 0,
        "FLOAT forms Python's float() accepts but pickle.load refuses")
    add("hand_frame_split", b"\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00]\x94\x95\x03\x00\x00\x00\x00\x00\x00\x00K\x01a.",
        4, "two FRAMEs; STOP outside any frame")
    add("hand_frame_empty", b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00N.", 4, "a zero-length FRAME")
    add("hand_two_pickles", pickle.dumps([1], 2) + pickle.dumps("second", 4), 4,
        "two pickles back to back (pickletools and pickle.load read the first)")
    add("hand_put_get_text", b"(lp0\nI1\nag0\nag00\nap5\n.", 0, "PUT/GET text args incl. '00'")
    add("hand_memo_sparse", b"\x80\x02K\x01r\x00\x00\x01\x00j\x00\x00\x01\x00\x86q\x05h\x05\x86.",
        2, "LONG_BINPUT at a high index, then BINPUT")
    add("hand_empty_frame_proto5", b"\x80\x05\x95\x04\x00\x00\x00\x00\x00\x00\x00\x88\x89\x86.", 5,
        "protocol 5 header and frame with NEWTRUE/NEWFALSE")
    add("hand_deep_marks", b"(" * 12 + b"l" * 12 + b".", 0, "twelve nested MARKs")
    add("hand_global_escape", b"cbuiltins\nge\\x74attr\n.", 0, "GLOBAL name with an escape")
    add("hand_proto6", b"\x80\x06N.", 6, "PROTO 6 (pickletools accepts; pickle.load refuses)")
    add("hand_stack_not_empty", b"K\x01K\x02.", 1, "two items left: pickletools complains after STOP")
    add("hand_memo_text_index_forms", b"((lp 1_0\n0g+10\ng 10 \np-0\ng0\nt.", 0,
        "GET/PUT text indices in int() syntax: blanks, a sign, '_' between digits, minus zero")
    add("hand_memoize_after_put", b"\x80\x04K\x01q\x00\x94K\x02\x94\x86.", 4,
        "MEMOIZE numbering after BINPUT")

    # ---- Python 2 style, after pickletester's DATA0-DATA6 (written here, not copied)
    py2_data0 = (b"(lp0\nI0\naL1L\naF2.0\nac__builtin__\ncomplex\np1\n(F3.0\nF0.0\ntp2\nRp3\n"
                 b"aI1\naI-1\naI255\naI-255\naI-256\naI65535\naI-65535\naI-65536\naI2147483647\n"
                 b"aI-2147483647\naI-2147483648\na(S'abc'\np4\ng4\n(ipsfixtures\nPoint\np5\n"
                 b"(dp6\nS'x'\np7\nI1\nsS'y'\np8\nI2\nsbg5\ntp9\nag9\naI5\na.")
    add("py2_data0", py2_data0, 0, "Python 2 protocol 0 pickle in the style of pickletester DATA0")
    py2_data1 = (b"]q\x00(K\x00K\x01G@\x00\x00\x00\x00\x00\x00\x00c__builtin__\ncomplex\nq\x01"
                 b"(G@\x08\x00\x00\x00\x00\x00\x00G\x00\x00\x00\x00\x00\x00\x00\x00tq\x02Rq\x03"
                 b"K\x01J\xff\xff\xff\xffK\xffJ\x01\xff\xff\xffJ\x00\xff\xff\xffM\xff\xff"
                 b"(U\x03abcq\x04h\x04ccopy_reg\n_reconstructor\nq\x05(ccollections\nOrderedDict\nq\x06"
                 b"c__builtin__\ndict\n}tq\x07Rq\x08}q\tU\x03fooq\nK\x01sbh\x08tq\x0bh\x0bK\x05e.")
    add("py2_data1", py2_data1, 1, "Python 2 protocol 1 pickle in the style of pickletester DATA1")
    py2_data2 = (b"\x80\x02]q\x00(K\x00\x8a\x01\x01G@\x00\x00\x00\x00\x00\x00\x00"
                 b"c__builtin__\ncomplex\nq\x01G@\x08\x00\x00\x00\x00\x00\x00G\x00\x00\x00\x00\x00\x00\x00\x00"
                 b"\x86q\x02Rq\x03U\x03abcq\x04h\x04\x86q\x05h\x05K\x05e.")
    add("py2_data2", py2_data2, 2, "Python 2 protocol 2 pickle in the style of pickletester DATA2")
    add("py2_set", b"\x80\x02c__builtin__\nset\nq\x00]q\x01(K\x01K\x02e\x85q\x02Rq\x03.", 2,
        "set([1,2]) as Python 2 writes it")
    add("py2_xrange", b"\x80\x02c__builtin__\nxrange\nq\x00K\x00K\x05K\x01\x87q\x01Rq\x02.", 2,
        "xrange(5) as Python 2 writes it")
    add("py2_exception", b"\x80\x02cexceptions\nValueError\nq\x00U\x03badq\x01\x85q\x02Rq\x03.", 2,
        "exceptions.ValueError('bad') as Python 2 writes it")
    add("py2_unicode_str", b"\x80\x02}q\x00(U\x01aq\x01X\x02\x00\x00\x00\xc3\xa9q\x02U\x01bq\x03U\x02\xc3\xa9q\x04u.",
        2, "Python 2 dict with str and unicode values (UTF-8 bytes in a str)", encoding="latin1")
    add("py2_bytes_codecs", b"\x80\x02c_codecs\nencode\nq\x00X\x04\x00\x00\x00ab\xc3\xbfq\x01X\x06\x00\x00\x00latin1q\x02\x86q\x03Rq\x04.",
        2, "Python 3 bytes pickled at protocol 2 (_codecs.encode)")


BAD = []  # (name, bytes, description)


def bad(name, data, description):
    BAD.append((name, bytes(data), description))


def build_bad():
    p4 = pickle.dumps({"a": [1, 2.5, "x"]}, 4)
    bad("truncated_p4", p4[:len(p4) // 2], "protocol 4 pickle cut in half")
    bad("empty", b"", "empty input")
    bad("memo_text_index_negative", b"Np-1\n.", "PUT with a negative text index")
    bad("memo_text_index_double_underscore", b"Np1__0\n.", "PUT index with '__' (not int() syntax)")
    bad("no_stop", b"\x80\x02N", "ends without STOP")
    bad("unknown_opcode", b"\x80\x02\xffN.", "unknown opcode byte 0xff")
    bad("unknown_opcode_text", b"(Z.", "unknown opcode byte 'Z'")
    bad("stack_underflow_pop", b"0.", "POP on an empty stack")
    bad("stack_underflow_append", b"]a.", "APPEND with only the list")
    bad("stack_underflow_stop", b".", "STOP on an empty stack")
    bad("mark_missing_list", b"K\x01l.", "LIST without a MARK")
    bad("mark_missing_setitems", b"}K\x01K\x02u.", "SETITEMS without a MARK")
    bad("mark_as_item", b"(a.", "APPEND with a MARK where the list should be")
    bad("mark_left_open", b"(N.", "a MARK still open at STOP")
    bad("memo_miss_binget", b"\x80\x02h\x05.", "BINGET of a slot never stored")
    bad("memo_miss_get", b"g3\n.", "GET of a slot never stored")
    bad("memo_put_empty", b"q\x00N.", "BINPUT on an empty stack")
    bad("dict_odd", b"(K\x01K\x02K\x03d.", "DICT with an odd number of items")
    bad("setitems_odd", b"}(K\x01u.", "SETITEMS with an odd number of items")
    bad("bad_utf8", b"\x80\x04\x8c\x02\xff\xfe.", "SHORT_BINUNICODE with invalid UTF-8")
    bad("bad_utf8_binunicode", b"X\x03\x00\x00\x00a\xc3(.", "BINUNICODE with a truncated sequence")
    bad("length_past_end_binunicode", b"X\x00\x10\x00\x00abc.", "BINUNICODE length past the end")
    bad("length_past_end_binbytes8", b"\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\x7fab.", "BINBYTES8 huge length")
    bad("length_past_end_short_binbytes", b"\x80\x03C\x05ab.", "SHORT_BINBYTES length past the end")
    bad("negative_binstring", b"T\xff\xff\xff\xffabc.", "BINSTRING negative length")
    bad("negative_long4", b"\x80\x02\x8b\xfe\xff\xff\xff.", "LONG4 negative length")
    bad("unhashable_set_member", b"\x80\x04\x8f(]\x90.", "a list added to a set")
    bad("unhashable_dict_key", b"}]K\x01s.", "a list as a dict key")
    bad("frame_crossing", b"\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00K\x01K\x02.",
        "a BININT1 argument crossing the frame end")
    bad("frame_past_end", b"\x80\x04\x95\x00\x01\x00\x00\x00\x00\x00\x00N.", "FRAME longer than the input")
    bad("proto6", b"\x80\x06N.", "PROTO 6")
    bad("string_no_quotes", b"Sabc\n.", "STRING without quotes")
    bad("string_one_quote", b"S'abc\n.", "STRING missing the closing quote")
    bad("int_not_number", b"Iabc\n.", "INT that is not a number")
    bad("float_not_number", b"Fx1\n.", "FLOAT that is not a number")
    bad("no_newline", b"I12", "INT without its newline")
    bad("reduce_non_tuple", b"cbuiltins\nlist\nK\x01R.", "REDUCE with an int as arguments")
    bad("build_on_nothing", b"b.", "BUILD on an empty stack")
    bad("ext_unregistered", b"\x80\x02\x82\x7f.", "EXT1 code not registered")
    bad("next_buffer_none", b"\x80\x05\x97.", "NEXT_BUFFER without buffers")
    bad("global_missing_name", b"cbuiltins\n", "GLOBAL with only the module line")
    bad("stack_global_non_str", b"\x80\x04K\x01K\x02\x93.", "STACK_GLOBAL with ints")
    bad("persid_unsupported", b"Pfoo\n.", "PERSID without persistent_load")
    bad("long_too_many_digits", b"L" + b"1" * 4301 + b"\n.", "LONG with 4,301 digits (int max str digits)")
    bad("trailing_mark_pop", b"(1K\x011.", "POP_MARK with no MARK left")
    bad("dup_empty", b"2.", "DUP on an empty stack")
    bad("tuple3_short", b"\x80\x02K\x01K\x02\x87.", "TUPLE3 with two items")


# ---------------------------------------------------------------- writing


def pickletools_error_offset(data):
    """Offset of the opcode pickletools was handling when it raised (None if it did not)."""
    state = {"pos": 0, "last": 0}
    original = pickletools.genops

    def tracking(f):
        gen = original(f)
        while True:
            state["pos"] = f.tell()
            try:
                item = next(gen)
            except StopIteration:
                state["pos"] = state["last"]
                return
            state["pos"] = state["last"] = item[2]
            yield item

    pickletools.genops = tracking
    try:
        pickletools.dis(io.BytesIO(data), io.StringIO())
        return None
    except Exception:
        return state["pos"]
    finally:
        pickletools.genops = original


def run_pickletools(path):
    r = subprocess.run([PY, "-m", "pickletools", path], capture_output=True,
                       env=dict(os.environ, PYTHONHASHSEED="0", PYTHONIOENCODING="utf-8"))
    err = None
    if r.returncode != 0:
        lines = [l for l in r.stderr.decode("utf-8", "replace").splitlines() if l.strip()]
        err = lines[-1] if lines else "exit %d" % r.returncode
        with open(path, "rb") as f:
            offset = pickletools_error_offset(f.read())
        err += "\noffset: %s" % offset
    return r.stdout, err


LOAD_SCRIPT = r"""
import pickle, sys
path, encoding, fix = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
data = open(path, "rb").read()
try:
    obj = pickle.loads(data, encoding=encoding, fix_imports=fix)
except BaseException as e:
    sys.stdout.write("ERR\t%s\t%s" % (type(e).__name__, str(e).replace("\t", " ").replace("\n", " ")))
    sys.exit(0)
text = repr(obj)
sys.stdout.write("OK\t" + text)
"""


def load_in_fresh_interpreter(path, encoding, fix_imports):
    r = subprocess.run([PY, "-c", LOAD_SCRIPT, path, encoding, "1" if fix_imports else "0"],
                       capture_output=True, env=dict(os.environ, PYTHONHASHSEED="0",
                                                     PYTHONIOENCODING="utf-8:surrogatepass"))
    out = r.stdout.decode("utf-8", "surrogatepass")
    if r.returncode != 0 or not out:
        return False, "crash", r.stderr.decode("utf-8", "replace")
    kind, _, rest = out.partition("\t")
    if kind == "OK":
        return True, None, rest
    return False, rest.split("\t", 1)[0], rest.split("\t", 1)[1] if "\t" in rest else ""


def clean(directory, suffixes):
    for f in os.listdir(directory):
        if f.endswith(suffixes) or f == "MANIFEST.tsv":
            os.remove(os.path.join(directory, f))


def write_opcodes():
    with open(os.path.join(OUT, "opcodes.tsv"), "w") as f:
        f.write("name\tbyte\targ\targ_n\tproto\tstack_before\tstack_after\n")
        for op in pickletools.opcodes:
            f.write("%s\t%02x\t%s\t%s\t%d\t%s\t%s\n" % (
                op.name, ord(op.code), op.arg.name if op.arg else "", op.arg.n if op.arg else "",
                op.proto, ",".join(s.name for s in op.stack_before),
                ",".join(s.name for s in op.stack_after)))


def write_printable():
    # Ranges of code points Python's str.isprintable() rejects (repr escapes them).
    ranges = []
    start = None
    for cp in range(0x110000):
        bad_cp = not chr(cp).isprintable()
        if bad_cp and start is None:
            start = cp
        elif not bad_cp and start is not None:
            ranges.append((start, cp - 1))
            start = None
    if start is not None:
        ranges.append((start, 0x10FFFF))
    with open(os.path.join(OUT, "nonprintable.tsv"), "w") as f:
        f.write("first\tlast\n")
        for a, b in ranges:
            f.write("%x\t%x\n" % (a, b))


def pickletools_text(data):
    out = io.StringIO()
    try:
        pickletools.dis(io.BytesIO(data), out)
    except Exception:
        pass
    return out.getvalue()


def write_archives():
    """Small torch archives for `dis` on archives: archives/NAME.pt and, per pickle member,
    archives/NAME.MEMBER.dis (pickletools' text of that member on its own). Legacy files get
    NAME.main.dis for the main pickle (the fourth program in the file).
    torch.save is not byte-for-byte reproducible (legacy storage keys are object ids), so existing
    archives are kept unless --archives is given."""
    import zipfile
    import torch

    directory = os.path.join(OUT, "archives")
    os.makedirs(directory, exist_ok=True)
    if "--archives" not in sys.argv and os.listdir(directory):
        return
    for f in os.listdir(directory):
        os.remove(os.path.join(directory, f))
    torch.manual_seed(0)
    value = {"w": torch.arange(4.0), "n": 3, "name": "tiny"}

    path = os.path.join(directory, "zip_small.pt")
    torch.save(value, path)

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = 2.5

        def forward(self, x):
            return x * self.scale + torch.tensor([1.0, 2.0])

    torch.jit.save(torch.jit.script(Tiny()), os.path.join(directory, "scripted_small.pt"))
    for name in ("zip_small", "scripted_small"):
        with zipfile.ZipFile(os.path.join(directory, name + ".pt")) as z:
            for info in z.infolist():
                if info.filename.endswith(".pkl"):
                    member = info.filename.rsplit("/", 1)[-1]
                    with open(os.path.join(directory, "%s.%s.dis" % (name, member)), "w") as out:
                        out.write(pickletools_text(z.read(info)))

    for name, protocol in (("legacy_small", 2), ("legacy_small_p4", 4)):
        path = os.path.join(directory, name + ".pt")
        torch.save(value, path, _use_new_zipfile_serialization=False, pickle_protocol=protocol)
        with open(path, "rb") as f:
            for _ in range(4):  # magic number, protocol version, sys info, main pickle
                start = f.tell()
                pickle.Unpickler(f).load() if _ < 3 else None
            main_start = f.tell()
            end = None
            for op, arg, pos in pickletools.genops(f):
                end = f.tell()
            f.seek(main_start)
            data = f.read(end - main_start)
        with open(os.path.join(directory, name + ".main.dis"), "w") as out:
            out.write(pickletools_text(data))


def main():
    os.makedirs(os.path.join(OUT, "bad"), exist_ok=True)
    clean(OUT, (".pkl", ".dis", ".err", ".repr"))
    clean(os.path.join(OUT, "bad"), (".pkl", ".dis", ".err"))
    build_fixtures()
    build_bad()
    write_opcodes()
    write_printable()
    write_archives()
    rows = []
    for name, data, proto, desc, encoding, fix in FIXTURES:
        path = os.path.join(OUT, name + ".pkl")
        with open(path, "wb") as f:
            f.write(data)
        dis, err = run_pickletools(path)
        with open(os.path.join(OUT, name + ".dis"), "wb") as f:
            f.write(dis)
        if err:
            with open(os.path.join(OUT, name + ".dis.err"), "w") as f:
                f.write(err + "\n")
        ok, etype, text = load_in_fresh_interpreter(path, encoding, fix)
        if ok and " at 0x" not in text:
            with open(os.path.join(OUT, name + ".repr"), "w", encoding="utf-8",
                      errors="surrogatepass") as f:
                f.write(text + "\n")
        loads = "yes" if ok else "%s: %s" % (etype, text.replace("\t", " ").replace("\n", " "))
        rows.append((name, str(proto), encoding, "1" if fix else "0", loads, desc))
    with open(os.path.join(OUT, "MANIFEST.tsv"), "w") as f:
        f.write("name\tprotocol\tencoding\tfix_imports\tloads\tdescription\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    brows = []
    for name, data, desc in BAD:
        path = os.path.join(OUT, "bad", name + ".pkl")
        with open(path, "wb") as f:
            f.write(data)
        dis, err = run_pickletools(path)
        with open(os.path.join(OUT, "bad", name + ".dis"), "wb") as f:
            f.write(dis)
        if err:
            with open(os.path.join(OUT, "bad", name + ".dis.err"), "w") as f:
                f.write(err + "\n")
        ok, etype, text = load_in_fresh_interpreter(path, "ASCII", True)
        if ok:
            etype, text = "none", "loads: " + text
        brows.append((name, etype, text.replace("\t", " ").replace("\n", " ")[:300], desc))
    with open(os.path.join(OUT, "bad", "MANIFEST.tsv"), "w") as f:
        f.write("name\texception\tmessage\tdescription\n")
        for r in brows:
            f.write("\t".join(r) + "\n")
    # Coverage check: every opcode appears in some fixture that pickletools accepts to its end.
    seen = set()
    for name, data, *_ in FIXTURES:
        try:
            for op, arg, pos in pickletools.genops(data):
                seen.add(op.name)
        except Exception:
            pass
    missing = [op.name for op in pickletools.opcodes if op.name not in seen]
    if missing:
        sys.exit("opcodes not covered: %s" % missing)
    print("%d fixtures, %d bad inputs, all %d opcodes covered" % (len(FIXTURES), len(BAD),
                                                                len(pickletools.opcodes)))


if __name__ == "__main__":
    main()
