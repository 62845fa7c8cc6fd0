#!/usr/bin/python3
"""Fixtures for the remote tensor preview (tests/ui/tst_tensor_preview.cpp): a torch checkpoint
whose tensors are larger than the pane's 128 x 128 window, and what torch reads from it.

usage: /usr/bin/python3 tests/remote/gen_remote_fixtures.py  (writes tests/data/remote/)
"""
import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "../data/remote")
os.makedirs(OUT, exist_ok=True)

g = torch.Generator().manual_seed(15)
state = {
    # [24, 8192] float16: rows of 16 KiB (4 pages), so the pane's 128-column window of each row
    # lies in one page: a quarter of the tensor's 384 KiB.
    "matrix": torch.randn(24, 8192, generator=g).to(torch.float16),
    # complex64 [16, 160]: the window cuts its columns at 128.
    "waves": torch.complex(torch.randn(16, 160, generator=g), torch.randn(16, 160, generator=g)),
}
path = os.path.join(OUT, "preview.pt")
torch.save(state, path)

back = torch.load(path)
expect = {}
for name, t in back.items():
    probes = []
    for index in [(0,) * t.dim(), tuple(d - 1 for d in t.shape), tuple(d // 2 for d in t.shape)]:
        v = t[index].item()
        probes.append({"index": list(index),
                       "real": float(v.real if isinstance(v, complex) else v),
                       "imag": float(v.imag if isinstance(v, complex) else 0.0)})
    expect[name] = {"dtype": str(t.dtype), "shape": list(t.shape), "bytes": t.numel() * t.element_size(),
                    "probes": probes}
with open(os.path.join(OUT, "preview.json"), "w") as f:
    json.dump(expect, f, indent=1, sort_keys=True)
    f.write("\n")
print(path, os.path.getsize(path), "bytes")
