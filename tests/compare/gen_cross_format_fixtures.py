#!/usr/bin/python3
"""Cross-format pairs for `picklescope-cli diff` (tests/compare/tst_cross_format_diff.cpp): the
same weights as a torch.save'd state dict (weights.bin), as a .safetensors file (weights.safetensors,
written by the safetensors writer of tests/formats/gen_format_fixtures.py), and as a Hugging Face
sharded index of two torch.save'd shards (sharded/pytorch_model.bin.index.json); plus a
.safetensors copy with one element of one tensor moved by 1e-3 (perturbed.safetensors).
Expected statuses, max_abs / max_rel / mismatched counts come from numpy (np.isclose with its
defaults, float64), written to cross/expected.json.

Run with Debian's /usr/bin/python3 (torch 1.13, numpy 1.24):
    /usr/bin/python3 tests/compare/gen_cross_format_fixtures.py
"""

import ast
import collections
import json
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "compare", "cross")
os.makedirs(os.path.join(OUT, "sharded"), exist_ok=True)


def formats_writer():
    """st_header, tensor_bytes and ST_DTYPES from tests/formats/gen_format_fixtures.py, without
    running that generator (its module body writes every formats fixture)."""
    source_path = os.path.join(HERE, "..", "formats", "gen_format_fixtures.py")
    tree = ast.parse(open(source_path).read(), source_path)
    wanted = {"st_header", "tensor_bytes", "ST_DTYPES"}
    body = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            body.append(node)
        elif isinstance(node, ast.FunctionDef) and node.name in wanted:
            body.append(node)
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", None) in wanted for t in node.targets):
            body.append(node)
    namespace = {}
    exec(compile(ast.Module(body=body, type_ignores=[]), source_path, "exec"), namespace)
    return namespace


ST = formats_writer()

torch.manual_seed(13)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(10, 6)
        self.proj = torch.nn.Linear(6, 5)
        self.norm = torch.nn.BatchNorm1d(5)
        self.head = torch.nn.Linear(5, 3)


net = Net()
net.norm.running_mean.uniform_(-1, 1)
net.norm.num_batches_tracked.fill_(7)
state = net.state_dict()  # an OrderedDict, as transformers saves it
state["head.weight"] = state["head.weight"].half()
state["head.bias"] = state["head.bias"].to(torch.bfloat16)


def write_safetensors(path, tensors):
    """Like safetensors.torch.save_file: keys sorted, {"format": "pt"} metadata."""
    raw = [(k, ST["ST_DTYPES"][t.dtype], list(t.shape), ST["tensor_bytes"](t)) for k, t in sorted(tensors.items())]
    with open(path, "wb") as f:
        f.write(ST["st_header"]([(n, d, s, len(b)) for n, d, s, b in raw], {"format": "pt"}))
        for r in raw:
            f.write(r[3])


torch.save(state, os.path.join(OUT, "weights.bin"))
write_safetensors(os.path.join(OUT, "weights.safetensors"), state)

# Two .bin shards and their index, as transformers' save_pretrained(max_shard_size=...) writes.
keys = list(state)
split = [keys[: len(keys) // 2], keys[len(keys) // 2:]]
weight_map = {}
for i, names in enumerate(split):
    shard = "pytorch_model-%05d-of-%05d.bin" % (i + 1, len(split))
    torch.save(collections.OrderedDict((k, state[k]) for k in names), os.path.join(OUT, "sharded", shard))
    weight_map.update({k: shard for k in names})
total = sum(t.numel() * t.element_size() for t in state.values())
with open(os.path.join(OUT, "sharded", "pytorch_model.bin.index.json"), "w") as f:
    json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)

perturbed = collections.OrderedDict((k, v.clone()) for k, v in state.items())
perturbed["proj.weight"][2, 3] += 1e-3
write_safetensors(os.path.join(OUT, "perturbed.safetensors"), perturbed)


def path_of(key):
    return "$['" + key.replace("\\", "\\\\").replace("'", "\\'") + "']"


def entry(a, b, rtol=1e-05, atol=1e-08):
    x = a.double().numpy() if a.dtype != torch.bfloat16 else a.float().double().numpy()
    y = b.double().numpy() if b.dtype != torch.bfloat16 else b.float().double().numpy()
    if a.dtype == b.dtype and torch.equal(a, b):
        return {"status": "same"}
    close = np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=True)
    diff = np.abs(x - y)
    nz = np.abs(y) != 0
    e = {"max_abs": float(diff.max()),
         "max_rel": float((diff[nz] / np.abs(y[nz])).max()) if nz.any() else 0.0,
         "mismatched": int((~close).sum())}
    e["status"] = "close" if close.all() else "changed"
    return e


cases = []


def case(name, a, b, sa, sb):
    # The root: a dict against an OrderedDict, equal containers in Python (==).
    entries = {"$": {"status": "same" if isinstance(sa, dict) and isinstance(sb, dict) else "changed"}}
    entries.update({path_of(k): entry(sa[k], sb[k]) for k in sa})
    changed = any(e["status"] == "changed" for e in entries.values())
    cases.append({"name": name, "a": a, "b": b, "exit": 4 if changed else 0, "entries": entries})


case("bin_safetensors", "weights.bin", "weights.safetensors", state, state)
case("sharded_safetensors", "sharded/pytorch_model.bin.index.json", "weights.safetensors", state, state)
case("sharded_bin", "sharded/pytorch_model.bin.index.json", "weights.bin", state, state)
case("bin_perturbed", "weights.bin", "perturbed.safetensors", state, perturbed)

with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump({"cases": cases}, f, indent=1)
