#include "core/pickle/opcode_argument.h"

#include <string>

namespace core {

Error argumentError(const ByteReader& reader, const OpcodeInfo& info, std::uint64_t opOffset)
{
    const ReadFailure& f = reader.failure();
    std::string what;
    switch (f.part) {
    case ReadPart::Fixed:
        what = info.form == ArgForm::Counted ? "length" : "argument";
        break;
    case ReadPart::Payload:
        what = "payload of " + std::to_string(f.wanted) + " bytes";
        break;
    case ReadPart::Line:
        what = "argument";
        break;
    }
    std::string message = std::string(info.name) + ": ";
    ErrorCode code = ErrorCode::Truncated;
    switch (f.status) {
    case ReadStatus::Ok:
    case ReadStatus::Truncated:
        message += what + " runs past the end of the data, " + std::to_string(f.remaining)
            + " bytes left (pickle data was truncated)";
        break;
    case ReadStatus::CrossesFrame:
        message += what + " runs past the end of its frame (pickle exhausted before end of frame)";
        break;
    case ReadStatus::NoNewline:
        message += what + ": no newline before the end of the data (pickle data was truncated)";
        break;
    case ReadStatus::BadLength:
        if (argFixedSigned(info.arg)) { // CPython's words (LONG4's say LONG)
            code = ErrorCode::BadArgument;
            message += std::string(info.arg == ArgKind::Long4 ? "LONG" : info.name)
                + " pickle has negative byte count ("
                + std::to_string(static_cast<std::int64_t>(f.wanted)) + ")";
        } else { // beyond INT64_MAX: more than any input holds
            message += "payload of " + std::to_string(f.wanted)
                + " bytes runs past the end of the data, " + std::to_string(f.remaining)
                + " bytes left (pickle data was truncated)";
        }
        break;
    }
    return makeError(code, opOffset, std::move(message));
}

namespace opcode_argument_detail {

Result<RawArg> fail(const ByteReader& reader, const OpcodeInfo& info, std::uint64_t opOffset)
{
    return argumentError(reader, info, opOffset);
}

} // namespace opcode_argument_detail

Result<RawArg> readArgument(ByteReader& r, const OpcodeInfo& info)
{
    const std::size_t start = r.pos();
    RawArg arg;
    if (!readArgumentInto(r, info, arg))
        return argumentError(r, info, r.absolute(start) - 1);
    return arg;
}

} // namespace core
