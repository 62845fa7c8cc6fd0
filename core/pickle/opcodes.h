#pragma once

// The one opcode table of pickle protocols 0-5 (68 opcodes), shared by the unpickling machine, the
// disassembler and the safety scanner: names, argument kinds, protocols and stack effects are
// pickletools'; the by-byte index, the argument layout columns and torch's weights-only
// acceptance are computed from it at compile time. The arguments themselves are read by
// readArgument() (core/pickle/opcode_argument.h).

#include <array>
#include <cstdint>
#include <iterator>
#include <string_view>

namespace core {

// pickletools' ArgumentDescriptor names, as an enum.
enum class ArgKind : std::uint8_t {
    None,
    Uint1, // 1 byte unsigned
    Uint2, // 2 bytes LE unsigned
    Int4, // 4 bytes LE signed
    Uint4, // 4 bytes LE unsigned
    Uint8, // 8 bytes LE unsigned
    DecimalnlShort, // ASCII decimal + \n (INT: 00/01 are bools; GET/PUT)
    DecimalnlLong, // ASCII decimal, optional trailing L, + \n
    Floatnl, // ASCII float + \n
    Float8, // 8 bytes big-endian IEEE-754
    Stringnl, // quoted Python 2 str repr + \n
    StringnlNoescape, // raw line up to \n
    StringnlNoescapePair, // two raw lines (module, name)
    String1, // u8 length + bytes
    String4, // i32 length + bytes
    Bytes1, // u8 length + bytes
    Bytes4, // u32 length + bytes
    Bytes8, // u64 length + bytes
    Bytearray8, // u64 length + bytes
    Unicodestring1, // u8 length + UTF-8
    Unicodestring4, // u32 length + UTF-8
    Unicodestring8, // u64 length + UTF-8
    Unicodestringnl, // raw-unicode-escape + \n
    Long1, // u8 length + two's complement LE
    Long4, // i32 length + two's complement LE
};

// pickletools' ArgumentDescriptor.name for an argument kind ("uint1", "decimalnl_short", ...).
std::string_view argKindName(ArgKind kind);

enum class Op : std::uint8_t {
    Mark = '(',
    EmptyTuple = ')',
    Stop = '.',
    Pop = '0',
    PopMark = '1',
    Dup = '2',
    BinBytes = 'B',
    ShortBinBytes = 'C',
    Float = 'F',
    BinFloat = 'G',
    Int = 'I',
    BinInt = 'J',
    BinInt1 = 'K',
    Long = 'L',
    BinInt2 = 'M',
    None = 'N',
    PersId = 'P',
    BinPersId = 'Q',
    Reduce = 'R',
    String = 'S',
    BinString = 'T',
    ShortBinString = 'U',
    Unicode = 'V',
    BinUnicode = 'X',
    EmptyList = ']',
    Append = 'a',
    Build = 'b',
    Global = 'c',
    Dict = 'd',
    Appends = 'e',
    Get = 'g',
    BinGet = 'h',
    Inst = 'i',
    LongBinGet = 'j',
    List = 'l',
    Obj = 'o',
    Put = 'p',
    BinPut = 'q',
    LongBinPut = 'r',
    SetItem = 's',
    Tuple = 't',
    SetItems = 'u',
    EmptyDict = '}',
    Proto = 0x80,
    NewObj = 0x81,
    Ext1 = 0x82,
    Ext2 = 0x83,
    Ext4 = 0x84,
    Tuple1 = 0x85,
    Tuple2 = 0x86,
    Tuple3 = 0x87,
    NewTrue = 0x88,
    NewFalse = 0x89,
    Long1 = 0x8a,
    Long4 = 0x8b,
    ShortBinUnicode = 0x8c,
    BinUnicode8 = 0x8d,
    BinBytes8 = 0x8e,
    EmptySet = 0x8f,
    AddItems = 0x90,
    FrozenSet = 0x91,
    NewObjEx = 0x92,
    StackGlobal = 0x93,
    Memoize = 0x94,
    Frame = 0x95,
    ByteArray8 = 0x96,
    NextBuffer = 0x97,
    ReadOnlyBuffer = 0x98,
};

// How an argument is laid out in the stream.
enum class ArgForm : std::uint8_t {
    None,
    Integer, // a fixed-size little-endian integer (uint1, uint2, int4, uint4, uint8)
    Float8, // 8 bytes big-endian IEEE-754
    Counted, // a little-endian length prefix, then that many payload bytes
    Line, // one line up to '\n'
    LinePair, // two lines (module, name)
};

// The layout of each argument kind, in ArgKind's order: its form and the bytes of its fixed part
// (the whole argument of an Integer or Float8 form, the length prefix of a Counted one, 0 for
// lines).
struct ArgLayout {
    ArgForm form;
    std::uint8_t fixedSize;
};
inline constexpr ArgLayout kArgLayouts[] = {
    { ArgForm::None, 0 }, // None
    { ArgForm::Integer, 1 }, // Uint1
    { ArgForm::Integer, 2 }, // Uint2
    { ArgForm::Integer, 4 }, // Int4
    { ArgForm::Integer, 4 }, // Uint4
    { ArgForm::Integer, 8 }, // Uint8
    { ArgForm::Line, 0 }, // DecimalnlShort
    { ArgForm::Line, 0 }, // DecimalnlLong
    { ArgForm::Line, 0 }, // Floatnl
    { ArgForm::Float8, 8 }, // Float8
    { ArgForm::Line, 0 }, // Stringnl
    { ArgForm::Line, 0 }, // StringnlNoescape
    { ArgForm::LinePair, 0 }, // StringnlNoescapePair
    { ArgForm::Counted, 1 }, // String1
    { ArgForm::Counted, 4 }, // String4
    { ArgForm::Counted, 1 }, // Bytes1
    { ArgForm::Counted, 4 }, // Bytes4
    { ArgForm::Counted, 8 }, // Bytes8
    { ArgForm::Counted, 8 }, // Bytearray8
    { ArgForm::Counted, 1 }, // Unicodestring1
    { ArgForm::Counted, 4 }, // Unicodestring4
    { ArgForm::Counted, 8 }, // Unicodestring8
    { ArgForm::Line, 0 }, // Unicodestringnl
    { ArgForm::Counted, 1 }, // Long1
    { ArgForm::Counted, 4 }, // Long4
};
static_assert(std::size(kArgLayouts) == std::size_t(ArgKind::Long4) + 1);

constexpr ArgForm argForm(ArgKind kind)
{
    return kArgLayouts[static_cast<std::size_t>(kind)].form;
}

constexpr std::uint8_t argFixedSize(ArgKind kind)
{
    return kArgLayouts[static_cast<std::size_t>(kind)].fixedSize;
}

// Whether the fixed part is signed (int4, and the int4 length of string4 / long4).
constexpr bool argFixedSigned(ArgKind kind)
{
    return kind == ArgKind::Int4 || kind == ArgKind::String4 || kind == ArgKind::Long4;
}

// Stack effect in pickletools' terms. An opcode first pops to the top mark (if popsMark), then
// pops `pops` items (below the mark, or from the top), then pushes a mark (pushesMark) or
// `pushes` items.
struct StackEffect {
    std::int8_t pops = 0;
    bool popsMark = false;
    std::int8_t pushes = 0;
    bool pushesMark = false;
};

// Bits of OpcodeInfo::weightsOnly: the opcodes torch's weights-only unpickler accepts
// (torch/_weights_only_unpickler.py), per version.
inline constexpr std::uint8_t kWeightsOnlyV2 = 1; // torch 2.x
inline constexpr std::uint8_t kWeightsOnlyV113 = 2; // torch 1.13

struct OpcodeInfo {
    Op op;
    std::string_view name; // "SHORT_BINUNICODE"
    ArgKind arg;
    std::uint8_t proto; // protocol that introduced it
    StackEffect stack;
    std::string_view doc; // one-line summary of pickletools' description
    ArgForm form; // = argForm(arg)
    std::uint8_t fixedSize; // = argFixedSize(arg)
    std::uint8_t weightsOnly; // kWeightsOnlyV2 | kWeightsOnlyV113 when accepted
};

inline constexpr std::size_t kOpcodeCount = 68;

namespace opcode_table_detail {

constexpr StackEffect fx(int pops, int pushes)
{
    return { std::int8_t(pops), false, std::int8_t(pushes), false };
}
constexpr StackEffect toMark(int popsBelow, int pushes)
{
    return { std::int8_t(popsBelow), true, std::int8_t(pushes), false };
}
constexpr StackEffect markPush()
{
    return { 0, false, 0, true };
}
inline constexpr std::uint8_t kNo = 0;
inline constexpr std::uint8_t kV2 = kWeightsOnlyV2;
inline constexpr std::uint8_t kBoth = kWeightsOnlyV2 | kWeightsOnlyV113;

constexpr OpcodeInfo op(Op code, std::string_view name, ArgKind arg, std::uint8_t proto,
    StackEffect stack, std::uint8_t weightsOnly, std::string_view doc)
{
    return { code, name, arg, proto, stack, doc, argForm(arg), argFixedSize(arg), weightsOnly };
}

using A = ArgKind;

} // namespace opcode_table_detail

// All 68 opcodes, in pickletools' order.
// clang-format off
inline constexpr std::array<OpcodeInfo, kOpcodeCount> kOpcodes = [] {
    using namespace opcode_table_detail;
    return std::array<OpcodeInfo, kOpcodeCount> {
    op(Op::Int, "INT", A::DecimalnlShort, 0, fx(0, 1), kNo, "Push an integer or bool (text; 00 and 01 are False and True)"),
    op(Op::BinInt, "BININT", A::Int4, 1, fx(0, 1), kBoth, "Push a four-byte signed integer"),
    op(Op::BinInt1, "BININT1", A::Uint1, 1, fx(0, 1), kBoth, "Push a one-byte unsigned integer"),
    op(Op::BinInt2, "BININT2", A::Uint2, 1, fx(0, 1), kBoth, "Push a two-byte unsigned integer"),
    op(Op::Long, "LONG", A::DecimalnlLong, 0, fx(0, 1), kNo, "Push a long integer (text, optional trailing L)"),
    op(Op::Long1, "LONG1", A::Long1, 2, fx(0, 1), kBoth, "Long integer using one-byte length"),
    op(Op::Long4, "LONG4", A::Long4, 2, fx(0, 1), kNo, "Long integer using four-byte length"),
    op(Op::String, "STRING", A::Stringnl, 0, fx(0, 1), kNo, "Push a Python string object (quoted repr)"),
    op(Op::BinString, "BINSTRING", A::String4, 1, fx(0, 1), kNo, "Push a Python string object (four-byte length)"),
    op(Op::ShortBinString, "SHORT_BINSTRING", A::String1, 1, fx(0, 1), kBoth, "Push a Python string object (one-byte length)"),
    op(Op::BinBytes, "BINBYTES", A::Bytes4, 3, fx(0, 1), kNo, "Push a Python bytes object (four-byte length)"),
    op(Op::ShortBinBytes, "SHORT_BINBYTES", A::Bytes1, 3, fx(0, 1), kNo, "Push a Python bytes object (one-byte length)"),
    op(Op::BinBytes8, "BINBYTES8", A::Bytes8, 4, fx(0, 1), kNo, "Push a Python bytes object (eight-byte length)"),
    op(Op::ByteArray8, "BYTEARRAY8", A::Bytearray8, 5, fx(0, 1), kNo, "Push a Python bytearray object"),
    op(Op::NextBuffer, "NEXT_BUFFER", A::None, 5, fx(0, 1), kNo, "Push an out-of-band buffer object"),
    op(Op::ReadOnlyBuffer, "READONLY_BUFFER", A::None, 5, fx(1, 1), kNo, "Make an out-of-band buffer object read-only"),
    op(Op::None, "NONE", A::None, 0, fx(0, 1), kBoth, "Push None on the stack"),
    op(Op::NewTrue, "NEWTRUE", A::None, 2, fx(0, 1), kBoth, "Push True onto the stack"),
    op(Op::NewFalse, "NEWFALSE", A::None, 2, fx(0, 1), kBoth, "Push False onto the stack"),
    op(Op::Unicode, "UNICODE", A::Unicodestringnl, 0, fx(0, 1), kNo, "Push a Python Unicode string object (raw-unicode-escape)"),
    op(Op::ShortBinUnicode, "SHORT_BINUNICODE", A::Unicodestring1, 4, fx(0, 1), kNo, "Push a Python Unicode string object (one-byte length, UTF-8)"),
    op(Op::BinUnicode, "BINUNICODE", A::Unicodestring4, 1, fx(0, 1), kBoth, "Push a Python Unicode string object (four-byte length, UTF-8)"),
    op(Op::BinUnicode8, "BINUNICODE8", A::Unicodestring8, 4, fx(0, 1), kNo, "Push a Python Unicode string object (eight-byte length, UTF-8)"),
    op(Op::Float, "FLOAT", A::Floatnl, 0, fx(0, 1), kNo, "Newline-terminated decimal float literal"),
    op(Op::BinFloat, "BINFLOAT", A::Float8, 1, fx(0, 1), kV2, "Float stored in binary form, with 8 bytes of data"),
    op(Op::EmptyList, "EMPTY_LIST", A::None, 1, fx(0, 1), kBoth, "Push an empty list"),
    op(Op::Append, "APPEND", A::None, 0, fx(2, 1), kBoth, "Append an object to a list"),
    op(Op::Appends, "APPENDS", A::None, 1, toMark(1, 1), kBoth, "Extend a list by a slice of stack objects"),
    op(Op::List, "LIST", A::None, 0, toMark(0, 1), kNo, "Build a list out of the topmost stack slice, after markobject"),
    op(Op::EmptyTuple, "EMPTY_TUPLE", A::None, 1, fx(0, 1), kBoth, "Push an empty tuple"),
    op(Op::Tuple, "TUPLE", A::None, 0, toMark(0, 1), kBoth, "Build a tuple out of the topmost stack slice, after markobject"),
    op(Op::Tuple1, "TUPLE1", A::None, 2, fx(1, 1), kBoth, "Build a one-tuple out of the topmost item on the stack"),
    op(Op::Tuple2, "TUPLE2", A::None, 2, fx(2, 1), kBoth, "Build a two-tuple out of the top two items on the stack"),
    op(Op::Tuple3, "TUPLE3", A::None, 2, fx(3, 1), kBoth, "Build a three-tuple out of the top three items on the stack"),
    op(Op::EmptyDict, "EMPTY_DICT", A::None, 1, fx(0, 1), kBoth, "Push an empty dict"),
    op(Op::Dict, "DICT", A::None, 0, toMark(0, 1), kNo, "Build a dict out of the topmost stack slice, after markobject"),
    op(Op::SetItem, "SETITEM", A::None, 0, fx(3, 1), kBoth, "Add a key+value pair to an existing dict"),
    op(Op::SetItems, "SETITEMS", A::None, 1, toMark(1, 1), kBoth, "Add an arbitrary number of key+value pairs to an existing dict"),
    op(Op::EmptySet, "EMPTY_SET", A::None, 4, fx(0, 1), kBoth, "Push an empty set"),
    op(Op::AddItems, "ADDITEMS", A::None, 4, toMark(1, 1), kNo, "Add an arbitrary number of items to an existing set"),
    op(Op::FrozenSet, "FROZENSET", A::None, 4, toMark(0, 1), kNo, "Build a frozenset out of the topmost slice, after markobject"),
    op(Op::Pop, "POP", A::None, 0, fx(1, 0), kNo, "Discard the top stack item, shrinking the stack by one item"),
    op(Op::Dup, "DUP", A::None, 0, fx(1, 2), kNo, "Push the top stack item onto the stack again, duplicating it"),
    op(Op::Mark, "MARK", A::None, 0, markPush(), kBoth, "Push markobject onto the stack"),
    op(Op::PopMark, "POP_MARK", A::None, 1, toMark(0, 0), kNo, "Pop all the stack objects at and above the topmost markobject"),
    op(Op::Get, "GET", A::DecimalnlShort, 0, fx(0, 1), kNo, "Read an object from the memo and push it on the stack"),
    op(Op::BinGet, "BINGET", A::Uint1, 1, fx(0, 1), kBoth, "Read an object from the memo and push it on the stack"),
    op(Op::LongBinGet, "LONG_BINGET", A::Uint4, 1, fx(0, 1), kBoth, "Read an object from the memo and push it on the stack"),
    op(Op::Put, "PUT", A::DecimalnlShort, 0, fx(0, 0), kNo, "Store the stack top into the memo; the stack is not popped"),
    op(Op::BinPut, "BINPUT", A::Uint1, 1, fx(0, 0), kBoth, "Store the stack top into the memo; the stack is not popped"),
    op(Op::LongBinPut, "LONG_BINPUT", A::Uint4, 1, fx(0, 0), kBoth, "Store the stack top into the memo; the stack is not popped"),
    op(Op::Memoize, "MEMOIZE", A::None, 4, fx(1, 1), kNo, "Store the stack top into the memo at the next index"),
    op(Op::Ext1, "EXT1", A::Uint1, 2, fx(0, 1), kNo, "Extension code (one-byte)"),
    op(Op::Ext2, "EXT2", A::Uint2, 2, fx(0, 1), kNo, "Extension code (two-byte)"),
    op(Op::Ext4, "EXT4", A::Int4, 2, fx(0, 1), kNo, "Extension code (four-byte)"),
    op(Op::Global, "GLOBAL", A::StringnlNoescapePair, 0, fx(0, 1), kBoth, "Push a global object (module.attr) on the stack"),
    op(Op::StackGlobal, "STACK_GLOBAL", A::None, 4, fx(2, 1), kNo, "Push a global object (module.attr) on the stack"),
    op(Op::Reduce, "REDUCE", A::None, 0, fx(2, 1), kBoth, "Push an object built from a callable and an argument tuple"),
    op(Op::Build, "BUILD", A::None, 0, fx(2, 1), kBoth, "Finish building an object, via __setstate__ or dict update"),
    op(Op::Inst, "INST", A::StringnlNoescapePair, 0, toMark(0, 1), kNo, "Build a class instance"),
    op(Op::Obj, "OBJ", A::None, 1, toMark(0, 1), kNo, "Build a class instance"),
    op(Op::NewObj, "NEWOBJ", A::None, 2, fx(2, 1), kBoth, "Build an object instance"),
    op(Op::NewObjEx, "NEWOBJ_EX", A::None, 4, fx(3, 1), kNo, "Build an object instance"),
    op(Op::Proto, "PROTO", A::Uint1, 2, fx(0, 0), kBoth, "Protocol version indicator"),
    op(Op::Stop, "STOP", A::None, 0, fx(1, 0), kBoth, "Stop the unpickling machine"),
    op(Op::Frame, "FRAME", A::Uint8, 4, fx(0, 0), kNo, "Indicate the beginning of a new frame"),
    op(Op::PersId, "PERSID", A::StringnlNoescape, 0, fx(0, 1), kNo, "Push an object identified by a persistent ID"),
    op(Op::BinPersId, "BINPERSID", A::None, 1, fx(1, 1), kBoth, "Push an object identified by a persistent ID"),
    };
}();
// clang-format on

// The by-byte index into kOpcodes: -1 for the 188 bytes that are not opcodes.
inline constexpr std::array<std::int8_t, 256> kOpcodeIndex = [] {
    std::array<std::int8_t, 256> index {};
    for (auto& slot : index)
        slot = -1;
    for (std::size_t i = 0; i < kOpcodes.size(); ++i)
        index[static_cast<std::uint8_t>(kOpcodes[i].op)] = static_cast<std::int8_t>(i);
    return index;
}();

// The same index as entries: nullptr for the bytes that are not opcodes.
inline constexpr std::array<const OpcodeInfo*, 256> kOpcodeByByte = [] {
    std::array<const OpcodeInfo*, 256> table {};
    for (std::size_t b = 0; b < table.size(); ++b)
        table[b]
            = kOpcodeIndex[b] < 0 ? nullptr : &kOpcodes[static_cast<std::uint8_t>(kOpcodeIndex[b])];
    return table;
}();

// Table lookup by byte: nullptr for the bytes that are not opcodes.
constexpr const OpcodeInfo* opcodeInfo(std::uint8_t byte)
{
    return kOpcodeByByte[byte];
}

constexpr const OpcodeInfo& opcodeInfo(Op op)
{
    return *opcodeInfo(static_cast<std::uint8_t>(op));
}

// pickletools' name of an opcode byte, "?" for a byte that is not one.
constexpr std::string_view opcodeName(std::uint8_t byte)
{
    const OpcodeInfo* info = opcodeInfo(byte);
    return info != nullptr ? info->name : std::string_view("?");
}

static_assert(
    opcodeInfo(Op::Frame).fixedSize == 8 && opcodeInfo(Op::Frame).form == ArgForm::Integer);
static_assert(opcodeInfo(0xff) == nullptr);

} // namespace core
