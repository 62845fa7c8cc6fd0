#pragma once

// Access paths: how `picklescope-cli info`, the tensor table and `diff` name a value by the way
// it is reached from the root: $['model']['fc.weight'], $.epoch, $['layers'][3],
// $._modules['0']._parameters['weight'] (dict keys as ['key'], sequence items as [i], an
// object's state-dict attributes as .name). One walker visits every value with its path
// (iteratively: no recursion on input depth).

#include "core/value/value_graph.h"

#include <functional>
#include <string>
#include <string_view>

namespace core {

// Appends the segment of a dict key: ['text'] (' and \ escaped), [3], [None], [True], [?].
// A str key starting with `stripPrefix` (when not empty) loses that prefix.
void appendKeySegment(
    std::string& path, const ValueGraph& graph, ValueId key, std::string_view stripPrefix = {});
// Appends [index].
void appendIndexSegment(std::string& path, std::size_t index);
// Whether `text` is a Python identifier made of ASCII letters, digits and '_'.
bool isAsciiIdentifier(std::string_view text);

struct AccessPathWalk {
    // Removed from the start of every str dict key (e.g. "model." to pair a Lightning state dict
    // with a bare one).
    std::string stripPrefix;
};

// Visits every value reachable from `root` in pre-order (children in file order) with its path.
// Containers and objects are entered once (their first path); tensors, arrays and scalars get
// a visit per path. `visit` returns false to skip a value's children. Children: dict items,
// sequence and set items, an object's state (dict state as attributes, other state as
// .__state__), its arguments (.__args__), list items and dict items.
void walkAccessPaths(const ValueGraph& graph, ValueId root, const std::string& rootPath,
    const std::function<bool(ValueId id, const std::string& path)>& visit,
    const AccessPathWalk& options = {});

} // namespace core
