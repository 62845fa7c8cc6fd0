#pragma once

// Access paths: how `picklescope-cli info`, the tensor table and `diff` name a value by the way
// it is reached from the root: $['model']['fc.weight'], $.epoch, $['layers'][3],
// $._modules['0']._parameters['weight'] (dict keys as ['key'], sequence items as [i], an
// object's state-dict attributes as .name). One walker visits every value with its path
// (iteratively: no recursion on input depth).

#include "core/value/value_graph.h"

#include <string>
#include <string_view>
#include <vector>

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

// A pre-order walk over the access-path children (ChildSet::Access, core/value/value_children.h)
// of `root`, each value with its path. Containers and objects are entered once (their first
// path); tensors, arrays and scalars come once per path. Keeps one frame per level and one path
// string (a million-deep chain costs O(depth)), makes a segment only for the child it visits.
class AccessPathCursor {
public:
    AccessPathCursor(const ValueGraph& graph, ValueId root, const std::string& rootPath,
        const AccessPathWalk& options = {});
    // Moves to the next value (the root first); false at the end.
    bool next();
    ValueId id() const { return m_id; }
    const std::string& path() const { return m_path; }
    // Do not walk into the current value's children.
    void skipChildren() { m_enter = false; }

private:
    struct Frame {
        ValueId id;
        std::size_t next;
        std::size_t base; // length of this value's path
    };
    const ValueGraph& m_g;
    std::string m_stripPrefix;
    std::vector<Frame> m_frames;
    std::vector<bool> m_seen;
    std::string m_path;
    ValueId m_id = kNullValue;
    bool m_started = false;
    bool m_enter = false;
};

// Visits every value reachable from `root` in pre-order (children in file order) with its path.
// Containers and objects are entered once (their first path); tensors, arrays and scalars get
// a visit per path. `visit(ValueId, const std::string& path)` returns false to skip a value's
// children. Children: dict items, sequence and set items, an object's state (dict state as
// attributes, other state as .__state__), its arguments (.__args__), list items and dict items.
template <typename Visit>
void walkAccessPaths(const ValueGraph& graph, ValueId root, const std::string& rootPath,
    Visit&& visit, const AccessPathWalk& options = {})
{
    AccessPathCursor cursor(graph, root, rootPath, options);
    while (cursor.next()) {
        if (!visit(cursor.id(), cursor.path()))
            cursor.skipChildren();
    }
}

} // namespace core
