#pragma once

// What the value export writes as VALUE below a value (its "export children", from the one child
// enumeration). Which values get "id" and which are written as refs: core/value/value_children's
// referenceCounts over them (CountMode::AppearancesOnly, one byte a value).

#include "core/value/value_children.h"
#include "core/value/value_graph.h"

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

} // namespace core
