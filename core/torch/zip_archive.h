#pragma once

// The zip container of torch.save (>= 1.6) and TorchScript archives. The central directory
// (classic and zip64 end records) is parsed straight from the mapped bytes: listing 20,000
// records costs microseconds and STORED records are read in place, with their data offset taken
// from the local header. DEFLATE records are inflated with zlib straight from the mapped bytes on
// demand, after checking the declared size against a limit (zip-bomb safe).
//
// A zip whose end record or central directory is missing or damaged (an interrupted download)
// is recovered the way `zip -FF` does it: the local file headers are walked from byte 0, each
// entry's size taken from its header or, when general purpose bit 3 is set (torch's writer sets
// it on every record), from the data descriptor after its data. The walk stops cleanly at the
// first entry the file ends inside; that entry is kept as `cut` with the bytes present.

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
    // Recovered from local headers only: the file ends inside this entry's data (dataOk is
    // false); `availableBytes` of its compressed data are present from dataOffset.
    bool cut = false;
    std::uint64_t availableBytes = 0;
};

// How a damaged archive was read (ZipArchive::recovery()).
struct ZipRecovery {
    bool used = false; // the entries come from the local headers, not the central directory
    std::string reason; // why the central directory could not be used (the open error)
    std::uint64_t reasonOffset = 0;
    std::uint64_t stopOffset = 0; // where the walk of local headers stopped
    std::string stopReason; // "end of file inside the data of archive/data/3", ...
};

class ZipArchive {
public:
    ZipArchive() = default;
    ZipArchive(ZipArchive&&) noexcept = default; // moving keeps the names' storage, so the index
                                                 // stays valid
    ZipArchive& operator=(ZipArchive&&) noexcept = default;
    ZipArchive(const ZipArchive&) = delete;
    ZipArchive& operator=(const ZipArchive&) = delete;

    // Lists the entries of the zip in `file` (absolute offsets into it); falls back to the
    // local headers when the central directory is missing or damaged (see recovery()). An Error
    // only when neither gives a single entry. With `source` (the ByteSource of `file`, kept for
    // inflate), what is read is ensure()d first: a remote file fetches its end records,
    // directory and local headers only (a recovery walk fetches the whole file).
    static Result<ZipArchive> open(
        std::span<const std::byte> file, const ByteSource* source = nullptr);

    const std::vector<ZipEntry>& entries() const { return m_entries; }
    const ZipEntry* find(std::string_view name) const;
    // Folder of the first entry ("archive", the file stem at save time, ...), without '/'.
    const std::string& prefix() const { return m_prefix; }
    const ZipRecovery& recovery() const { return m_recovery; }

    // A STORED entry's bytes in place; Error for DEFLATE entries (use inflate) or bad ranges.
    Result<std::span<const std::byte>> storedBytes(const ZipEntry& entry) const;
    // Inflates a DEFLATE entry (or copies a stored one) after checking the declared size
    // against maxBytes; the result must be exactly the declared size.
    Result<std::vector<std::byte>> inflate(const ZipEntry& entry, std::uint64_t maxBytes) const;
    // What a cut entry still gives: its stored bytes present, or what its DEFLATE data present
    // inflates to (at most maxBytes). Error for entries that are not cut.
    Result<std::vector<std::byte>> partialBytes(
        const ZipEntry& entry, std::uint64_t maxBytes) const;

private:
    static Result<ZipArchive> openDirectory(std::span<const std::byte> file, const ByteSource* source);
    // A remote `source`: fetches each local header as the walk reaches it (not the whole file).
    static ZipArchive recoverFromLocalHeaders(
        std::span<const std::byte> file, const ByteSource* source = nullptr);
    void buildIndex();

    std::span<const std::byte> m_file;
    const ByteSource* m_source = nullptr;
    std::vector<ZipEntry> m_entries;
    std::unordered_map<std::string_view, std::size_t> m_index; // views into m_entries' names
    std::string m_prefix;
    ZipRecovery m_recovery;
};

} // namespace core::torch
