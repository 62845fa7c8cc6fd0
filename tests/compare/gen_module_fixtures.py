#!/usr/bin/python3
"""Fixtures for the Model view of whole pickled modules and tied weights (tst_module_tree):
torch.save of a small nn.Sequential (sequential_model.pt), torch.save of a small language model
whose output layer shares the embedding's weight (tied_model.pt) and its state_dict()
(tied_state.pt); a module that contains itself (cyclic_model.pt); and the sharded index of tests/data/compare/cross (made by
gen_cross_format_fixtures.py), read back with torch.load shard by shard. Expected entries (state_dict() keys in order, numel, dtype, shape, the key each
tied entry shares its tensor with) and totals (torch's own count of distinct parameters and
buffers) go to modules/expected.json.

Run with Debian's /usr/bin/python3 (torch 1.13):
    /usr/bin/python3 tests/compare/gen_module_fixtures.py
"""

import json
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "compare", "modules")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(14)


class TinyLM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(12, 4)
        self.block = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.LayerNorm(4))
        self.register_buffer("scratch", torch.zeros(3), persistent=False)  # not in state_dict()
        self.lm_head = torch.nn.Linear(4, 12, bias=False)
        self.lm_head.weight = self.embed.weight  # tied


sequential = torch.nn.Sequential(
    torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.ReLU(), torch.nn.Flatten(),
    torch.nn.Linear(8, 3, bias=False))
tiny = TinyLM()


def distinct_total(module):
    # torch's own count: parameters() and buffers() yield each shared tensor once
    return sum(p.numel() for p in module.parameters()) + sum(
        b.numel() for n, b in module.named_buffers() if n.split(".")[-1] not in module._non_persistent_buffers_set)


def expected(module):
    e = expected_state(module.state_dict(keep_vars=True))
    assert e["total_params"] == distinct_total(module), (e["total_params"], distinct_total(module))
    return e


def expected_state(state):
    entries, first = [], {}
    for key, t in state.items():
        view = (t.storage().data_ptr(), t.storage_offset(), tuple(t.shape), tuple(t.stride()), t.dtype)
        e = {"key": key, "numel": t.numel(), "dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape)}
        if view in first:
            e["tied_to"] = first[view]
        else:
            first[view] = key
        entries.append(e)
    total = sum(e["numel"] for e in entries if "tied_to" not in e)
    top = {}
    for e in entries:
        if "tied_to" not in e and "." in e["key"]:
            top[e["key"].split(".")[0]] = top.get(e["key"].split(".")[0], 0) + e["numel"]
    return {"entries": entries, "total_params": total, "top_modules": top}


def expected_sharded(index_path):
    """The merged state of a sharded index, in the order of its sorted weight_map keys."""
    index = json.load(open(index_path))
    state = {}
    for shard in sorted(set(index["weight_map"].values())):
        state.update(torch.load(os.path.join(os.path.dirname(index_path), shard), map_location="cpu"))
    return expected_state({k: state[k] for k in sorted(index["weight_map"])})


# A module that contains itself (hostile: torch's own state_dict() would recurse for ever): the
# view keeps what is there before the cycle, i.e. the state_dict() of the module without it.
cyclic = torch.nn.Sequential(torch.nn.Linear(2, 2))
cyclic_expected = expected(cyclic)
cyclic._modules["again"] = cyclic

torch.save(sequential, os.path.join(OUT, "sequential_model.pt"))
torch.save(cyclic, os.path.join(OUT, "cyclic_model.pt"))
torch.save(tiny, os.path.join(OUT, "tied_model.pt"))
torch.save(tiny.state_dict(), os.path.join(OUT, "tied_state.pt"))
with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump({"sequential_model.pt": expected(sequential), "tied_model.pt": expected(tiny),
               "tied_state.pt": expected(tiny), "cyclic_model.pt": cyclic_expected,
               "../cross/sharded/pytorch_model.bin.index.json": expected_sharded(
                   os.path.join(OUT, "..", "cross", "sharded", "pytorch_model.bin.index.json"))}, f, indent=1)
