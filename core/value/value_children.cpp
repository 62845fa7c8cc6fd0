#include "core/value/value_children.h"

#include "core/value/access_path.h"
#include "core/value/value_access.h"
#include "core/value/value_text.h"

#include <algorithm>
#include <limits>
#include <span>

namespace core {

namespace {

struct FieldText {
    const char* label;
    const char* path;
};

// By ChildField.
constexpr FieldText kFieldTexts[] = {
    { "state", ".__state__" },
    { "state", ".__dict__" }, // obj.__dict__['k'] is obj.k
    { "state", ".__getstate__()" }, // what __getstate__ gave
    { "default_factory", ".default_factory" },
    { "callable", ".__callable__" },
    { "args", ".__args__" },
    { "kwargs", ".__kwargs__" },
    { "base", ".__base__" },
    { "pid", ".__pid__" },
    { "storage", ".storage" },
    { "scales", ".q_per_channel_scales()" },
    { "zero_points", ".q_per_channel_zero_points()" },
    { "components", ".__components__" },
    { "data", ".data" },
    { "rebuild", ".__rebuild__" },
    { "dtype", ".dtype" },
};
static_assert(std::size(kFieldTexts) == std::size_t(ChildField::DTypeValue) + 1);

constexpr std::size_t kLabelChars = 60;
constexpr std::size_t kPathKeyChars = 200;

// Adds runs to a Children: spans of the graph's vectors and single ids.
class RunBuilder {
public:
    RunBuilder(const ValueGraph& g, Children& out)
        : m_g(g)
        , m_out(out)
    {
    }

    // Items [i] of a vector.
    void items(std::span<const ValueId> ids)
    {
        m_out.add(ChildRun { ids.data(), kNullValue, count(ids.size()), 1, ChildRun::Role::Index,
            ChildField::State });
    }
    // The values of a flattened k, v, k, v vector, labelled by their keys.
    void dictValues(std::span<const ValueId> flat)
    {
        if (flat.size() < 2)
            return;
        m_out.add(ChildRun { flat.data() + 1, kNullValue, count(flat.size() / 2), 2,
            ChildRun::Role::DictValue, ChildField::State });
    }
    // The keys of a flattened k, v, k, v vector.
    void dictKeys(std::span<const ValueId> flat)
    {
        m_out.add(ChildRun { flat.data(), kNullValue, count(flat.size() / 2), 2,
            ChildRun::Role::DictKey, ChildField::State });
    }
    // The values of a flattened k, v, k, v vector as attributes named by their keys.
    void attributes(std::span<const ValueId> flat)
    {
        if (flat.size() < 2)
            return;
        m_out.add(ChildRun { flat.data() + 1, kNullValue, count(flat.size() / 2), 2,
            ChildRun::Role::Attribute, ChildField::State });
    }
    // A named child when it is not null.
    void field(ValueId id, ChildField f)
    {
        if (!isNull(id))
            m_out.add(ChildRun { nullptr, id, 1, 1, ChildRun::Role::Field, f });
    }
    // The items of `id` as `run` makes them when it is a `kind`, else `id` as a named child.
    void itemsOrField(
        ValueId id, ValueKind kind, void (RunBuilder::*run)(std::span<const ValueId>), ChildField f)
    {
        if (m_g.valid(id) && m_g.kind(id) == kind)
            (this->*run)(m_g.items(id));
        else
            validField(id, f);
    }
    // A quantized tensor's per-channel scales and zero points, a sparse tensor's components.
    void tensorParts(const TensorRecord& t)
    {
        validField(t.scales, ChildField::Scales);
        validField(t.zeroPoints, ChildField::ZeroPoints);
        validField(t.components, ChildField::Components);
    }
    // A named child when it is a valid id.
    void validField(ValueId id, ChildField f)
    {
        if (m_g.valid(id))
            field(id, f);
    }

private:
    static std::uint32_t count(std::size_t n)
    {
        return n > std::numeric_limits<std::uint32_t>::max()
            ? std::numeric_limits<std::uint32_t>::max()
            : static_cast<std::uint32_t>(n);
    }

    const ValueGraph& m_g;
    Children& m_out;
};

bool isEmptySequence(const ValueGraph& g, ValueId id)
{
    const ValueKind k = g.kind(id);
    return (k == ValueKind::Tuple || k == ValueKind::List) && g.items(id).empty();
}

bool isObjectArray(const ValueGraph& g, const NdArrayRecord& a)
{
    return g.valid(a.data)
        && (g.kind(a.data) == ValueKind::List || g.kind(a.data) == ValueKind::Tuple);
}

// An object's children, part by part; each set lists the parts it shows, in its order.
enum class ObjectPart : std::uint8_t {
    Callable,
    Args, // the args value (display: only when not an empty tuple or list)
    ArgItems, // a tuple's items, else the args value
    Kwargs, // (display: only when not an empty dict)
    Base,
    State, // (display: ".__dict__" for a plain dict, else ".__getstate__()")
    AttributeState, // a dict state's values as attributes, else the state
    ListItems,
    DictValues,
    DictKeys,
    DictItems, // keys and values alternating
};

constexpr ObjectPart kDisplayParts[] = { ObjectPart::Args, ObjectPart::Kwargs, ObjectPart::Base,
    ObjectPart::ListItems, ObjectPart::DictValues, ObjectPart::State };
constexpr ObjectPart kExportParts[]
    = { ObjectPart::Callable, ObjectPart::ArgItems, ObjectPart::Kwargs, ObjectPart::State,
          ObjectPart::Base, ObjectPart::ListItems, ObjectPart::DictItems };
constexpr ObjectPart kGraphParts[]
    = { ObjectPart::Callable, ObjectPart::Args, ObjectPart::Kwargs, ObjectPart::State,
          ObjectPart::Base, ObjectPart::ListItems, ObjectPart::DictValues, ObjectPart::DictKeys };
constexpr ObjectPart kAccessParts[] = { ObjectPart::AttributeState, ObjectPart::Args,
    ObjectPart::ListItems, ObjectPart::DictValues };

// The parts that are runs of an object's own item vectors.
struct ItemPart {
    ObjectPart part;
    std::vector<ValueId> ObjectRecord::*items;
    void (RunBuilder::*run)(std::span<const ValueId>);
};
const ItemPart kItemParts[]
    = { { ObjectPart::ListItems, &ObjectRecord::listItems, &RunBuilder::items },
          { ObjectPart::DictValues, &ObjectRecord::dictItems, &RunBuilder::dictValues },
          { ObjectPart::DictKeys, &ObjectRecord::dictItems, &RunBuilder::dictKeys },
          { ObjectPart::DictItems, &ObjectRecord::dictItems, &RunBuilder::items } };

void objectPart(
    const ValueGraph& g, const ObjectRecord& o, ObjectPart part, bool display, RunBuilder& b)
{
    switch (part) {
    case ObjectPart::Callable:
        b.validField(o.callable, ChildField::Callable);
        return;
    case ObjectPart::Args:
        if (!(display && g.valid(o.args) && isEmptySequence(g, o.args)))
            b.validField(o.args, ChildField::Args);
        return;
    case ObjectPart::ArgItems:
        b.itemsOrField(o.args, ValueKind::Tuple, &RunBuilder::items, ChildField::Args);
        return;
    case ObjectPart::Kwargs:
        if (!(display && g.valid(o.kwargs) && g.kind(o.kwargs) == ValueKind::Dict
                && g.items(o.kwargs).empty()))
            b.validField(o.kwargs, ChildField::Kwargs);
        return;
    case ObjectPart::Base:
        b.validField(o.base, ChildField::Base);
        return;
    case ObjectPart::State: {
        // Display: the BUILD state is one "state" row (its dict entries below it), so that a tree
        // shows callable arguments and state side by side for classes it does not know.
        const bool plainDict = g.valid(o.state) && g.kind(o.state) == ValueKind::Dict
            && g.dictClass(o.state) == DictClass::Plain;
        b.validField(
            o.state, display && plainDict ? ChildField::StateDict : ChildField::StateOther);
        return;
    }
    case ObjectPart::AttributeState:
        b.itemsOrField(o.state, ValueKind::Dict, &RunBuilder::attributes, ChildField::State);
        return;
    default: // the item runs
        for (const ItemPart& p : kItemParts)
            if (p.part == part)
                (b.*p.run)(o.*p.items);
        return;
    }
}

void objectChildren(
    const ValueGraph& g, ValueId id, std::span<const ObjectPart> parts, bool display, RunBuilder& b)
{
    const ObjectRecord& o = g.object(id);
    for (const ObjectPart part : parts)
        objectPart(g, o, part, display, b);
}

// A container's items (a dict: its default_factory, its values, the keys too when asked), then
// its BUILD state.
void containerChildren(const ValueGraph& g, ValueId id, bool withKeys, RunBuilder& b)
{
    if (g.kind(id) == ValueKind::Dict) {
        b.field(g.defaultFactory(id), ChildField::DefaultFactory);
        b.dictValues(g.items(id));
        if (withKeys)
            b.dictKeys(g.items(id));
    } else {
        b.items(g.items(id));
    }
    b.field(g.extraState(id), ChildField::State);
}

// The children the display and export sets show alike: a persistent id's pid, a tensor's parts,
// an object array's items. False for the other kinds.
bool recordChildren(const ValueGraph& g, ValueId id, RunBuilder& b)
{
    switch (g.kind(id)) {
    case ValueKind::Persistent:
        b.validField(g.persistentId(id), ChildField::Pid);
        return true;
    case ValueKind::Tensor:
        b.tensorParts(g.tensor(id));
        return true;
    case ValueKind::NdArray:
        if (isObjectArray(g, g.ndarray(id)))
            b.items(g.items(g.ndarray(id).data));
        return true;
    default:
        return false;
    }
}

void displayChildren(const ValueGraph& g, ValueId id, RunBuilder& b)
{
    const ValueKind k = g.kind(id);
    if (isContainerKind(k))
        containerChildren(g, id, false, b);
    else if (k == ValueKind::Object)
        objectChildren(g, id, kDisplayParts, true, b);
    else if (!recordChildren(g, id, b))
        b.field(g.extraState(id), ChildField::State);
}

void exportChildren(const ValueGraph& g, ValueId id, bool plain, RunBuilder& b)
{
    const ValueKind k = g.kind(id);
    if (isContainerKind(k)) {
        if (k == ValueKind::Dict && !plain)
            b.validField(g.defaultFactory(id), ChildField::DefaultFactory);
        b.items(g.items(id));
        if (!plain)
            b.validField(g.extraState(id), ChildField::State);
    } else if (k == ValueKind::Object) {
        if (!plain)
            objectChildren(g, id, kExportParts, false, b);
        else if (displayRepr(g, id).empty()) // --plain: no callable; a decoded repr: no children
            objectChildren(g, id, std::span(kExportParts).subspan(1), false, b);
    } else {
        recordChildren(g, id, b);
    }
}

void graphChildren(const ValueGraph& g, ValueId id, RunBuilder& b)
{
    const ValueKind k = g.kind(id);
    if (isContainerKind(k)) {
        containerChildren(g, id, true, b);
        return;
    }
    switch (k) {
    case ValueKind::Object:
        objectChildren(g, id, kGraphParts, false, b);
        return; // an object's BUILD state is o.state
    case ValueKind::Persistent:
        b.field(g.persistentId(id), ChildField::Pid);
        break;
    case ValueKind::Tensor: {
        const TensorRecord& t = g.tensor(id);
        b.field(t.storage, ChildField::Storage);
        b.tensorParts(t);
        b.field(t.rebuild, ChildField::Rebuild);
        break;
    }
    case ValueKind::NdArray: {
        const NdArrayRecord& a = g.ndarray(id);
        b.field(a.data, ChildField::Data);
        b.field(a.dtypeValue, ChildField::DTypeValue);
        b.field(a.rebuild, ChildField::Rebuild);
        break;
    }
    default:
        break;
    }
    b.field(g.extraState(id), ChildField::State);
}

void accessChildren(const ValueGraph& g, ValueId id, RunBuilder& b)
{
    const ValueKind k = g.kind(id);
    if (k == ValueKind::Dict)
        b.dictValues(g.items(id));
    else if (isContainerKind(k))
        b.items(g.items(id));
    else if (k == ValueKind::Object)
        objectChildren(g, id, kAccessParts, false, b);
}

} // namespace

Children childrenOf(const ValueGraph& g, ValueId id, ChildSet set)
{
    Children out;
    if (!g.valid(id))
        return out;
    RunBuilder b(g, out);
    switch (set) {
    case ChildSet::Display:
        displayChildren(g, id, b);
        break;
    case ChildSet::Export:
    case ChildSet::ExportPlain:
        exportChildren(g, id, set == ChildSet::ExportPlain, b);
        break;
    case ChildSet::Graph:
        graphChildren(g, id, b);
        break;
    case ChildSet::Access:
        accessChildren(g, id, b);
        break;
    }
    return out;
}

void appendChildSegment(std::string& path, const ValueGraph& g, const ChildRun& run,
    std::size_t index, ChildSet set, std::string_view stripPrefix)
{
    switch (run.role) {
    case ChildRun::Role::Index:
        appendIndexSegment(path, index);
        return;
    case ChildRun::Role::DictKey:
        path += ".keys()";
        appendIndexSegment(path, index);
        return;
    case ChildRun::Role::DictValue:
    case ChildRun::Role::Attribute: {
        const ValueId key = (run.data + index * run.stride)[-1]; // k, v, k, v: before its value
        if (run.role == ChildRun::Role::Attribute && g.valid(key) && g.kind(key) == ValueKind::Str
            && isAsciiIdentifier(g.text(key))) {
            path += '.';
            path += g.text(key);
        } else if (set == ChildSet::Access) {
            appendKeySegment(path, g, key, stripPrefix);
        } else {
            path += '[';
            path += keyText(g, key, kPathKeyChars);
            path += ']';
        }
        return;
    }
    case ChildRun::Role::Field:
        path += kFieldTexts[static_cast<std::size_t>(run.field)].path;
        return;
    }
}

DisplayChild childLabel(const ValueGraph& g, ValueId id, std::size_t index, ChildSet set)
{
    DisplayChild c;
    const Children children = childrenOf(g, id, set);
    std::size_t at = index;
    const ChildRun* run = children.runOf(at);
    if (run == nullptr)
        return c;
    c.child = run->at(at);
    appendChildSegment(c.pathSegment, g, *run, at, set);
    switch (run->role) {
    case ChildRun::Role::Index:
        c.kind = EdgeKind::Item;
        c.label = c.pathSegment;
        break;
    case ChildRun::Role::DictKey:
        c.kind = EdgeKind::Key;
        c.label = c.pathSegment;
        break;
    case ChildRun::Role::DictValue:
        c.kind = EdgeKind::Key;
        c.label = set == ChildSet::Access
            ? c.pathSegment
            : keyText(g, (run->data + at * run->stride)[-1], kLabelChars);
        break;
    case ChildRun::Role::Attribute:
        c.kind = c.pathSegment.front() == '.' ? EdgeKind::Attribute : EdgeKind::Key;
        c.label = c.kind == EdgeKind::Attribute ? c.pathSegment.substr(1) : c.pathSegment;
        break;
    case ChildRun::Role::Field:
        c.kind = EdgeKind::Field;
        c.label = kFieldTexts[static_cast<std::size_t>(run->field)].label;
        break;
    }
    return c;
}

bool isIdentityValue(const ValueGraph& g, ValueId id)
{
    return g.valid(id) && inSet(kIdentityKinds, g.kind(id));
}

namespace {

// Whether `id` surely has no children in `set`, known without building them: scalars have none in
// the export and access sets (in the others, a scalar may carry a BUILD state).
bool childless(const ValueGraph& g, ValueId id, ChildSet set)
{
    return isScalarKind(g.kind(id))
        && (set == ChildSet::Export || set == ChildSet::ExportPlain || set == ChildSet::Access);
}

// CountMode::AppearancesOnly: depth first, a frame holding a value and the position of its next
// child only (its children are enumerated again when the walk comes back to it), so that memory is
// the counts and a stack as deep as the graph, never as wide. A value's children are walked at
// its first appearance.
void countAppearances(
    const ValueGraph& g, ValueId root, ChildSet set, std::vector<std::uint8_t>& counts)
{
    struct Frame {
        ValueId id;
        std::uint32_t next; // the child to look at next
    };
    std::vector<Frame> stack;
    // Counts an appearance; true when it is the first and the value may have children.
    auto appear = [&](ValueId id) {
        std::uint8_t& n = counts[indexOf(id)];
        if (n == 255)
            return false;
        return ++n == 1 && !childless(g, id, set);
    };
    if (appear(root))
        stack.push_back({ root, 0 });
    while (!stack.empty()) {
        const Frame f = stack.back();
        const Children children = childrenOf(g, f.id, set);
        std::size_t skip = f.next; // children before it were counted on an earlier visit
        std::size_t position = f.next;
        ValueId descend = kNullValue;
        for (const ChildRun& run : children) {
            if (skip >= run.count) {
                skip -= run.count;
                continue;
            }
            for (std::size_t i = skip; i < run.count && isNull(descend); ++i) {
                const ValueId child = run.at(i);
                ++position;
                if (g.valid(child) && appear(child))
                    descend = child;
            }
            skip = 0;
            if (!isNull(descend))
                break;
        }
        if (isNull(descend)) {
            stack.pop_back();
            continue;
        }
        stack.back().next = static_cast<std::uint32_t>(position);
        stack.push_back({ descend, 0 });
    }
}

} // namespace

ReferenceCounts referenceCounts(const ValueGraph& g, ValueId root, ChildSet set, CountMode mode)
{
    ReferenceCounts out;
    out.appearances.assign(g.size(), 0);
    if (mode == CountMode::AppearancesOnly) {
        if (g.valid(root))
            countAppearances(g, root, set, out.appearances);
        return out;
    }
    out.cyclic.assign(g.size(), 0);
    if (!g.valid(root))
        return out;
    constexpr std::uint32_t kUnseen = std::numeric_limits<std::uint32_t>::max();
    auto bump = [&](ValueId id) {
        std::uint8_t& n = out.appearances[indexOf(id)];
        if (n < 255)
            ++n;
    };

    // 1. The reachable values (discovery order), their edges (CSR) and appearance counts.
    std::vector<std::uint32_t> local(g.size(), kUnseen); // value index -> reachable index
    std::vector<ValueId> order { root };
    std::vector<std::uint32_t> edgeStart;
    std::vector<std::uint32_t> edges; // reachable indices
    local[indexOf(root)] = 0;
    bump(root);
    for (std::size_t v = 0; v < order.size(); ++v) {
        edgeStart.push_back(static_cast<std::uint32_t>(edges.size()));
        const ValueId id = order[v];
        childrenOf(g, id, set).forEach([&](ValueId child) {
            if (!g.valid(child))
                return;
            bump(child);
            std::uint32_t& l = local[indexOf(child)];
            if (l == kUnseen) {
                l = static_cast<std::uint32_t>(order.size());
                order.push_back(child);
            }
            if (l == v)
                out.cyclic[indexOf(id)] = 1; // holds itself
            edges.push_back(l);
        });
    }
    edgeStart.push_back(static_cast<std::uint32_t>(edges.size()));

    // 2. Strongly connected components (Tarjan, iterative): every value of a component of two or
    // more is on a cycle.
    const std::size_t n = order.size();
    std::vector<std::uint32_t> number(n, kUnseen), low(n, 0);
    std::vector<std::uint8_t> onStack(n, 0);
    std::vector<std::uint32_t> component; // Tarjan's stack
    struct Frame {
        std::uint32_t v;
        std::uint32_t next; // edge position
    };
    std::vector<Frame> frames;
    std::uint32_t clock = 0;
    auto open = [&](std::uint32_t v) {
        number[v] = low[v] = clock++;
        onStack[v] = 1;
        component.push_back(v);
        frames.push_back({ v, edgeStart[v] });
    };
    open(0);
    while (!frames.empty()) {
        Frame& f = frames.back();
        if (f.next < edgeStart[f.v + 1]) {
            const std::uint32_t w = edges[f.next++];
            if (number[w] == kUnseen)
                open(w); // invalidates f
            else if (onStack[w] != 0)
                low[f.v] = std::min(low[f.v], number[w]);
            continue;
        }
        const std::uint32_t v = f.v;
        frames.pop_back();
        if (!frames.empty())
            low[frames.back().v] = std::min(low[frames.back().v], low[v]);
        if (low[v] != number[v])
            continue;
        const bool several = component.back() != v;
        while (true) {
            const std::uint32_t w = component.back();
            component.pop_back();
            onStack[w] = 0;
            if (several)
                out.cyclic[indexOf(order[w])] = 1;
            if (w == v)
                break;
        }
    }
    return out;
}

RepeatMark repeatMark(const ValueGraph& g, ValueId id, bool firstAppearance, bool onPath)
{
    if (firstAppearance || !isIdentityValue(g, id))
        return RepeatMark::None;
    return onPath ? RepeatMark::Cycle : RepeatMark::Shared;
}

std::string_view repeatMarkSign(RepeatMark mark)
{
    switch (mark) {
    case RepeatMark::Shared:
        return "\xE2\x86\x97"; // ↗
    case RepeatMark::Cycle:
        return "\xE2\x86\xBB"; // ↻
    case RepeatMark::None:
        break;
    }
    return {};
}

} // namespace core
