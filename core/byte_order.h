#pragma once

// Little-endian integers read from bytes, whatever the host's byte order (zip records, the
// torch legacy format, safetensors' header length).

#include <cstddef>
#include <cstdint>

namespace core {

// The unsigned little-endian integer in p[0, n), n <= 8.
constexpr std::uint64_t littleEndian(const std::byte* p, std::size_t n)
{
    std::uint64_t v = 0;
    for (std::size_t i = n; i-- > 0;)
        v = (v << 8) | std::to_integer<std::uint64_t>(p[i]);
    return v;
}

constexpr std::uint16_t le16(const std::byte* p)
{
    return static_cast<std::uint16_t>(littleEndian(p, 2));
}

constexpr std::uint32_t le32(const std::byte* p)
{
    return static_cast<std::uint32_t>(littleEndian(p, 4));
}

constexpr std::uint64_t le64(const std::byte* p)
{
    return littleEndian(p, 8);
}

} // namespace core
