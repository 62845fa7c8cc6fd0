#!/usr/bin/python3
"""Fixtures for tests/formats/tst_npy.cpp: .npy files of header versions 1.0, 2.0 and 3.0
(np.lib.format.write_array(version=...)), Fortran order, 0-d and empty arrays, .npz archives
(np.savez: stored members; np.savez_compressed: deflated) of every dtype of the numpy fixtures
(tests/numpy/gen_numpy_fixtures.py's arrays(): bool, ints, floats incl. f2 and longdouble,
complex, datetime64 / timedelta64 with units, U / S / V, structured, nested, aligned and offset
structs, sub-arrays), object arrays (a harmless one, and one whose pickle calls os.system), and
truncated / hostile variants.

Beside them, expected.json holds what numpy reads (np.load of every file): per array its
dtype.str, repr(dtype), shape, Fortran flag and tolist() under PickleScope's JSON rules (the
numpy fixtures' nested()), and a summary (the first 16 elements, min / max) for numbers; per
hostile file the error code and the byte offset the reader must name, computed here from the
bytes written.

Run with Debian's numpy 1.24:  /usr/bin/python3 tests/formats/gen_npy_fixtures.py
"""

import io
import json
import math
import os
import pickle
import struct
import sys
import zipfile

import numpy as np

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "numpy"))
import gen_numpy_fixtures as npfix  # noqa: E402  (arrays() and the tolist() JSON rules)

OUT = os.path.join(HERE, "..", "data", "formats", "npy")
EXPECT = {"arrays": {}, "hostile": {}}


def path(name):
    return os.path.join(OUT, name)


def summary(a):
    """What --tensor-data summary must show for a plain numeric array (None otherwise)."""
    dt = a.dtype
    if dt.names is not None or dt.subdtype is not None or dt.kind not in "biuf":
        return None
    flat = np.ravel(a, order="C")
    first = [npfix.item(x, dt) for x in flat[:16]]
    if dt.kind == "b":
        first = [int(x) for x in first]
    out = {"first": first}
    if a.size and (dt.kind != "f" or not np.isnan(flat).any()):
        lo, hi = flat.min(), flat.max()
        if dt.kind in "biu":
            out["min"], out["max"] = int(lo), int(hi)
        else:
            out["min"], out["max"] = npfix.py_float(lo), npfix.py_float(hi)
    return out


def expect_array(a, fortran=None):
    e = {"descr": a.dtype.str, "repr": repr(a.dtype), "shape": list(a.shape),
         "fortran": bool(a.flags.f_contiguous and not a.flags.c_contiguous) if fortran is None else fortran,
         "values": npfix.nested(a, a.dtype)}
    s = summary(a)
    if s is not None:
        e["summary"] = s
    return e


def expect_file(name):
    """np.load of a written file: its arrays in np.load's order."""
    loaded = np.load(path(name), allow_pickle=True)
    if isinstance(loaded, np.lib.npyio.NpzFile):
        arrays = {k: loaded[k] for k in loaded.files}
        kind = "npz"
    else:
        arrays = {"": loaded}
        kind = "npy"
    out = {"format": kind, "order": list(arrays), "arrays": {}}
    for k, a in arrays.items():
        fortran = bool(a.flags.f_contiguous and not a.flags.c_contiguous and a.ndim > 1)
        out["arrays"][k] = expect_array(a, fortran)
    EXPECT["arrays"][name] = out


def header_of(data):
    """(header start, header text) of .npy bytes."""
    major = data[6]
    start = 10 if major == 1 else 12
    n = struct.unpack("<H" if major == 1 else "<I", data[8:start])[0]
    return start, data[start:start + n]


def with_header(text, version=1):
    """An .npy prefix with `text` as the header (padded as numpy pads it) and no data."""
    body = text.encode("latin1") if isinstance(text, str) else text
    start = 10 if version == 1 else 12
    pad = (64 - (start + len(body) + 1) % 64) % 64
    body = body + b" " * pad + b"\n"
    length = struct.pack("<H", len(body)) if version == 1 else struct.pack("<I", len(body))
    return b"\x93NUMPY" + bytes([version, 0]) + length + body


def hostile(name, data, code, offset, contains):
    with open(path(name), "wb") as f:
        f.write(data)
    EXPECT["hostile"][name] = {"code": code, "offset": offset, "contains": contains}


class Shell:
    """An object whose pickle calls os.system: only ever pickled here, never loaded."""

    def __reduce__(self):
        return (os.system, ("echo picklescope-test-payload",))


def gen_diff():
    """The same weights saved by torch.save and by np.savez, and a copy with one key perturbed,
    for tst_npz_diff (picklescope-cli diff pairs a torch tensor with an ndarray)."""
    import torch
    torch.manual_seed(12)
    state = {"encoder.weight": torch.randn(4, 3), "encoder.bias": torch.randn(4),
             "head.weight": torch.randn(2, 4).half(), "step": torch.arange(5, dtype=torch.int64)}
    torch.save(state, path("diff_state.bin"))
    arrays = {k: v.numpy() for k, v in state.items()}
    np.savez(path("diff_same.npz"), **arrays)
    changed = {k: v.copy() for k, v in arrays.items()}
    changed["encoder.bias"][2] += 0.5
    np.savez_compressed(path("diff_changed.npz"), **changed)
    EXPECT["diff"] = {"a": "diff_state.bin", "same": "diff_same.npz", "changed_file": "diff_changed.npz",
                      "keys": sorted(state), "changed": "encoder.bias", "first_mismatch": [2]}


def main():
    os.makedirs(OUT, exist_ok=True)
    arrays = {k: v for k, v in npfix.arrays().items()
              if not isinstance(v, np.ma.MaskedArray) and v.dtype.kind != "O"
              and not k.startswith("struct_offsets")}  # out-of-order fields: np.save refuses them

    # every dtype, in an .npz stored and deflated
    np.savez(path("dtypes.npz"), **arrays)
    expect_file("dtypes.npz")
    np.savez_compressed(path("dtypes_compressed.npz"), **arrays)
    expect_file("dtypes_compressed.npz")

    # header versions, orders, shapes
    def write(name, a, version):
        with open(path(name), "wb") as f:
            np.lib.format.write_array(f, a, version=version)
        expect_file(name)
        EXPECT["arrays"][name]["version"] = "%d.%d" % version

    write("v1_f8_2d.npy", np.arange(12, dtype="<f8").reshape(3, 4) / 8, (1, 0))
    write("v2_struct.npy", arrays["struct"], (2, 0))
    utf8 = np.dtype([("na\u00efve", "<i4"), ("\u2713", "<f8", (2,))])
    write("v3_utf8_fields.npy", np.array([(1, (0.5, -1)), (-7, (2, 3))], dtype=utf8), (3, 0))
    write("fortran_f4.npy", np.asfortranarray(np.arange(24, dtype="<f4").reshape(2, 3, 4) - 5), (1, 0))
    write("fortran_U.npy", arrays["U_fortran"], (1, 0))
    write("scalar_0d.npy", np.array(-2.5, dtype=">f8"), (1, 0))
    write("empty_0x3.npy", np.zeros((0, 3), dtype="<i2"), (1, 0))
    write("big_endian_i4.npy", np.array([[1, -2], [2**31 - 1, -2**31]], dtype=">i4"), (1, 0))
    write("aligned_struct.npy", arrays["struct_aligned"], (1, 0))
    write("nested_struct.npy", arrays["struct_nested"], (1, 0))

    # object arrays: their payload is a pickle
    harmless = np.empty((2, 2), dtype=object)
    harmless[0, 0], harmless[0, 1], harmless[1, 0], harmless[1, 1] = "x", 1, None, [1, 2.5]
    np.save(path("object_harmless.npy"), harmless)
    expect_file("object_harmless.npy")
    malicious = np.array([1, Shell()], dtype=object)
    with open(path("object_malicious.npy"), "wb") as f:
        np.lib.format.write_array(f, malicious, allow_pickle=True)
    EXPECT["malicious"] = {"file": "object_malicious.npy", "global": "posix.system"}
    np.savez(path("objects.npz"), safe=harmless, numbers=np.array([1.5, 2.5], dtype="<f4"))
    expect_file("objects.npz")

    # truncated and hostile variants (offsets computed from the bytes)
    good = open(path("v1_f8_2d.npy"), "rb").read()
    start, head = header_of(good)
    data_at = start + len(head)
    hostile("bad_magic.npy", b"\x93NUMPX" + good[6:], "format error", 0, "magic")
    hostile("bad_version.npy", good[:6] + b"\x04\x00" + good[8:], "unsupported", 6, "version 4.0")
    hostile("bad_header_past_end.npy", good[:8] + struct.pack("<H", 60000) + good[10:200],
            "truncated", 8, "runs past the end")
    hostile("bad_header_over_limit.npy", b"\x93NUMPY\x02\x00" + struct.pack("<I", 2 ** 21) + b"{" * 64,
            "limit exceeded", 8, "over the limit")
    code = "{'descr': __import__('os').system('id'), 'fortran_order': False, 'shape': (1,), }"
    hostile("bad_header_code.npy", with_header(code) + b"\0" * 8, "format error",
            10 + code.index("__import__"), "not a Python literal")
    nokey = "{'descr': '<f8', 'fortran_order': False, }"
    hostile("bad_header_missing_shape.npy", with_header(nokey) + b"\0" * 8, "format error", 10,
            "are required")
    baddescr = "{'descr': '<q9', 'fortran_order': False, 'shape': (1,), }"
    hostile("bad_descr.npy", with_header(baddescr) + b"\0" * 8, "format error",
            10 + baddescr.index("'<q9'"), "not a dtype")
    negative = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, -3), }"
    hostile("bad_negative_dim.npy", with_header(negative) + b"\0" * 8, "format error",
            10 + negative.index("-3"), "negative dimension")
    overflow = "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"
    hostile("bad_overflow_shape.npy", with_header(overflow) + b"\0" * 8, "format error",
            10 + overflow.index("(4294967296"), "overflows")
    hostile("bad_truncated_data.npy", good[:data_at + 40], "truncated", data_at, "96 bytes")
    objgood = open(path("object_harmless.npy"), "rb").read()
    ostart, ohead = header_of(objgood)
    hostile("bad_truncated_object.npy", objgood[:ostart + len(ohead) + 30], "truncated", None,
            "object array pickle")
    # an .npz whose member's data is cut (the member itself is a well-formed zip record)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("ok.npy", open(path("big_endian_i4.npy"), "rb").read())
        z.writestr("cut.npy", good[:data_at + 40])
    member_at = None
    raw = buf.getvalue()
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        info = z.getinfo("cut.npy")
        name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
        member_at = info.header_offset + 30 + name_len + extra_len
    hostile("bad_member.npz", raw, "truncated", member_at + data_at, "npz member cut.npy")

    gen_diff()

    with open(path("expected.json"), "w", encoding="utf-8") as f:
        json.dump(EXPECT, f, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print("numpy", np.__version__, "files", len(os.listdir(OUT)), file=sys.stderr)


if __name__ == "__main__":
    main()
