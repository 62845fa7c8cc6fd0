#pragma once

// The zip container of torch.save (>= 1.6) and TorchScript archives. The central directory
// (classic and zip64 end records) is parsed straight from the mapped bytes: listing 20,000
// records costs microseconds and STORED records are read in place, with their data offset taken
// from the local header. DEFLATE records are inflated through QuaZip on demand, after checking
// the declared size against a limit (zip-bomb safe).

#include "core/result.h"
#include "core/value/byte_source.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace core::torch {

struct ZipEntry {
    std::string name;
    std::uint16_t method = 0; // 0 stored, 8 deflate
    std::uint64_t localHeaderOffset = 0;
    std::uint64_t dataOffset = 0; // absolute; valid when dataOk
    std::uint64_t compressedSize = 0;
    std::uint64_t size = 0;
    bool dataOk = false; // local header found and data within the file
    std::string dataError; // why not
};

class ZipArchive {
public:
    ZipArchive() = default;
    ZipArchive(ZipArchive&&) noexcept = default; // moving keeps the names' storage, so the index stays valid
    ZipArchive& operator=(ZipArchive&&) noexcept = default;
    ZipArchive(const ZipArchive&) = delete;
    ZipArchive& operator=(const ZipArchive&) = delete;

    // Lists the entries of the zip in `file` (absolute offsets into it). With `source` (the
    // ByteSource of `file`, kept for inflate), what is read is ensure()d first: a remote file
    // fetches its end records, directory and local headers only.
    static Result<ZipArchive> open(
        std::span<const std::byte> file, const ByteSource* source = nullptr);

    const std::vector<ZipEntry>& entries() const { return m_entries; }
    const ZipEntry* find(std::string_view name) const;
    // Folder of the first entry ("archive", the file stem at save time, ...), without '/'.
    const std::string& prefix() const { return m_prefix; }

    // A STORED entry's bytes in place; Error for DEFLATE entries (use inflate) or bad ranges.
    Result<std::span<const std::byte>> storedBytes(const ZipEntry& entry) const;
    // Inflates a DEFLATE entry (or copies a stored one) after checking the declared size
    // against maxBytes; the result must be exactly the declared size.
    Result<std::vector<std::byte>> inflate(const ZipEntry& entry, std::uint64_t maxBytes) const;

private:
    std::span<const std::byte> m_file;
    const ByteSource* m_source = nullptr;
    std::vector<ZipEntry> m_entries;
    std::unordered_map<std::string_view, std::size_t> m_index; // views into m_entries' names
    std::string m_prefix;
};

} // namespace core::torch
