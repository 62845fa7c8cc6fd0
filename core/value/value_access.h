#pragma once

// Typed access to the value graph, one set of rules for every reader of known types (torch,
// numpy, pandas, joblib, distributed checkpoints, the text of datetime & co.): each returns
// nothing when the value has another kind, so a call that does not decode stays a generic object.
//
// The rules follow CPython:
// - bool is an int subclass (isinstance(True, int)): intOf and floatOf accept a bool as 1 / 0, as
//   operator.index(True) and float(True) do; boolOf accepts an int by its truth value.
// - BigInt (beyond int64) is not an int here: no reader needs one, and none may truncate it.
// - Text: strOf is a str only; textOf is a str or bytes / bytearray, since Python 2 pickles read
//   with encoding='bytes' (and torch's legacy files) hold names and keys as bytes.
// - dictGet matches a str key or a bytes key of the same bytes, by the textOf rule.

#include "core/value/enum_name.h"
#include "core/value/value_graph.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace core {

// Python scalars, str and bytes: values without children.
inline constexpr std::uint64_t kScalarKinds
    = enumSet(ValueKind::None, ValueKind::Bool, ValueKind::Int, ValueKind::BigInt, ValueKind::Float,
        ValueKind::Complex, ValueKind::Str, ValueKind::Bytes, ValueKind::ByteArray);
// list, tuple, set, frozenset, dict: items in the graph's item store.
inline constexpr std::uint64_t kContainerKinds = enumSet(
    ValueKind::List, ValueKind::Tuple, ValueKind::Set, ValueKind::FrozenSet, ValueKind::Dict);
// Values reachable more than once as the same object (see isIdentityValue).
inline constexpr std::uint64_t kIdentityKinds = kContainerKinds
    | enumSet(ValueKind::ByteArray, ValueKind::Object, ValueKind::Persistent, ValueKind::Storage,
        ValueKind::Tensor, ValueKind::NdArray);
constexpr bool isScalarKind(ValueKind k) { return inSet(kScalarKinds, k); }
constexpr bool isContainerKind(ValueKind k) { return inSet(kContainerKinds, k); }

inline std::optional<std::int64_t> intOf(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id) || !(g.kind(id) == ValueKind::Int || g.kind(id) == ValueKind::Bool))
        return std::nullopt;
    return g.kind(id) == ValueKind::Bool ? std::int64_t(g.boolValue(id)) : g.intValue(id);
}

inline std::optional<double> floatOf(const ValueGraph& g, ValueId id)
{
    if (g.valid(id) && g.kind(id) == ValueKind::Float)
        return g.floatValue(id);
    const auto i = intOf(g, id);
    return i ? std::optional<double>(static_cast<double>(*i)) : std::nullopt;
}

// A bool, or an int by its truth value.
inline std::optional<bool> boolOf(const ValueGraph& g, ValueId id)
{
    const auto i = intOf(g, id);
    return i ? std::optional<bool>(*i != 0) : std::nullopt;
}

// A str.
inline std::optional<std::string_view> strOf(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id) || g.kind(id) != ValueKind::Str)
        return std::nullopt;
    return g.text(id);
}

// A str, or bytes / bytearray (Python 2 names and keys read as bytes).
inline std::optional<std::string_view> textOf(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id))
        return std::nullopt;
    const ValueKind k = g.kind(id);
    if (k == ValueKind::Str || k == ValueKind::Bytes || k == ValueKind::ByteArray)
        return g.text(id);
    return std::nullopt;
}

// The items of a tuple or list.
inline ItemsPtr seqOf(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id))
        return nullptr;
    const ValueKind k = g.kind(id);
    if (k == ValueKind::Tuple || k == ValueKind::List)
        return ItemsPtr(g.items(id));
    return nullptr;
}

inline bool isGlobal(
    const ValueGraph& g, ValueId id, std::string_view module, std::string_view name)
{
    if (!g.valid(id) || g.kind(id) != ValueKind::Global)
        return false;
    const GlobalRecord& r = g.global(id);
    return r.module == module && r.name == name;
}

// "module.name" of a Global; empty for any other value.
inline std::string globalName(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id) || g.kind(id) != ValueKind::Global)
        return {};
    const GlobalRecord& r = g.global(id);
    std::string out(r.module);
    out.push_back('.');
    out.append(r.name);
    return out;
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

// The items of an Object's argument tuple (or list), or null.
inline ItemsPtr objectArgs(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id) || g.kind(id) != ValueKind::Object)
        return nullptr;
    return seqOf(g, g.object(id).args);
}

// A tuple/list of ints, or torch.Size((...)) as a generic object.
inline bool intListOf(const ValueGraph& g, ValueId id, std::vector<std::int64_t>& out)
{
    if (const GlobalRecord* c = objectCallable(g, id);
        c != nullptr && c->module == "torch" && c->name == "Size") {
        const auto args = seqOf(g, g.object(id).args);
        if (args == nullptr || args->size() != 1)
            return false;
        id = (*args)[0];
    }
    const auto items = seqOf(g, id);
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

// A Dict's value for a str (or bytes) key, or kNullValue.
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

} // namespace core
