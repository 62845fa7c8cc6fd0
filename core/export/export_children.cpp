#include "core/export/export_children.h"

#include "core/value/value_access.h"

namespace core {

std::vector<std::uint8_t> countExportReferences(const ValueGraph& g, ValueId root, bool plain)
{
    std::vector<std::uint8_t> counts(g.size(), 0);
    if (!g.valid(root))
        return counts;
    std::vector<ValueId> stack { root };
    while (!stack.empty()) {
        const ValueId id = stack.back();
        stack.pop_back();
        if (!g.valid(id))
            continue;
        if (isIdentityValue(g, id)) {
            std::uint8_t& c = counts[indexOf(id)];
            if (c >= 1) {
                c = 2;
                continue;
            }
            c = 1;
        }
        if (isScalarKind(g.kind(id)))
            continue; // no children: skip building an empty enumeration, the common case
        forEachChild(g, id, exportChildSet(plain), [&](ValueId child) { stack.push_back(child); });
    }
    return counts;
}

} // namespace core
