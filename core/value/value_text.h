#pragma once

// How values read as text: type labels, one-line summaries, Python reprs of known types, and the
// labelled children a tree shows (dict keys, list indices, object attributes) with the access
// path of each. Shared by picklescope-cli tree/info, the GUI tree and the JSON "display" field.

#include "core/value/value_graph.h"

#include <cstddef>
#include <string>

namespace core {

// "dict", "OrderedDict", "list", "torch.Tensor", "torch.nn.Parameter", "numpy.ndarray",
// "datetime.datetime", "argparse.Namespace", "global", ...
std::string typeLabel(const ValueGraph& graph, ValueId id);

// Qualified class of an Object ("module.Class"): the callable of NEWOBJ/INST/OBJ, the class
// given to copyreg._reconstructor / __newobj__, or the function for REDUCE. Empty otherwise.
std::string className(const ValueGraph& graph, ValueId id);

// Python repr of scalars: 42, -1.5, 'abc', b'\x00', None, True, (1+2j). Truncated to maxChars
// with '…' (0: no limit).
std::string scalarRepr(const ValueGraph& graph, ValueId id, std::size_t maxChars = 0);

// Python's repr of an object the core decodes for display (datetime, date, time, timedelta,
// Decimal, array.array, numpy scalar, torch.Size/device/dtype, range, slice, ...). Empty when
// the value is not one of them.
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
std::size_t displayChildCount(const ValueGraph& graph, ValueId id);
DisplayChild displayChild(const ValueGraph& graph, ValueId id, std::size_t index);

} // namespace core
