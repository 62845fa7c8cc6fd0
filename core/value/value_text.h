#pragma once

// How values read as text: type labels, one-line summaries and the text of dict keys in labels
// and access paths. Shared by picklescope-cli tree/info, the GUI tree and the JSON "display"
// field. The children a tree shows are in value_children.h, the reprs of known types (datetime,
// numpy scalars, ...) in known_type_repr.h; this header includes both.
// Everything is computed on demand, in time independent of container sizes (except the text
// asked for), and never recurses on the graph's depth.

#include "core/value/known_type_repr.h" // displayRepr (datetime, Decimal, numpy scalars, ...)
#include "core/value/py_repr.h" // the Python reprs (pyStrRepr, pyFloatRepr, ...), formerly here
#include "core/value/value_children.h" // display children (displayChild, ...), formerly here
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

// The one-line summary for a tree's value column: "dict (12 items)", "'abc…'",
// "tensor float32 [64, 3, 7, 7]", "datetime.datetime(2020, 1, 1, 0, 0)", "42".
std::string summary(const ValueGraph& graph, ValueId id, std::size_t maxChars = 80);

// A dict key's text for tree labels and access paths: the repr of a scalar key or a tuple of
// scalars, a global's name, a decoded object's repr, else the summary; truncated to maxChars.
std::string keyText(const ValueGraph& graph, ValueId key, std::size_t maxChars);

} // namespace core
