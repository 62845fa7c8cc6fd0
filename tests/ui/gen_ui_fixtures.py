#!/usr/bin/python3
"""Fixtures for the ui tests (run with Debian's /usr/bin/python3, which has torch).

Writes tests/data/ui/:
  shared_cycle.pkl   a dict with a shared dict, a self-containing list, a 2,500-item list, a str
  shared_cycle.json  what CPython says about it: every opcode (offset, name) and where 'hello' is
  tensors.pt         torch.save of a 3-D, a 1-D, a 0-d and an empty tensor
  tensors.json       their shapes and values as torch reports them
  truncated.pkl      the same dict at protocol 2, cut short (a load error with a partial graph)
"""
import json
import os
import pickle
import pickletools

import torch

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "data", "ui")
os.makedirs(out, exist_ok=True)

shared = {"x": 1, "y": [3, 4]}
cycle = []
cycle.append(cycle)
root = {
    "shared": shared,
    "list": [shared, shared],
    "cycle": cycle,
    "big": list(range(2500)),
    "text": "hello",
}
data = pickle.dumps(root, protocol=4)
with open(os.path.join(out, "shared_cycle.pkl"), "wb") as f:
    f.write(data)
data2 = pickle.dumps(root, protocol=2)
ops = [[pos, op.name] for op, arg, pos in pickletools.genops(data)]
hello = [pos for op, arg, pos in pickletools.genops(data) if arg == "hello"][0]
with open(os.path.join(out, "shared_cycle.json"), "w") as f:
    json.dump({"opcodes": ops, "hello_offset": hello, "big_len": len(root["big"]),
               "size": len(data), "truncated_size": len(data2) * 2 // 3}, f)
# Protocol 2 has no frames, so the machine gets two thirds of the way before the bytes run out.
with open(os.path.join(out, "truncated.pkl"), "wb") as f:
    f.write(data2[: len(data2) * 2 // 3])

tensors = {
    "w": torch.arange(24, dtype=torch.float32).reshape(2, 3, 4),
    "v": torch.tensor([1.5, -2.0, 3.25]),
    "s": torch.tensor(7.0),
    "e": torch.zeros(0, 3),
}
torch.save(tensors, os.path.join(out, "tensors.pt"))
with open(os.path.join(out, "tensors.json"), "w") as f:
    json.dump({k: {"shape": list(t.shape), "values": t.flatten().tolist()} for k, t in tensors.items()},
              f, indent=1)

# --- issue 9 fixtures ---------------------------------------------------------------------------
#   root_tensor.pt     torch.save of a bare 3x4 float tensor (the root is the tensor)
#   root_ndarray.pkl   a pickled 2x3 float64 ndarray (the root is the array)
#   malicious.pkl      GLOBAL 'posix system' + REDUCE('echo pwned'), hand-assembled, never loaded
#   complex.pt         a complex64 2x2 matrix and a complex128 vector
#   missing_storage.pt tensors.pt without the storage entry of 'v' (its central directory intact)
#   issue9.json        opcode counts of each file's main pickle, the facts above as torch/numpy say
import io
import zipfile

import numpy as np

facts = {}


def opcode_count(data):
    return sum(1 for _ in pickletools.genops(data))


def zip_pickle(path):
    with zipfile.ZipFile(path) as z:
        name = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
        return z.read(name)


facts["shared_cycle_opcodes"] = opcode_count(data)
facts["tensors_opcodes"] = opcode_count(zip_pickle(os.path.join(out, "tensors.pt")))

root_tensor = torch.arange(12, dtype=torch.float32).reshape(3, 4)
torch.save(root_tensor, os.path.join(out, "root_tensor.pt"))
facts["root_tensor"] = {"shape": list(root_tensor.shape), "values": root_tensor.flatten().tolist(),
                        "opcodes": opcode_count(zip_pickle(os.path.join(out, "root_tensor.pt")))}

nd = np.array([[1.5, -2.0, 3.0], [4.0, 5.5, -6.25]])
nd_bytes = pickle.dumps(nd, protocol=2)
with open(os.path.join(out, "root_ndarray.pkl"), "wb") as f:
    f.write(nd_bytes)
facts["root_ndarray"] = {"shape": list(nd.shape), "values": nd.flatten().tolist(),
                         "opcodes": opcode_count(nd_bytes)}

# Protocol 0 GLOBAL + REDUCE: what `os.system('echo pwned')` pickles to. Assembled, never loaded.
mal = b"cposix\nsystem\n(Vecho pwned\ntR."
with open(os.path.join(out, "malicious.pkl"), "wb") as f:
    f.write(mal)
facts["malicious"] = {"opcodes": opcode_count(mal),
                      "global_offset": [pos for op, arg, pos in pickletools.genops(mal) if op.name == "GLOBAL"][0]}

cplx = {
    "m": torch.tensor([[1 + 2j, 3 - 4j], [0.5 + 0j, -1 - 1j]], dtype=torch.complex64),
    "z": torch.tensor([2 - 3j, -0.25 + 8j, 0j], dtype=torch.complex128),
}
torch.save(cplx, os.path.join(out, "complex.pt"))


def part_stats(x):
    x = x.double()
    return {"min": x.min().item(), "max": x.max().item(), "mean": x.mean().item(),
            "std": x.std(unbiased=False).item()}


# "text": Python's repr of each element without the parentheses, as the window writes it.
facts["complex"] = {k: {"shape": list(t.shape), "real": t.real.flatten().tolist(), "imag": t.imag.flatten().tolist(),
                        "text": [repr(complex(z)).strip("()") for z in t.flatten().tolist()],
                        "stats": {"real": part_stats(t.real), "imag": part_stats(t.imag), "abs": part_stats(t.abs())}}
                    for k, t in cplx.items()}

# Drop the storage record of 'v' from tensors.pt (a damaged download that kept its directory).
src = zipfile.ZipFile(os.path.join(out, "tensors.pt"))
# The storage keys follow the dict's order: w, v, s, e -> '0', '1', '2', '3'; 'v' has 3 elements.
v_key = "1"
assert src.getinfo([n for n in src.namelist() if n.endswith("/data/1")][0]).file_size == 3 * 4
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as dst:
    for info in src.infolist():
        if info.filename.endswith("/data/" + v_key):
            continue
        dst.writestr(info, src.read(info.filename))
with open(os.path.join(out, "missing_storage.pt"), "wb") as f:
    f.write(buf.getvalue())
facts["missing_storage"] = {"missing_key": v_key, "missing_path": "obj['v']"}

with open(os.path.join(out, "issue9.json"), "w") as f:
    json.dump(facts, f, indent=1)
