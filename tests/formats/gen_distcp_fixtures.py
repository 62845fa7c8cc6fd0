#!/usr/bin/python3
"""A PyTorch distributed checkpoint (torch.distributed.checkpoint, torch >= 2.0) for
tests/formats/tst_distcp.cpp, written by hand because Debian's torch 1.13 has no
torch.distributed.checkpoint (and its torch.distributed._shard does not import on Python 3.11).

What torch's FileSystemWriter writes (torch/distributed/checkpoint/filesystem.py and
metadata.py, torch 2.x):
- one file per rank, "__{rank}_{n}.distcp": for every item, tensors as torch.save(chunk) (a whole
  torch zip archive, the chunk contiguous with its own storage) and non-tensor values as the
  bytes of torch.save(value) into a BytesIO, back to back;
- ".metadata": pickle.dump(Metadata(state_dict_metadata={fqn: TensorStorageMetadata(
  properties=TensorProperties(dtype, ...), size=torch.Size, chunks=[ChunkStorageMetadata(offsets,
  sizes)]) or BytesStorageMetadata()}, planner_data={fqn: (fqn,)}, storage_data={MetadataIndex(
  fqn, offset, index): _StorageInfo(relative_path, offset, length)})).

The dataclasses are stand-ins registered under torch's module names (sys.modules), so the
pickle's GLOBALs are exactly torch's; torch.Size, torch dtypes and torch.strided are the real
ones. Two ranks: rank 0 holds whole tensors, a bytes item and the first half of a row-sharded
tensor; rank 1 the second half. expected.json holds every tensor's dtype, shape, chunks and
values (what the chunks hold), and each item's file range.

Run: /usr/bin/python3 tests/formats/gen_distcp_fixtures.py
"""

import dataclasses
import enum
import io
import json
import math
import os
import pickle
import sys
import types
from typing import Any, List, Optional

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "formats", "distcp")


def module(name):
    m = types.ModuleType(name)
    sys.modules[name] = m
    return m


META = module("torch.distributed.checkpoint.metadata")
FS = module("torch.distributed.checkpoint.filesystem")
SHARD = module("torch.distributed._shard.sharded_tensor.metadata")


def register(mod, cls):
    cls.__module__ = mod.__name__
    setattr(mod, cls.__name__, cls)
    return cls


class MEM_FORMAT_ENCODING(enum.Enum):
    TORCH_CONTIGUOUS_FORMAT = 0
    TORCH_CHANNELS_LAST = 1
    TORCH_PRESERVE_FORMAT = 2


register(SHARD, MEM_FORMAT_ENCODING)


@dataclasses.dataclass
class TensorProperties:
    dtype: Any = torch.float32
    layout: Any = torch.strided
    requires_grad: bool = False
    memory_format: Any = torch.contiguous_format
    pin_memory: bool = False

    def __getstate__(self):  # as torch's: torch.memory_format cannot be pickled
        return (self.dtype, self.layout, self.requires_grad,
                MEM_FORMAT_ENCODING.TORCH_CONTIGUOUS_FORMAT, self.pin_memory)

    def __setstate__(self, state):
        raise RuntimeError("never loaded here")


register(SHARD, TensorProperties)


@dataclasses.dataclass
class ChunkStorageMetadata:
    offsets: Any
    sizes: Any


@dataclasses.dataclass
class TensorStorageMetadata:
    properties: TensorProperties
    size: Any
    chunks: List[ChunkStorageMetadata]


@dataclasses.dataclass
class BytesStorageMetadata:
    pass


@dataclasses.dataclass
class Metadata:
    state_dict_metadata: dict
    planner_data: Any = None
    storage_data: Any = None


@dataclasses.dataclass(frozen=True)
class MetadataIndex:
    fqn: str
    offset: Optional[Any] = None
    index: Optional[int] = dataclasses.field(hash=False, compare=False, default=None)


for cls in (ChunkStorageMetadata, TensorStorageMetadata, BytesStorageMetadata, Metadata, MetadataIndex):
    register(META, cls)


@dataclasses.dataclass
class _StorageInfo:
    relative_path: str
    offset: int
    length: int


register(FS, _StorageInfo)


def values_of(t):
    out = []
    for x in t.detach().reshape(-1).double().tolist():
        out.append("nan" if math.isnan(x) else ("inf" if x == math.inf else ("-inf" if x == -math.inf else repr(x))))
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(12)
    whole = {
        "model.embed.weight": torch.randn(6, 4),
        "model.norm.bias": torch.randn(4).half(),
        "step": torch.tensor(1234, dtype=torch.int64),
        "model.mask": torch.tensor([True, False, True]),
    }
    sharded_name = "model.proj.weight"
    sharded = torch.arange(24, dtype=torch.float64).reshape(6, 4) / 8
    extra = {"epoch": 3, "lr": 0.001}

    sdm, planner, storage = {}, {}, {}
    expect = {"tensors": {}, "bytes": {}, "files": {}}
    files = {0: io.BytesIO(), 1: io.BytesIO()}
    names = {0: "__0_0.distcp", 1: "__1_0.distcp"}

    def write(rank, fqn, data, offsets):
        stream = files[rank]
        at = stream.tell()
        if isinstance(data, torch.Tensor):
            torch.save(data.clone().contiguous(), stream)
            key = MetadataIndex(fqn, torch.Size(offsets), 0)
        else:
            buf = io.BytesIO()
            torch.save(data, buf)
            stream.write(buf.getbuffer())
            key = MetadataIndex(fqn, None, None)
        storage[key] = _StorageInfo(names[rank], at, stream.tell() - at)
        return names[rank], at, stream.tell() - at

    # rank 0 writes bytes first, then tensors (FileSystemWriter's order)
    sdm["extra_state"] = BytesStorageMetadata()
    planner["extra_state"] = ("extra_state",)
    f, at, n = write(0, "extra_state", extra, None)
    expect["bytes"]["extra_state"] = {"file": f, "offset": at, "length": n}
    for fqn, t in whole.items():
        sdm[fqn] = TensorStorageMetadata(TensorProperties(dtype=t.dtype), t.size(),
                                         [ChunkStorageMetadata(torch.Size([0] * t.dim()), t.size())])
        planner[fqn] = tuple(fqn.split("."))
        f, at, n = write(0, fqn, t, [0] * t.dim())
        expect["tensors"][fqn] = {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
                                  "chunks": [{"offsets": [0] * t.dim(), "sizes": list(t.shape), "file": f}],
                                  "values": values_of(t), "readable": True}
    chunks = []
    for rank, rows in ((0, slice(0, 3)), (1, slice(3, 6))):
        part = sharded[rows]
        offsets = [rows.start, 0]
        chunks.append(ChunkStorageMetadata(torch.Size(offsets), part.size()))
        f, at, n = write(rank, sharded_name, part, offsets)
    sdm[sharded_name] = TensorStorageMetadata(TensorProperties(dtype=sharded.dtype), sharded.size(), chunks)
    planner[sharded_name] = tuple(sharded_name.split("."))
    expect["tensors"][sharded_name] = {
        "dtype": "float64", "shape": list(sharded.shape), "readable": False,
        "chunks": [{"offsets": [0, 0], "sizes": [3, 4], "file": names[0]},
                   {"offsets": [3, 0], "sizes": [3, 4], "file": names[1]}]}

    for rank, stream in files.items():
        with open(os.path.join(OUT, names[rank]), "wb") as f:
            f.write(stream.getvalue())
        expect["files"][names[rank]] = len(stream.getvalue())
    with open(os.path.join(OUT, ".metadata"), "wb") as f:
        pickle.dump(Metadata(sdm, planner, storage), f)
    expect["order"] = list(sdm)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expect, f, indent=1)
        f.write("\n")
    print("distcp fixture:", sorted(os.listdir(OUT)), file=sys.stderr)


if __name__ == "__main__":
    main()
