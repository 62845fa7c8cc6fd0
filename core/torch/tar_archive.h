#pragma once

// A minimal POSIX/PAX tar reader for torch's legacy tar checkpoints (<= 0.3): regular members
// by name, read in place. PAX 'x'/'g' headers are honoured for path and size; ustar prefixes
// are joined; two zero blocks (or the end of the file) end the archive.

#include "core/result.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace core::torch {

struct TarMember {
    std::string name;
    std::uint64_t offset = 0; // absolute data offset
    std::uint64_t size = 0;
};

// True when the 512-byte header at 0 carries the ustar magic and a valid checksum.
bool looksLikeTar(std::span<const std::byte> file);

Result<std::vector<TarMember>> readTar(std::span<const std::byte> file);

} // namespace core::torch
