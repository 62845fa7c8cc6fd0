#include "core/result.h"

namespace core {

const char* errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::Ok: return "ok";
    case ErrorCode::Truncated: return "truncated";
    case ErrorCode::EndOfInput: return "end of input";
    case ErrorCode::UnknownOpcode: return "unknown opcode";
    case ErrorCode::StackUnderflow: return "stack underflow";
    case ErrorCode::MarkError: return "mark error";
    case ErrorCode::MemoMiss: return "memo miss";
    case ErrorCode::BadArgument: return "bad argument";
    case ErrorCode::BadValue: return "bad value";
    case ErrorCode::Unsupported: return "unsupported";
    case ErrorCode::LimitExceeded: return "limit exceeded";
    case ErrorCode::Cancelled: return "cancelled";
    case ErrorCode::Io: return "i/o error";
    case ErrorCode::Format: return "format error";
    }
    return "error";
}

std::string Error::toString() const
{
    if (code == ErrorCode::Io || code == ErrorCode::Cancelled)
        return message;
    return "at byte " + std::to_string(offset) + ": " + message;
}

} // namespace core
