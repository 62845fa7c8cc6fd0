#pragma once

// The one opcode table of pickle protocols 0-5 (68 opcodes), shared by the disassembler and the
// unpickling machine. Names, argument kinds and protocols are pickletools'.

#include <array>
#include <cstdint>
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

// Stack effect in pickletools' terms. An opcode first pops to the top mark (if popsMark), then
// pops `pops` items (below the mark, or from the top), then pushes a mark (pushesMark) or
// `pushes` items.
struct StackEffect {
    std::int8_t pops = 0;
    bool popsMark = false;
    std::int8_t pushes = 0;
    bool pushesMark = false;
};

struct OpcodeInfo {
    Op op;
    std::string_view name; // "SHORT_BINUNICODE"
    ArgKind arg;
    std::uint8_t proto; // protocol that introduced it
    StackEffect stack;
    std::string_view doc; // one-line summary of pickletools' description
};

inline constexpr std::size_t kOpcodeCount = 68;

// All 68 opcodes, in pickletools' order.
extern const std::array<OpcodeInfo, kOpcodeCount> kOpcodes;

// Table lookup by byte: nullptr for the 188 bytes that are not opcodes.
const OpcodeInfo* opcodeInfo(std::uint8_t byte);

inline const OpcodeInfo& opcodeInfo(Op op) { return *opcodeInfo(static_cast<std::uint8_t>(op)); }

} // namespace core
