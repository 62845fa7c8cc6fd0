#!/usr/bin/python3
"""Fixtures for tests/formats: safetensors (written by the small writer below, which follows the
format's published description: an 8-byte little-endian header length, a UTF-8 JSON header
padded with spaces to a multiple of 8, then the tensors' bytes; data_offsets count from the byte
after the header), TorchScript archives (torch.jit.save), joblib files (joblib.dump with every
compressor), sharded checkpoints (a Hugging Face weight_map index over .bin and .safetensors
shards), and hostile variants of each. Expected values are what torch / numpy / joblib read,
written to expectations.json.

Run with Debian's /usr/bin/python3 (torch 1.13, numpy 1.24, joblib 1.2):
    /usr/bin/python3 tests/formats/gen_format_fixtures.py tests/data/formats
"""

import json
import math
import os
import struct
import sys

import numpy as np
import torch

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "data", "formats")
os.makedirs(OUT, exist_ok=True)
EXPECT = {}

torch.manual_seed(12)
np.random.seed(12)


def path(name):
    return os.path.join(OUT, name)


def num(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


# --- safetensors ------------------------------------------------------------------------------

ST_DTYPES = {
    torch.bool: "BOOL", torch.uint8: "U8", torch.int8: "I8", torch.int16: "I16", torch.int32: "I32",
    torch.int64: "I64", torch.float16: "F16", torch.bfloat16: "BF16", torch.float32: "F32",
    torch.float64: "F64", torch.complex64: "C64",
}
TORCH_NAMES = {
    "BOOL": "bool", "U8": "uint8", "I8": "int8", "U16": "uint16", "I16": "int16", "U32": "uint32",
    "I32": "int32", "U64": "uint64", "I64": "int64", "F16": "float16", "BF16": "bfloat16",
    "F32": "float32", "F64": "float64", "C64": "complex64", "F8_E4M3": "float8_e4m3fn",
    "F8_E5M2": "float8_e5m2",
}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def st_header(entries, metadata=None):
    """entries: [(name, dtype text, shape, nbytes)] in data order -> header bytes (padded)."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    for name, dtype, shape, nbytes in entries:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text


def write_safetensors(name, raw, metadata=None):
    """raw: [(name, dtype text, shape, bytes)] in data order."""
    with open(path(name), "wb") as f:
        f.write(st_header([(n, d, s, len(b)) for n, d, s, b in raw], metadata))
        for _, _, _, b in raw:
            f.write(b)


def values_of(t):
    if t.is_complex():
        flat = t.reshape(-1)
        return [num(v) for v in flat.real.double().tolist()], [num(v) for v in flat.imag.double().tolist()]
    return [num(v) for v in t.reshape(-1).double().tolist()], None


def expect_tensor(t, dtype_name):
    vals, imag = values_of(t)
    e = {"dtype": dtype_name, "shape": list(t.shape), "values": vals}
    if imag is not None:
        e["imag"] = imag
    return e


def f8_decode(byte, exp_bits, man_bits, bias, fn):
    """IEEE-like float8 decoding (OCP FP8: E4M3FN has no infinities, only S.1111.111 is NaN)."""
    sign = -1.0 if byte & 0x80 else 1.0
    e = (byte >> man_bits) & ((1 << exp_bits) - 1)
    m = byte & ((1 << man_bits) - 1)
    if fn and e == (1 << exp_bits) - 1 and m == (1 << man_bits) - 1:
        return float("nan")
    if not fn and e == (1 << exp_bits) - 1:
        return sign * float("inf") if m == 0 else float("nan")
    if e == 0:
        return sign * (m / (1 << man_bits)) * 2.0 ** (1 - bias)
    return sign * (1 + m / (1 << man_bits)) * 2.0 ** (e - bias)


def gen_safetensors():
    tensors = {
        "a.bool": torch.tensor([True, False, True]),
        "b.u8": torch.arange(0, 250, 50, dtype=torch.uint8),
        "c.i8": torch.tensor([-128, -1, 0, 127], dtype=torch.int8),
        "d.i16": torch.tensor([[-32768, 7], [300, 32767]], dtype=torch.int16),
        "e.i32": torch.tensor([-2**31, 5, 2**31 - 1], dtype=torch.int32),
        "f.i64": torch.tensor([-2**40, 0, 2**40 + 3], dtype=torch.int64),
        "g.f16": torch.tensor([[1.5, -0.25, 65504.0], [float("inf"), float("nan"), 6e-8]], dtype=torch.float16),
        "h.bf16": torch.tensor([3.140625, -1e30, 0.0078125], dtype=torch.bfloat16),
        "i.f32": torch.randn(3, 4, 2),
        "j.f64": torch.tensor([math.pi, -math.e, 1e-300], dtype=torch.float64),
        "k.c64": torch.tensor([1 + 2j, -3.5 - 0.5j], dtype=torch.complex64),
        "l.scalar": torch.tensor(7.25, dtype=torch.float32),
        "m.empty": torch.zeros(0, 3, dtype=torch.float32),
    }
    raw = []
    exp = {}
    for name, t in tensors.items():
        d = ST_DTYPES[t.dtype]
        raw.append((name, d, list(t.shape), tensor_bytes(t)))
        exp[name] = expect_tensor(t, TORCH_NAMES[d])
    # unsigned 16/32/64 (torch 1.13 has no such tensors: numpy writes and reads them)
    for name, arr, d in [("n.u16", np.array([0, 1, 65535], dtype="<u2"), "U16"),
                         ("o.u32", np.array([0, 4000000000], dtype="<u4"), "U32"),
                         ("p.u64", np.array([0, 2**63 + 5], dtype="<u8"), "U64")]:
        raw.append((name, d, list(arr.shape), arr.tobytes()))
        exp[name] = {"dtype": TORCH_NAMES[d], "shape": list(arr.shape), "values": [num(float(v)) for v in arr]}
    # float8 (no reader here: bytes chosen by hand, values decoded by f8_decode above)
    e4 = bytes([0x00, 0x38, 0xb8, 0x7e, 0x7f, 0x01, 0x08])
    e5 = bytes([0x00, 0x3c, 0xbc, 0x7b, 0x7c, 0x7d, 0x01])
    raw.append(("q.f8e4m3", "F8_E4M3", [7], e4))
    exp["q.f8e4m3"] = {"dtype": "float8_e4m3fn", "shape": [7], "values": [num(f8_decode(b, 4, 3, 7, True)) for b in e4]}
    raw.append(("r.f8e5m2", "F8_E5M2", [7], e5))
    exp["r.f8e5m2"] = {"dtype": "float8_e5m2", "shape": [7], "values": [num(f8_decode(b, 5, 2, 15, False)) for b in e5]}
    meta = {"format": "pt", "note": "r\u00e9sum\u00e9 \u2713"}
    write_safetensors("dtypes.safetensors", raw, meta)
    EXPECT["dtypes.safetensors"] = {"format": "safetensors", "metadata": meta, "tensors": exp,
                                    "order": sorted(exp)}

    # the smallest file, for the hand-computed header in the test
    write_safetensors("tiny.safetensors", [("x", "F32", [2], struct.pack("<2f", 1.0, -2.0))])
    EXPECT["tiny.safetensors"] = {"format": "safetensors", "metadata": {},
                                  "tensors": {"x": {"dtype": "float32", "shape": [2], "values": ["1.0", "-2.0"]}},
                                  "order": ["x"]}

    # hostile variants
    good = open(path("tiny.safetensors"), "rb").read()
    hl = struct.unpack("<Q", good[:8])[0]

    def hostile(name, data):
        with open(path(name), "wb") as f:
            f.write(data)

    hostile("bad_header_past_end.safetensors", struct.pack("<Q", 4096) + good[8:])
    hostile("bad_header_over_limit.safetensors", struct.pack("<Q", 200_000_000) + good[8:])
    hostile("bad_short.safetensors", good[:5])
    hostile("bad_truncated_data.safetensors", good[:-4])

    def variant(name, header_obj, data):
        text = json.dumps(header_obj, separators=(",", ":")).encode("utf-8")
        hostile(name, struct.pack("<Q", len(text)) + text + data)

    eight = struct.pack("<2f", 1.0, 2.0)
    variant("bad_overlap.safetensors", {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                        "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, eight)
    variant("bad_offsets_reversed.safetensors", {"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}, eight)
    variant("bad_size_mismatch.safetensors", {"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, eight)
    variant("bad_unknown_dtype.safetensors", {"a": {"dtype": "F7", "shape": [2], "data_offsets": [0, 8]}}, eight)
    variant("bad_negative_dim.safetensors", {"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, eight)
    dup = b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'
    hostile("bad_duplicate_name.safetensors", struct.pack("<Q", len(dup)) + dup + eight)
    latin = b'{"\xe9":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'
    hostile("bad_not_utf8.safetensors", struct.pack("<Q", len(latin)) + latin + eight)
    notjson = b'{"a":{"dtype":"F32",'
    hostile("bad_not_json.safetensors", struct.pack("<Q", len(notjson)) + notjson + eight)


# --- TorchScript ------------------------------------------------------------------------------

class Scaled(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 2)
        self.register_buffer("scale", torch.tensor([0.5, 2.0]))

    def forward(self, x):
        y = self.fc(x) * self.scale
        return y + torch.tensor([1.0, -1.0])


def gen_torchscript():
    import zipfile
    m = torch.jit.trace(Scaled().eval(), torch.ones(1, 3))
    torch.jit.save(m, path("scripted_module.pt"), _extra_files={"notes.txt": b"made by gen_format_fixtures"})
    lite = True
    try:
        m._save_for_lite_interpreter(path("scripted_module.ptl"))
    except Exception:  # noqa: BLE001 - a torch without the lite exporter
        lite = False
    for name in ["scripted_module.pt"] + (["scripted_module.ptl"] if lite else []):
        z = zipfile.ZipFile(path(name))
        members = {}
        for info in z.infolist():
            short = info.filename.split("/", 1)[1]
            entry = {"size": info.file_size}
            if short.startswith("code/") and short.endswith(".py") or short.startswith("extra/") or short == "version":
                entry["text"] = z.read(info).decode("utf-8")
            members[short] = entry
        loaded = torch.jit.load(path(name)) if name.endswith(".pt") else None
        exp = {"format": "torchscript", "members": members}
        if loaded is not None:
            exp["tensors"] = {
                "fc.weight": expect_tensor(loaded.fc.weight.detach(), "float32"),
                "fc.bias": expect_tensor(loaded.fc.bias.detach(), "float32"),
                "scale": expect_tensor(loaded.scale, "float32"),
            }
            # the constant the scripted forward() holds (constants.pkl)
            exp["constants"] = [expect_tensor(torch.tensor([1.0, -1.0]), "float32")]
        EXPECT[name] = exp


# --- sharded checkpoints ----------------------------------------------------------------------

def write_index(folder, name, weight_map, total):
    # as transformers writes it: sorted keys, indent 2
    with open(os.path.join(folder, name), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)


def gen_sharded():
    state = {
        "embed.weight": torch.randn(4, 3),
        "layers.0.weight": torch.randn(3, 3).half(),
        "layers.0.bias": torch.arange(3, dtype=torch.float32),
        "layers.1.weight": torch.randn(2, 3),
        "head.bias": torch.tensor([1, -2], dtype=torch.int64),
    }
    split = [["embed.weight", "layers.0.weight", "layers.0.bias"], ["layers.1.weight", "head.bias"]]
    total = sum(t.numel() * t.element_size() for t in state.values())

    def expect(folder, index, weight_map, missing=()):
        tensors = {}
        for shard in sorted(set(weight_map.values())):
            if shard in missing:
                continue
            p = os.path.join(folder, shard)
            if shard.endswith(".bin"):
                loaded = torch.load(p, map_location="cpu")
            else:
                loaded = {k: state[k] for k, v in weight_map.items() if v == shard}
            for k, t in loaded.items():
                e = expect_tensor(t, str(t.dtype).replace("torch.", ""))
                e["shard"] = shard
                tensors[k] = e
        shard_names = []
        for k in sorted(weight_map):
            if weight_map[k] not in shard_names:
                shard_names.append(weight_map[k])
        EXPECT[os.path.basename(folder) + "/" + index] = {
            "format": "sharded", "order": sorted(weight_map), "tensors": tensors,
            "metadata": {"total_size": str(total)}, "shards": shard_names, "missing": list(missing)}

    # .bin shards (torch.save)
    folder = path("sharded_bin")
    os.makedirs(folder, exist_ok=True)
    weight_map = {}
    for i, names in enumerate(split):
        shard = "pytorch_model-%05d-of-%05d.bin" % (i + 1, len(split))
        torch.save({k: state[k] for k in names}, os.path.join(folder, shard))
        weight_map.update({k: shard for k in names})
    write_index(folder, "pytorch_model.bin.index.json", weight_map, total)
    expect(folder, "pytorch_model.bin.index.json", weight_map)

    # .safetensors shards
    folder = path("sharded_st")
    os.makedirs(folder, exist_ok=True)
    weight_map = {}
    for i, names in enumerate(split):
        shard = "model-%05d-of-%05d.safetensors" % (i + 1, len(split))
        raw = [(k, ST_DTYPES[state[k].dtype], list(state[k].shape), tensor_bytes(state[k])) for k in sorted(names)]
        with open(os.path.join(folder, shard), "wb") as f:
            f.write(st_header([(n, d, sh, len(b)) for n, d, sh, b in raw], {"format": "pt"}))
            for r in raw:
                f.write(r[3])
        weight_map.update({k: shard for k in names})
    write_index(folder, "model.safetensors.index.json", weight_map, total)
    expect(folder, "model.safetensors.index.json", weight_map)

    # a missing shard, and a shard name that would leave the folder
    folder = path("sharded_missing")
    os.makedirs(folder, exist_ok=True)
    shard = "model-00001-of-00002.safetensors"
    raw = [(k, ST_DTYPES[state[k].dtype], list(state[k].shape), tensor_bytes(state[k])) for k in sorted(split[0])]
    with open(os.path.join(folder, shard), "wb") as f:
        f.write(st_header([(n, d, sh, len(b)) for n, d, sh, b in raw]))
        for r in raw:
            f.write(r[3])
    weight_map = {k: shard for k in split[0]}
    weight_map["layers.1.weight"] = "model-00002-of-00002.safetensors"
    weight_map["head.bias"] = "../outside.safetensors"
    write_index(folder, "model.safetensors.index.json", weight_map, total)
    expect(folder, "model.safetensors.index.json", weight_map,
           missing=("model-00002-of-00002.safetensors", "../outside.safetensors"))


# --- joblib -----------------------------------------------------------------------------------

def expect_array(a):
    a = np.asarray(a)
    e = {"dtype": a.dtype.str, "shape": list(a.shape), "fortran": bool(a.flags.f_contiguous and not a.flags.c_contiguous)}
    if a.dtype.hasobject:
        e["reprs"] = [repr(v) for v in a.ravel(order="C")]
    elif a.dtype.kind == "c":
        e["values"] = [num(v.real) for v in a.ravel(order="C")]
        e["imag"] = [num(v.imag) for v in a.ravel(order="C")]
    else:
        e["values"] = [num(v) for v in a.ravel(order="C").astype(np.float64)]
    return e


def gen_joblib():
    import joblib
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    arrays = {
        "f32": np.random.randn(3, 4).astype(np.float32),
        "f64_fortran": np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3) / 7),
        "i64": np.array([-(2 ** 40), 0, 7], dtype=np.int64),
        "u8": np.arange(5, dtype=np.uint8),
        "flags": np.array([True, False, True]),
        "big_endian": np.array([1.5, -2.25], dtype=">f8"),
        "c64": np.array([1 + 2j, -3j], dtype=np.complex64),
        "zero_d": np.array(4.5, dtype=np.float32),
        "empty": np.zeros((0, 2), dtype=np.float32),
        "objects": np.array(["a", 1, None], dtype=object),
    }
    obj = {"arrays": arrays, "name": "joblib fixture", "tuple": (1, 2.5)}
    X = np.random.randn(20, 3)
    y = (X[:, 0] > 0).astype(int)
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    compressors = [("plain", 0), ("zlib", ("zlib", 3)), ("gzip", ("gzip", 3)), ("bz2", ("bz2", 3)),
                   ("xz", ("xz", 3)), ("lzma", ("lzma", 3)), ("lz4", ("lz4", 3))]
    for label, compress in compressors:
        name = "arrays_%s.joblib" % label
        joblib.dump(obj, path(name), compress=compress)
        back = joblib.load(path(name))
        EXPECT[name] = {"format": "joblib", "compression": label if label != "plain" else "",
                        "arrays": {k: dict(expect_array(v), dtype=arrays[k].dtype.str)
                                   for k, v in back["arrays"].items()}}  # the stored dtype (joblib.load makes it native)
    joblib.dump(pipe, path("pipeline.joblib"))
    back = joblib.load(path("pipeline.joblib"))
    EXPECT["pipeline.joblib"] = {"format": "joblib", "mean_": expect_array(back.steps[0][1].mean_),
                                 "coef_": expect_array(back.steps[1][1].coef_)}
    # hostile: cut inside the array data; a compressed stream cut short; a zlib bomb
    plain = open(path("arrays_plain.joblib"), "rb").read()
    with open(path("bad_truncated.joblib"), "wb") as f:
        f.write(plain[: plain.index(b"\xff" * 3) + 20])
    gz = open(path("arrays_gzip.joblib"), "rb").read()
    with open(path("bad_truncated_gzip.joblib"), "wb") as f:
        f.write(gz[: len(gz) // 2])
    import zlib
    with open(path("bad_bomb.joblib"), "wb") as f:
        f.write(zlib.compress(b"\0" * (32 << 20), 9))


def gen_detect():
    # only for format detection (the .npy/.npz readers are issue 11's)
    np.save(path("detect.npy"), np.arange(3, dtype=np.int16))
    np.savez_compressed(path("detect.npz"), a=np.arange(2), b=np.ones(2))


gen_detect()
gen_safetensors()
gen_torchscript()
gen_sharded()
gen_joblib()

with open(path("expectations.json"), "w") as f:
    json.dump(EXPECT, f, indent=1, sort_keys=True)
