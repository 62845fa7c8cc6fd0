#include "core/compare/value_find.h"

#include "core/value/value_text.h"

namespace core::compare {

TreeFind findInTree(const ValueGraph& g, ValueId root, const ValueQuery& query, std::size_t limit,
    const std::function<bool()>& cancelled)
{
    TreeFind out;
    if (!g.valid(root))
        return out;
    struct Frame {
        ValueId id;
        std::size_t next = 0;
        std::size_t count = 0;
    };
    std::string path = "$";
    std::vector<TreeStep> steps; // the chain to the frame on top of the stack
    std::vector<Frame> stack;
    std::vector<bool> expanded(g.size());
    if (query.matches(g, root, path))
        out.matches.push_back({ root, path, {} });
    expanded[indexOf(root)] = true;
    stack.push_back({ root, 0, displayChildCount(g, root) });
    std::size_t visited = 0;
    while (!stack.empty()) {
        if ((++visited & 0xFFF) == 0 && cancelled && cancelled()) {
            out.cancelled = true;
            return out;
        }
        Frame& top = stack.back();
        if (top.next >= top.count) {
            stack.pop_back();
            if (!steps.empty()) {
                steps.pop_back();
                path.resize(steps.empty() ? 1 : steps.back().pathEnd);
            }
            continue;
        }
        const auto row = static_cast<std::uint32_t>(top.next++);
        const DisplayChild child = displayChild(g, top.id, row);
        path.resize(steps.empty() ? 1 : steps.back().pathEnd);
        path += child.pathSegment;
        const TreeStep step { row, child.child, static_cast<std::uint32_t>(path.size()) };
        const bool valid = g.valid(child.child);
        if (valid && query.matches(g, child.child, path)) {
            if (out.matches.size() >= limit) {
                out.truncated = true;
                return out;
            }
            TreeMatch m { child.child, path, steps };
            m.steps.push_back(step);
            out.matches.push_back(std::move(m));
        }
        if (!valid || (isIdentityValue(g, child.child) && expanded[indexOf(child.child)]))
            continue;
        expanded[indexOf(child.child)] = true;
        const std::size_t count = displayChildCount(g, child.child);
        if (count == 0)
            continue;
        steps.push_back(step);
        stack.push_back({ child.child, 0, count });
    }
    return out;
}

std::vector<bool> keptValues(const ValueGraph& g, ValueId root, const TreeFind& found)
{
    std::vector<bool> keep(g.size());
    for (const TreeMatch& m : found.matches) {
        if (g.valid(root))
            keep[indexOf(root)] = true;
        for (const TreeStep& s : m.steps)
            if (g.valid(s.id))
                keep[indexOf(s.id)] = true;
    }
    return keep;
}

} // namespace core::compare
