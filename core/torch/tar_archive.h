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
    std::uint64_t size = 0; // the bytes present (all of them unless cut)
    // The file ends inside this member's data (the last member listed): `size` bytes of
    // `declaredSize` are present.
    bool cut = false;
    std::uint64_t declaredSize = 0;
};

// True when the 512-byte header at 0 carries the ustar magic and a valid checksum.
bool looksLikeTar(std::span<const std::byte> file);

// Lists the members; a file cut inside a member's data lists that member as `cut` and stops
// there (a cut header block is an Error only when no member came before it).
Result<std::vector<TarMember>> readTar(std::span<const std::byte> file);

} // namespace core::torch
