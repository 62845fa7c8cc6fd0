#include "core/value/value_text.h"

#include "core/value/enum_name.h"
#include "core/value/value_access.h"

#include "core/value/py_repr.h"

#include "core/domain/pandas_decoder.h"
#include "core/domain/sklearn_decoder.h"
#include "core/numpy/numpy_dtype.h"

#include <optional>

namespace core {

namespace {

std::string countText(std::size_t n, const char* unit = "item")
{
    return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
}

std::string shapeText(const std::vector<std::int64_t>& shape, bool tupleStyle)
{
    std::string out = tupleStyle ? "(" : "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i > 0)
            out += ", ";
        out += std::to_string(shape[i]);
    }
    if (tupleStyle && shape.size() == 1)
        out += ",";
    out += tupleStyle ? ")" : "]";
    return out;
}

std::string_view layoutName(TensorLayout layout)
{
    constexpr std::array<std::string_view, 7> kNames { "strided", "sparse_coo", "sparse_csr",
        "meta", "quantized", "nested", "other" };
    return enumName(layout, kNames, "other");
}

// A key's text for labels and access paths: repr of scalar keys, tuples of scalars; the summary
// of anything else.
std::string keyRepr(const ValueGraph& g, ValueId key, std::size_t maxChars)
{
    if (!g.valid(key))
        return "?";
    const ValueKind k = g.kind(key);
    if (isScalarKind(k))
        return scalarRepr(g, key, maxChars);
    if (k == ValueKind::Tuple) {
        const auto& items = g.items(key);
        if (items.size() <= 8) {
            std::string out = "(";
            for (std::size_t i = 0; i < items.size(); ++i) {
                if (!isScalarKind(g.kind(items[i])))
                    return summary(g, key, maxChars);
                if (i > 0)
                    out += ", ";
                out += scalarRepr(g, items[i], maxChars);
            }
            if (items.size() == 1)
                out += ",";
            out += ")";
            return truncatedText(std::move(out), maxChars);
        }
    }
    if (k == ValueKind::Global)
        return globalName(g, key);
    if (k == ValueKind::Object) {
        const std::string r = displayRepr(g, key);
        if (!r.empty())
            return truncatedText(r, maxChars);
    }
    return summary(g, key, maxChars);
}

} // namespace

// ---- public API ---------------------------------------------------------------------------------

std::string className(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id) || g.kind(id) != ValueKind::Object)
        return {};
    const ObjectRecord& o = g.object(id);
    if (!g.valid(o.callable) || g.kind(o.callable) != ValueKind::Global)
        return {};
    const GlobalRecord& gl = g.global(o.callable);
    // Raw reconstructor forms (when a hook or an odd pickle left them as calls): the class.
    const bool reconstructor = (gl.module == "copyreg"
                                   && (gl.name == "_reconstructor" || gl.name == "__newobj__"
                                       || gl.name == "__newobj_ex__"))
        || (gl.module == "array" && gl.name == "_array_reconstructor");
    if (reconstructor) {
        const auto a = seqOf(g, o.args);
        if (a != nullptr && !a->empty() && g.kind((*a)[0]) == ValueKind::Global)
            return globalName(g, (*a)[0]);
    }
    return globalName(g, o.callable);
}

std::string typeLabel(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id))
        return "?";
    switch (g.kind(id)) {
    case ValueKind::Dict: {
        constexpr std::array<std::string_view, 4> kDictClasses { "dict", "OrderedDict",
            "defaultdict", "Counter" }; // by DictClass
        return std::string(enumName(g.dictClass(id), kDictClasses, "dict"));
    }
    case ValueKind::Object: {
        const std::string cls = className(g, id);
        if (isNumpyScalarCall(cls)) {
            const std::string t = numpyScalarType(g, id);
            if (!t.empty())
                return t;
        }
        return cls.empty() ? std::string("object") : cls;
    }
    case ValueKind::Tensor:
        return g.tensor(id).cls == TensorClass::Parameter ? "torch.nn.Parameter" : "torch.Tensor";
    case ValueKind::NdArray:
        return "numpy.ndarray";
    default:
        return std::string(valueKindName(g.kind(id)));
    }
}

std::string scalarRepr(const ValueGraph& g, ValueId id, std::size_t maxChars)
{
    if (!g.valid(id))
        return {};
    switch (g.kind(id)) {
    case ValueKind::None:
        return "None";
    case ValueKind::Bool:
        return g.boolValue(id) ? "True" : "False";
    case ValueKind::Int:
        return std::to_string(g.intValue(id));
    case ValueKind::BigInt:
        return truncatedText(g.intDecimal(id), maxChars);
    case ValueKind::Float:
        return pyFloatRepr(g.floatValue(id));
    case ValueKind::Complex: {
        const auto [re, im] = g.complexValue(id);
        return pyComplexRepr(re, im);
    }
    case ValueKind::Str:
        return pyStrRepr(g.text(id), maxChars);
    case ValueKind::Bytes:
        return pyBytesRepr(g.text(id), maxChars);
    case ValueKind::ByteArray: {
        std::string out = "bytearray(" + pyBytesRepr(g.text(id), maxChars, true) + ")";
        return out;
    }
    default:
        return {};
    }
}

std::string summary(const ValueGraph& g, ValueId id, std::size_t maxChars)
{
    if (!g.valid(id))
        return "?";
    const ValueKind k = g.kind(id);
    switch (k) {
    case ValueKind::None:
    case ValueKind::Bool:
    case ValueKind::Int:
    case ValueKind::BigInt:
    case ValueKind::Float:
    case ValueKind::Complex:
    case ValueKind::Str:
    case ValueKind::Bytes:
    case ValueKind::ByteArray:
        return truncatedText(scalarRepr(g, id, maxChars), maxChars);
    case ValueKind::List:
    case ValueKind::Tuple:
    case ValueKind::Set:
    case ValueKind::FrozenSet:
    case ValueKind::Dict: {
        const std::size_t n = g.itemCount(id);
        std::string out
            = typeLabel(g, id) + " (" + (n == 0 ? std::string("empty") : countText(n)) + ")";
        if (k == ValueKind::Dict && g.dictClass(id) == DictClass::DefaultDict
            && g.valid(g.defaultFactory(id)) && g.kind(g.defaultFactory(id)) == ValueKind::Global)
            out += ", default " + globalName(g, g.defaultFactory(id));
        return out;
    }
    case ValueKind::Global: {
        const GlobalRecord& gl = g.global(id);
        if (gl.module == "builtins" && (gl.name == "Ellipsis" || gl.name == "NotImplemented"))
            return std::string(gl.name);
        return truncatedText(globalName(g, id), maxChars);
    }
    case ValueKind::Object: {
        const std::string r = displayRepr(g, id);
        if (!r.empty())
            return truncatedText(r, maxChars);
        const std::string cls = className(g, id);
        if (cls == "pandas.core.frame.DataFrame" || cls == "pandas.core.series.Series") {
            if (std::string label = domain::pandasLabel(g, id);
                !label.empty()) // "DataFrame 50 × 5"
                return truncatedText(label, maxChars);
        }
        if (cls.rfind("sklearn.", 0) == 0) {
            if (std::string label = domain::estimatorLabel(g, id); !label.empty())
                return truncatedText(label, maxChars);
        }
        return truncatedText((cls.empty() ? std::string("") : cls + " ") + "object", maxChars);
    }
    case ValueKind::Persistent:
        return truncatedText("persistent id " + summary(g, g.persistentId(id), maxChars), maxChars);
    case ValueKind::Extension:
        return "extension code " + std::to_string(g.extensionCode(id));
    case ValueKind::Buffer:
        return "out-of-band buffer " + std::to_string(g.bufferIndex(id));
    case ValueKind::Storage: {
        const StorageRecord& s = g.storage(id);
        return "storage " + std::string(dtypeName(s.dtype)) + " (" + countText(s.numel, "element")
            + ", key " + std::string(s.key) + ", " + std::string(s.location) + ")"
            + (s.bytesFound ? "" : " (data missing)");
    }
    case ValueKind::Tensor: {
        const TensorRecord& t = g.tensor(id);
        std::string out = t.cls == TensorClass::Parameter ? "Parameter " : "tensor ";
        out += std::string(dtypeName(t.dtype)) + " " + shapeText(t.shape, false);
        if (t.layout != TensorLayout::Strided)
            out += " " + std::string(layoutName(t.layout));
        if (t.requiresGrad && t.cls != TensorClass::Parameter)
            out += " requires_grad";
        if (t.layout == TensorLayout::Strided && g.valid(t.storage)
            && g.kind(t.storage) == ValueKind::Storage && !g.storage(t.storage).bytesFound)
            out += " (data missing)";
        return truncatedText(out, maxChars);
    }
    case ValueKind::NdArray: {
        const NdArrayRecord& a = g.ndarray(id);
        std::string dt = a.dtype == DType::Other && !a.dtypeText.empty()
            ? std::string(a.dtypeText)
            : std::string(dtypeName(a.dtype));
        if (const auto d = numpy::dtypeFromValue(g, a.dtypeValue)) {
            const char kind = d->node().kind;
            if (d->structured()) // [('name', '<U8'), ('pos', '<f4', (2,)), ('id', '<i8')]
                dt = d->repr().substr(6, d->repr().size() - 7);
            else if (kind == 'f' || kind == 'c')
                dt = d->name(); // float128, complex256
        }
        return truncatedText(
            (a.masked ? "MaskedArray " : "ndarray ") + dt + " " + shapeText(a.shape, true),
            maxChars);
    }
    }
    return "?";
}

std::string keyText(const ValueGraph& g, ValueId key, std::size_t maxChars)
{
    return keyRepr(g, key, maxChars);
}

} // namespace core
