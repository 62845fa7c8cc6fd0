#!/usr/bin/python3
"""Writes the compare fixtures (pairs of small torch checkpoints) under tests/data/compare and,
beside them, expected.json: for every case the `picklescope-cli diff` arguments and, for every
access path, the status numpy and key comparison give (np.allclose in float64 with equal_nan,
abs differences for max_abs / max_rel, a count of elements outside the tolerance).

Run with Debian's python3 (torch 1.13, numpy 1.24):
    /usr/bin/python3 tests/compare/gen_compare_fixtures.py
"""
import collections
import fnmatch
import json
import math
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "compare")
os.makedirs(OUT, exist_ok=True)


def base_model():
    g = torch.Generator().manual_seed(1234)
    sd = collections.OrderedDict()
    sd["conv.weight"] = torch.randn(4, 3, 3, 3, generator=g)
    sd["conv.bias"] = torch.randn(4, generator=g)
    sd["bn.running_mean"] = torch.randn(4, generator=g)
    sd["bn.num_batches_tracked"] = torch.tensor(7)
    sd["fc.weight"] = torch.randn(10, 36, generator=g)
    sd["fc.bias"] = torch.randn(10, generator=g)
    return sd


def checkpoint(sd, **over):
    hp = {"lr": 0.1, "epochs": 10, "name": "resnet-tiny", "betas": (0.9, 0.999), "nesterov": False}
    hp.update(over)
    return {"model": sd, "hparams": hp, "epoch": 3}


def save(obj, name):
    torch.save(obj, os.path.join(OUT, name))


# ---- expected statuses -------------------------------------------------------------------------

def key_segment(k):
    if isinstance(k, str):
        return "['" + k.replace("\\", "\\\\").replace("'", "\\'") + "']"
    if isinstance(k, bool):
        return "[True]" if k else "[False]"
    if isinstance(k, int):
        return "[%d]" % k
    raise ValueError(k)


def walk(obj, strip=""):
    """(path, value) in pre-order, as picklescope's access-path walker visits them."""
    out = []
    stack = [("$", obj)]
    while stack:
        path, v = stack.pop()
        out.append((path, v))
        children = []
        if isinstance(v, dict):
            for k, c in v.items():
                if strip and isinstance(k, str) and k.startswith(strip) and len(k) > len(strip):
                    k = k[len(strip):]
                children.append((path + key_segment(k), c))
        elif isinstance(v, (list, tuple)):
            for i, c in enumerate(v):
                children.append((path + "[%d]" % i, c))
        stack.extend(reversed(children))
    return out


def is_container(v):
    return isinstance(v, (dict, list, tuple))


def tensor_entry(a, b, rtol, atol):
    e = {"kind": "tensor"}
    if tuple(a.shape) != tuple(b.shape):
        e["status"] = "shape"
        return e
    x = a.detach().numpy().astype(np.float64)
    y = b.detach().numpy().astype(np.float64)
    same_dtype = a.dtype == b.dtype
    identical = same_dtype and a.contiguous().numpy().tobytes() == b.contiguous().numpy().tobytes()
    close = np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=True)
    d = np.abs(x - y)
    valid = ~np.isnan(d)
    max_abs = float(d[valid].max()) if valid.any() else 0.0
    rel_mask = valid & (y != 0)
    max_rel = float((d[rel_mask] / np.abs(y[rel_mask])).max()) if rel_mask.any() else 0.0
    mismatched = int((~close).sum())
    if identical:
        status = "same"
    elif np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True):
        status = "close"
    else:
        status = "changed" if same_dtype else "dtype"
    e.update(status=status, max_abs=max_abs, max_rel=max_rel, mismatched=mismatched)
    return e


def expected(a, b, rtol=1e-05, atol=1e-08, strip=""):
    pa = walk(a, strip)
    pb = walk(b, strip)
    ib = {}
    for p, v in pb:
        ib.setdefault(p, v)
    ia = {}
    for p, v in pa:
        ia.setdefault(p, v)
    entries = {}

    def below(p, top):
        return top is not None and len(p) > len(top) and p.startswith(top) and p[len(top)] in "[."

    top = None
    for p, v in pa:
        if p in entries:
            continue
        if p not in ib:
            if below(p, top):
                continue
            entries[p] = {"status": "only_a"}
            if is_container(v):
                top = p
            continue
        w = ib[p]
        if isinstance(v, torch.Tensor) and isinstance(w, torch.Tensor):
            entries[p] = tensor_entry(v, w, rtol, atol)
        elif is_container(v) and is_container(w):
            # dict and OrderedDict compare equal in Python (==): the same container
            mappings = isinstance(v, dict) and isinstance(w, dict) and {type(v), type(w)} <= {dict, collections.OrderedDict}
            entries[p] = {"kind": "container", "status": "same" if type(v) is type(w) or mappings else "changed"}
        else:
            same = type(v) is type(w) and (v == w or (isinstance(v, float) and math.isnan(v) and math.isnan(w)))
            entries[p] = {"kind": "value", "status": "same" if same else "changed"}
    top = None
    for p, v in pb:
        if p in ia or p in entries:
            continue
        if below(p, top):
            continue
        entries[p] = {"status": "only_b"}
        if is_container(v):
            top = p
    summary = collections.Counter(e["status"] for e in entries.values())
    return entries, {s: summary.get(s, 0) for s in ("same", "close", "changed", "dtype", "shape", "only_a", "only_b")}


cases = []


def case(name, a, b, args=(), rtol=1e-05, atol=1e-08, strip="", **kw):
    fa, fb = name + "_a.pt", name + "_b.pt"
    save(a, fa)
    save(b, fb)
    entries, summary = expected(a, b, rtol, atol, strip)
    differences = any(summary[s] for s in ("changed", "dtype", "shape", "only_a", "only_b"))
    cases.append({"name": name, "a": fa, "b": fb, "args": list(args), "entries": entries, "summary": summary,
                  "exit": 4 if differences else 0, **kw})


base = base_model()

# identical files saved twice
case("identical", checkpoint(base), checkpoint(base_model()))

# one tensor perturbed by 1e-3 (one element) and one by 1 (three elements)
pert = base_model()
pert["conv.bias"][1] += 1e-3
pert["fc.weight"][2, 5] += 1.0
pert["fc.weight"][7, 0] -= 1.0
pert["fc.weight"][9, 35] += 0.5
case("perturbed", checkpoint(base), checkpoint(pert))
# the same pair with a tolerance that accepts the 1e-3 change
case("perturbed_atol", checkpoint(base), checkpoint(pert), args=["--atol", "0.01"], atol=0.01, reuse="perturbed")

# fp32 against the same weights cast to fp16: close at rtol 1e-3
half = collections.OrderedDict((k, v.half() if v.is_floating_point() else v.clone()) for k, v in base.items())
case("fp16", checkpoint(base), checkpoint(half), args=["--rtol", "1e-3"], rtol=1e-3)
# ... and not close at the default tolerance: dtype
case("fp16_default", checkpoint(base), checkpoint(half), reuse="fp16")

# a renamed key, an added and a removed key
renamed = base_model()
renamed["classifier.weight"] = renamed.pop("fc.weight")
renamed["extra.scale"] = torch.ones(3)
del renamed["bn.running_mean"]
case("keys", checkpoint(base), checkpoint(renamed))

# a reshaped tensor
reshaped = base_model()
reshaped["fc.weight"] = reshaped["fc.weight"].reshape(36, 10).clone()
case("reshaped", checkpoint(base), checkpoint(reshaped))

# shared storages: a tied weight and a view; b changes the shared storage once
w = torch.arange(24, dtype=torch.float32).reshape(4, 6)
tied_a = {"embed.weight": w, "head.weight": w, "first_rows": w[:2]}
w2 = w.clone()
w2[0, 0] = 100.0
tied_b = {"embed.weight": w2, "head.weight": w2, "first_rows": w2[:2]}
case("shared", tied_a, tied_b)

# non-tensor hyper-parameters changed
case("hparams", checkpoint(base), checkpoint(base_model(), lr=0.01, name="resnet-tiny-ft", betas=(0.9, 0.99)))

# a Lightning-style checkpoint against a bare state dict: --under and --strip-prefix
lightning = {"state_dict": collections.OrderedDict(("model." + k, v) for k, v in base.items()), "epoch": 3}
save(lightning, "lightning_a.pt")
save(base, "lightning_b.pt")
bare_entries, bare_summary = expected(lightning["state_dict"], base, strip="model.")
cases.append({"name": "lightning", "a": "lightning_a.pt", "b": "lightning_b.pt",
              "args": ["--under", "$['state_dict']", "--strip-prefix", "model."],
              "entries": bare_entries, "summary": bare_summary, "exit": 0})

# NaNs in the same places on both sides: equal under allclose(equal_nan=True)
nan_a = {"x": torch.tensor([1.0, float("nan"), 3.0]), "y": torch.tensor([float("nan"), 2.0])}
nan_b = {"x": torch.tensor([1.0, float("nan"), 3.0 + 1e-7]), "y": torch.tensor([float("nan"), 2.5])}
case("nan", nan_a, nan_b)

for c in cases:
    if "reuse" in c:  # same files as another case
        for side in ("a", "b"):
            os.remove(os.path.join(OUT, c[side]))
            c[side] = c["reuse"] + "_" + side + ".pt"
        del c["reuse"]

# ---- the model view: a training checkpoint of a small CNN with AdamW state -------------------------

def model_checkpoint():
    torch.manual_seed(5)
    net = torch.nn.Sequential(collections.OrderedDict([
        ("features", torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
                                         torch.nn.Conv2d(8, 16, 3))),
        ("classifier", torch.nn.Linear(16, 10)),
    ]))
    net.classifier.half()
    opt = torch.optim.AdamW([p for p in net.parameters() if p.dtype == torch.float32], lr=1e-3, weight_decay=0.01)
    x = torch.randn(2, 3, 8, 8)
    net.features(x).sum().backward()
    opt.step()
    return {"model": net.state_dict(), "optimizer": opt.state_dict(), "epoch": 1}


ckpt = model_checkpoint()
save(ckpt, "model_ckpt.pt")
sd = ckpt["model"]
modules = collections.OrderedDict()
for key, t in sd.items():
    parts = key.split(".")
    for depth in range(1, len(parts) + 1):
        name = ".".join(parts[:depth])
        m = modules.setdefault(name, {"params": 0, "bytes": 0, "tensors": 0})
        m["params"] += t.numel()
        m["bytes"] += t.numel() * t.element_size()
        m["tensors"] += 1
dtypes = collections.Counter()
for t in sd.values():
    dtypes[str(t.dtype).replace("torch.", "")] += t.numel()
osd = ckpt["optimizer"]
state_keys = collections.Counter(k for s in osd["state"].values() for k in s)
with open(os.path.join(OUT, "modules.json"), "w") as f:
    json.dump({
        "file": "model_ckpt.pt", "state_dict": "$['model']",
        "total_params": sum(t.numel() for t in sd.values()),
        "total_bytes": sum(t.numel() * t.element_size() for t in sd.values()),
        "dtype_params": dtypes, "modules": modules,
        "optimizer": {"path": "$['optimizer']", "params_with_state": len(osd["state"]),
                      "state_keys": state_keys,
                      "state_elements": sum(v.numel() for s in osd["state"].values() for v in s.values()
                                            if isinstance(v, torch.Tensor)),
                      "groups": [{"params": len(g["params"]), "lr": repr(g["lr"]),
                                  "weight_decay": repr(g["weight_decay"]), "betas": repr(g["betas"])}
                                 for g in osd["param_groups"]]},
    }, f, indent=1)

# ---- the query language: which paths each query selects, decided here in Python ------------------

def tensor_shape(v):
    return list(v.shape) if isinstance(v, torch.Tensor) else None


def type_label(v):
    return type(v).__name__


QUERIES = [
    ("dtype:float16", lambda p, v: isinstance(v, torch.Tensor) and v.dtype == torch.float16),
    ("dtype:FLOAT*", lambda p, v: isinstance(v, torch.Tensor) and v.is_floating_point()),
    ("shape:[*,36]", lambda p, v: tensor_shape(v) is not None and len(v.shape) == 2 and v.shape[1] == 36),
    ("shape:[4,...]", lambda p, v: tensor_shape(v) is not None and len(v.shape) >= 1 and v.shape[0] == 4),
    ("shape:[...,3,3]", lambda p, v: tensor_shape(v) is not None and list(v.shape[-2:]) == [3, 3]),
    ("shape:[]", lambda p, v: tensor_shape(v) == []),
    ("numel:>100", lambda p, v: isinstance(v, torch.Tensor) and v.numel() > 100),
    ("numel:<=4", lambda p, v: isinstance(v, torch.Tensor) and v.numel() <= 4),
    ("numel:1e0", lambda p, v: isinstance(v, torch.Tensor) and v.numel() == 1),
    ("name:*bias*", lambda p, v: fnmatch.fnmatchcase(p.lower(), "*bias*")),
    ("name:*weight* -dtype:float32",
     lambda p, v: fnmatch.fnmatchcase(p.lower(), "*weight*") and not (isinstance(v, torch.Tensor) and v.dtype == torch.float32)),
    ("type:tensor numel:<10 | name:*lr*",
     lambda p, v: (isinstance(v, torch.Tensor) and v.numel() < 10) or fnmatch.fnmatchcase(p.lower(), "*lr*")),
    ("class:*dict", lambda p, v: isinstance(v, dict)),
    ("type:float", lambda p, v: type(v) is float),
    ("resnet", lambda p, v: "resnet" in p.lower() or (isinstance(v, str) and "resnet" in repr(v).lower())),
    ("-type:tensor -class:*dict", lambda p, v: not isinstance(v, (torch.Tensor, dict))),
]

queries = []
for fixture in ("fp16_b.pt", "hparams_a.pt"):
    obj = torch.load(os.path.join(OUT, fixture))
    paths = walk(obj)
    for q, pred in QUERIES:
        queries.append({"file": fixture, "query": q, "paths": [p for p, v in paths if pred(p, v)]})
with open(os.path.join(OUT, "queries.json"), "w") as f:
    json.dump({"queries": queries}, f, indent=1)

with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump({"cases": cases}, f, indent=1, sort_keys=True)
print("wrote", len(cases), "cases to", os.path.normpath(OUT))
