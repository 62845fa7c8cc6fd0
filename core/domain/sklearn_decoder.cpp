#include "core/domain/sklearn_decoder.h"

#include "core/value/value_text.h"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

namespace core::domain {

namespace {

constexpr std::size_t kParams = 1; // parameters named before "…" (the tree line stays short)
constexpr std::size_t kFitted = 6;

std::string shapeText(const std::vector<std::int64_t>& shape)
{
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        s += (i > 0 ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

std::string leafName(const std::string& dotted)
{
    const auto dot = dotted.rfind('.');
    return dot == std::string::npos ? dotted : dotted.substr(dot + 1);
}

// A parameter's short value: Python's repr for scalars, the class for estimators.
std::string shortValue(const ValueGraph& g, ValueId v)
{
    if (!g.valid(v))
        return "?";
    std::string r = scalarRepr(g, v, 24);
    if (!r.empty())
        return r;
    switch (g.kind(v)) {
    case ValueKind::NdArray:
        return "array" + shapeText(g.ndarray(v).shape);
    case ValueKind::Tensor:
        return "tensor" + shapeText(g.tensor(v).shape);
    case ValueKind::List:
        return "[…]";
    case ValueKind::Tuple:
        return "(…)";
    case ValueKind::Dict:
        return "{…}";
    case ValueKind::Object: {
        r = displayRepr(g, v);
        if (!r.empty() && r.size() <= 24)
            return r;
        return leafName(className(g, v)) + "(…)";
    }
    default:
        return typeLabel(g, v);
    }
}

} // namespace

std::string estimatorLabel(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id) || g.kind(id) != ValueKind::Object)
        return {};
    const std::string cls = className(g, id);
    if (cls.rfind("sklearn.", 0) != 0)
        return {};
    const ValueId state = g.object(id).state;
    if (!g.valid(state) || g.kind(state) != ValueKind::Dict)
        return {};
    const auto& items = g.items(state);
    std::vector<std::pair<std::string_view, ValueId>> params, fitted;
    for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
        if (g.kind(items[i]) != ValueKind::Str)
            continue;
        const std::string_view key = g.text(items[i]);
        if (key.empty() || key.front() == '_')
            continue; // private (_sklearn_version, _estimator, ...)
        (key.back() == '_' ? fitted : params).emplace_back(key, items[i + 1]);
    }
    if (params.empty() && fitted.empty())
        return {};
    std::stable_sort(params.begin(), params.end(),
        [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string out = leafName(cls) + " (";
    for (std::size_t i = 0; i < params.size() && i < kParams; ++i)
        out += (i > 0 ? ", " : "") + std::string(params[i].first) + "="
            + shortValue(g, params[i].second);
    if (params.size() > kParams)
        out += ", …";
    out += ")";
    if (!fitted.empty()) {
        out += " fitted: ";
        for (std::size_t i = 0; i < fitted.size() && i < kFitted; ++i) {
            const ValueId v = fitted[i].second;
            out += (i > 0 ? ", " : "") + std::string(fitted[i].first);
            if (g.valid(v) && g.kind(v) == ValueKind::NdArray)
                out += " " + shapeText(g.ndarray(v).shape);
            else if (g.valid(v) && g.kind(v) == ValueKind::Tensor)
                out += " " + shapeText(g.tensor(v).shape);
            else
                out += "=" + shortValue(g, v);
        }
        if (fitted.size() > kFitted)
            out += ", …";
    }
    return out;
}

} // namespace core::domain
