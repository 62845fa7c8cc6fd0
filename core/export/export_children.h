#pragma once

// What the value export writes as VALUE below a value (its "export children"), and the reference
// counts over them that decide which values get "id" and which are written as refs.

#include "core/value/value_graph.h"
#include "core/value/value_text.h"

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

// visit(child) for every value the export writes below `id`, in the order it writes them
// (`plain`: the plain form, which leaves out callables, dict factories and extra state, and
// writes a known object's display text instead of its parts).
template <typename Visit>
void forEachExportChild(const ValueGraph& g, ValueId id, bool plain, Visit&& visit)
{
    auto maybe = [&](ValueId child) {
        if (g.valid(child))
            visit(child);
    };
    const ValueKind k = g.kind(id);
    switch (k) {
    case ValueKind::List:
    case ValueKind::Tuple:
    case ValueKind::Set:
    case ValueKind::FrozenSet:
    case ValueKind::Dict:
        if (k == ValueKind::Dict && !plain)
            maybe(g.defaultFactory(id));
        for (ValueId child : g.items(id))
            visit(child);
        if (!plain)
            maybe(g.extraState(id));
        break;
    case ValueKind::Object: {
        const ObjectRecord& o = g.object(id);
        if (!plain || displayRepr(g, id).empty()) {
            if (!plain)
                maybe(o.callable);
            if (isTuple(g, o.args)) {
                for (ValueId child : g.items(o.args))
                    visit(child);
            } else {
                maybe(o.args);
            }
            maybe(o.kwargs);
            maybe(o.state);
            maybe(o.base);
            for (ValueId child : o.listItems)
                visit(child);
            for (ValueId child : o.dictItems)
                visit(child);
        }
        break;
    }
    case ValueKind::Persistent:
        maybe(g.persistentId(id));
        break;
    case ValueKind::Tensor: {
        const TensorRecord& t = g.tensor(id);
        maybe(t.scales);
        maybe(t.zeroPoints);
        maybe(t.components);
        break;
    }
    case ValueKind::NdArray:
        if (isObjectArray(g, id))
            for (ValueId child : g.items(g.ndarray(id).data))
                visit(child);
        break;
    default:
        break;
    }
}

// Reference counts from `root` over the export children (iterative): 0 not reached, 1 once,
// 2 more than once. Only identity values (isIdentityValue) are counted.
std::vector<std::uint8_t> countExportReferences(const ValueGraph& g, ValueId root, bool plain);

} // namespace core
