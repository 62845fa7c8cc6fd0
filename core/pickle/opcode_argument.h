#pragma once

// The one argument reader of the opcode front end, shared by the unpickling machine, the
// disassembler and the safety scanner. It reads an opcode's argument as its layout says
// (OpcodeInfo::form): a fixed-size integer, a length-prefixed payload, or one or two lines; it
// decodes nothing (text, escapes and numbers are each walker's business, through
// core/pickle/text_decoding). Lengths are checked against the bytes that remain before anything
// is read; a negative int4 length or a uint8 length beyond INT64_MAX is refused.
//
// A failure leaves the reader's sticky error set (ByteReader::failure(): which part, how many
// bytes wanted and left) and returns a generic Error at the opcode's offset; a walker that
// needs other words (the disassembler prints pickletools') phrases them from failure().
//
// readArgument<K>() is the same reader specialised at compile time for a walker's switch case
// that knows its argument kind; readArgument(reader, info) dispatches on info.arg.

#include "core/pickle/byte_reader.h"
#include "core/pickle/opcodes.h"
#include "core/result.h"

#include <bit>
#include <cstdint>
#include <span>
#include <string_view>

namespace core {

struct RawArg {
    // Integer: the number (int4 sign-extended to 64 bits); Float8: the IEEE-754 bits; Counted:
    // the length.
    std::uint64_t value = 0;
    std::span<const std::byte> payload; // Counted
    std::string_view line; // Line, LinePair (the first)
    std::string_view line2; // LinePair

    std::int64_t asSigned() const { return static_cast<std::int64_t>(value); }
    double asDouble() const { return std::bit_cast<double>(value); }
    std::string_view payloadText() const
    {
        return { reinterpret_cast<const char*>(payload.data()), payload.size() };
    }
};

// The Error of a failed readArgument, from the reader's sticky failure; `opOffset` is the
// opcode's absolute offset.
Error argumentError(const ByteReader& reader, const OpcodeInfo& info, std::uint64_t opOffset);

namespace opcode_argument_detail {

template <std::size_t N, bool Signed>
[[gnu::always_inline]] inline bool readFixed(ByteReader& r, std::uint64_t& out)
{
    return r.littleEndian(N, Signed, out) == ReadStatus::Ok; // constants: unrolled
}

[[gnu::noinline]] Result<RawArg> fail(
    const ByteReader& reader, const OpcodeInfo& info, std::uint64_t opOffset);

} // namespace opcode_argument_detail

// Reads the argument of kind K (the opcode byte was just consumed) from `r` into `arg`: false
// on failure, with the reader's sticky error set (argumentError() phrases it). The form most
// walkers' hot switch cases use: no Result to build on the success path.
template <ArgKind K> [[gnu::always_inline]] inline bool readArgumentInto(ByteReader& r, RawArg& arg)
{
    using namespace opcode_argument_detail;
    constexpr ArgForm form = argForm(K);
    constexpr std::size_t fixed = argFixedSize(K);
    if constexpr (form == ArgForm::Integer) {
        return readFixed<fixed, argFixedSigned(K)>(r, arg.value);
    } else if constexpr (form == ArgForm::Float8) {
        double v = 0;
        const bool ok = r.float64BigEndian(v) == ReadStatus::Ok;
        arg.value = std::bit_cast<std::uint64_t>(v);
        return ok;
    } else if constexpr (form == ArgForm::Counted) {
        if (!readFixed<fixed, argFixedSigned(K)>(r, arg.value))
            return false;
        if constexpr (argFixedSigned(K) || fixed == 8) {
            if (arg.value > static_cast<std::uint64_t>(INT64_MAX)) [[unlikely]] {
                r.failLength(arg.value);
                return false;
            }
        }
        return r.bytes(arg.value, arg.payload) == ReadStatus::Ok;
    } else if constexpr (form == ArgForm::Line) {
        return r.line(arg.line) == ReadStatus::Ok;
    } else if constexpr (form == ArgForm::LinePair) {
        return r.line(arg.line) == ReadStatus::Ok && r.line(arg.line2) == ReadStatus::Ok;
    } else {
        return true;
    }
}

// The same as a Result; `info` (whose argument kind is K) names the opcode in the Error.
template <ArgKind K>
[[gnu::always_inline]] inline Result<RawArg> readArgument(ByteReader& r, const OpcodeInfo& info)
{
    const std::size_t start = r.pos();
    RawArg arg;
    if (!readArgumentInto<K>(r, arg)) [[unlikely]]
        return opcode_argument_detail::fail(r, info, r.absolute(start) - 1);
    return arg;
}

// The same, dispatching on the layout columns (info.form, info.fixedSize): false on failure,
// with the reader's sticky error set (argumentError() phrases it). For walkers whose loop reads
// every opcode's argument before its switch.
[[gnu::always_inline]] inline bool readArgumentInto(
    ByteReader& r, const OpcodeInfo& info, RawArg& arg)
{
    switch (info.form) {
    case ArgForm::None:
        return true;
    case ArgForm::Integer:
        return r.littleEndian(info.fixedSize, argFixedSigned(info.arg), arg.value)
            == ReadStatus::Ok;
    case ArgForm::Float8: {
        double v = 0;
        const bool ok = r.float64BigEndian(v) == ReadStatus::Ok;
        arg.value = std::bit_cast<std::uint64_t>(v);
        return ok;
    }
    case ArgForm::Counted: {
        const bool isSigned = argFixedSigned(info.arg);
        if (r.littleEndian(info.fixedSize, isSigned, arg.value) != ReadStatus::Ok)
            return false;
        if ((isSigned || info.fixedSize == 8) && arg.value > static_cast<std::uint64_t>(INT64_MAX))
            [[unlikely]] {
            r.failLength(arg.value);
            return false;
        }
        return r.bytes(arg.value, arg.payload) == ReadStatus::Ok;
    }
    case ArgForm::Line:
        return r.line(arg.line) == ReadStatus::Ok;
    case ArgForm::LinePair:
        return r.line(arg.line) == ReadStatus::Ok && r.line(arg.line2) == ReadStatus::Ok;
    }
    return true;
}

// The same as a Result.
Result<RawArg> readArgument(ByteReader& r, const OpcodeInfo& info);

} // namespace core
