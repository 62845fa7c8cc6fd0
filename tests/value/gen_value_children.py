#!/usr/bin/python3
"""Writes the child-enumeration fixtures under tests/data/value and, beside each, what CPython's
own objects say about it (<name>.expected.json):

- children.pkl (pickle protocol 2 and 5): nested containers with shared values and cycles: a list
  held twice, a dict holding itself, a two-list cycle, an instance whose __dict__ points back at
  the root, a defaultdict, an OrderedDict, a shared bytearray, a shared tuple.
- shared_tensor.pt (torch.save, torch 1.13): one tensor under two keys and a list that holds
  itself.

For each, walking the objects the way the tree shows them (dict values under "[repr(key)]",
items under "[i]", an instance's __dict__ under ".__dict__", a defaultdict's factory under
".default_factory"), expanding each object at its first appearance only (pre-order):
  "appearances": for every identity object (list, tuple, dict, set, bytearray, instance, tensor),
      at its first path: how often the walk reaches it and whether it is on a cycle (reaches
      itself, found by a breadth-first search from its children);
  "marks": every later appearance: its path and "cycle" (the object is on the path from the root
      to it) or "shared".

Run with Debian's python3 (torch 1.13):
    /usr/bin/python3 tests/value/gen_value_children.py
"""
import collections
import json
import os
import pickle

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "value")
os.makedirs(OUT, exist_ok=True)


class Node:
    pass


def is_identity(o):
    return isinstance(o, (list, tuple, dict, set, frozenset, bytearray, Node, torch.Tensor))


def children(o):
    if isinstance(o, (list, tuple)):
        return [("[%d]" % i, x) for i, x in enumerate(o)]
    if isinstance(o, dict):
        out = []
        if isinstance(o, collections.defaultdict) and o.default_factory is not None:
            out.append((".default_factory", o.default_factory))
        out += [("[%r]" % (k,), v) for k, v in o.items()]
        return out
    if isinstance(o, Node):
        return [(".__dict__", o.__dict__)]
    return []


def on_cycle(o):
    seen = set()
    todo = [c for _, c in children(o)]
    while todo:
        x = todo.pop()
        if x is o:
            return True
        if not is_identity(x) or id(x) in seen:
            continue
        seen.add(id(x))
        todo += [c for _, c in children(x)]
    return False


def walk(root):
    first = {}  # id -> [path, appearances, cycle]
    marks = []
    on_path = set()
    stack = []  # (object, iterator of children, path)

    def visit(o, path):
        if is_identity(o):
            if id(o) in first:
                first[id(o)][1] += 1
                marks.append({"path": path, "mark": "cycle" if id(o) in on_path else "shared"})
                return
            first[id(o)] = [path, 1, on_cycle(o)]
            on_path.add(id(o))
        stack.append((o, iter(children(o)), path))

    visit(root, "")
    while stack:
        o, it, path = stack[-1]
        nxt = next(it, None)
        if nxt is None:
            stack.pop()
            on_path.discard(id(o))
            continue
        visit(nxt[1], path + nxt[0])
    appearances = sorted(
        ({"path": p, "appearances": n, "cycle": c} for p, n, c in first.values()),
        key=lambda e: e["path"])
    return {"appearances": appearances, "marks": marks}


def children_fixture():
    shared = [1, 2]
    looped = {"name": "self"}
    looped["me"] = looped
    a, b = [10], [20]
    a.append(b)
    b.append(a)
    node = Node()
    blob = bytearray(b"\x00\x01")
    pair = ("x", 1.5)
    root = {
        "shared": shared,
        "again": shared,
        "looped": looped,
        "ab": a,
        "node": node,
        "counts": collections.defaultdict(int, {"k": 1}),
        "ordered": collections.OrderedDict([("z", shared), ("y", 2)]),
        "blobs": [blob, blob],
        "pairs": [pair, pair],
    }
    node.parent = root
    node.label = "leaf"
    return root


def main():
    root = children_fixture()
    expected = walk(root)
    for protocol in (2, 5):
        with open(os.path.join(OUT, "children_p%d.pkl" % protocol), "wb") as f:
            pickle.dump(root, f, protocol=protocol)
    with open(os.path.join(OUT, "children.expected.json"), "w") as f:
        json.dump(expected, f, indent=1)

    t = torch.arange(3, dtype=torch.float32)
    loop = [1, 2]
    loop.append(loop)
    obj = {"a": t, "b": t, "loop": loop}
    torch.save(obj, os.path.join(OUT, "shared_tensor.pt"))
    with open(os.path.join(OUT, "shared_tensor.expected.json"), "w") as f:
        json.dump(walk(obj), f, indent=1)


if __name__ == "__main__":
    main()
