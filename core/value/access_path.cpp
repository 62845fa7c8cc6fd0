#include "core/value/access_path.h"

#include <utility>
#include <vector>

namespace core {

void appendKeySegment(
    std::string& path, const ValueGraph& g, ValueId key, std::string_view stripPrefix)
{
    if (!g.valid(key)) {
        path += "[?]";
        return;
    }
    switch (g.kind(key)) {
    case ValueKind::Str:
    case ValueKind::Bytes: {
        std::string_view text = g.text(key);
        if (!stripPrefix.empty() && g.kind(key) == ValueKind::Str
            && text.size() > stripPrefix.size()
            && text.substr(0, stripPrefix.size()) == stripPrefix)
            text.remove_prefix(stripPrefix.size());
        path += "['";
        for (char c : text) {
            if (c == '\'' || c == '\\')
                path += '\\';
            path += c;
        }
        path += "']";
        break;
    }
    case ValueKind::Int:
    case ValueKind::BigInt:
        // Appended piecewise: GCC 12 at -O3 reports a false -Wrestrict on "[" + std::string.
        path += '[';
        path += g.intDecimal(key);
        path += ']';
        break;
    case ValueKind::None:
        path += "[None]";
        break;
    case ValueKind::Bool:
        path += g.boolValue(key) ? "[True]" : "[False]";
        break;
    default:
        path += "[?]";
        break;
    }
}

void appendIndexSegment(std::string& path, std::size_t index)
{
    path += '[';
    path += std::to_string(index);
    path += ']';
}

bool isAsciiIdentifier(std::string_view s)
{
    if (s.empty() || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '_'))
            return false;
    return true;
}

void walkAccessPaths(const ValueGraph& g, ValueId root, const std::string& rootPath,
    const std::function<bool(ValueId, const std::string&)>& visit, const AccessPathWalk& options)
{
    if (!g.valid(root))
        return;
    // One path string shared by the whole walk: an entry holds its parent's path length and its
    // own segment, so a million-deep chain costs O(depth) text, not O(depth^2). In a pre-order
    // walk the first `base` characters are still the parent's path when an entry is popped.
    struct Entry {
        ValueId id;
        std::size_t base;
        std::string segment;
    };
    std::vector<Entry> stack;
    std::vector<std::pair<ValueId, std::string>> children; // (child, its segment)
    std::vector<bool> seen(g.size());
    std::string path;
    stack.push_back({ root, 0, rootPath });
    while (!stack.empty()) {
        Entry entry = std::move(stack.back());
        stack.pop_back();
        const ValueId id = entry.id;
        path.resize(entry.base);
        path += entry.segment;
        if (!g.valid(id))
            continue;
        const ValueKind kind = g.kind(id);
        const bool container = kind == ValueKind::Dict || kind == ValueKind::List
            || kind == ValueKind::Tuple || kind == ValueKind::Set || kind == ValueKind::FrozenSet
            || kind == ValueKind::Object;
        if (container) {
            if (seen[indexOf(id)])
                continue;
            seen[indexOf(id)] = true;
        }
        if (!visit(id, path) || !container)
            continue;
        children.clear();
        switch (kind) {
        case ValueKind::Dict: {
            const auto& items = g.items(id);
            for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
                std::string p;
                appendKeySegment(p, g, items[i], options.stripPrefix);
                children.emplace_back(items[i + 1], std::move(p));
            }
            break;
        }
        case ValueKind::List:
        case ValueKind::Tuple:
        case ValueKind::Set:
        case ValueKind::FrozenSet: {
            const auto& items = g.items(id);
            for (std::size_t i = 0; i < items.size(); ++i) {
                std::string p;
                appendIndexSegment(p, i);
                children.emplace_back(items[i], std::move(p));
            }
            break;
        }
        case ValueKind::Object: {
            const ObjectRecord& o = g.object(id);
            if (g.valid(o.state) && g.kind(o.state) == ValueKind::Dict) {
                const auto& items = g.items(o.state);
                for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
                    std::string p;
                    if (g.kind(items[i]) == ValueKind::Str && isAsciiIdentifier(g.text(items[i]))) {
                        p += '.';
                        p += g.text(items[i]);
                    } else {
                        appendKeySegment(p, g, items[i], options.stripPrefix);
                    }
                    children.emplace_back(items[i + 1], std::move(p));
                }
            } else if (g.valid(o.state)) {
                children.emplace_back(o.state, std::string(".__state__"));
            }
            if (g.valid(o.args))
                children.emplace_back(o.args, std::string(".__args__"));
            for (std::size_t i = 0; i < o.listItems.size(); ++i) {
                std::string p;
                appendIndexSegment(p, i);
                children.emplace_back(o.listItems[i], std::move(p));
            }
            for (std::size_t i = 0; i + 1 < o.dictItems.size(); i += 2) {
                std::string p;
                appendKeySegment(p, g, o.dictItems[i], options.stripPrefix);
                children.emplace_back(o.dictItems[i + 1], std::move(p));
            }
            break;
        }
        default:
            break;
        }
        for (auto it = children.rbegin(); it != children.rend(); ++it)
            stack.push_back({ it->first, path.size(), std::move(it->second) });
    }
}

} // namespace core
