#include "core/pickle/opcodes.h"

namespace core {

namespace {

constexpr StackEffect fx(int pops, int pushes) { return { std::int8_t(pops), false, std::int8_t(pushes), false }; }
constexpr StackEffect toMark(int popsBelow, int pushes) { return { std::int8_t(popsBelow), true, std::int8_t(pushes), false }; }
constexpr StackEffect markPush() { return { 0, false, 0, true }; }

using A = ArgKind;

} // namespace

// clang-format off
const std::array<OpcodeInfo, kOpcodeCount> kOpcodes = { {
    { Op::Int, "INT", A::DecimalnlShort, 0, fx(0, 1), "Push an integer or bool (text; 00 and 01 are False and True)" },
    { Op::BinInt, "BININT", A::Int4, 1, fx(0, 1), "Push a four-byte signed integer" },
    { Op::BinInt1, "BININT1", A::Uint1, 1, fx(0, 1), "Push a one-byte unsigned integer" },
    { Op::BinInt2, "BININT2", A::Uint2, 1, fx(0, 1), "Push a two-byte unsigned integer" },
    { Op::Long, "LONG", A::DecimalnlLong, 0, fx(0, 1), "Push a long integer (text, optional trailing L)" },
    { Op::Long1, "LONG1", A::Long1, 2, fx(0, 1), "Long integer using one-byte length" },
    { Op::Long4, "LONG4", A::Long4, 2, fx(0, 1), "Long integer using four-byte length" },
    { Op::String, "STRING", A::Stringnl, 0, fx(0, 1), "Push a Python string object (quoted repr)" },
    { Op::BinString, "BINSTRING", A::String4, 1, fx(0, 1), "Push a Python string object (four-byte length)" },
    { Op::ShortBinString, "SHORT_BINSTRING", A::String1, 1, fx(0, 1), "Push a Python string object (one-byte length)" },
    { Op::BinBytes, "BINBYTES", A::Bytes4, 3, fx(0, 1), "Push a Python bytes object (four-byte length)" },
    { Op::ShortBinBytes, "SHORT_BINBYTES", A::Bytes1, 3, fx(0, 1), "Push a Python bytes object (one-byte length)" },
    { Op::BinBytes8, "BINBYTES8", A::Bytes8, 4, fx(0, 1), "Push a Python bytes object (eight-byte length)" },
    { Op::ByteArray8, "BYTEARRAY8", A::Bytearray8, 5, fx(0, 1), "Push a Python bytearray object" },
    { Op::NextBuffer, "NEXT_BUFFER", A::None, 5, fx(0, 1), "Push an out-of-band buffer object" },
    { Op::ReadOnlyBuffer, "READONLY_BUFFER", A::None, 5, fx(1, 1), "Make an out-of-band buffer object read-only" },
    { Op::None, "NONE", A::None, 0, fx(0, 1), "Push None on the stack" },
    { Op::NewTrue, "NEWTRUE", A::None, 2, fx(0, 1), "Push True onto the stack" },
    { Op::NewFalse, "NEWFALSE", A::None, 2, fx(0, 1), "Push False onto the stack" },
    { Op::Unicode, "UNICODE", A::Unicodestringnl, 0, fx(0, 1), "Push a Python Unicode string object (raw-unicode-escape)" },
    { Op::ShortBinUnicode, "SHORT_BINUNICODE", A::Unicodestring1, 4, fx(0, 1), "Push a Python Unicode string object (one-byte length, UTF-8)" },
    { Op::BinUnicode, "BINUNICODE", A::Unicodestring4, 1, fx(0, 1), "Push a Python Unicode string object (four-byte length, UTF-8)" },
    { Op::BinUnicode8, "BINUNICODE8", A::Unicodestring8, 4, fx(0, 1), "Push a Python Unicode string object (eight-byte length, UTF-8)" },
    { Op::Float, "FLOAT", A::Floatnl, 0, fx(0, 1), "Newline-terminated decimal float literal" },
    { Op::BinFloat, "BINFLOAT", A::Float8, 1, fx(0, 1), "Float stored in binary form, with 8 bytes of data" },
    { Op::EmptyList, "EMPTY_LIST", A::None, 1, fx(0, 1), "Push an empty list" },
    { Op::Append, "APPEND", A::None, 0, fx(2, 1), "Append an object to a list" },
    { Op::Appends, "APPENDS", A::None, 1, toMark(1, 1), "Extend a list by a slice of stack objects" },
    { Op::List, "LIST", A::None, 0, toMark(0, 1), "Build a list out of the topmost stack slice, after markobject" },
    { Op::EmptyTuple, "EMPTY_TUPLE", A::None, 1, fx(0, 1), "Push an empty tuple" },
    { Op::Tuple, "TUPLE", A::None, 0, toMark(0, 1), "Build a tuple out of the topmost stack slice, after markobject" },
    { Op::Tuple1, "TUPLE1", A::None, 2, fx(1, 1), "Build a one-tuple out of the topmost item on the stack" },
    { Op::Tuple2, "TUPLE2", A::None, 2, fx(2, 1), "Build a two-tuple out of the top two items on the stack" },
    { Op::Tuple3, "TUPLE3", A::None, 2, fx(3, 1), "Build a three-tuple out of the top three items on the stack" },
    { Op::EmptyDict, "EMPTY_DICT", A::None, 1, fx(0, 1), "Push an empty dict" },
    { Op::Dict, "DICT", A::None, 0, toMark(0, 1), "Build a dict out of the topmost stack slice, after markobject" },
    { Op::SetItem, "SETITEM", A::None, 0, fx(3, 1), "Add a key+value pair to an existing dict" },
    { Op::SetItems, "SETITEMS", A::None, 1, toMark(1, 1), "Add an arbitrary number of key+value pairs to an existing dict" },
    { Op::EmptySet, "EMPTY_SET", A::None, 4, fx(0, 1), "Push an empty set" },
    { Op::AddItems, "ADDITEMS", A::None, 4, toMark(1, 1), "Add an arbitrary number of items to an existing set" },
    { Op::FrozenSet, "FROZENSET", A::None, 4, toMark(0, 1), "Build a frozenset out of the topmost slice, after markobject" },
    { Op::Pop, "POP", A::None, 0, fx(1, 0), "Discard the top stack item, shrinking the stack by one item" },
    { Op::Dup, "DUP", A::None, 0, fx(1, 2), "Push the top stack item onto the stack again, duplicating it" },
    { Op::Mark, "MARK", A::None, 0, markPush(), "Push markobject onto the stack" },
    { Op::PopMark, "POP_MARK", A::None, 1, toMark(0, 0), "Pop all the stack objects at and above the topmost markobject" },
    { Op::Get, "GET", A::DecimalnlShort, 0, fx(0, 1), "Read an object from the memo and push it on the stack" },
    { Op::BinGet, "BINGET", A::Uint1, 1, fx(0, 1), "Read an object from the memo and push it on the stack" },
    { Op::LongBinGet, "LONG_BINGET", A::Uint4, 1, fx(0, 1), "Read an object from the memo and push it on the stack" },
    { Op::Put, "PUT", A::DecimalnlShort, 0, fx(0, 0), "Store the stack top into the memo; the stack is not popped" },
    { Op::BinPut, "BINPUT", A::Uint1, 1, fx(0, 0), "Store the stack top into the memo; the stack is not popped" },
    { Op::LongBinPut, "LONG_BINPUT", A::Uint4, 1, fx(0, 0), "Store the stack top into the memo; the stack is not popped" },
    { Op::Memoize, "MEMOIZE", A::None, 4, fx(1, 1), "Store the stack top into the memo at the next index" },
    { Op::Ext1, "EXT1", A::Uint1, 2, fx(0, 1), "Extension code (one-byte)" },
    { Op::Ext2, "EXT2", A::Uint2, 2, fx(0, 1), "Extension code (two-byte)" },
    { Op::Ext4, "EXT4", A::Int4, 2, fx(0, 1), "Extension code (four-byte)" },
    { Op::Global, "GLOBAL", A::StringnlNoescapePair, 0, fx(0, 1), "Push a global object (module.attr) on the stack" },
    { Op::StackGlobal, "STACK_GLOBAL", A::None, 4, fx(2, 1), "Push a global object (module.attr) on the stack" },
    { Op::Reduce, "REDUCE", A::None, 0, fx(2, 1), "Push an object built from a callable and an argument tuple" },
    { Op::Build, "BUILD", A::None, 0, fx(2, 1), "Finish building an object, via __setstate__ or dict update" },
    { Op::Inst, "INST", A::StringnlNoescapePair, 0, toMark(0, 1), "Build a class instance" },
    { Op::Obj, "OBJ", A::None, 1, toMark(0, 1), "Build a class instance" },
    { Op::NewObj, "NEWOBJ", A::None, 2, fx(2, 1), "Build an object instance" },
    { Op::NewObjEx, "NEWOBJ_EX", A::None, 4, fx(3, 1), "Build an object instance" },
    { Op::Proto, "PROTO", A::Uint1, 2, fx(0, 0), "Protocol version indicator" },
    { Op::Stop, "STOP", A::None, 0, fx(1, 0), "Stop the unpickling machine" },
    { Op::Frame, "FRAME", A::Uint8, 4, fx(0, 0), "Indicate the beginning of a new frame" },
    { Op::PersId, "PERSID", A::StringnlNoescape, 0, fx(0, 1), "Push an object identified by a persistent ID" },
    { Op::BinPersId, "BINPERSID", A::None, 1, fx(1, 1), "Push an object identified by a persistent ID" },
} };
// clang-format on

namespace {

struct ByteIndex {
    std::array<std::int16_t, 256> slot {};
    constexpr ByteIndex()
    {
        for (auto& s : slot)
            s = -1;
    }
};

const ByteIndex& byteIndex()
{
    static const ByteIndex index = [] {
        ByteIndex built;
        for (std::size_t i = 0; i < kOpcodes.size(); ++i)
            built.slot[static_cast<std::uint8_t>(kOpcodes[i].op)] = static_cast<std::int16_t>(i);
        return built;
    }();
    return index;
}

} // namespace

const OpcodeInfo* opcodeInfo(std::uint8_t byte)
{
    const int slot = byteIndex().slot[byte];
    return slot < 0 ? nullptr : &kOpcodes[static_cast<std::size_t>(slot)];
}

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
