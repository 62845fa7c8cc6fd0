#pragma once

// Error and Result<T>: no exception crosses the core API. Bad input is an Error with the byte
// offset where it was found; bugs are Q_ASSERT.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>

namespace core {

enum class ErrorCode : std::uint8_t {
    Ok,
    Truncated, // an argument or payload runs past the end of the input
    EndOfInput, // no opcode byte where one should start
    UnknownOpcode,
    StackUnderflow,
    MarkError, // missing MARK, or a MARK where an item was needed
    MemoMiss,
    BadArgument, // an opcode argument that does not parse (text number, quotes, UTF-8, ...)
    BadValue, // a value of the wrong type for what consumes it
    Unsupported, // well-formed but outside what we read (e.g. PROTO 6)
    LimitExceeded, // a LoadLimits bound
    Cancelled,
    Io, // the file could not be opened or mapped
    Format, // container-level problems (zip, legacy torch layout, ...)
};

const char* errorCodeName(ErrorCode code);

struct Error {
    ErrorCode code = ErrorCode::Ok;
    std::uint64_t offset = 0; // byte offset in the file (absolute, not in the pickle stream)
    std::string message; // one line, no trailing period: "BINUNICODE length 4096 runs past the end"

    // "at byte 12 (BINUNICODE): length 4096 runs past the end" style one-liner.
    std::string toString() const;
};

// The error lives behind a pointer so that the success path (taken millions of times per load)
// moves one word instead of an Error with its string.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value)
        : m_data(std::in_place_index<0>, std::move(value))
    {
    }
    Result(Error error)
        : m_data(std::in_place_index<1>, std::make_unique<Error>(std::move(error)))
    {
    }

    bool ok() const { return m_data.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(m_data); }
    const T& value() const& { return std::get<0>(m_data); }
    T&& value() && { return std::get<0>(std::move(m_data)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const { return *std::get<1>(m_data); }
    Error takeError() { return std::move(*std::get<1>(m_data)); }

private:
    std::variant<T, std::unique_ptr<Error>> m_data;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error)
        : m_error(std::make_unique<Error>(std::move(error)))
    {
    }
    bool ok() const { return m_error == nullptr; }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return *m_error; }
    Error takeError() { return std::move(*m_error); }

private:
    std::unique_ptr<Error> m_error;
};

inline Error makeError(ErrorCode code, std::uint64_t offset, std::string message)
{
    return Error { code, offset, std::move(message) };
}

} // namespace core

// The one early-return macro: evaluates a Result-returning expression, returns its error.
#define PS_TRY(expr)                                                                               \
    do {                                                                                           \
        auto&& ps_try_result_ = (expr);                                                            \
        if (!ps_try_result_.ok())                                                                  \
            return ps_try_result_.takeError();                                                     \
    } while (false)

#define PS_CONCAT_INNER(a, b) a##b
#define PS_CONCAT(a, b) PS_CONCAT_INNER(a, b)
// PS_ASSIGN(auto x, expr): declares x from a Result or returns its error.
#define PS_ASSIGN(decl, expr) PS_ASSIGN_IMPL(PS_CONCAT(ps_assign_, __LINE__), decl, expr)
#define PS_ASSIGN_IMPL(tmp, decl, expr)                                                            \
    auto tmp = (expr);                                                                             \
    if (!tmp.ok())                                                                                 \
        return tmp.takeError();                                                                    \
    decl = std::move(tmp).value()
