#pragma once

// Small typed readers over the value graph for the torch and numpy hooks: each returns nothing
// when the value has another kind, so undecodable calls simply stay generic objects.

#include "core/value/value_graph.h"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace core::torch {

inline std::optional<std::int64_t> intOf(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id))
        return std::nullopt;
    if (g.kind(id) == ValueKind::Int)
        return g.intValue(id);
    if (g.kind(id) == ValueKind::Bool)
        return g.boolValue(id) ? 1 : 0;
    return std::nullopt;
}

inline std::optional<double> floatOf(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id))
        return std::nullopt;
    if (g.kind(id) == ValueKind::Float)
        return g.floatValue(id);
    if (g.kind(id) == ValueKind::Int)
        return static_cast<double>(g.intValue(id));
    return std::nullopt;
}

inline std::optional<bool> boolOf(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id))
        return std::nullopt;
    if (g.kind(id) == ValueKind::Bool)
        return g.boolValue(id);
    if (g.kind(id) == ValueKind::Int)
        return g.intValue(id) != 0;
    return std::nullopt;
}

// Str, or Bytes/ByteArray (py2 pickles loaded as bytes).
inline std::optional<std::string_view> textOf(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id))
        return std::nullopt;
    const ValueKind k = g.kind(id);
    if (k == ValueKind::Str || k == ValueKind::Bytes || k == ValueKind::ByteArray)
        return g.text(id);
    return std::nullopt;
}

inline const std::vector<ValueId>* seqOf(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id))
        return nullptr;
    const ValueKind k = g.kind(id);
    if (k == ValueKind::Tuple || k == ValueKind::List)
        return &g.items(id);
    return nullptr;
}

inline bool isGlobal(const ValueGraph& g, ValueId id, std::string_view module, std::string_view name)
{
    if (!g.valid(id) || g.kind(id) != ValueKind::Global)
        return false;
    const GlobalRecord& r = g.global(id);
    return r.module == module && r.name == name;
}

// The callable Global of an Object (REDUCE/NEWOBJ result), or null.
inline const GlobalRecord* objectCallable(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id) || g.kind(id) != ValueKind::Object)
        return nullptr;
    const ValueId c = g.object(id).callable;
    if (!g.valid(c) || g.kind(c) != ValueKind::Global)
        return nullptr;
    return &g.global(c);
}

// A tuple/list of ints, or torch.Size((...)) as a generic object.
inline bool intListOf(const ValueGraph& g, ValueId id, std::vector<std::int64_t>& out)
{
    if (const GlobalRecord* c = objectCallable(g, id); c != nullptr && c->module == "torch" && c->name == "Size") {
        const auto* args = seqOf(g, g.object(id).args);
        if (args == nullptr || args->size() != 1)
            return false;
        id = (*args)[0];
    }
    const auto* items = seqOf(g, id);
    if (items == nullptr)
        return false;
    out.clear();
    out.reserve(items->size());
    for (ValueId item : *items) {
        const auto v = intOf(g, item);
        if (!v)
            return false;
        out.push_back(*v);
    }
    return true;
}

// A Dict's value for a str key.
inline ValueId dictGet(const ValueGraph& g, ValueId dict, std::string_view key)
{
    if (!g.valid(dict) || g.kind(dict) != ValueKind::Dict)
        return kNullValue;
    const auto& items = g.items(dict);
    for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
        const auto k = textOf(g, items[i]);
        if (k && *k == key)
            return items[i + 1];
    }
    return kNullValue;
}

} // namespace core::torch
