#pragma once

// One child enumeration over a value, for every walker: the tree (what it shows), the JSON export
// (what it writes as values) and reachability (every referenced id). A value's children are a few
// runs — a span of ids in the graph's own storage (a list's items, a dict's values, an object's
// list items) or one id (args, state, default_factory) — built without allocating, so counting,
// indexing and visiting are cheap for a container of millions. Labels ("'weight'", "[3]", "args")
// and access paths are made only when asked (childLabel). No recursion: walkers keep their own
// worklists; referenceCounts is the one counter of appearances and cycles.

#include "core/value/value_graph.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace core {

// Which children a walker wants.
enum class ChildSet : std::uint8_t {
    // What a tree shows. Lists/tuples/sets: the items, then the BUILD state. Dicts:
    // default_factory (when present), one child per key (the value, labelled by the key's repr),
    // then the BUILD state (an OrderedDict's _metadata). Objects: args (when not empty), kwargs,
    // base (when present), list items ([i]) and dict items ([key]), then "state" (the BUILD
    // argument; path ".__dict__" for a plain dict, ".__getstate__()" otherwise). Persistent: pid.
    // Tensors: per-channel scales / zero points, sparse components. Object ndarrays: the items.
    // Other values: their BUILD state, if any.
    Display,
    // What the JSON export writes as values: containers' items (a dict's keys and values
    // alternating) between default_factory and the BUILD state; objects' callable, args (a
    // tuple's items), kwargs, state, base, list items, dict items (k, v, ...); persistent pid;
    // tensor quantization / sparse parts; object ndarrays' items.
    Export,
    // The --plain export: no default_factory, no BUILD state on containers, no callable, and no
    // children for an object whose repr the core decodes (datetime, Decimal, ...).
    ExportPlain,
    // Every referenced id (reachability, safety): containers' default_factory, values and keys,
    // objects' callable, args, kwargs, state, base, list items, dict values and keys, persistent
    // pid, a tensor's storage, parts and original rebuild call, an ndarray's data, dtype and
    // rebuild call; the BUILD state of anything but an object.
    Graph,
    // Access paths (core/value/access_path.h: picklescope-cli info, the tensor table, diff):
    // dict values under ['key'], sequence and set items under [i]; an object's dict state as
    // attributes (.name, or ['key'] when the key is not an identifier), other state as
    // .__state__, then its args (.__args__), list items and dict items.
    Access,
};

enum class EdgeKind : std::uint8_t { Item, Key, Attribute, Field };

// The named single children (labels and access-path segments in value_children.cpp).
enum class ChildField : std::uint8_t {
    State, // a container's or scalar's BUILD state: "state", ".__state__"
    StateDict, // an object's BUILD dict: "state", ".__dict__"
    StateOther, // an object's other BUILD state: "state", ".__getstate__()"
    DefaultFactory,
    Callable,
    Args,
    Kwargs,
    Base,
    Pid,
    Storage,
    Scales,
    ZeroPoints,
    Components,
    Data,
    Rebuild,
    DTypeValue,
};

// One run of children: `count` ids at data[0], data[stride], ... or, when data is null, the one
// id `one` (count 1).
struct ChildRun {
    enum class Role : std::uint8_t {
        Index, // labelled "[i]" (i counted within the run)
        DictValue, // data[i * 2 - 1] is the key: labelled by the key's repr
        DictKey, // a dict's key: ".keys()[i]"
        Attribute, // data[i * 2 - 1] is the key: .name when it is an identifier, else ['key']
        Field, // a named child (ChildField)
    };
    const ValueId* data = nullptr;
    ValueId one = kNullValue;
    std::uint32_t count = 0;
    std::uint8_t stride = 1;
    Role role = Role::Index;
    ChildField field = ChildField::State;

    ValueId at(std::size_t i) const { return data != nullptr ? data[i * stride] : one; }
};

// A value's children in one ChildSet: at most kMaxRuns runs, no allocation.
class Children {
public:
    static constexpr std::size_t kMaxRuns = 8;

    std::size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }
    // The child at `index` (kNullValue past the end).
    ValueId operator[](std::size_t index) const
    {
        for (std::size_t r = 0; r < m_runCount; ++r) {
            if (index < m_runs[r].count)
                return m_runs[r].at(index);
            index -= m_runs[r].count;
        }
        return kNullValue;
    }
    // The run holding `index` and the index within it (nullptr past the end).
    const ChildRun* runOf(std::size_t& index) const
    {
        for (std::size_t r = 0; r < m_runCount; ++r) {
            if (index < m_runs[r].count)
                return &m_runs[r];
            index -= m_runs[r].count;
        }
        return nullptr;
    }
    // visit(ValueId child) for each child, in order.
    template <typename Visit> void forEach(Visit&& visit) const
    {
        for (std::size_t r = 0; r < m_runCount; ++r) {
            const ChildRun& run = m_runs[r];
            if (run.data == nullptr) {
                visit(run.one);
                continue;
            }
            for (std::size_t i = 0, at = 0; i < run.count; ++i, at += run.stride)
                visit(run.data[at]);
        }
    }
    const ChildRun* begin() const { return m_runs.data(); }
    const ChildRun* end() const { return m_runs.data() + m_runCount; }

    // Building (childrenOf).
    void add(const ChildRun& run)
    {
        if (run.count == 0 || m_runCount == kMaxRuns)
            return;
        m_runs[m_runCount++] = run;
        m_size += run.count;
    }

private:
    std::array<ChildRun, kMaxRuns> m_runs {};
    std::size_t m_runCount = 0;
    std::size_t m_size = 0;
};

// The children of `id` in `set` (empty for an invalid id). Views into the graph: valid while it
// lives and is not modified.
Children childrenOf(const ValueGraph& graph, ValueId id, ChildSet set);

inline std::size_t childCount(const ValueGraph& graph, ValueId id, ChildSet set)
{
    return childrenOf(graph, id, set).size();
}
inline ValueId childAt(const ValueGraph& graph, ValueId id, std::size_t index, ChildSet set)
{
    return childrenOf(graph, id, set)[index];
}
// visit(ValueId child) for each child of `id` in `set`, in order (a template: no call per child
// through a std::function).
template <typename Visit>
void forEachChild(const ValueGraph& graph, ValueId id, ChildSet set, Visit&& visit)
{
    childrenOf(graph, id, set).forEach(visit);
}

// A child with its label and access-path segment.
struct DisplayChild {
    ValueId child = kNullValue;
    EdgeKind kind = EdgeKind::Item;
    std::string label; // "'weight'", "[3]", "epoch", "args", "state"
    std::string pathSegment; // "['weight']", "[3]", ".epoch", ".__args__"
};

// Appends the access-path segment of child `index` of `run` (a run of childrenOf(.., set)):
// Display and the others: "['weight']" (the key's repr), "[3]", ".__args__", ".__dict__";
// Access: "['weight']" (access_path's key segments, a str key losing `stripPrefix`), ".epoch".
void appendChildSegment(std::string& path, const ValueGraph& graph, const ChildRun& run,
    std::size_t index, ChildSet set, std::string_view stripPrefix = {});

// The child at `index` with its label (made now; empty child past the end).
DisplayChild childLabel(
    const ValueGraph& graph, ValueId id, std::size_t index, ChildSet set = ChildSet::Display);

// The tree's children (ChildSet::Display), as value_text always named them.
inline std::size_t displayChildCount(const ValueGraph& graph, ValueId id)
{
    return childCount(graph, id, ChildSet::Display);
}
inline DisplayChild displayChild(const ValueGraph& graph, ValueId id, std::size_t index)
{
    return childLabel(graph, id, index, ChildSet::Display);
}
// The child value alone (no label text): for walkers.
inline ValueId displayChildId(const ValueGraph& graph, ValueId id, std::size_t index)
{
    return childAt(graph, id, index, ChildSet::Display);
}

// Whether a value can be reached more than once as the same object (containers, objects,
// tensors, arrays, bytearrays...). Scalars, str and bytes are not: they are values, and
// CPython itself caches some of them. Exports and trees mark sharing only for these.
bool isIdentityValue(const ValueGraph& graph, ValueId id);

// The one reference counter: over the values reachable from a root through `set`, how often each
// value appears (edges to it from reachable values, plus one for the root itself; saturating at
// 255) and which values lie on a cycle (their strongly connected component has more than one
// value, or they hold themselves). A value appearing twice or more is shown in full once and
// marked elsewhere; see repeatMark. Iterative (Tarjan's algorithm over an explicit stack).
//
// CountMode::Full finds both (the tree: ~30 bytes a reachable value while it counts).
// CountMode::AppearancesOnly counts appearances alone (the same numbers) and leaves `cyclic`
// empty: one byte a value of the graph plus a walk stack as deep as the graph (8 bytes a level),
// for the JSON export of tens of millions of values.
enum class CountMode : std::uint8_t { Full, AppearancesOnly };

struct ReferenceCounts {
    std::vector<std::uint8_t> appearances; // by value index; 0: not reachable
    std::vector<std::uint8_t> cyclic; // by value index; 1: on a cycle (empty: AppearancesOnly)

    std::uint8_t count(ValueId id) const
    {
        return indexOf(id) < appearances.size() ? appearances[indexOf(id)] : 0;
    }
    bool shared(ValueId id) const { return count(id) >= 2; }
    bool onCycle(ValueId id) const
    {
        return indexOf(id) < cyclic.size() && cyclic[indexOf(id)] != 0;
    }
};
ReferenceCounts referenceCounts(
    const ValueGraph& graph, ValueId root, ChildSet set, CountMode mode = CountMode::Full);

// How a tree (picklescope-cli tree, the window) marks an appearance of a value that is not where
// it is shown in full: a cycle "↻" when the value is on the path from the root to this appearance
// (it contains itself), else shared "↗". None for the first appearance and for values that are
// not identity values.
enum class RepeatMark : std::uint8_t { None, Shared, Cycle };
RepeatMark repeatMark(const ValueGraph& graph, ValueId id, bool firstAppearance, bool onPath);
std::string_view repeatMarkSign(RepeatMark mark); // "↗", "↻", ""

} // namespace core
