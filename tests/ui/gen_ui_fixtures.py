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
