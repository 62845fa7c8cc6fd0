// Linked only while core/value/value_text.cpp does not exist yet (see ui/CMakeLists.txt): a
// plain rendition of the value_text.h contract so the tree has labels before the real one lands.
#include "core/value/value_text.h"

#include <cstdio>

namespace core {

namespace {

std::string quoted(std::string_view text, std::size_t maxChars)
{
    std::string out = "'";
    for (char c : text) {
        if (maxChars && out.size() >= maxChars) {
            out += "…";
            break;
        }
        if (c == '\'' || c == '\\')
            out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    out += "'";
    return out;
}

std::string shapeText(const std::vector<std::int64_t>& shape)
{
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i)
            s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

struct Slots {
    std::vector<std::pair<std::string, ValueId>> named;
};

Slots objectSlots(const ValueGraph& g, ValueId id)
{
    Slots s;
    const ObjectRecord& o = g.object(id);
    if (!isNull(o.callable))
        s.named.emplace_back("callable", o.callable);
    if (!isNull(o.args))
        s.named.emplace_back("args", o.args);
    if (!isNull(o.kwargs))
        s.named.emplace_back("kwargs", o.kwargs);
    if (!isNull(o.state))
        s.named.emplace_back("state", o.state);
    if (!isNull(o.base))
        s.named.emplace_back("base", o.base);
    return s;
}

} // namespace

std::string className(const ValueGraph& g, ValueId id)
{
    if (g.kind(id) != ValueKind::Object)
        return {};
    ValueId c = g.object(id).callable;
    if (!isNull(c) && g.kind(c) == ValueKind::Global)
        return std::string(g.global(c).module) + "." + std::string(g.global(c).name);
    return {};
}

std::string typeLabel(const ValueGraph& g, ValueId id)
{
    switch (g.kind(id)) {
    case ValueKind::Dict:
        switch (g.dictClass(id)) {
        case DictClass::OrderedDict:
            return "OrderedDict";
        case DictClass::DefaultDict:
            return "defaultdict";
        case DictClass::Counter:
            return "Counter";
        default:
            return "dict";
        }
    case ValueKind::Tensor:
        return g.tensor(id).cls == TensorClass::Parameter ? "torch.nn.Parameter" : "torch.Tensor";
    case ValueKind::NdArray:
        return "numpy.ndarray";
    case ValueKind::Object: {
        std::string c = className(g, id);
        return c.empty() ? "object" : c;
    }
    default:
        return std::string(valueKindName(g.kind(id)));
    }
}

std::string scalarRepr(const ValueGraph& g, ValueId id, std::size_t maxChars)
{
    switch (g.kind(id)) {
    case ValueKind::None:
        return "None";
    case ValueKind::Bool:
        return g.boolValue(id) ? "True" : "False";
    case ValueKind::Int:
    case ValueKind::BigInt:
        return g.intDecimal(id);
    case ValueKind::Float: {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.17g", g.floatValue(id));
        return buf;
    }
    case ValueKind::Str:
        return quoted(g.text(id), maxChars);
    case ValueKind::Bytes:
    case ValueKind::ByteArray:
        return "b" + quoted(g.text(id), maxChars);
    default:
        return {};
    }
}

std::string displayRepr(const ValueGraph&, ValueId) { return {}; }

std::string summary(const ValueGraph& g, ValueId id, std::size_t maxChars)
{
    switch (g.kind(id)) {
    case ValueKind::List:
    case ValueKind::Tuple:
    case ValueKind::Set:
    case ValueKind::FrozenSet:
    case ValueKind::Dict:
        return typeLabel(g, id) + " (" + std::to_string(g.itemCount(id)) + " items)";
    case ValueKind::Tensor: {
        const TensorRecord& t = g.tensor(id);
        return "tensor " + std::string(dtypeName(t.dtype)) + " " + shapeText(t.shape);
    }
    case ValueKind::NdArray: {
        const NdArrayRecord& a = g.ndarray(id);
        return "ndarray " + std::string(dtypeName(a.dtype)) + " " + shapeText(a.shape);
    }
    case ValueKind::Global:
        return std::string(g.global(id).module) + "." + std::string(g.global(id).name);
    case ValueKind::Object:
        return typeLabel(g, id) + "(…)";
    case ValueKind::Storage:
        return "storage " + std::string(dtypeName(g.storage(id).dtype)) + " ×"
            + std::to_string(g.storage(id).numel);
    default:
        return scalarRepr(g, id, maxChars);
    }
}

std::size_t displayChildCount(const ValueGraph& g, ValueId id)
{
    switch (g.kind(id)) {
    case ValueKind::List:
    case ValueKind::Tuple:
    case ValueKind::Set:
    case ValueKind::FrozenSet:
    case ValueKind::Dict:
        return g.itemCount(id);
    case ValueKind::Object: {
        const ObjectRecord& o = g.object(id);
        return objectSlots(g, id).named.size() + o.listItems.size() + o.dictItems.size() / 2;
    }
    case ValueKind::Tensor:
        return isNull(g.tensor(id).storage) ? 0 : 1;
    case ValueKind::Persistent:
        return 1;
    default:
        return 0;
    }
}

DisplayChild displayChild(const ValueGraph& g, ValueId id, std::size_t index)
{
    DisplayChild c;
    switch (g.kind(id)) {
    case ValueKind::Dict: {
        ValueId key = g.items(id)[2 * index];
        c.child = g.items(id)[2 * index + 1];
        c.kind = EdgeKind::Key;
        c.label = g.kind(key) == ValueKind::Str || g.kind(key) == ValueKind::Int
            ? scalarRepr(g, key, 60)
            : summary(g, key, 60);
        c.pathSegment = "[" + c.label + "]";
        return c;
    }
    case ValueKind::List:
    case ValueKind::Tuple:
    case ValueKind::Set:
    case ValueKind::FrozenSet:
        c.child = g.items(id)[index];
        c.label = "[" + std::to_string(index) + "]";
        c.pathSegment = c.label;
        return c;
    case ValueKind::Object: {
        Slots s = objectSlots(g, id);
        const ObjectRecord& o = g.object(id);
        if (index < s.named.size()) {
            c.child = s.named[index].second;
            c.kind = EdgeKind::Field;
            c.label = s.named[index].first;
            c.pathSegment = ".__" + c.label + "__";
            return c;
        }
        index -= s.named.size();
        if (index < o.listItems.size()) {
            c.child = o.listItems[index];
            c.label = "[" + std::to_string(index) + "]";
            c.pathSegment = c.label;
            return c;
        }
        index -= o.listItems.size();
        c.child = o.dictItems[2 * index + 1];
        c.kind = EdgeKind::Key;
        c.label = scalarRepr(g, o.dictItems[2 * index], 60);
        c.pathSegment = "[" + c.label + "]";
        return c;
    }
    case ValueKind::Tensor:
        c.child = g.tensor(id).storage;
        c.kind = EdgeKind::Field;
        c.label = "storage";
        c.pathSegment = ".untyped_storage()";
        return c;
    case ValueKind::Persistent:
        c.child = g.persistentId(id);
        c.kind = EdgeKind::Field;
        c.label = "pid";
        c.pathSegment = ".pid";
        return c;
    default:
        return c;
    }
}

} // namespace core
