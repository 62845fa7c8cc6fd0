#!/usr/bin/python3
"""Writes numpy fixtures for tst_numpy_dtypes: arrays of every dtype kind x byte order, pickled
with protocols 2, 4 and 5, and beside each pickle the values numpy itself gives (tolist() under
PickleScope's JSON rules: structured items as objects keyed by field, datetimes as
numpy.datetime_as_string, timedeltas as integers in their unit, complex as [re, im], 'S' and 'V'
as {"$type":"bytes","base64":...}, NaN/inf as strings).

Run with Debian's numpy 1.24: /usr/bin/python3 tests/numpy/gen_numpy_fixtures.py
"""
import base64
import json
import math
import os
import pickle
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "numpy")


def py_float(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def b64(data):
    return {"$type": "bytes", "base64": base64.b64encode(bytes(data)).decode()}


def item(x, dt):
    """One element of dtype dt as the JSON value the rules give."""
    if dt.subdtype is not None:
        base, shape = dt.subdtype
        return nested(np.asarray(x).reshape(shape), base)
    if dt.names is not None:
        return {name: item(x[name], dt.fields[name][0]) for name in dt.names}
    k = dt.kind
    if k == "b":
        return bool(x)
    if k in "iu":
        return int(x)
    if k == "f":
        return py_float(x)
    if k == "c":
        return [py_float(np.real(x)), py_float(np.imag(x))]
    if k == "M":
        # native order first: numpy 1.24's datetime_as_string misreads '>M8[10ms]'
        return str(np.datetime_as_string(np.asarray(x, dtype=dt).astype(dt.newbyteorder("="))))
    if k == "m":
        v = np.asarray(x, dtype=dt)
        return "NaT" if np.isnat(v) else int(v.astype("<i8"))
    if k == "U":
        return str(x)
    if k == "S":
        return b64(bytes(x))
    if k == "V":
        return b64(np.asarray(x, dtype=dt).tobytes())
    if k == "O":
        return plain(x)
    raise ValueError(dt)


def plain(x):
    """The plain JSON form of the simple Python values used in object arrays."""
    if isinstance(x, float):
        return py_float(x)
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, bytes):
        return b64(x)
    if isinstance(x, int) and not isinstance(x, bool) and not -2**63 <= x < 2**63:
        return str(x)  # plain JSON: ints past int64 as decimal strings
    return x


def nested(a, dt):
    if not isinstance(a, np.ndarray):
        return item(a, dt)
    if a.ndim == 0:
        return item(a[()], dt)
    return [nested(a[i], dt) for i in range(a.shape[0])]


def masked_nested(a):
    """MaskedArray.tolist(): masked elements are None."""
    values = nested(np.asarray(a.data), a.dtype)
    mask = np.ma.getmaskarray(a).tolist()

    def merge(v, m):
        if isinstance(m, list):
            return [merge(x, y) for x, y in zip(v, m)]
        return None if m else v
    return merge(values, mask)


def arrays():
    out = {}

    def add(name, a):
        out[name] = a
        if a.dtype.byteorder in "<=" and a.dtype.itemsize > 1 and a.dtype.kind not in "OSVb" :
            out[name + "_be"] = a.astype(a.dtype.newbyteorder(">"))
        elif a.dtype.names is not None:
            out[name + "_be"] = a.astype(a.dtype.newbyteorder(">"))

    add("bool", np.array([True, False, True]))
    for t in ["i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"]:
        info = np.iinfo(t)
        add(t, np.array([info.min, 0, 1, info.max], dtype=t))
    add("i8_sum", np.array([-2**63, 0, 2**63 - 1, 5, 2**62], dtype="i8"))
    for t in ["f2", "f4", "f8"]:
        add(t, np.array([0.0, -0.0, 1.5, 0.1, 1e-5, np.nan, np.inf, -np.inf, 65504], dtype=t))
    add("f16", np.array([0.0, 1.5, -2.25, 1e300, np.nan, np.inf], dtype=np.longdouble))
    add("c8", np.array([1 + 2j, -0.5j, complex(np.nan, 1), 3], dtype="c8"))
    add("c16", np.array([1 + 2j, 0.1 - 0.2j, complex(0, np.inf)], dtype="c16"))
    add("c32", np.array([1 + 2j, -3.5 + 0.25j], dtype=np.clongdouble))
    for unit in ["Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as", "10ms", "3D"]:
        v = np.array([0, 1, -1, 1000, 123456789, -98765], dtype="i8").view("M8[%s]" % unit)
        v[3] = np.datetime64("NaT")
        add("M8_" + unit, v)
    add("M8_dates", np.array(["2021-01-01T12:34:56.789", "1969-12-31T23:59:59.999", "NaT", "-0005-03-01", "12345-06-01"], dtype="M8[ms]"))
    for unit in ["ns", "s", "D", "5m"]:
        v = np.array([0, 1, -7, 10**12, 0], dtype="i8").view("m8[%s]" % unit)
        v[4] = np.timedelta64("NaT")
        add("m8_" + unit, v)
    add("U", np.array(["ab", "cdefg", "h\u00e9llo\u2713", "\U0001F600", ""]))
    add("S", np.array([b"ab", b"c\x00d", b"", b"\xff\xfe\x00"]))
    add("V7", np.array([b"\x00" * 7, b"abc\x00\x01\x02\x03"], dtype="V7"))
    rec = np.dtype([("name", "U8"), ("pos", "<f4", (2,)), ("id", "<i8")])
    add("struct", np.array([("alice", (1.0, 2.0), 7), ("bob", (-1.5, 0.25), -2**63), ("", (0, 0), 0), ("carol", (3, 4), 2**62)], dtype=rec))
    nested_dt = np.dtype([("a", [("x", ">i2"), ("y", "S3")]), ("b", "<f8", (2, 2)), ("t", "M8[D]")])
    add("struct_nested", np.zeros(3, dtype=nested_dt))
    out["struct_nested"]["a"]["x"] = [1, -2, 300]
    out["struct_nested"]["a"]["y"] = [b"ab", b"", b"xyz"]
    out["struct_nested"]["b"] = np.arange(12).reshape(3, 2, 2) / 4
    out["struct_nested"]["t"] = np.array(["2020-02-29", "NaT", "1900-01-01"], dtype="M8[D]")
    out["struct_nested_be"] = out["struct_nested"].astype(nested_dt.newbyteorder(">"))
    aligned = np.dtype({"names": ["a", "b", "c"], "formats": ["u1", "<f8", "<i2"]}, align=True)
    add("struct_aligned", np.array([(1, 2.5, -3), (255, -0.0, 32767)], dtype=aligned))
    packed = np.dtype({"names": ["a", "b"], "formats": ["<i4", "<u2"], "offsets": [6, 0], "itemsize": 12})
    add("struct_offsets", np.array([(1, 2), (-5, 65535)], dtype=packed))
    add("i4_2d", np.arange(12, dtype="<i4").reshape(3, 4))
    add("f8_fortran", np.asfortranarray(np.arange(6, dtype="f8").reshape(2, 3) * 1.5))
    add("U_fortran", np.asfortranarray(np.array([["a", "bb", "ccc"], ["d", "ee", "fff"]])))
    add("empty_struct", np.zeros((0, 2), dtype=rec))
    add("scalar_c16", np.array(1 - 1j))
    obj = np.empty((2, 3), dtype=object)
    obj[0, 0], obj[0, 1], obj[0, 2] = "x", 1, None
    obj[1, 0], obj[1, 1], obj[1, 2] = [1, 2], {"k": 1.5}, b"\x00"
    out["object_2d"] = obj
    out["object_1d"] = np.array(["a", None, 2**70], dtype=object)
    out["masked_f8"] = np.ma.masked_array([1.5, 2, 3], mask=[0, 1, 0])
    out["masked_i8_2d"] = np.ma.masked_array(np.arange(6).reshape(2, 3), mask=[[0, 1, 0], [1, 0, 0]], fill_value=-1)
    out["masked_M8"] = np.ma.masked_array(np.array(["2020-01-01", "2021-06-30"], dtype="M8[D]"), mask=[1, 0])
    out["masked_U_be"] = np.ma.masked_array(np.array(["ab", "c"], dtype=">U2"), mask=[0, 1])
    add("scalar_M8", np.array(np.datetime64("2022-03-04T05:06:07", "s")))
    return out


def scalars():
    """numpy scalars of every kind and numpy.dtype objects."""
    out = {
        "bool_": np.bool_(True),
        "int8": np.int8(-5),
        "int64_min": np.int64(-2**63),
        "uint64_max": np.uint64(2**64 - 1),
        "float16": np.float16(0.1),
        "float32": np.float32(1.5),
        "float32_tenth": np.float32(0.1),
        "float64_nan": np.float64("nan"),
        "float128": np.longdouble(1) / 10,
        "float128_big": np.longdouble(1e20),
        "float128_from_double": np.longdouble(0.1),
        "complex64": np.complex64(0.1 + 0.2j),
        "complex64_negzero": np.complex64(complex(-0.0, -1)),
        "complex128": np.complex128(1e20 + 1j),
        "complex256": np.clongdouble(1 + 2j),
        "datetime64_D": np.datetime64("2021-01-01"),
        "datetime64_ns_nat": np.datetime64("NaT", "ns"),
        "datetime64_10ms": np.datetime64(5, "10ms"),
        "datetime64_s": np.datetime64("2020-02-29T23:59:58", "s"),
        "timedelta64_D": np.timedelta64(5, "D"),
        "timedelta64_nat": np.timedelta64("NaT", "s"),
        "timedelta64_generic": np.timedelta64(3),
        "str_": np.str_("h\u00e9llo"),
        "bytes_": np.bytes_(b"a\x00b"),
        "bytes_be": np.array([b"xy"])[0],
        "float32_be": np.array([2.5], dtype=">f4")[0],
    }
    dtypes = {
        "dtype_f4": np.dtype("float32"),
        "dtype_be": np.dtype(">i8"),
        "dtype_bool": np.dtype("?"),
        "dtype_U": np.dtype("<U7"),
        "dtype_S": np.dtype("S3"),
        "dtype_V": np.dtype("V7"),
        "dtype_O": np.dtype("O"),
        "dtype_M": np.dtype("<M8[10ms]"),
        "dtype_m_be": np.dtype(">m8[ns]"),
        "dtype_g": np.dtype(np.longdouble),
        "dtype_G": np.dtype(np.clongdouble),
        "dtype_struct": np.dtype([("name", "U8"), ("pos", "<f4", (2,)), ("id", "<i8")]),
        "dtype_nested": np.dtype([("a", [("x", ">i2"), ("y", "S3")]), ("b", "<f8", (2, 2))]),
        "dtype_aligned": np.dtype({"names": ["a", "b"], "formats": ["u1", "<f8"]}, align=True),
        "dtype_offsets": np.dtype({"names": ["a", "b"], "formats": ["<i4", "<u2"], "offsets": [6, 0], "itemsize": 12}),
        "dtype_subarray": np.dtype(("<f4", (2, 3))),
    }
    expected = {}
    for name, x in scalars_items(out):
        expected[name] = {"type": "numpy." + type(x).__name__, "repr": repr(x), "value": item(x, x.dtype)}
    for name, d in dtypes.items():
        expected[name] = {"type": "numpy.dtype", "repr": repr(d)}
    out.update(dtypes)
    return out, expected


def scalars_items(d):
    return list(d.items())


class MachineArray:
    """Pickles as array._array_reconstructor(array.array, typecode, mformat, bytes) as another
    platform would write it (a 32-bit 'l', a big-endian 'd', UTF-16 text)."""

    def __init__(self, typecode, mformat, data):
        self.args = (typecode, mformat, data)

    def __reduce__(self):
        import array
        return (array._array_reconstructor, (array.array,) + self.args)


def machine_arrays():
    import struct
    return [MachineArray("l", 8, struct.pack("<2i", 1, -2)),  # SIGNED_INT32_LE: CPython gives 'i'
            MachineArray("L", 7, struct.pack(">2H", 1, 65535)),  # UNSIGNED_INT32_BE: 'I'
            MachineArray("d", 17, struct.pack(">d", 0.5)),  # IEEE_754_DOUBLE_BE: 'd'
            MachineArray("i", 12, struct.pack("<q", -2**40)),  # SIGNED_INT64_LE: 'q'
            MachineArray("u", 18, "h\u20ac".encode("utf-16-le"))]  # UTF16_LE: 'u'


def main():
    os.makedirs(OUT, exist_ok=True)
    data = arrays()
    expected = {}
    for name, a in data.items():
        values = masked_nested(a) if isinstance(a, np.ma.MaskedArray) else nested(a, a.dtype)
        expected[name] = {"descr": a.dtype.str, "repr": repr(a.dtype), "shape": list(a.shape), "values": values}
    text = json.dumps(expected, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for proto in (2, 4, 5):
        with open(os.path.join(OUT, "arrays_p%d.pkl" % proto), "wb") as f:
            pickle.dump(data, f, protocol=proto)
        with open(os.path.join(OUT, "arrays_p%d.expected.json" % proto), "w", encoding="utf-8") as f:
            f.write(text + "\n")
    machine = machine_arrays()
    data_bytes = pickle.dumps(machine, protocol=4)
    with open(os.path.join(OUT, "array_mformat.pkl"), "wb") as f:
        f.write(data_bytes)
    with open(os.path.join(OUT, "array_mformat.expected.json"), "w", encoding="utf-8") as f:
        json.dump([repr(a) for a in pickle.loads(data_bytes)], f, ensure_ascii=False)
    values, expected = scalars()
    text = json.dumps(expected, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for proto in (2, 4, 5):
        with open(os.path.join(OUT, "scalars_p%d.pkl" % proto), "wb") as f:
            pickle.dump(values, f, protocol=proto)
        with open(os.path.join(OUT, "scalars_p%d.expected.json" % proto), "w", encoding="utf-8") as f:
            f.write(text + "\n")
    print("numpy", np.__version__, "arrays", len(data), "scalars and dtypes", len(values), file=sys.stderr)


if __name__ == "__main__":
    main()
