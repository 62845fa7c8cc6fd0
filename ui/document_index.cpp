#include "ui/document_index.h"

#include "core/value/value_children.h"

#include <algorithm>

namespace ui {

std::shared_ptr<const DocumentIndex> DocumentIndex::build(
    std::shared_ptr<const core::Document> docPtr, core::LoadObserver* observer)
{
    auto index = std::make_shared<DocumentIndex>();
    index->m_doc = docPtr;
    const core::Document& doc = *docPtr;
    const core::ValueGraph& graph = doc.graph;
    auto cancelled = [&] { return observer && observer->isCancelled(); };

    for (const core::PickleStream& stream : doc.pickles) {
        if (stream.inflated)
            index->m_pickleRanges.emplace_back(1, 0);
        else
            index->m_pickleRanges.emplace_back(stream.offset, stream.offset + stream.bytes.size());
    }

    // Offset -> value.
    const std::size_t n = graph.size();
    index->m_byOffset.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        index->m_byOffset.emplace_back(
            graph.offset(core::ValueId(std::uint32_t(i))), std::uint32_t(i));
    std::stable_sort(index->m_byOffset.begin(), index->m_byOffset.end(),
        [](const auto& a, const auto& b) { return a.first < b.first; });
    if (cancelled())
        return nullptr;

    // First appearances: iterative pre-order walk over display children.
    index->m_first.assign(n, Appearance {});
    index->m_reached.assign(n, false);
    index->m_span.assign(n, { 0, 0 });
    if (!core::isNull(doc.root) && graph.valid(doc.root)) {
        struct Frame {
            core::ValueId id;
            std::size_t next;
        };
        std::vector<Frame> stack;
        std::uint32_t clock = 0;
        index->m_reached[core::indexOf(doc.root)] = true;
        index->m_span[core::indexOf(doc.root)].first = clock++;
        stack.push_back({ doc.root, 0 });
        // The children of the frame on top, made again only when the top changes (ids on the
        // stack are distinct: a value is entered once).
        core::Children children = core::childrenOf(graph, doc.root, core::ChildSet::Display);
        core::ValueId childrenFor = doc.root;
        std::size_t visited = 0;
        while (!stack.empty()) {
            Frame& top = stack.back();
            if (top.id != childrenFor) {
                children = core::childrenOf(graph, top.id, core::ChildSet::Display);
                childrenFor = top.id;
            }
            if (top.next >= children.size()) {
                index->m_span[core::indexOf(top.id)].second = clock;
                stack.pop_back();
                continue;
            }
            const std::size_t i = top.next++;
            const core::ValueId parent = top.id;
            const core::ValueId child = children[i];
            if (core::isNull(child) || !graph.valid(child)
                || index->m_reached[core::indexOf(child)])
                continue;
            index->m_reached[core::indexOf(child)] = true;
            index->m_first[core::indexOf(child)] = { core::indexOf(parent), std::uint32_t(i) };
            index->m_span[core::indexOf(child)].first = clock++;
            stack.push_back({ child, 0 });
            if ((++visited & 0xFFFF) == 0) {
                if (cancelled())
                    return nullptr;
                if (observer)
                    observer->progress(visited, n);
            }
        }
    }
    return index;
}

std::shared_ptr<const DocumentIndex::Traces> DocumentIndex::buildTraces(
    const core::Document& doc, const core::LoadObserver* observer)
{
    auto traces = std::make_shared<Traces>();
    for (const core::PickleStream& stream : doc.pickles) {
        if (observer && observer->isCancelled())
            return nullptr;
        auto trace
            = OpcodeTrace::build(stream.bytes, stream.inflated ? 0 : stream.offset, observer);
        if (!trace)
            return nullptr;
        traces->push_back(std::move(trace));
    }
    return traces;
}

std::shared_ptr<const OpcodeTrace> LoadedFile::trace(int pickle) const
{
    if (!traces || pickle < 0 || std::size_t(pickle) >= traces->size())
        return nullptr;
    return (*traces)[std::size_t(pickle)];
}

int LoadedFile::opcodeRowAt(int pickle, std::uint64_t offset) const
{
    auto t = trace(pickle);
    return t ? t->rowAt(offset) : -1;
}

int LoadedFile::opcodeRowFor(int pickle, std::uint64_t offset) const
{
    int row = opcodeRowAt(pickle, offset);
    if (row < 0 || trace(pickle)->row(std::size_t(row)).offset != offset)
        return -1;
    return row;
}

int DocumentIndex::pickleAt(std::uint64_t offset) const
{
    for (std::size_t i = 0; i < m_pickleRanges.size(); ++i) {
        if (offset >= m_pickleRanges[i].first && offset < m_pickleRanges[i].second)
            return int(i);
    }
    return -1;
}

core::ValueId DocumentIndex::valueAt(std::uint64_t offset) const
{
    auto it = std::upper_bound(m_byOffset.begin(), m_byOffset.end(), offset,
        [](std::uint64_t off, const auto& e) { return off < e.first; });
    if (it == m_byOffset.begin())
        return core::kNullValue;
    --it;
    if (it->first != offset)
        return core::kNullValue;
    // Several values may come from one opcode (a typed tensor and its storage, ...): prefer one
    // that is shown in the tree, the last created among those.
    auto last = it;
    for (auto scan = it;; --scan) {
        if (scan->first != offset)
            break;
        if (reachable(core::ValueId(scan->second)))
            return core::ValueId(scan->second);
        if (scan == m_byOffset.begin())
            break;
    }
    return core::ValueId(last->second);
}

bool DocumentIndex::reachable(core::ValueId id) const
{
    return !core::isNull(id) && core::indexOf(id) < m_reached.size()
        && m_reached[core::indexOf(id)];
}

DocumentIndex::Appearance DocumentIndex::firstAppearance(core::ValueId id) const
{
    if (!reachable(id))
        return {};
    return m_first[core::indexOf(id)];
}

bool DocumentIndex::isFirstAppearance(
    core::ValueId id, core::ValueId parent, std::size_t index) const
{
    if (!reachable(id))
        return true;
    const Appearance a = m_first[core::indexOf(id)];
    if (a.parent == kNoParent)
        return core::isNull(parent);
    return !core::isNull(parent) && a.parent == core::indexOf(parent) && a.index == index;
}

bool DocumentIndex::isAncestor(core::ValueId ancestor, core::ValueId id) const
{
    if (!reachable(ancestor) || !reachable(id))
        return false;
    const auto a = m_span[core::indexOf(ancestor)];
    const auto b = m_span[core::indexOf(id)];
    return a.first <= b.first && b.first < a.second;
}

std::vector<std::size_t> DocumentIndex::pathTo(core::ValueId id) const
{
    std::vector<std::size_t> path;
    if (!reachable(id))
        return path;
    std::uint32_t cur = core::indexOf(id);
    while (m_first[cur].parent != kNoParent && path.size() <= m_first.size()) {
        path.push_back(m_first[cur].index);
        cur = m_first[cur].parent;
    }
    std::reverse(path.begin(), path.end());
    return path;
}

} // namespace ui
