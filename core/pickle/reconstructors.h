#pragma once

// The reconstructors the core types: the global a REDUCE applies -> what the machine builds
// instead of an inert Object (PickleMachine's typedCall). One table, read by the machine and by
// the safety rules (core/safety/global_rules.cpp classifies every entry as safe).

#include <cstddef>
#include <cstdint>
#include <iterator>
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
    CodecsEncode, // codecs.encode: the same function under its public module
    Complex, // builtins.complex(re, im)
    CopyregReconstructor, // copyreg._reconstructor(cls, base, state): protocol 0/1 objects
    CopyregNewObj, // copyreg.__newobj__(cls, *args)
    CopyregNewObjEx, // copyreg.__newobj_ex__(cls, args, kwargs)
};

// The global ("module.name") of each Reconstructor, in the enum's order.
inline constexpr std::string_view kReconstructorGlobals[] = { "", "collections.OrderedDict",
    "collections.Counter", "collections.defaultdict", "builtins.set", "builtins.frozenset",
    "builtins.bytes", "builtins.bytearray", "_codecs.encode", "codecs.encode", "builtins.complex",
    "copyreg._reconstructor", "copyreg.__newobj__", "copyreg.__newobj_ex__" };
static_assert(std::size(kReconstructorGlobals) == std::size_t(Reconstructor::CopyregNewObjEx) + 1);

constexpr Reconstructor reconstructorOf(std::string_view module, std::string_view name)
{
    for (std::size_t i = 1; i < std::size(kReconstructorGlobals); ++i) {
        const std::string_view global = kReconstructorGlobals[i];
        if (global.size() == module.size() + 1 + name.size() && global.ends_with(name)
            && global.starts_with(module) && global[module.size()] == '.')
            return static_cast<Reconstructor>(i);
    }
    return Reconstructor::None;
}

} // namespace core
