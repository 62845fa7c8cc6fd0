#include "core/pickle/opcodes.h"

namespace core {

std::string_view argKindName(ArgKind kind)
{
    switch (kind) {
    case ArgKind::None: return "";
    case ArgKind::Uint1: return "uint1";
    case ArgKind::Uint2: return "uint2";
    case ArgKind::Int4: return "int4";
    case ArgKind::Uint4: return "uint4";
    case ArgKind::Uint8: return "uint8";
    case ArgKind::DecimalnlShort: return "decimalnl_short";
    case ArgKind::DecimalnlLong: return "decimalnl_long";
    case ArgKind::Floatnl: return "floatnl";
    case ArgKind::Float8: return "float8";
    case ArgKind::Stringnl: return "stringnl";
    case ArgKind::StringnlNoescape: return "stringnl_noescape";
    case ArgKind::StringnlNoescapePair: return "stringnl_noescape_pair";
    case ArgKind::String1: return "string1";
    case ArgKind::String4: return "string4";
    case ArgKind::Bytes1: return "bytes1";
    case ArgKind::Bytes4: return "bytes4";
    case ArgKind::Bytes8: return "bytes8";
    case ArgKind::Bytearray8: return "bytearray8";
    case ArgKind::Unicodestring1: return "unicodestring1";
    case ArgKind::Unicodestring4: return "unicodestring4";
    case ArgKind::Unicodestring8: return "unicodestring8";
    case ArgKind::Unicodestringnl: return "unicodestringnl";
    case ArgKind::Long1: return "long1";
    case ArgKind::Long4: return "long4";
    }
    return "";
}

} // namespace core
