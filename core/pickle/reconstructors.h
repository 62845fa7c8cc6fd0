#pragma once

// The reconstructors the core types: (module, name) of a callable that REDUCE applies -> what the
// machine builds instead of an inert Object (PickleMachine's typedCall). One table, read by the
// machine and by the safety rules (core/safety/global_rules.cpp classifies every row as safe).

#include <cstdint>
#include <string_view>

namespace core {

enum class Reconstructor : std::uint8_t {
    None, // not a reconstructor the core knows
    OrderedDict, // collections.OrderedDict(pairs or dict)
    Counter, // collections.Counter(dict)
    DefaultDict, // collections.defaultdict(factory, dict)
    Set, // builtins.set(list)
    FrozenSet, // builtins.frozenset(list)
    Bytes, // builtins.bytes(...)
    ByteArray, // builtins.bytearray(...)
    Encode, // _codecs.encode(str, 'latin1'): how protocol 2 writes bytes
    Complex, // builtins.complex(re, im)
    CopyregReconstructor, // copyreg._reconstructor(cls, base, state): protocol 0/1 objects
    CopyregNewObj, // copyreg.__newobj__(cls, *args)
    CopyregNewObjEx, // copyreg.__newobj_ex__(cls, args, kwargs)
};

struct ReconstructorRow {
    std::string_view module;
    std::string_view name;
    Reconstructor kind;
};

inline constexpr ReconstructorRow kReconstructors[] = {
    { "collections", "OrderedDict", Reconstructor::OrderedDict },
    { "collections", "Counter", Reconstructor::Counter },
    { "collections", "defaultdict", Reconstructor::DefaultDict },
    { "builtins", "set", Reconstructor::Set },
    { "builtins", "frozenset", Reconstructor::FrozenSet },
    { "builtins", "bytes", Reconstructor::Bytes },
    { "builtins", "bytearray", Reconstructor::ByteArray },
    { "_codecs", "encode", Reconstructor::Encode },
    { "codecs", "encode", Reconstructor::Encode },
    { "builtins", "complex", Reconstructor::Complex },
    { "copyreg", "_reconstructor", Reconstructor::CopyregReconstructor },
    { "copyreg", "__newobj__", Reconstructor::CopyregNewObj },
    { "copyreg", "__newobj_ex__", Reconstructor::CopyregNewObjEx },
};

constexpr Reconstructor reconstructorOf(std::string_view module, std::string_view name)
{
    for (const ReconstructorRow& row : kReconstructors)
        if (row.name == name && row.module == module)
            return row.kind;
    return Reconstructor::None;
}

} // namespace core
