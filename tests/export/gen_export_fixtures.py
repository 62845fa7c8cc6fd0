#!/usr/bin/python3
"""Fixtures for the JSON export and value text tests.

For each case and each protocol 0..5 writes tests/data/export/<case>_p<N>.pkl and the EXPECTED
exports computed here, by CPython, from the object pickle.loads gives back:
  <case>_p<N>.json        the typed form (schema 1, docs/json-schema.md)
  <case>_p<N>.plain.json  the plain form (--plain)
and, for cases whose value is a list, <case>_p<N>.reprs.json: repr() of every loaded item (what
core::scalarRepr / displayRepr / summary must print for scalars and decoded objects).

Run with Debian's /usr/bin/python3:  /usr/bin/python3 tests/export/gen_export_fixtures.py
"""

import array
import _compat_pickle
import base64
import collections
import copyreg
import datetime
import decimal
import json
import math
import os
import pathlib
import pickle
import pickletools
import sys
import types
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "export")

# ---- the cases -------------------------------------------------------------------------------------


def case_scalars():
    return [None, True, False, 0, 1, -1, 255, 256, 65535, -65536, 2**31 - 1, -2**31, 2**53 - 1, -(2**53 - 1),
            2**53, -2**53, 2**63 - 1, 2**63, -2**63, -2**64 - 1, 10**40, -(10**40)]


def case_floats():
    return [0.0, -0.0, 1.0, -1.5, 0.1, 1 / 3, 1e16, 1e15, 123456789012345678.0, 1e-4, 1e-5, 0.00012345,
            1e300, -1e-300, 5e-324, 1.7976931348623157e308, 2.5e-08, float("inf"), float("-inf"), float("nan"),
            complex(1, 2), complex(0, -1), complex(-0.0, 1), complex(1.5, float("inf")), complex(0, 0),
            complex(1e16, -2.5)]


def case_strings():
    return ["", "a", "it's", 'say "hi"', "both ' and \"", "tab\tnew\nline\rcr", "back\\slash", "café",
            "\x00\x01\x1f\x7f\x80\x9f\xa0\xad", "中文", "😀 emoji", "\ud800 lone", "x\udfff", "\u2028\u2029",
            "\u200b\ufeff", "\u0378", "\U0010ffff", "x" * 300]


def case_bytes():
    return [b"", b"\x00\xff", b"abc", b"it's", bytes(range(256)), bytearray(b"xy"), bytearray()]


def case_containers():
    return [[], (), {}, set(), frozenset(), [1, [2, [3, [4]]]], (1, "a", (2.5, None)),
            {"a": 1, "b": [1, 2], "c": {"d": None}}, {1: "one", 2.5: "two", (1, 2): "tuple", None: 0, True: 1},
            {3, 1, 2}, frozenset({"x"}), [(), ()], {"": "", "with space": 1}]


def case_shared():
    a = [1, 2]
    t = ("t", a)
    d = {"k": a}
    return [a, a, t, t, d, d, (a,), {"again": d}]


def case_cycles():
    lst = []
    lst.append(lst)
    dct = {}
    dct["self"] = dct
    outer = [lst, dct]
    inner = [outer]
    outer.append(inner)
    return outer


def case_collections():
    dd = collections.defaultdict(list)
    dd["x"].append(1)
    return [collections.OrderedDict([("b", 1), ("a", 2)]), dd, collections.Counter("abracadabra"),
            collections.OrderedDict(), collections.deque([1, 2, 3], maxlen=5)]


def case_datetimes():
    ist = datetime.timezone(datetime.timedelta(hours=5, minutes=30), "IST")
    return [datetime.datetime(2020, 1, 2, 3, 4, 5, 6), datetime.datetime(2020, 1, 1, 0, 0),
            datetime.datetime(2020, 1, 1, 0, 0, 7), datetime.datetime(2021, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc),
            datetime.datetime(2021, 5, 6, 7, 8, 9, tzinfo=ist),
            datetime.datetime(2021, 5, 6, 7, 8, 9, tzinfo=datetime.timezone(datetime.timedelta(hours=-3))),
            datetime.date(1999, 12, 31), datetime.date(1, 1, 1), datetime.time(23, 59, 58, 1), datetime.time(0, 0),
            datetime.time(12, 30, tzinfo=datetime.timezone.utc), datetime.timedelta(days=-1, seconds=5, microseconds=7),
            datetime.timedelta(0), datetime.timedelta(microseconds=5), datetime.timedelta(days=3), ist,
            datetime.timezone.utc, datetime.timezone(datetime.timedelta(0), "UTC"),
            datetime.datetime(2020, 1, 2, 3, 4, 5, 6, fold=1), datetime.time(1, 2, fold=1)]


def case_decimals():
    return [decimal.Decimal("1.10"), decimal.Decimal("-Infinity"), decimal.Decimal("NaN"), decimal.Decimal("1E+100"),
            decimal.Decimal("-0.000"), decimal.Decimal("12345678901234567890.123")]


def case_arrays():
    return [array.array("i", [1, -2, 3]), array.array("d", [0.5, -1e300]), array.array("f", [0.1, 2.5]),
            array.array("u", "hi€"), array.array("B"), array.array("b", [-128, 127]), array.array("H", [65535]),
            array.array("q", [-2**63, 2**63 - 1]), array.array("Q", [2**64 - 1]), array.array("l", [7]),
            array.array("I", [4294967295])]


def case_misc():
    return [range(1, 10, 2), range(5), range(-3, 3), slice(1, None, -1), slice(5), slice(None, "a", 2.5),
            uuid.UUID("12345678-1234-5678-1234-567812345678"), uuid.UUID(int=0), uuid.UUID(int=2**128 - 1),
            pathlib.PurePosixPath("/usr/lib"), pathlib.PurePosixPath("a/b"), pathlib.PurePosixPath(),
            pathlib.PureWindowsPath("C:/x/y"), Ellipsis, NotImplemented]


def case_numpy_scalars():
    import numpy as np
    return [np.float16(0.1), np.float16(65504), np.float16(-2.5e-05), np.float16(1.0), np.float16(float("inf")),
            np.float32(0.1), np.float32(1e20), np.float32(-3.0), np.float64(1 / 3), np.float64(1e16),
            np.int8(-5), np.int16(300), np.int32(-12), np.int64(7), np.uint8(255), np.uint64(2**64 - 1),
            np.bool_(True), np.bool_(False)]


def case_big_dict():
    return {"key%04d" % i: i * 1.5 for i in range(300)}


CASES = [("scalars", case_scalars), ("floats", case_floats), ("strings", case_strings), ("bytes", case_bytes),
         ("containers", case_containers), ("shared", case_shared), ("cycles", case_cycles),
         ("collections", case_collections), ("datetimes", case_datetimes), ("decimals", case_decimals),
         ("arrays", case_arrays), ("misc", case_misc), ("numpy_scalars", case_numpy_scalars),
         ("big_dict", case_big_dict)]

# ---- expected exports ------------------------------------------------------------------------------


def is_identity(obj):
    """Values the export may mark as shared: containers and objects (not scalars, str, bytes).
    The empty tuple is a singleton in CPython but EMPTY_TUPLE is never memoized."""
    if is_numpy_scalar(obj):
        return True
    if isinstance(obj, tuple):
        return len(obj) > 0
    if isinstance(obj, (bool, int, float, complex, str, bytes, type(None))):
        return False
    if is_global(obj):
        return False
    return True


def is_global(obj):
    return (isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)) or obj is Ellipsis
            or obj is NotImplemented)


def global_value(obj, protocol=4):
    if obj is Ellipsis:
        module, name = "builtins", "Ellipsis"
    elif obj is NotImplemented:
        module, name = "builtins", "NotImplemented"
    else:
        module = getattr(obj, "__module__", None)
        name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__")
    out = {"type": "global", "module": module, "name": name}
    if protocol < 3:
        # The pickler writes Python 2 names (fix_imports); the loader maps them back and keeps both.
        pickled = _compat_pickle.REVERSE_NAME_MAPPING.get((module, name))
        if pickled is None and module in _compat_pickle.REVERSE_IMPORT_MAPPING:
            pickled = (_compat_pickle.REVERSE_IMPORT_MAPPING[module], name)
        if pickled is not None and pickled != (module, name):
            out["pickled_module"], out["pickled_name"] = pickled
    return out


class Exporter:
    def __init__(self, protocol, plain):
        self.protocol = protocol
        self.plain = plain

    # The pieces of an object as the machine records them: via, callable, args, state, items.
    def reduce_parts(self, obj):
        rv = obj.__reduce_ex__(self.protocol)
        func, args = rv[0], rv[1]
        state = rv[2] if len(rv) > 2 else None
        listitems = list(rv[3]) if len(rv) > 3 and rv[3] is not None else []
        dictitems = list(rv[4]) if len(rv) > 4 and rv[4] is not None else []
        via = "reduce"
        base = None
        if func is copyreg.__newobj__ or getattr(func, "__name__", "") == "__newobj__":
            via, func, args = "newobj", args[0], args[1:]
        elif func is copyreg._reconstructor:
            cls, base_cls, ctor_state = args
            via, func = "newobj", cls
            if base_cls is object:
                args = ()
            else:
                base = base_cls
                args = () if ctor_state is None else (ctor_state,)
        return via, func, tuple(args), state, listitems, dictitems, base

    def children(self, obj):
        """The values an export writes as VALUE under obj, in order (mirrors json_writer.cpp)."""
        if isinstance(obj, (list, tuple, set, frozenset)):
            return list(obj)
        if isinstance(obj, dict):
            out = []
            if isinstance(obj, collections.defaultdict) and not self.plain:
                out.append(obj.default_factory)
            for k, v in obj.items():
                out += [k, v]
            return out
        if is_numpy_scalar(obj):
            pass
        elif isinstance(obj, (bool, int, float, complex, str, bytes, bytearray, type(None))) or is_global(obj):
            return []
        if self.plain and display_of(obj) is not None:
            return []
        via, func, args, state, listitems, dictitems, base = self.reduce_parts(obj)
        out = [] if self.plain else [func]
        out += list(args)
        if state is not None:
            out.append(state)
        if base is not None:
            out.append(base)
        out += listitems
        for k, v in dictitems:
            out += [k, v]
        return out

    def count(self, root):
        counts = {}
        keep = []  # keep temporaries (reduce args) alive so id()s stay unique
        stack = [root]
        while stack:
            obj = stack.pop()
            keep.append(obj)
            if is_identity(obj):
                c = counts.get(id(obj), 0)
                counts[id(obj)] = min(c + 1, 2)
                if c >= 1:
                    continue
            stack.extend(self.children(obj))
        return counts, keep

    def export(self, root):
        self.counts, self.keep = self.count(root)
        self.ids = {}
        return self.value(root)

    def value(self, obj):
        if is_identity(obj) and self.counts.get(id(obj), 0) >= 2:
            if id(obj) in self.ids:
                return {"$ref": self.ids[id(obj)]} if self.plain else {"type": "ref", "id": self.ids[id(obj)]}
            self.ids[id(obj)] = len(self.ids) + 1
            assigned = self.ids[id(obj)]
        else:
            assigned = 0
        if self.plain:
            v = self.plain_value(obj)
            if not assigned:
                return v
            if isinstance(v, dict):  # a JSON object: "$id" is its first member
                return {"$id": assigned, **v}
            return {"$id": assigned, "$value": v}
        return self.typed_value(obj, assigned)

    def typed_value(self, obj, assigned):
        def head(t):
            d = {"type": t}
            if assigned:
                d["id"] = assigned
            return d

        if is_numpy_scalar(obj):
            return self.typed_object(obj, head)
        if obj is None:
            return {"type": "none"}
        if isinstance(obj, bool):
            return {"type": "bool", "value": obj}
        if isinstance(obj, int):
            return {"type": "int", "value": obj if abs(obj) < 2**53 else str(obj)}
        if isinstance(obj, float):
            return {"type": "float", "value": json_float(obj)}
        if isinstance(obj, complex):
            return {"type": "complex", "real": json_float(obj.real), "imag": json_float(obj.imag)}
        if isinstance(obj, str):
            return {"type": "str", "value": obj}
        if isinstance(obj, (bytes, bytearray)):
            d = head("bytes" if isinstance(obj, bytes) else "bytearray")
            d["base64"] = base64.b64encode(bytes(obj)).decode()
            return d
        if is_global(obj):
            return global_value(obj, self.protocol)
        if isinstance(obj, (list, tuple, set, frozenset)):
            t = {list: "list", tuple: "tuple", set: "set", frozenset: "frozenset"}[type(obj)]
            d = head(t)
            d["items"] = [self.value(x) for x in obj]
            return d
        if type(obj) in (dict, collections.OrderedDict, collections.defaultdict, collections.Counter):
            d = head("dict")
            if type(obj) is not dict:
                d["class"] = "collections." + type(obj).__name__
            if type(obj) is collections.defaultdict:
                d["default_factory"] = self.value(obj.default_factory)
            d["items"] = [[self.value(k), self.value(v)] for k, v in obj.items()]
            return d
        return self.typed_object(obj, head)

    def typed_object(self, obj, head):
        via, func, args, state, listitems, dictitems, base = self.reduce_parts(obj)
        d = head("object")
        d["via"] = via
        disp = display_of(obj)
        if disp is not None:
            d["display"] = disp
        if is_numpy_scalar(obj):
            d["dtype"] = obj.dtype.name
            d["value"] = numpy_scalar_value(obj, False)
        d["callable"] = self.value(func)
        d["args"] = [self.value(a) for a in args]
        if state is not None:
            d["state"] = self.value(state)
        if base is not None:
            d["base"] = self.value(base)
        if listitems:
            d["listitems"] = [self.value(x) for x in listitems]
        if dictitems:
            d["dictitems"] = [[self.value(k), self.value(v)] for k, v in dictitems]
        return d

    def plain_value(self, obj):
        if is_numpy_scalar(obj):
            return self.plain_object(obj)
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return obj if -2**63 <= obj < 2**63 else str(obj)
        if isinstance(obj, float):
            return json_float(obj)
        if isinstance(obj, complex):
            return {"$type": "complex", "real": json_float(obj.real), "imag": json_float(obj.imag)}
        if isinstance(obj, (bytes, bytearray)):
            return {"$type": "bytes" if isinstance(obj, bytes) else "bytearray",
                    "base64": base64.b64encode(bytes(obj)).decode()}
        if is_global(obj):
            g = global_value(obj)
            return {"$type": "global", "name": g["module"] + "." + g["name"]}
        if isinstance(obj, (list, tuple, set, frozenset)):
            return [self.value(x) for x in obj]
        if isinstance(obj, dict):
            if all(isinstance(k, str) for k in obj):
                return {k: self.value(v) for k, v in obj.items()}
            return [[self.value(k), self.value(v)] for k, v in obj.items()]
        return self.plain_object(obj)

    def plain_object(self, obj):
        via, func, args, state, listitems, dictitems, base = self.reduce_parts(obj)
        if is_numpy_scalar(obj):
            return {"$type": "numpy." + type(obj).__name__, "value": numpy_scalar_value(obj, True)}
        g = global_value(args[0] if func is array._array_reconstructor else func)
        d = {"$type": g["module"] + "." + g["name"]}
        disp = display_of(obj)
        if disp is not None:
            d["display"] = disp
            return d
        if args:
            d["args"] = [self.value(a) for a in args]
        if state is not None:
            d["state"] = self.value(state)
        if base is not None:
            d["base"] = self.value(base)
        if listitems:
            d["listitems"] = [self.value(x) for x in listitems]
        if dictitems:
            d["dictitems"] = [[self.value(k), self.value(v)] for k, v in dictitems]
        return d


DISPLAY_TYPES = (datetime.datetime, datetime.date, datetime.time, datetime.timedelta, datetime.timezone,
                 decimal.Decimal, array.array, range, slice, uuid.UUID, pathlib.PurePath)


def is_numpy_scalar(obj):
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(obj, numpy.generic)


def display_of(obj):
    if isinstance(obj, DISPLAY_TYPES):
        return repr(obj)
    if is_numpy_scalar(obj) and obj.dtype.kind != "O":
        return repr(obj)  # numpy scalars (numpy 1.24: "0.1", "7", "True")
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(obj, numpy.dtype):
        return repr(obj)  # dtype('float32')
    return None


def numpy_scalar_value(obj, plain):
    """A numpy scalar's "value": the element form of the numpy arrays (ints exact)."""
    k = obj.dtype.kind
    if k == "b":
        return bool(obj)
    if k in "iu":
        v = int(obj)
        return v if plain or abs(v) < 2**53 else str(v)
    if k == "f":
        return json_float(float(obj))
    raise ValueError(obj)


def json_float(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def file_protocol(data):
    """The PROTO opcode's argument, or the highest protocol among the opcodes without one."""
    for op, arg, _ in pickletools.genops(data):
        if op.name == "PROTO":
            return arg
    return max(op.proto for op, _, _ in pickletools.genops(data))


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = []
    for name, make in CASES:
        for protocol in range(6):
            obj = make()
            data = pickle.dumps(obj, protocol=protocol)
            loaded = pickle.loads(data)
            stem = "%s_p%d" % (name, protocol)
            with open(os.path.join(OUT, stem + ".pkl"), "wb") as f:
                f.write(data)
            file_info = {"name": stem + ".pkl", "size": len(data), "format": "pickle",
                         "protocol": file_protocol(data)}
            for plain in (False, True):
                root = Exporter(protocol, plain).export(loaded)
                # The plain form is the root value alone.
                doc = root if plain else {"picklescope": 1, "file": file_info, "root": root, "diagnostics": []}
                suffix = ".plain.json" if plain else ".json"
                with open(os.path.join(OUT, stem + suffix), "w") as f:
                    json.dump(doc, f, separators=(",", ":"), ensure_ascii=True)
                    f.write("\n")
            manifest.append(stem)
            if isinstance(loaded, list):
                with open(os.path.join(OUT, stem + ".reprs.json"), "w") as f:
                    json.dump([repr(x) for x in loaded], f, indent=1, ensure_ascii=True)
                    f.write("\n")
    with open(os.path.join(OUT, "MANIFEST.txt"), "w") as f:
        f.write("# <case>_p<protocol>: .pkl, expected .json (typed), .plain.json, .reprs.json\n")
        f.write("# generated by tests/export/gen_export_fixtures.py with Python %s\n" % sys.version.split()[0])
        for stem in manifest:
            f.write(stem + "\n")


if __name__ == "__main__":
    main()
