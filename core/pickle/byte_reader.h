#pragma once

// A bounds-checked cursor over pickle bytes. Every length is checked as `n > remaining()`, never
// `pos + n <= size`, so no declared length can overflow. Frame boundaries (protocol 4 FRAME) are
// enforced read by read, as pickle.py does: a read that starts inside a frame must end inside it.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace core {

enum class ReadStatus : std::uint8_t { Ok, Truncated, CrossesFrame, NoNewline };

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

    // Frames. beginFrame() is called after FRAME's 8-byte length was read.
    bool inFrame() const { return m_frameEnd != 0 && m_pos < m_frameEnd; }
    std::size_t frameEnd() const { return m_frameEnd; }
    void beginFrame(std::size_t length) { m_frameEnd = m_pos + length; }
    void endFrame() { m_frameEnd = 0; }

    // Checks that n more bytes can be read from here: present, and not crossing a frame end.
    ReadStatus check(std::size_t n) const
    {
        if (n > remaining())
            return ReadStatus::Truncated;
        if (m_frameEnd != 0 && m_pos < m_frameEnd && n > m_frameEnd - m_pos)
            return ReadStatus::CrossesFrame;
        return ReadStatus::Ok;
    }

    ReadStatus bytes(std::size_t n, std::span<const std::byte>& out)
    {
        const ReadStatus status = check(n);
        if (status != ReadStatus::Ok)
            return status;
        out = m_data.subspan(m_pos, n);
        m_pos += n;
        return status;
    }

    ReadStatus u8(std::uint8_t& out)
    {
        const ReadStatus status = check(1);
        if (status == ReadStatus::Ok)
            out = static_cast<std::uint8_t>(m_data[m_pos++]);
        return status;
    }

    template <typename T>
    ReadStatus littleEndian(T& out)
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

    ReadStatus float64BigEndian(double& out)
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
    ReadStatus line(std::string_view& out)
    {
        const std::size_t limit = (m_frameEnd != 0 && m_pos < m_frameEnd) ? m_frameEnd : m_data.size();
        const auto* begin = reinterpret_cast<const char*>(m_data.data()) + m_pos;
        const void* nl = std::memchr(begin, '\n', limit - m_pos);
        if (nl == nullptr) {
            if (limit != m_data.size()
                && std::memchr(begin, '\n', m_data.size() - m_pos) != nullptr)
                return ReadStatus::CrossesFrame;
            return ReadStatus::NoNewline;
        }
        const auto length = static_cast<std::size_t>(static_cast<const char*>(nl) - begin);
        out = std::string_view(begin, length);
        m_pos += length + 1;
        return ReadStatus::Ok;
    }

private:
    std::span<const std::byte> m_data;
    std::size_t m_pos = 0;
    std::size_t m_frameEnd = 0;
    std::uint64_t m_base = 0;
};

} // namespace core
