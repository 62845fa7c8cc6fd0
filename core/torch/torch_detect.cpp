// The legacy magic test (kept apart from the readers: it needs no pickle machine). The format
// detector itself is core/formats/detect_format.

#include "core/torch/legacy_reader.h"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace core::torch {

namespace {

constexpr unsigned char kMagicLE[10]
    = { 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19 };

} // namespace

bool startsWithLegacyMagic(std::span<const std::byte> bytes)
{
    const std::size_t n = std::min<std::size_t>(bytes.size(), 48);
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    // LONG1 with the 10 little-endian bytes (protocol 2+, maybe after PROTO/FRAME)
    for (std::size_t i = 0; i + 12 <= n; ++i)
        if (p[i] == 0x8a && p[i + 1] == 10 && std::memcmp(p + i + 2, kMagicLE, 10) == 0)
            return i <= 13;
    // protocol 0/1: LONG 'L119547037146038801333356L\n'
    if (n >= 1 + kLegacyMagicDecimal.size() && p[0] == 'L'
        && std::memcmp(p + 1, kLegacyMagicDecimal.data(), kLegacyMagicDecimal.size()) == 0)
        return true;
    return false;
}

} // namespace core::torch
