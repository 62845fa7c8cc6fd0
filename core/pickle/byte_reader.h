#pragma once

// A bounds-checked cursor over pickle bytes. Every length is checked as `n > remaining()`, never
// `pos + n <= size`, so no declared length can overflow. Frame boundaries (protocol 4 FRAME) are
// enforced read by read, as pickle.py does: a read that starts inside a frame must end inside it
// (only for a walker that opens frames: the machine; pickletools has none).
//
// The error is sticky, as in LLVM's DataExtractor: the first failed read is recorded (what it
// was, where, how many bytes it wanted and how many were left) and every later read fails the
// same way until clearError(), so a walker checks once and phrases the failure from failure().

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace core {

// BadLength: a length prefix the reader refuses (negative, or beyond what a size can be), set by
// failLength().
enum class ReadStatus : std::uint8_t { Ok, Truncated, CrossesFrame, NoNewline, BadLength };

// Which kind of read failed.
enum class ReadPart : std::uint8_t { Fixed, Payload, Line };

struct ReadFailure {
    ReadStatus status = ReadStatus::Ok;
    ReadPart part = ReadPart::Fixed;
    std::size_t at = 0; // position of the failed read
    std::uint64_t wanted = 0; // bytes it wanted (Fixed, Payload); the refused length (BadLength)
    std::size_t remaining = 0; // bytes left at `at`
};

class ByteReader {
public:
    ByteReader() = default;
    explicit ByteReader(std::span<const std::byte> data, std::uint64_t baseOffset = 0)
        : m_data(data)
        , m_base(baseOffset)
    {
    }

    std::size_t pos() const { return m_pos; }
    std::size_t size() const { return m_data.size(); }
    std::size_t remaining() const { return m_data.size() - m_pos; }
    bool atEnd() const { return m_pos >= m_data.size(); }
    std::uint64_t baseOffset() const { return m_base; }
    std::uint64_t absolute(std::size_t pos) const { return m_base + pos; }
    std::span<const std::byte> data() const { return m_data; }
    void seek(std::size_t pos) { m_pos = pos <= m_data.size() ? pos : m_data.size(); }

    // The sticky error.
    bool ok() const { return m_failure.status == ReadStatus::Ok; }
    const ReadFailure& failure() const { return m_failure; }
    void clearError() { m_failure = {}; }
    // Records a refused length prefix (the value as read, two's complement when negative).
    ReadStatus failLength(std::uint64_t value)
    {
        return record(ReadStatus::BadLength, ReadPart::Payload, value);
    }

    // Frames. beginFrame() is called after FRAME's 8-byte length was read.
    bool inFrame() const { return m_frameEnd != 0 && m_pos < m_frameEnd; }
    std::size_t frameEnd() const { return m_frameEnd; }
    void beginFrame(std::size_t length) { m_frameEnd = m_pos + length; }
    void endFrame() { m_frameEnd = 0; }

    // Checks that n more bytes can be read from here: present, and not crossing a frame end.
    // A failed check is recorded (sticky) as a read of `part`.
    [[gnu::always_inline]] ReadStatus check(std::uint64_t n, ReadPart part = ReadPart::Fixed)
    {
        if (!ok()) [[unlikely]]
            return m_failure.status;
        if (n > remaining()) [[unlikely]]
            return record(ReadStatus::Truncated, part, n);
        if (m_frameEnd != 0 && m_pos < m_frameEnd && n > m_frameEnd - m_pos) [[unlikely]]
            return record(ReadStatus::CrossesFrame, part, n);
        return ReadStatus::Ok;
    }

    [[gnu::always_inline]] ReadStatus bytes(std::uint64_t n, std::span<const std::byte>& out)
    {
        const ReadStatus status = check(n, ReadPart::Payload);
        if (status != ReadStatus::Ok)
            return status;
        out = m_data.subspan(m_pos, static_cast<std::size_t>(n));
        m_pos += static_cast<std::size_t>(n);
        return status;
    }

    [[gnu::always_inline]] ReadStatus u8(std::uint8_t& out)
    {
        const ReadStatus status = check(1);
        if (status == ReadStatus::Ok)
            out = static_cast<std::uint8_t>(m_data[m_pos++]);
        return status;
    }

    template <typename T> [[gnu::always_inline]] ReadStatus littleEndian(T& out)
    {
        const ReadStatus status = check(sizeof(T));
        if (status != ReadStatus::Ok)
            return status;
        std::make_unsigned_t<T> value = 0;
        for (std::size_t i = 0; i < sizeof(T); ++i)
            value |= static_cast<std::make_unsigned_t<T>>(
                static_cast<std::make_unsigned_t<T>>(static_cast<std::uint8_t>(m_data[m_pos + i]))
                << (8 * i));
        out = static_cast<T>(value);
        m_pos += sizeof(T);
        return status;
    }

    // An unsigned little-endian integer of `width` bytes (1..8), or sign-extended from it.
    [[gnu::always_inline]] ReadStatus littleEndian(
        std::size_t width, bool isSigned, std::uint64_t& out)
    {
        const ReadStatus status = check(width);
        if (status != ReadStatus::Ok)
            return status;
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < width; ++i)
            value |= std::uint64_t(static_cast<std::uint8_t>(m_data[m_pos + i])) << (8 * i);
        if (isSigned && width < 8 && (value >> (8 * width - 1)) != 0)
            value |= ~std::uint64_t(0) << (8 * width);
        out = value;
        m_pos += width;
        return status;
    }

    [[gnu::always_inline]] ReadStatus float64BigEndian(double& out)
    {
        std::uint64_t bits = 0;
        const ReadStatus status = check(8);
        if (status != ReadStatus::Ok)
            return status;
        for (std::size_t i = 0; i < 8; ++i)
            bits = (bits << 8) | static_cast<std::uint8_t>(m_data[m_pos + i]);
        m_pos += 8;
        out = std::bit_cast<double>(bits);
        return status;
    }

    // A line up to '\n' (excluded from `out`, consumed). The line must lie within the current
    // frame when one is open.
    [[gnu::always_inline]] ReadStatus line(std::string_view& out)
    {
        if (!ok()) [[unlikely]]
            return m_failure.status;
        const std::size_t limit = (m_frameEnd != 0 && m_pos < m_frameEnd) ? m_frameEnd : m_data.size();
        const auto* begin = reinterpret_cast<const char*>(m_data.data()) + m_pos;
        const void* nl = std::memchr(begin, '\n', limit - m_pos);
        if (nl == nullptr) {
            if (limit != m_data.size()
                && std::memchr(begin, '\n', m_data.size() - m_pos) != nullptr)
                return record(ReadStatus::CrossesFrame, ReadPart::Line, 0);
            return record(ReadStatus::NoNewline, ReadPart::Line, 0);
        }
        const auto length = static_cast<std::size_t>(static_cast<const char*>(nl) - begin);
        out = std::string_view(begin, length);
        m_pos += length + 1;
        return ReadStatus::Ok;
    }

private:
    [[gnu::noinline]] ReadStatus record(ReadStatus status, ReadPart part, std::uint64_t wanted)
    {
        m_failure = { status, part, m_pos, wanted, remaining() };
        return status;
    }

    std::span<const std::byte> m_data;
    std::size_t m_pos = 0;
    std::size_t m_frameEnd = 0;
    std::uint64_t m_base = 0;
    ReadFailure m_failure;
};

} // namespace core
