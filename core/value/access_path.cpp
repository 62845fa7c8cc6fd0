#include "core/value/access_path.h"

#include "core/value/value_access.h"
#include "core/value/value_children.h"

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

namespace {

// Values entered once: containers and objects.
bool isContainerValue(const ValueGraph& g, ValueId id)
{
    return hasKind(kContainerKinds | kindBit(ValueKind::Object), g.kind(id));
}

} // namespace

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

AccessPathCursor::AccessPathCursor(const ValueGraph& graph, ValueId root,
    const std::string& rootPath, const AccessPathWalk& options)
    : m_g(graph)
    , m_stripPrefix(options.stripPrefix)
    , m_seen(graph.size())
    , m_path(rootPath)
    , m_id(root)
{
}

bool AccessPathCursor::next()
{
    auto entered = [&](ValueId id) {
        const bool container = isContainerValue(m_g, id);
        if (container && m_seen[indexOf(id)])
            return false;
        if (container)
            m_seen[indexOf(id)] = true;
        m_id = id;
        m_enter = container;
        return true;
    };
    if (!m_started) {
        m_started = true;
        return m_g.valid(m_id) && entered(m_id);
    }
    if (m_enter)
        m_frames.push_back({ m_id, 0, m_path.size() });
    m_enter = false;
    while (!m_frames.empty()) {
        Frame& top = m_frames.back();
        const Children children = childrenOf(m_g, top.id, ChildSet::Access);
        std::size_t index = top.next;
        const ChildRun* run = children.runOf(index);
        if (run == nullptr) {
            m_frames.pop_back();
            continue;
        }
        ++top.next;
        const ValueId child = run->at(index);
        if (!m_g.valid(child))
            continue;
        m_path.resize(top.base);
        appendChildSegment(m_path, m_g, *run, index, ChildSet::Access, m_stripPrefix);
        if (entered(child))
            return true;
    }
    return false;
}

} // namespace core
