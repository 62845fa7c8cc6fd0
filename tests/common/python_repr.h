#pragma once

// Test helper: Python's repr() of a loaded value, for comparing the machine's results with the
// repr CPython printed when the fixture was generated. Containers follow Python's rules
// (recursion markers, 1-tuples, set()/frozenset(...), OrderedDict([...]), defaultdict(...),
// Counter({...})); leaves use core's scalarRepr/displayRepr. Returns false when the value holds
// something Python would print with an address (plain objects), so the caller can skip it.

#include "core/value/value_graph.h"
#include "core/value/value_text.h"

#include <algorithm>
#include <string>
#include <vector>
#include <unordered_set>

namespace testing {

// sortSets: set and frozenset items in sorted order of their reprs (Python prints them in hash
// order, which depends on PYTHONHASHSEED; the generator sorts them the same way).
inline bool pythonRepr(const core::ValueGraph& g, core::ValueId id, std::string& out,
    std::unordered_set<std::uint32_t>& active, int depth = 0, bool sortSets = false)
{
    using core::ValueKind;
    if (depth > 200)
        return false;
    const ValueKind kind = g.kind(id);
    auto seq = [&](std::span<const core::ValueId> items, std::size_t stride, const char* sep) {
        for (std::size_t i = 0; i < items.size(); i += stride) {
            if (i)
                out += ", ";
            if (!pythonRepr(g, items[i], out, active, depth + 1, sortSets))
                return false;
            if (stride == 2) {
                out += sep;
                if (!pythonRepr(g, items[i + 1], out, active, depth + 1, sortSets))
                    return false;
            }
        }
        return true;
    };
    const bool container = kind == ValueKind::List || kind == ValueKind::Dict || kind == ValueKind::Set
        || kind == ValueKind::FrozenSet || kind == ValueKind::Tuple;
    if (container && active.count(core::indexOf(id))) {
        out += kind == ValueKind::List ? "[...]" : kind == ValueKind::Dict ? "{...}" : kind == ValueKind::Tuple ? "(...)" : "...";
        return true;
    }
    if (container)
        active.insert(core::indexOf(id));
    bool ok = true;
    const auto& items = g.items(id);
    switch (kind) {
    case ValueKind::List:
        out += "[";
        ok = seq(items, 1, "");
        out += "]";
        break;
    case ValueKind::Tuple:
        out += "(";
        ok = seq(items, 1, "");
        out += items.size() == 1 ? ",)" : ")";
        break;
    case ValueKind::Set:
    case ValueKind::FrozenSet:
        if (items.empty()) {
            out += kind == ValueKind::Set ? "set()" : "frozenset()";
            break;
        }
        out += kind == ValueKind::Set ? "{" : "frozenset({";
        if (sortSets) {
            std::vector<std::string> reprs(items.size());
            for (std::size_t i = 0; i < items.size() && ok; ++i)
                ok = pythonRepr(g, items[i], reprs[i], active, depth + 1, sortSets);
            std::sort(reprs.begin(), reprs.end());
            for (std::size_t i = 0; i < reprs.size(); ++i)
                out += (i ? ", " : "") + reprs[i];
        } else {
            ok = seq(items, 1, "");
        }
        out += kind == ValueKind::Set ? "}" : "})";
        break;
    case ValueKind::Dict:
        switch (g.dictClass(id)) {
        case core::DictClass::OrderedDict:
            if (items.empty()) {
                out += "OrderedDict()";
                break;
            }
            out += "OrderedDict([";
            for (std::size_t i = 0; i < items.size() && ok; i += 2) {
                out += i ? ", (" : "(";
                ok = pythonRepr(g, items[i], out, active, depth + 1, sortSets);
                out += ", ";
                ok = ok && pythonRepr(g, items[i + 1], out, active, depth + 1, sortSets);
                out += ")";
            }
            out += "])";
            break;
        case core::DictClass::DefaultDict: {
            out += "defaultdict(";
            const core::ValueId factory = g.defaultFactory(id);
            if (core::isNull(factory))
                out += "None";
            else if (g.kind(factory) == ValueKind::Global && g.global(factory).module == "builtins")
                out += "<class '" + std::string(g.global(factory).name) + "'>";
            else
                ok = false;
            out += ", {";
            ok = ok && seq(items, 2, ": ");
            out += "})";
            break;
        }
        case core::DictClass::Counter: {
            // Counter({k: n, ...}) in most_common() order: by count, descending, ties in
            // insertion order (a stable sort). Counts that are not ints are not compared here.
            if (items.empty()) {
                out += "Counter()";
                break;
            }
            std::vector<std::size_t> order;
            for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
                ok = ok && g.kind(items[i + 1]) == ValueKind::Int;
                order.push_back(i);
            }
            if (!ok)
                break;
            std::stable_sort(order.begin(), order.end(),
                [&](std::size_t a, std::size_t b) { return g.intValue(items[a + 1]) > g.intValue(items[b + 1]); });
            out += "Counter({";
            for (std::size_t k = 0; k < order.size() && ok; ++k) {
                out += k ? ", " : "";
                ok = pythonRepr(g, items[order[k]], out, active, depth + 1, sortSets);
                out += ": ";
                ok = ok && pythonRepr(g, items[order[k] + 1], out, active, depth + 1, sortSets);
            }
            out += "})";
            break;
        }
        default:
            out += "{";
            ok = seq(items, 2, ": ");
            out += "}";
            break;
        }
        break;
    case ValueKind::Object: {
        const std::string display = core::displayRepr(g, id);
        if (display.empty())
            ok = false;
        out += display;
        break;
    }
    case ValueKind::Global:
    case ValueKind::Persistent:
    case ValueKind::Extension:
    case ValueKind::Buffer:
    case ValueKind::Storage:
    case ValueKind::Tensor:
    case ValueKind::NdArray:
        ok = false;
        break;
    default:
        out += core::scalarRepr(g, id);
        break;
    }
    if (container)
        active.erase(core::indexOf(id));
    return ok;
}

inline bool pythonRepr(const core::ValueGraph& g, core::ValueId id, std::string& out)
{
    std::unordered_set<std::uint32_t> active;
    return pythonRepr(g, id, out, active);
}

} // namespace testing
