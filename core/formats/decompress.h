#pragma once

// Whole-buffer decompression of the streams joblib writes (zlib, gzip, bz2, xz, lzma-alone, lz4
// frame) through Debian's zlib, libbz2, liblzma and liblz4. The output is capped: a stream that
// would expand past maxBytes ends in an Error (decompression bombs), never in an allocation of
// what it claims.

#include "core/result.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace core::formats {

// kind: "zlib", "gzip", "bz2", "xz", "lzma" or "lz4" (core::joblibCompression's names).
Result<std::vector<std::byte>> decompress(
    std::span<const std::byte> input, std::string_view kind, std::uint64_t maxBytes);

} // namespace core::formats
