#pragma once

// How values read as text: type labels, one-line summaries, Python reprs of known types, and the
// labelled children a tree shows (dict keys, list indices, object attributes) with the access
// path of each. Shared by picklescope-cli tree/info, the GUI tree and the JSON "display" field.
// Everything is computed on demand, in time independent of container sizes (except the text
// asked for), and never recurses on the graph's depth.

#include "core/value/py_repr.h" // the Python reprs (pyStrRepr, pyFloatRepr, ...), formerly here
#include "core/value/value_graph.h"

#include <cstddef>
#include <string>
#include <string_view>

namespace core {

// "dict", "OrderedDict", "list", "torch.Tensor", "torch.nn.Parameter", "numpy.ndarray",
// "datetime.datetime", "argparse.Namespace", "global", ...
std::string typeLabel(const ValueGraph& graph, ValueId id);

// Qualified class of an Object ("module.Class"): the callable of NEWOBJ/INST/OBJ, the class
// given to copyreg._reconstructor / __newobj__ / array._array_reconstructor, or the function
// for REDUCE. Empty otherwise.
std::string className(const ValueGraph& graph, ValueId id);

// Python repr of scalars: 42, -1.5, 'abc', b'\x00', None, True, (1+2j). Truncated to maxChars
// with '…' (0: no limit). Empty for values that are not scalars.
std::string scalarRepr(const ValueGraph& graph, ValueId id, std::size_t maxChars = 0);

// Python's repr of an object the core decodes for display (datetime, date, time, timedelta,
// timezone, Decimal, array.array, numpy scalar, torch.Size/device, range, slice, UUID, pathlib
// paths, ...). Empty when the value is not one of them or its arguments do not decode.
std::string displayRepr(const ValueGraph& graph, ValueId id);

// The one-line summary for a tree's value column: "dict (12 items)", "'abc…'",
// "tensor float32 [64, 3, 7, 7]", "datetime.datetime(2020, 1, 1, 0, 0)", "42".
std::string summary(const ValueGraph& graph, ValueId id, std::size_t maxChars = 80);

enum class EdgeKind : std::uint8_t { Item, Key, Attribute, Field };

struct DisplayChild {
    ValueId child = kNullValue;
    EdgeKind kind = EdgeKind::Item;
    std::string label; // "'weight'", "[3]", "epoch", "args", "state"
    std::string pathSegment; // "['weight']", "[3]", ".epoch", ".__args__"
};

// Children as a tree shows them, made on demand (cheap for huge containers).
// Dicts: default_factory (when present) first, then one child per key (the value, labelled by
// the key's repr), then the BUILD state (an OrderedDict's _metadata). Objects: args (when not
// empty), kwargs, base (when present), list items ([i]) and dict items ([key]), then "state"
// (the BUILD argument; path ".__dict__" for a dict, ".__getstate__()" otherwise). Containers list
// their items before their BUILD state.
std::size_t displayChildCount(const ValueGraph& graph, ValueId id);
DisplayChild displayChild(const ValueGraph& graph, ValueId id, std::size_t index);
// The child value alone (no label text): for walkers.
ValueId displayChildId(const ValueGraph& graph, ValueId id, std::size_t index);

// Whether a value can be reached more than once as the same object (containers, objects,
// tensors, arrays, bytearrays...). Scalars, str and bytes are not: they are values, and
// CPython itself caches some of them. Exports and trees mark sharing only for these.
bool isIdentityValue(const ValueGraph& graph, ValueId id);

} // namespace core
