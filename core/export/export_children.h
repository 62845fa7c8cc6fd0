#pragma once

// What the value export writes as VALUE below a value (its "export children", from the one child
// enumeration), and the reference counts over them that decide which values get "id" and which
// are written as refs.

#include "core/value/value_children.h"
#include "core/value/value_graph.h"

#include <cstdint>
#include <vector>

namespace core {

inline bool isTuple(const ValueGraph& g, ValueId id)
{
    return g.valid(id) && g.kind(id) == ValueKind::Tuple;
}

// An ndarray of dtype object: its items are pickled values (a list or tuple), not raw bytes.
inline bool isObjectArray(const ValueGraph& g, ValueId id)
{
    const NdArrayRecord& a = g.ndarray(id);
    return g.valid(a.data)
        && (g.kind(a.data) == ValueKind::List || g.kind(a.data) == ValueKind::Tuple);
}

// The export's children of a value: core/value/value_children's ChildSet::Export (the typed
// form) or ChildSet::ExportPlain (--plain: no callables, dict factories or extra state, and a
// known object's display text instead of its parts).
inline ChildSet exportChildSet(bool plain)
{
    return plain ? ChildSet::ExportPlain : ChildSet::Export;
}

// Reference counts from `root` over the export children (iterative): 0 not reached, 1 once,
// 2 more than once. Only identity values (isIdentityValue) are counted. One byte a value and a
// worklist: the export keeps flat memory on tens of millions of values, which the graph-wide
// referenceCounts (appearances and cycles, ~30 bytes a value) would not.
std::vector<std::uint8_t> countExportReferences(const ValueGraph& g, ValueId root, bool plain);

} // namespace core
