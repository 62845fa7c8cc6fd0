#!/usr/bin/python3
"""Writes the torch/numpy fixtures of tests/torch into tests/data/torch, and expectations.json
captured from torch.load / pickle.load. Run with Debian's /usr/bin/python3 (torch 1.13, numpy).

    /usr/bin/python3 tests/torch/gen_torch_fixtures.py [OUTDIR] [--recovery-only]

--recovery-only writes only OUTDIR/recovery/ (truncated checkpoints and their expected.json).

Also writes resources/samples/sample_checkpoint.pt (the GUI's bundled sample).
"""
import collections
import io
import json
import math
import os
import pickle
import struct
import sys
import tarfile
import zipfile

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
RECOVERY_ONLY = "--recovery-only" in sys.argv  # only recovery/ (the truncated checkpoints)
ARGS = [a for a in sys.argv[1:] if a != "--recovery-only"]
OUT = ARGS[0] if ARGS else os.path.join(REPO, "tests", "data", "torch")
os.makedirs(OUT, exist_ok=True)

expect = {}  # file -> {"format":..., "tensors":[...], ...}


def path_of(name):
    return os.path.join(OUT, name)


def fnum(x):
    """Floats as strings ('nan', 'inf', repr) so that the JSON stays standard."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


def values_f64(t):
    """Logical elements as a float64 numpy array, row-major, as TensorView reads them."""
    if t.is_quantized:
        t = t.dequantize()
    if t.is_complex():
        t = t.real
    return t.detach().to(torch.float64).reshape(-1).numpy()


def stats_of(v):
    finite_or_inf = v[~np.isnan(v)]
    d = {"count": int(v.size), "nan": int(np.isnan(v).sum()), "inf": int(np.isinf(v).sum()),
         "zero": int((v == 0).sum()), "first": [fnum(x) for x in v[:16]]}
    if finite_or_inf.size:
        d["min"] = fnum(finite_or_inf.min())
        d["max"] = fnum(finite_or_inf.max())
        with np.errstate(invalid="ignore", over="ignore"):
            d["sum"] = fnum(np.sum(finite_or_inf))
    return d


def tensor_record(path, t, groups):
    rec = {"path": path, "kind": "tensor",
           "class": "torch.nn.Parameter" if isinstance(t, nn.Parameter) else "torch.Tensor",
           "dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
           "requires_grad": bool(t.requires_grad)}
    if t.device.type == "meta":
        rec["layout"] = "meta"
        rec["stride"] = list(t.stride())
    elif t.layout == torch.strided:
        rec["stride"] = list(t.stride())
        rec["storage_offset"] = int(t.storage_offset())
        st = t.storage()
        key = st._storage._cdata  # the StorageImpl: shared exactly when torch shares it
        rec["storage_group"] = groups.setdefault(key, len(groups))
        rec["storage_numel"] = int(st.size())
        rec.update(stats_of(values_f64(t)))
        if t.is_quantized:
            rec["qscheme"] = str(t.qscheme()).replace("torch.", "")
            if t.qscheme() in (torch.per_tensor_affine, torch.per_tensor_symmetric):
                rec["scale"] = fnum(t.q_scale())
                rec["zero_point"] = int(t.q_zero_point())
            else:
                rec["axis"] = int(t.q_per_channel_axis())
    else:
        rec["layout"] = str(t.layout).replace("torch.", "")
    return rec


def ndarray_record(path, a):
    rec = {"path": path, "kind": "ndarray", "dtype": a.dtype.str, "shape": list(a.shape),
           "fortran_order": bool(a.flags.f_contiguous and not a.flags.c_contiguous)}
    if a.dtype.kind in "biuf" and a.dtype.itemsize <= 8:
        rec.update(stats_of(np.ascontiguousarray(a).astype(np.float64).reshape(-1)))
    return rec


def walk(obj):
    """Every tensor / ndarray reachable from obj with its path (keys, attribute names, indexes)."""
    out = []
    groups = {}
    seen = set()
    stack = [([], obj)]
    while stack:
        path, o = stack.pop()
        if isinstance(o, torch.Tensor):
            out.append(tensor_record(path, o, groups))
            continue
        if isinstance(o, np.ndarray) and not isinstance(o, np.ma.MaskedArray):
            out.append(ndarray_record(path, o))
            continue
        if id(o) in seen:
            continue
        if isinstance(o, dict):
            seen.add(id(o))
            for k, v in reversed(list(o.items())):
                if isinstance(k, (str, int)):
                    stack.append((path + [k], v))
        elif isinstance(o, (list, tuple)):
            seen.add(id(o))
            for i, v in reversed(list(enumerate(o))):
                stack.append((path + [i], v))
        elif isinstance(o, nn.Module):
            seen.add(id(o))
            for k in reversed(["_parameters", "_buffers", "_modules"]):
                stack.append((path + [k], o.__dict__[k]))
    out.sort(key=lambda r: json.dumps(r["path"]))
    return out


def capture(name, fmt, loaded=None, **extra):
    if loaded is None:
        loaded = torch.load(path_of(name))
    entry = {"format": fmt, "tensors": walk(loaded)}
    entry.update(extra)
    expect[name] = entry
    return loaded


def save(obj, name, legacy=False, **kw):
    torch.save(obj, path_of(name), _use_new_zipfile_serialization=not legacy, **kw)


# --- legacy tar, built by hand following torch 1.13's legacy_load --------------------------
def build_legacy_tar(fname):
    # five storages: float32, int64, float16, float64, uint8; keys look like pointers
    keys = [140234567812345 + 64 * i for i in range(5)]
    sdefs = [
        (keys[0], torch.FloatStorage, np.arange(12, dtype="<f4") * 0.5),
        (keys[1], torch.LongStorage, np.array([5, -6, 7, 2**40], dtype="<i8")),
        (keys[2], torch.HalfStorage, np.array([1.0, -2.0, 0.5, 65504.0], dtype="<f2")),
        (keys[3], torch.DoubleStorage, np.array([3.25, -1e10, 1e-300], dtype="<f8")),
        (keys[4], torch.ByteStorage, np.array([1, 2, 3, 250], dtype="u1")),
    ]
    view_key = 140234567899999
    sbuf = io.BytesIO()
    pickle.dump(len(sdefs), sbuf, protocol=2)
    for key, stype, arr in sdefs:
        pickle.dump((key, "cpu", stype), sbuf, protocol=2)
        sbuf.write(struct.pack("<q", arr.size))
        sbuf.write(arr.tobytes())
    pickle.dump([(view_key, keys[0], 4, 6)], sbuf, protocol=2)
    # seven tensors (key, storage key, type), shape, stride, offset
    tkeys = [150000000000000 + 8 * i for i in range(7)]
    tdefs = [
        (tkeys[0], keys[0], torch.FloatTensor, (3, 4), (4, 1), 0),
        (tkeys[1], keys[0], torch.FloatTensor, (4, 3), (1, 4), 0),  # column-major
        (tkeys[2], keys[0], torch.FloatTensor, (2, 2), (2, 1), 8),  # shares, offset 8
        (tkeys[3], keys[1], torch.LongTensor, (4,), (1,), 0),
        (tkeys[4], keys[2], torch.HalfTensor, (2, 2), (2, 1), 0),
        (tkeys[5], keys[3], torch.DoubleTensor, (3,), (1,), 0),
        (tkeys[6], view_key, torch.FloatTensor, (2, 3), (3, 1), 0),  # on the storage view
    ]
    tbuf = io.BytesIO()
    pickle.dump(len(tdefs), tbuf, protocol=2)
    for key, skey, ttype, size, stride, off in tdefs:
        pickle.dump((key, skey, ttype), tbuf, protocol=2)
        tbuf.write(struct.pack("<i", len(size)) + b"\0\0\0\0")
        tbuf.write(struct.pack("<%dq" % len(size), *size))
        tbuf.write(struct.pack("<%dq" % len(size), *stride))
        tbuf.write(struct.pack("<q", off))

    class Ref:
        def __init__(self, key):
            self.key = key

    class P(pickle.Pickler):
        def persistent_id(self, obj):
            return str(obj.key) if isinstance(obj, Ref) else None

    obj = collections.OrderedDict([
        ("matrix", Ref(tkeys[0])), ("colmajor", Ref(tkeys[1])), ("shared", Ref(tkeys[2])),
        ("longs", Ref(tkeys[3])), ("halves", Ref(tkeys[4])), ("doubles", Ref(tkeys[5])),
        ("on_view", Ref(tkeys[6])), ("bare_storage", Ref(keys[4])), ("epoch", 3)])
    pbuf = io.BytesIO()
    P(pbuf, protocol=2).dump(obj)
    sysbuf = pickle.dumps({'protocol_version': 1000, 'little_endian': True,
                           'type_sizes': {'short': 2, 'int': 4, 'long': 4}}, protocol=2)
    with tarfile.open(fname, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in [("sys_info", sysbuf), ("pickle", pbuf.getvalue()),
                           ("tensors", tbuf.getvalue()), ("storages", sbuf.getvalue())]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1500000000.5  # a float mtime: Python writes a PAX header
            tar.addfile(info, io.BytesIO(data))


torch.manual_seed(1234)
np.random.seed(1234)

# --- truncated checkpoints (recovery/): an interrupted download of each format -----------------
# A small checkpoint saved in the zip, legacy and tar formats, and copies cut at chosen bytes.
# recovery/expected.json holds, per cut file: its source, the cut offset, what torch.load of the
# whole file gives ("tensors", as expectations.json), the storage keys whose bytes lie wholly
# before the cut ("complete_keys", from the container's own layout), and whether the main pickle
# is whole ("main_pickle_complete").
def write_recovery_fixtures():
    rdir = os.path.join(OUT, "recovery")
    os.makedirs(rdir, exist_ok=True)
    rpath = lambda name: os.path.join(rdir, name)
    torch.manual_seed(99)
    w = torch.arange(12, dtype=torch.float32).reshape(3, 4) * 0.5
    obj = {"epoch": 7, "name": "tiny", "w": w, "b": torch.tensor([1, -2, 3]),
           "h": torch.randn(4).half(), "d": torch.linspace(0, 1, 64, dtype=torch.float64),
           "w_t": w.t(), "last": torch.full((5,), 2.5)}
    out = {}

    def zip_layout(data):
        """[(name, data offset, compressed size)] in file order, and the central directory offset."""
        z = zipfile.ZipFile(io.BytesIO(data))
        rows = []
        for info in z.infolist():
            h = info.header_offset
            n, e = struct.unpack("<HH", data[h + 26:h + 30])
            rows.append((info.filename, h + 30 + n + e, info.compress_size))
        rows.sort(key=lambda r: r[1])
        return rows, z.start_dir

    def zip_cuts(name, data, cuts):
        full = torch.load(io.BytesIO(data))
        rows, _ = zip_layout(data)
        for label, cut in cuts:
            fname = name.replace(".pt", "_" + label + ".pt")
            with open(rpath(fname), "wb") as f:
                f.write(data[:cut])
            complete = [r[0].split("/")[-1] for r in rows if "/data/" in r[0] and r[1] + r[2] <= cut]
            pkl = [r for r in rows if r[0].endswith("/data.pkl")][0]
            out[fname] = {"source": name, "format": "torch-zip", "cut": cut,
                          "tensors": walk(full), "complete_keys": sorted(complete),
                          "main_pickle_complete": pkl[1] + pkl[2] <= cut}

    # zip, as torch.save writes it (STORED, sizes in data descriptors, 64-byte aligned data)
    buf = io.BytesIO()
    torch.save(obj, buf)
    zdata = buf.getvalue()
    with open(rpath("tiny_zip.pt"), "wb") as f:
        f.write(zdata)
    rows, cd = zip_layout(zdata)
    storages = [r for r in rows if "/data/" in r[0]]
    pkl = [r for r in rows if r[0].endswith("/data.pkl")][0]
    third = storages[2]
    zip_cuts("tiny_zip.pt", zdata, [
        ("cut_in_storage", third[1] + third[2] // 2),
        ("cut_in_directory", cd + 30),
        ("cut_after_data_pkl", pkl[1] + pkl[2]),
        ("cut_in_data_pkl", pkl[1] + pkl[2] // 2),
        ("cut_before_descriptor", storages[1][1] + storages[1][2]),  # after data/1's bytes
    ])

    # the same records DEFLATEd by a streaming writer (general purpose bit 3, sizes after the data)
    class Unseekable(io.RawIOBase):
        def __init__(self):
            self.buf = bytearray()

        def writable(self):
            return True

        def write(self, b):
            self.buf += b
            return len(b)

    sink = Unseekable()
    zin = zipfile.ZipFile(io.BytesIO(zdata))
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename), zipfile.ZIP_DEFLATED)
    sdata = bytes(sink.buf)
    assert all(i.flag_bits & 8 for i in zipfile.ZipFile(io.BytesIO(sdata)).infolist())
    with open(rpath("tiny_streamed.pt"), "wb") as f:
        f.write(sdata)
    rows, cd = zip_layout(sdata)
    storages = [r for r in rows if "/data/" in r[0]]
    zip_cuts("tiny_streamed.pt", sdata, [
        ("cut_in_directory", cd + 30),
        ("cut_in_storage", storages[3][1] + storages[3][2] // 2),
    ])

    # legacy (torch < 1.6 format): five pickles, then each storage as an 8-byte count + bytes
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=False)
    ldata = buf.getvalue()
    with open(rpath("tiny_legacy.pt"), "wb") as f:
        f.write(ldata)
    sizes = {}

    class Keys(pickle.Unpickler):
        def persistent_load(self, pid):
            sizes[pid[2]] = (int(pid[4]), pid[1](0).element_size())
            return pid[1](int(pid[4]))

    stream = io.BytesIO(ldata)
    for _ in range(3):
        pickle.load(stream)  # magic number, protocol version, sys_info
    pickle_start = stream.tell()
    Keys(stream).load()
    pickle_end = stream.tell()
    keys = pickle.load(stream)
    ends = {}
    pos = stream.tell()
    for k in keys:
        pos += 8 + sizes[k][0] * sizes[k][1]
        ends[k] = pos
    full = torch.load(io.BytesIO(ldata))
    middle = keys[len(keys) // 2]
    for label, cut in [("cut_in_storage", ends[middle] - 3),
                       ("cut_in_pickle", (pickle_start + pickle_end) // 2)]:
        fname = "tiny_legacy_" + label + ".pt"
        with open(rpath(fname), "wb") as f:
            f.write(ldata[:cut])
        out[fname] = {"source": "tiny_legacy.pt", "format": "torch-legacy", "cut": cut,
                      "tensors": walk(full), "complete_keys": sorted(k for k in keys if ends[k] <= cut),
                      "main_pickle_complete": pickle_end <= cut}

    # legacy tar (torch <= 0.3): the storages member is last; cut inside it
    build_legacy_tar(rpath("tiny_tar.pt"))
    with open(rpath("tiny_tar.pt"), "rb") as f:
        tdata = f.read()
    tar = tarfile.open(rpath("tiny_tar.pt"))
    member = tar.getmember("storages")
    sbytes = tdata[member.offset_data:member.offset_data + member.size]
    stream = io.BytesIO(sbytes)
    ends = {}
    roots = []
    for _ in range(pickle.load(stream)):
        key, _, stype = pickle.load(stream)
        n = struct.unpack("<q", stream.read(8))[0]
        stream.seek(n * stype(0).element_size(), 1)
        ends[str(key)] = member.offset_data + stream.tell()
        roots.append(str(key))
    views = pickle.load(stream)
    views_end = member.offset_data + stream.tell()  # the view list follows every storage
    full = torch.load(rpath("tiny_tar.pt"))
    cut = ends[roots[2]] - 2  # inside the third storage's bytes
    complete = [k for k in roots if ends[k] <= cut]
    complete += [str(v[0]) for v in views if str(v[1]) in complete and views_end <= cut]
    with open(rpath("tiny_tar_cut_in_storage.pt"), "wb") as f:
        f.write(tdata[:cut])
    out["tiny_tar_cut_in_storage.pt"] = {"source": "tiny_tar.pt", "format": "torch-tar", "cut": cut,
                                         "tensors": walk(full), "complete_keys": sorted(complete),
                                         "main_pickle_complete": True}
    with open(os.path.join(rdir, "expected.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    print("wrote", len(out), "truncated checkpoints to", rdir)


if RECOVERY_ONLY:
    write_recovery_fixtures()
    sys.exit(0)



# --- a small CNN ---------------------------------------------------------------------------
class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.conv2(x))
        x = nn.functional.adaptive_avg_pool2d(x, 4)
        return self.fc(x.flatten(1))


cnn = SmallCnn()
with torch.no_grad():
    cnn.bn1.running_mean.uniform_(-1, 1)
    cnn.bn1.running_var.uniform_(0.5, 2)
    cnn.bn1.num_batches_tracked.fill_(7)

save(cnn.state_dict(), "state_dict_cnn.pt")
capture("state_dict_cnn.pt", "torch-zip", metadata_keys=["", "conv1", "bn1", "conv2", "fc"])
save(cnn.state_dict(), "state_dict_cnn_legacy.pt", legacy=True)
capture("state_dict_cnn_legacy.pt", "torch-legacy")
save(cnn.state_dict(), "state_dict_cnn_p4.pt", pickle_protocol=4)
capture("state_dict_cnn_p4.pt", "torch-zip")
save(cnn.state_dict(), "state_dict_cnn_legacy_p4.pt", legacy=True, pickle_protocol=4)
capture("state_dict_cnn_legacy_p4.pt", "torch-legacy")

# 21-character archive prefix (gopickle's zip64 trailer failure) -----------------------------
stem21 = "prefix_twentyone_char"
assert len(stem21) == 21
save({"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)}, stem21 + ".pt")
capture(stem21 + ".pt", "torch-zip")

# --- every dtype ---------------------------------------------------------------------------
specials = [0.0, -0.0, 1.0, -2.5, 65504.0, 6.1035156e-05, 5.9604645e-08, float("inf"),
            float("-inf"), float("nan"), 3.140625, -1e-3]
dtypes = {
    "float32": torch.tensor(specials, dtype=torch.float32),
    "float64": torch.tensor(specials + [1e300, -1e-310], dtype=torch.float64),
    "float16": torch.tensor(specials, dtype=torch.float16),
    "bfloat16": torch.tensor(specials + [1e38, -3e-39], dtype=torch.bfloat16),
    "complex64": torch.tensor([1 + 2j, -3.5 - 0.25j, 0j], dtype=torch.complex64),
    "complex128": torch.tensor([1e100 + 2j, -3.5 + 1e-5j], dtype=torch.complex128),
    "int8": torch.tensor([0, 1, -1, 127, -128], dtype=torch.int8),
    "int16": torch.tensor([0, 1, -1, 32767, -32768], dtype=torch.int16),
    "int32": torch.tensor([0, 1, -1, 2**31 - 1, -2**31], dtype=torch.int32),
    "int64": torch.tensor([0, 1, -1, 2**53, -2**40, 123456789012], dtype=torch.int64),
    "uint8": torch.tensor([0, 1, 127, 128, 255], dtype=torch.uint8),
    "bool": torch.tensor([True, False, True, True]),
    "matrix": torch.randn(3, 4),
}
save(dtypes, "dtypes_zip.pt")
capture("dtypes_zip.pt", "torch-zip")
save(dtypes, "dtypes_legacy.pt", legacy=True)
capture("dtypes_legacy.pt", "torch-legacy")

# --- views, shared storages, 0-d, empty ----------------------------------------------------
base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
tied = torch.randn(5, 3)
views = collections.OrderedDict([
    ("base", base),
    ("transposed", base.t()),
    ("slice", base[1:3, 2:5]),
    ("column", base[:, 4]),
    ("flat_tail", base.view(-1)[15:]),
    ("scalar_view", base.view(-1)[15]),
    ("expanded", torch.arange(3.0).reshape(3, 1).expand(3, 4)),
    ("scalar", torch.tensor(2.5)),
    ("scalar_int", torch.tensor(-7)),
    ("empty", torch.zeros(0)),
    ("empty_2d", torch.zeros(3, 0)),
    ("empty_tail", base.view(-1)[24:]),
    ("channels_last", torch.arange(2 * 3 * 2 * 2, dtype=torch.float32).reshape(2, 3, 2, 2)
     .contiguous(memory_format=torch.channels_last)),
    ("tied_a", tied),
    ("tied_b", tied),
    ("list", [base[0], base[3]]),
])
save(views, "views_zip.pt")
capture("views_zip.pt", "torch-zip")
save(views, "views_legacy.pt", legacy=True)
capture("views_legacy.pt", "torch-legacy")

# --- Parameters, requires_grad ---------------------------------------------------------------
lin = nn.Linear(3, 2)
params = {"state": lin.state_dict(keep_vars=True), "leaf": torch.ones(2, 2, requires_grad=True),
          "frozen": nn.Parameter(torch.full((2,), 3.0), requires_grad=False)}
save(params, "params_zip.pt")
capture("params_zip.pt", "torch-zip")
save(params, "params_legacy.pt", legacy=True)
capture("params_legacy.pt", "torch-legacy")

# --- a whole module --------------------------------------------------------------------------
seq = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
save(seq, "whole_module_zip.pt")
capture("whole_module_zip.pt", "torch-zip")
import warnings
warnings.simplefilter("ignore")
save(seq, "whole_module_legacy.pt", legacy=True)
capture("whole_module_legacy.pt", "torch-legacy")

# --- quantized ---------------------------------------------------------------------------------
xq = torch.linspace(-2, 2, 12).reshape(3, 4)
quant = {
    "per_tensor_qint8": torch.quantize_per_tensor(xq, 0.05, 3, torch.qint8),
    "per_tensor_quint8": torch.quantize_per_tensor(xq, 0.02, 128, torch.quint8),
    "per_tensor_qint32": torch.quantize_per_tensor(xq, 0.001, -5, torch.qint32),
    "per_channel_qint8": torch.quantize_per_channel(
        xq, torch.tensor([0.1, 0.05, 0.02], dtype=torch.float64), torch.tensor([0, 1, -2]), 0,
        torch.qint8),
    "per_channel_axis1": torch.quantize_per_channel(
        xq, torch.tensor([0.1, 0.05, 0.02, 0.01], dtype=torch.float64),
        torch.tensor([0, 1, 2, 3]), 1, torch.quint8),
    "quint4x2": torch.quantize_per_tensor(torch.linspace(0, 1.5, 8), 0.1, 0, torch.quint4x2),
}
save(quant, "quantized_zip.pt")
capture("quantized_zip.pt", "torch-zip")

# --- sparse ----------------------------------------------------------------------------------
dense = torch.tensor([[0, 2.0, 0, 0], [1.5, 0, 0, -3.0], [0, 0, 0, 0]])
sparse = {"coo": dense.to_sparse(), "csr": dense.to_sparse_csr()}
save(sparse, "sparse_zip.pt")
capture("sparse_zip.pt", "torch-zip")

# --- meta tensor -------------------------------------------------------------------------------
save({"meta": torch.empty(3, 4, device="meta"), "real": torch.ones(2)}, "meta_zip.pt")
capture("meta_zip.pt", "torch-zip")


# --- a tensor subclass (_rebuild_from_type_v2) ----------------------------------------------
class TaggedTensor(torch.Tensor):
    pass


tagged = torch.arange(4.0).as_subclass(TaggedTensor)
tagged.note = "hello"
plain_attr = torch.arange(3.0)
plain_attr.extra = 5
save({"tagged": tagged, "attr": plain_attr}, "subclass_zip.pt")
capture("subclass_zip.pt", "torch-zip")

# --- TorchScript ---------------------------------------------------------------------------
class Scripted(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.register_buffer("offsets", torch.tensor([0.5, -0.5]))

    def forward(self, x):
        return self.fc(x) + self.offsets + torch.tensor([1.0, 2.0, 3.0]).sum()


torch.jit.save(torch.jit.script(Scripted()), path_of("scripted.pt"))
expect["scripted.pt"] = {"format": "torchscript", "tensors": []}


class Traced(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc(x) * torch.tensor([2.0, -1.0])  # a tensor constant: constants.pkl


torch.jit.save(torch.jit.trace(Traced(), torch.ones(1, 3)), path_of("traced.pt"))
traced_consts = torch.jit.load(path_of("traced.pt")).code  # loads: the archive is valid
expect["traced.pt"] = {"format": "torchscript", "tensors": []}

# --- numpy in a checkpoint ---------------------------------------------------------------------
save({"array": np.arange(6, dtype=np.float32).reshape(2, 3), "t": torch.ones(2)}, "numpy_zip.pt")
capture("numpy_zip.pt", "torch-zip")

# --- float16 / bfloat16: all 65,536 bit patterns -----------------------------------------------
bits = torch.arange(65536, dtype=torch.int32).to(torch.int16)  # wraps to the int16 bit patterns
f16 = bits.view(torch.float16).clone()
bf16 = bits.view(torch.bfloat16).clone()
f16_ref = f16.float()
bf16_ref = bf16.float()
# numpy's float16 must agree with torch's conversion on every pattern (NaNs compared as NaN).
np_ref = np.arange(65536, dtype=np.uint16).view(np.float16).astype(np.float32)
assert np.array_equal(np_ref, f16_ref.numpy(), equal_nan=True)
save({"f16": f16, "f16_as_f32": f16_ref, "bf16": bf16, "bf16_as_f32": bf16_ref},
     "half_patterns.pt")
expect["half_patterns.pt"] = {"format": "torch-zip", "tensors": []}

# --- legacy with sys_info little_endian False (payload stays little-endian) -----------------
buf = io.BytesIO()
save_le = {"x": torch.tensor([1.5, -2.0, 3.25]), "n": torch.tensor([1, 2, 3], dtype=torch.int64)}
torch.save(save_le, buf, _use_new_zipfile_serialization=False)
raw = buf.getvalue()
needle = pickle.dumps({'protocol_version': 1001, 'little_endian': True,
                       'type_sizes': {'short': 2, 'int': 4, 'long': 4}}, protocol=2)
assert needle in raw
raw = raw.replace(needle, pickle.dumps({'protocol_version': 1001, 'little_endian': False,
                                        'type_sizes': {'short': 2, 'int': 4, 'long': 4}},
                                       protocol=2))
with open(path_of("legacy_be_flag.pt"), "wb") as f:
    f.write(raw)
capture("legacy_be_flag.pt", "torch-legacy")

# --- big-endian zip: a byteorder record saying big, payloads byte-swapped -------------------
be_src = {"f32": torch.tensor([1.5, -2.0, 3.25, 1e-3]), "i64": torch.tensor([1, -2, 300]),
          "f16": torch.tensor([1.0, -0.5, 65504.0], dtype=torch.float16),
          "c64": torch.tensor([1 + 2j, -3 - 4j], dtype=torch.complex64),
          "u8": torch.tensor([1, 2, 255], dtype=torch.uint8)}
buf = io.BytesIO()
torch.save(be_src, buf)
zin = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
elsize = {}
loaded = torch.load(io.BytesIO(buf.getvalue()))
# map storage keys to element sizes (per component for complex) through the pickle
data_pkl = zin.read("archive/data.pkl")


class KeyGrabber(pickle.Unpickler):
    def persistent_load(self, pid):
        sizes = {"FloatStorage": 4, "LongStorage": 8, "HalfStorage": 2, "ComplexFloatStorage": 4,
                 "ByteStorage": 1}
        elsize[pid[2]] = sizes[pid[1].__name__]
        return pid[1](int(pid[4]))


KeyGrabber(io.BytesIO(data_pkl)).load()
with zipfile.ZipFile(path_of("big_endian_zip.pt"), "w", zipfile.ZIP_STORED) as zout:
    for info in zin.infolist():
        data = zin.read(info.filename)
        parts = info.filename.split("/")
        if len(parts) == 3 and parts[1] == "data":
            n = elsize[parts[2]]
            data = b"".join(data[i:i + n][::-1] for i in range(0, len(data), n))
        zout.writestr(info, data)
    zout.writestr("archive/byteorder", b"big")
expect["big_endian_zip.pt"] = {"format": "torch-zip", "tensors": walk(loaded)}

# --- DEFLATE-compressed records (a re-zipped checkpoint) ---------------------------------------
zin = zipfile.ZipFile(path_of("state_dict_cnn.pt"))
with zipfile.ZipFile(path_of("deflated_zip.pt"), "w", zipfile.ZIP_DEFLATED) as zout:
    for info in zin.infolist():
        zout.writestr(info.filename, zin.read(info.filename), zipfile.ZIP_DEFLATED)
capture("deflated_zip.pt", "torch-zip")

build_legacy_tar(path_of("legacy_tar.pt"))
tar_loaded = torch.load(path_of("legacy_tar.pt"))
assert torch.equal(tar_loaded["colmajor"], tar_loaded["matrix"].reshape(-1)[:12].reshape(3, 4).t())
capture("legacy_tar.pt", "torch-tar", loaded=tar_loaded)

# --- numpy arrays in plain pickles ----------------------------------------------------------
arrays = {
    "f32": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
    "i64_fortran": np.asfortranarray(np.arange(6, dtype=np.int64).reshape(2, 3)),
    "big_endian": np.array([1.5, -2.25, 1e10], dtype=">f8"),
    "u16": np.array([1, 65535, 7], dtype=np.uint16),
    "bool": np.array([True, False, True]),
    "f16": np.array([1.0, -0.5, 65504.0, np.inf], dtype=np.float16),
    "c64": np.array([1 + 2j, -3 - 4j], dtype=np.complex64),
    "scalar0d": np.array(3.5),
    "empty": np.zeros((0, 3), dtype=np.float32),
    "structured": np.array([(1, 2.5), (3, -1.0)], dtype=[("a", "<i4"), ("b", "<f8")]),
    "objects": np.array([1, "two", None], dtype=object),
    "datetime": np.array(["2020-01-01", "2021-06-15"], dtype="datetime64[D]"),
    "longdouble": np.array([1.5, -2.0], dtype=np.longdouble),
    "masked": np.ma.array([1.0, 2.0, 3.0], mask=[False, True, False]),
    "np_float64": np.float64(2.75),
    "np_int32": np.int32(-12),
    "np_bool": np.bool_(True),
    "np_f16": np.float16(0.5),
}
for proto in (2, 4, 5):
    name = "numpy_arrays_p%d.pkl" % proto
    with open(path_of(name), "wb") as f:
        pickle.dump(arrays, f, protocol=proto)
    with open(path_of(name), "rb") as f:
        back = pickle.load(f)
    scal = {k: fnum(v) for k, v in back.items() if isinstance(v, np.generic)}
    recs = walk(back)
    for r in recs:  # numpy turns non-native byte orders native on load: keep the pickled dtype
        r["dtype"] = arrays[r["path"][0]].dtype.str
    expect[name] = {"format": "pickle", "tensors": recs, "scalars": scal}

# --- tensors in a plain pickle (torch.storage._load_from_bytes) ---------------------------
with open(path_of("plain_pickle_tensor.pkl"), "wb") as f:
    pickle.dump({"t": torch.arange(5, dtype=torch.float32) * 1.5, "n": 3}, f, protocol=2)
with open(path_of("plain_pickle_tensor.pkl"), "rb") as f:
    expect["plain_pickle_tensor.pkl"] = {"format": "pickle", "tensors": walk(pickle.load(f))}


# --- bad input, crafted --------------------------------------------------------------------
class Pid:
    def __init__(self, t):
        self.t = t


class Call:
    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


class CraftPickler(pickle.Pickler):
    def persistent_id(self, obj):
        return obj.t if isinstance(obj, Pid) else None


def crafted_zip(fname, obj, records):
    pbuf = io.BytesIO()
    CraftPickler(pbuf, protocol=2).dump(obj)
    with zipfile.ZipFile(path_of(fname), "w", zipfile.ZIP_STORED) as z:
        z.writestr("crafted/data.pkl", pbuf.getvalue())
        for k, v in records.items():
            z.writestr("crafted/data/" + k, v)
        z.writestr("crafted/version", b"3\n")


def v2(pid, offset, size, stride):
    return Call(torch._utils._rebuild_tensor_v2,
                (Pid(pid), offset, size, stride, False, collections.OrderedDict()))


f4 = np.arange(4, dtype="<f4").tobytes()
crafted_zip("bad_storage_short.pt",
            {"t": v2(("storage", torch.FloatStorage, "0", "cpu", 8), 0, (8,), (1,))},
            {"0": f4})
crafted_zip("bad_missing_record.pt",
            {"t": v2(("storage", torch.FloatStorage, "7", "cpu", 4), 0, (4,), (1,))},
            {"0": f4})
crafted_zip("bad_shape_overflow.pt",
            {"t": v2(("storage", torch.FloatStorage, "0", "cpu", 4), 0,
                      (2**40, 2**40, 2**40), (1, 1, 1))}, {"0": f4})
crafted_zip("bad_stride_past.pt",
            {"t": v2(("storage", torch.FloatStorage, "0", "cpu", 4), 0, (2, 2), (3, 1))},
            {"0": f4})
crafted_zip("bad_offset_past.pt",
            {"t": v2(("storage", torch.FloatStorage, "0", "cpu", 4), 3, (2,), (1,))},
            {"0": f4})
crafted_zip("bad_negative_stride.pt",
            {"t": v2(("storage", torch.FloatStorage, "0", "cpu", 4), 3, (2,), (-1,))},
            {"0": f4})
with zipfile.ZipFile(path_of("bad_no_data_pkl.pt"), "w") as z:
    z.writestr("archive/version", b"3\n")
    z.writestr("archive/data/0", f4)
open(path_of("bad_empty.pt"), "wb").close()
with open(path_of("state_dict_cnn.pt"), "rb") as f:
    whole = f.read()
with open(path_of("bad_truncated_zip.pt"), "wb") as f:
    f.write(whole[: len(whole) // 2])
with open(path_of("bad_truncated_tail.pt"), "wb") as f:
    f.write(whole[:-10])
with open(path_of("state_dict_cnn_legacy.pt"), "rb") as f:
    leg = f.read()
with open(path_of("bad_truncated_legacy.pt"), "wb") as f:
    f.write(leg[:-100])

expect_bad = ["bad_storage_short.pt", "bad_missing_record.pt", "bad_shape_overflow.pt",
              "bad_stride_past.pt", "bad_offset_past.pt", "bad_negative_stride.pt"]
expect["_bad_tensors"] = expect_bad


# --- newer torch (2.x) forms, hand-pickled: torch 1.13 cannot write them ---------------------
# _rebuild_tensor_v3 over UntypedStorage with uint16/uint32/uint64/complex32 dtypes, the 7-argument
# _rebuild_tensor_v2, _rebuild_parameter_with_state, _rebuild_nested_tensor, and the storage-less
# _rebuild_wrapper_subclass / _rebuild_device_tensor_from_numpy. Functions and dtypes missing in
# 1.13 are stand-ins registered under torch's names so that pickle writes the right GLOBALs.
# Expected values come from numpy over the same bytes.
def stand_in(module, name):
    def fn(*args):
        raise RuntimeError("stand-in")
    fn.__module__ = module.__name__
    fn.__qualname__ = fn.__name__ = name
    setattr(module, name, fn)
    return fn


class FakeDType:
    def __init__(self, name):
        self.name = name

    def __reduce__(self):
        return self.name  # GLOBAL torch <name>


for dname in ("uint16", "uint32", "uint64"):
    fake = FakeDType(dname)
    FakeDType.__module__ = "torch"
    setattr(torch, dname, fake)
v3 = stand_in(torch._utils, "_rebuild_tensor_v3")
with_state = stand_in(torch._utils, "_rebuild_parameter_with_state")
nested = stand_in(torch._utils, "_rebuild_nested_tensor")

new_arrays = {
    "u16": np.array([[0, 1], [65535, 1234]], dtype="<u2"),
    "u32": np.array([0, 4000000000, 7], dtype="<u4"),
    "u64": np.array([2**63 + 4096, 5], dtype="<u8"),
    "c32": np.array([1.5, -2.0, 0.25, 65504.0], dtype="<f2"),  # two complex32 values
}
records = {}
objs = {}
new_expect = []
for i, (name, arr) in enumerate(new_arrays.items()):
    key = str(i)
    records[key] = arr.tobytes()
    pid = Pid(("storage", torch.UntypedStorage, key, "cpu", arr.nbytes))
    dtype = torch.complex32 if name == "c32" else getattr(torch, {"u16": "uint16", "u32": "uint32", "u64": "uint64"}[name])
    shape = list(arr.shape) if name != "c32" else [2]
    stride = [shape[1], 1] if len(shape) == 2 else [1]
    objs[name] = Call(v3, (pid, 0, tuple(shape), tuple(stride), False, collections.OrderedDict(), dtype))
    vals = arr.astype(np.float64).reshape(-1)
    if name == "c32":
        vals = vals[0::2]  # real parts
    rec = {"path": [name], "kind": "tensor", "class": "torch.Tensor",
           "dtype": {"u16": "uint16", "u32": "uint32", "u64": "uint64", "c32": "complex32"}[name],
           "shape": shape, "stride": stride, "storage_offset": 0, "requires_grad": False,
           "storage_group": i, "storage_numel": arr.nbytes}
    rec.update(stats_of(vals))
    new_expect.append(rec)
# 7-argument v2 with metadata (conj bit on a complex64 tensor: real parts are unchanged)
c64 = np.array([1 + 2j, -3 - 4j], dtype="<c8")
records["4"] = c64.tobytes()
objs["conj"] = Call(torch._utils._rebuild_tensor_v2,
                    (Pid(("storage", torch.ComplexFloatStorage, "4", "cpu", 2)), 0, (2,), (1,), False,
                     collections.OrderedDict(), {"conj": True}))
rec = {"path": ["conj"], "kind": "tensor", "class": "torch.Tensor", "dtype": "complex64", "shape": [2],
       "stride": [1], "storage_offset": 0, "requires_grad": False, "storage_group": 4, "storage_numel": 2}
rec.update(stats_of(c64.real.astype(np.float64)))
new_expect.append(rec)
# a Parameter with Python attributes, sharing storage 4's sibling: a float32 storage
f32 = np.array([0.5, -1.5, 2.5], dtype="<f4")
records["5"] = f32.tobytes()
base_t = Call(torch._utils._rebuild_tensor_v2,
              (Pid(("storage", torch.FloatStorage, "5", "cpu", 3)), 0, (3,), (1,), True, collections.OrderedDict()))
objs["param_state"] = Call(with_state, (base_t, True, collections.OrderedDict(), {"tag": "pruned"}))
rec = {"path": ["param_state"], "kind": "tensor", "class": "torch.nn.Parameter", "dtype": "float32",
       "shape": [3], "stride": [1], "storage_offset": 0, "requires_grad": True, "storage_group": 5,
       "storage_numel": 3}
rec.update(stats_of(f32.astype(np.float64)))
new_expect.append(rec)
# nested tensor: buffer + per-component sizes (2 components)
i64 = np.array([[2, 1], [1, 1]], dtype="<i8")
records["6"] = i64.tobytes()
buf_t = Call(torch._utils._rebuild_tensor_v2,
             (Pid(("storage", torch.FloatStorage, "5", "cpu", 3)), 0, (3,), (1,), False, collections.OrderedDict()))
sizes_t = Call(torch._utils._rebuild_tensor_v2,
               (Pid(("storage", torch.LongStorage, "6", "cpu", 4)), 0, (2, 2), (2, 1), False, collections.OrderedDict()))
objs["nested"] = Call(nested, (buf_t, sizes_t, sizes_t, sizes_t))
new_expect.append({"path": ["nested"], "kind": "tensor", "class": "torch.Tensor", "dtype": "float32",
                   "shape": [2], "requires_grad": False, "layout": "nested"})
# storage-less wrapper subclass and a device tensor from numpy (1.13's own functions)
objs["wrapper"] = Call(torch._utils._rebuild_wrapper_subclass,
                       (torch.Tensor, torch.float16, (4, 5), (5, 1), 0, torch.strided, "meta", False))
new_expect.append({"path": ["wrapper"], "kind": "tensor", "class": "torch.Tensor", "dtype": "float16",
                   "shape": [4, 5], "stride": [5, 1], "storage_offset": 0, "requires_grad": False,
                   "layout": "other"})
objs["xla"] = Call(torch._utils._rebuild_device_tensor_from_numpy,
                   (np.arange(6, dtype=np.float32).reshape(2, 3), torch.bfloat16, "xla:0", True))
new_expect.append({"path": ["xla"], "kind": "tensor", "class": "torch.Tensor", "dtype": "bfloat16",
                   "shape": [2, 3], "requires_grad": True, "layout": "other"})
# the neg bit: the logical values are the negated stored ones
neg = np.array([1.5, -0.0, 2.0, -8.0], dtype="<f4")
records["7"] = neg.tobytes()
objs["neg"] = Call(torch._utils._rebuild_tensor_v2,
                   (Pid(("storage", torch.FloatStorage, "7", "cpu", 4)), 0, (4,), (1,), False,
                    collections.OrderedDict(), {"neg": True}))
rec = {"path": ["neg"], "kind": "tensor", "class": "torch.Tensor", "dtype": "float32", "shape": [4],
       "stride": [1], "storage_offset": 0, "requires_grad": False, "storage_group": 7, "storage_numel": 4}
rec.update(stats_of(-neg.astype(np.float64)))
new_expect.append(rec)
crafted_zip("newer_torch_forms.pt", objs, records)
expect["newer_torch_forms.pt"] = {"format": "torch-zip", "tensors": new_expect}


# --- the bundled sample checkpoint ---------------------------------------------------------
def sample_checkpoint(fname):
    torch.manual_seed(7)
    model = SmallCnn()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(2):
        opt.zero_grad()
        model(torch.randn(4, 1, 8, 8)).sum().backward()
        opt.step()
    ckpt = {
        "epoch": 12,
        "global_step": 3480,
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": opt.state_dict(),
        "config": {"lr": 1e-3, "batch_size": 64, "betas": (0.9, 0.999), "arch": "SmallCnn",
                   "augment": ["flip", "crop"], "seed": 7, "amp": False},
        "metrics": {"train_loss": [2.31, 1.12, 0.64], "val_acc": 0.913},
        "class_names": ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                        "nine"],
        "embedding_fp16": torch.randn(10, 8).half(),
        "mean_std": np.array([0.1307, 0.3081], dtype=np.float32),
    }
    torch.save(ckpt, fname)


os.makedirs(os.path.join(REPO, "resources", "samples"), exist_ok=True)
sample = os.path.join(REPO, "resources", "samples", "sample_checkpoint.pt")
sample_checkpoint(sample)
sample_checkpoint(path_of("sample_checkpoint.pt"))
capture("sample_checkpoint.pt", "torch-zip")

write_recovery_fixtures()

with open(os.path.join(OUT, "expectations.json"), "w") as f:
    json.dump(expect, f, indent=1, sort_keys=True)
print("wrote", len(expect), "entries to", OUT)
