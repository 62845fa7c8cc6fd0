#include "core/torch/zip_archive.h"

#include "core/byte_order.h"

#include <zlib.h> // ZLIB::ZLIB (core/CMakeLists.txt)

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <optional>

namespace core::torch {

namespace {

constexpr std::uint32_t kLocalSig = 0x04034b50;
constexpr std::uint32_t kCentralSig = 0x02014b50;
constexpr std::uint32_t kEndSig = 0x06054b50;
constexpr std::uint32_t kZip64EndSig = 0x06064b50;
constexpr std::uint32_t kZip64LocatorSig = 0x07064b50;
constexpr std::uint32_t kDescriptorSig = 0x08074b50;

// [offset, offset + length) lies within size (overflow-safe).
bool within(std::uint64_t offset, std::uint64_t length, std::uint64_t size)
{
    return offset <= size && length <= size - offset;
}

// The zip64 extended information (extra field 0x0001) in the `length` bytes of extra fields at
// x: each of `fields` that is saturated (0xFFFFFFFF) in the record's fixed part takes the next 8
// bytes of it, in order.
void readZip64Extra(
    const std::byte* x, std::uint16_t length, std::initializer_list<std::uint64_t*> fields)
{
    const std::byte* end = x + length;
    while (end - x >= 4) {
        const std::uint16_t id = le16(x);
        const std::uint16_t len = le16(x + 2);
        if (len > end - x - 4)
            break;
        if (id == 0x0001) {
            const std::byte* f = x + 4;
            for (std::uint64_t* field : fields) {
                if (*field == 0xFFFFFFFFu && x + 4 + len - f >= 8) {
                    *field = le64(f);
                    f += 8;
                }
            }
        }
        x += 4 + len;
    }
}

// A data descriptor (general purpose bit 3) after the data starting at `data`: the first
// "PK\7\8" whose compressed-size field equals its distance from `data` (32-bit sizes, or the
// zip64 form with 64-bit sizes) and that is followed by another header or the end of the file.
struct Descriptor {
    std::uint64_t compressedSize = 0;
    std::uint64_t size = 0;
    std::uint64_t length = 0; // of the descriptor itself
};

std::optional<Descriptor> findDescriptor(std::span<const std::byte> file, std::uint64_t data)
{
    const std::uint64_t size = file.size();
    const std::byte* base = file.data();
    static constexpr unsigned char kSig[4] = { 'P', 'K', 7, 8 };
    auto followedByHeader = [&](std::uint64_t at) {
        if (at == size || size - at < 4)
            return true; // the end of the file (a later header cut is found by the walk)
        const std::uint32_t sig = le32(base + at);
        return sig == kLocalSig || sig == kCentralSig || sig == kEndSig || sig == kZip64EndSig;
    };
    std::uint64_t from = data;
    while (from < size) {
        const void* hit = memmem(base + from, size - from, kSig, sizeof kSig);
        if (hit == nullptr)
            return std::nullopt;
        const std::uint64_t p
            = static_cast<std::uint64_t>(static_cast<const std::byte*>(hit) - base);
        const std::uint64_t distance = p - data;
        if (size - p >= 16 && le32(base + p + 8) == distance && followedByHeader(p + 16))
            return Descriptor { distance, le32(base + p + 12), 16 };
        if (size - p >= 24 && le64(base + p + 8) == distance && followedByHeader(p + 24))
            return Descriptor { distance, le64(base + p + 16), 24 };
        from = p + 1;
    }
    return std::nullopt;
}

// Raw DEFLATE (no zlib header, as in zip) of `in`, growing the output up to `cap` bytes
// (`initial` first). Stops at the stream's end, at the end of the input (a cut stream), at bad
// data, or when the output would pass `cap` (overflow).
struct Inflated {
    std::vector<std::byte> bytes;
    bool ended = false;
    bool overflow = false;
    std::string error;
};

Inflated inflateRaw(std::span<const std::byte> in, std::uint64_t initial, std::uint64_t cap)
{
    constexpr std::uint64_t kChunk = std::uint64_t(1) << 30; // zlib counts in uInt
    Inflated r;
    z_stream zs {};
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
        r.error = "zlib cannot start an inflate stream";
        return r;
    }
    r.bytes.resize(std::min(initial, cap));
    std::uint64_t inPos = 0;
    std::uint64_t outPos = 0;
    for (;;) {
        if (zs.avail_in == 0 && inPos < in.size()) {
            const std::uint64_t n = std::min<std::uint64_t>(in.size() - inPos, kChunk);
            zs.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data() + inPos));
            zs.avail_in = static_cast<uInt>(n);
            inPos += n;
        }
        if (outPos == r.bytes.size()) {
            if (r.bytes.size() >= cap) {
                // Full: one more byte of output means the stream is longer than allowed.
                unsigned char extra = 0;
                zs.next_out = &extra;
                zs.avail_out = 1;
                const int ret = ::inflate(&zs, Z_NO_FLUSH);
                r.overflow = zs.avail_out == 0;
                r.ended = !r.overflow && ret == Z_STREAM_END;
                break;
            }
            r.bytes.resize(std::min<std::uint64_t>(
                cap, std::max<std::uint64_t>(r.bytes.size() * 2, 1u << 16)));
        }
        const std::uint64_t room = std::min<std::uint64_t>(r.bytes.size() - outPos, kChunk);
        const uInt inBefore = zs.avail_in;
        zs.next_out = reinterpret_cast<Bytef*>(r.bytes.data() + outPos);
        zs.avail_out = static_cast<uInt>(room);
        const int ret = ::inflate(&zs, Z_NO_FLUSH);
        const std::uint64_t produced = room - zs.avail_out;
        outPos += produced;
        if (ret == Z_STREAM_END) {
            r.ended = true;
            break;
        }
        if (ret != Z_OK && ret != Z_BUF_ERROR) {
            r.error = zs.msg != nullptr ? zs.msg : "bad DEFLATE data";
            break;
        }
        const bool inputLeft = zs.avail_in > 0 || inPos < in.size();
        if (!inputLeft && zs.avail_out > 0)
            break; // all input used and the stream wants more: a cut stream
        if (produced == 0 && zs.avail_in == inBefore && zs.avail_out > 0)
            break; // no progress possible
    }
    inflateEnd(&zs);
    r.bytes.resize(outPos);
    return r;
}

} // namespace

Result<ZipArchive> ZipArchive::open(std::span<const std::byte> file, const ByteSource* source)
{
    auto direct = openDirectory(file, source);
    if (direct.ok() || file.size() < 4 || le32(file.data()) != kLocalSig)
        return direct;
    // The walk fetches each local header it reaches (and the data only to find a descriptor).
    ZipArchive zip = recoverFromLocalHeaders(file, source);
    zip.m_source = source;
    if (zip.m_entries.empty())
        return makeError(direct.error().code, direct.error().offset,
            direct.error().message + "; no entry could be recovered from the local headers ("
                + zip.m_recovery.stopReason + ")");
    zip.m_recovery.reason = direct.error().message;
    zip.m_recovery.reasonOffset = direct.error().offset;
    return zip;
}

ZipArchive ZipArchive::recoverFromLocalHeaders(
    std::span<const std::byte> file, const ByteSource* source)
{
    std::string fetchError;
    auto fetched = [&](std::uint64_t offset, std::uint64_t length) {
        if (source == nullptr)
            return true;
        auto done = source->ensure(offset, length);
        if (!done.ok())
            fetchError = done.error().toString();
        return done.ok();
    };
    const std::uint64_t size = file.size();
    const std::byte* base = file.data();
    ZipArchive zip;
    zip.m_file = file;
    zip.m_recovery.used = true;
    auto stop = [&](std::uint64_t at, std::string why) {
        zip.m_recovery.stopOffset = at;
        zip.m_recovery.stopReason = std::move(why);
    };
    std::uint64_t pos = 0;
    for (;;) {
        const std::string nth = "entry " + std::to_string(zip.m_entries.size() + 1);
        if (pos == size) {
            stop(pos, "the end of the file after the last whole entry");
            break;
        }
        if (size - pos < 4) {
            stop(pos, "the end of the file inside the local header of " + nth);
            break;
        }
        if (!fetched(pos, std::min<std::uint64_t>(size - pos, 30))) {
            stop(pos, "the transfer failed: " + fetchError);
            break;
        }
        const std::uint32_t sig = le32(base + pos);
        if (sig == kCentralSig || sig == kEndSig || sig == kZip64EndSig) {
            stop(pos, "the start of the central directory");
            break;
        }
        if (sig != kLocalSig) {
            stop(pos, "no local header at byte " + std::to_string(pos));
            break;
        }
        if (size - pos < 30) {
            stop(pos, "the end of the file inside the local header of " + nth);
            break;
        }
        const std::byte* h = base + pos;
        const std::uint16_t flags = le16(h + 6);
        const std::uint16_t nameLen = le16(h + 26);
        const std::uint16_t extraLen = le16(h + 28);
        if (size - pos - 30 < std::uint64_t(nameLen) + extraLen) {
            stop(pos, "the end of the file inside the local header of " + nth);
            break;
        }
        if (!fetched(pos, 30 + std::uint64_t(nameLen) + extraLen)) {
            stop(pos, "the transfer failed: " + fetchError);
            break;
        }
        ZipEntry e;
        e.method = le16(h + 8);
        e.localHeaderOffset = pos;
        e.name.assign(reinterpret_cast<const char*>(h + 30), nameLen);
        std::uint64_t compressed = le32(h + 18);
        std::uint64_t uncompressed = le32(h + 22);
        // zip64 extended information in a local header: uncompressed, then compressed size.
        readZip64Extra(h + 30 + nameLen, extraLen, { &uncompressed, &compressed });
        const std::uint64_t data = pos + 30 + nameLen + extraLen;
        e.dataOffset = data;
        bool known = true;
        std::uint64_t next = 0;
        if ((flags & 8) != 0) {
            if (!fetched(data, size - data)) { // the descriptor is found by scanning the data
                stop(pos, "the transfer failed: " + fetchError);
                break;
            }
            const auto descriptor = findDescriptor(file, data);
            if (descriptor) {
                compressed = descriptor->compressedSize;
                uncompressed = descriptor->size;
                next = data + compressed + descriptor->length;
            } else {
                known = false;
            }
        } else if (within(data, compressed, size)) {
            next = data + compressed;
        } else {
            known = false; // cut, or a size the file cannot hold
        }
        if (!known) {
            e.cut = true;
            e.availableBytes = size - data;
            const bool sized = (flags & 8) == 0;
            e.compressedSize = sized ? compressed : e.availableBytes;
            e.size = sized ? uncompressed : 0;
            // With bit 3 the data's length is known only from the descriptor after it.
            const std::string where = sized ? "inside its data" : "inside its data or its data descriptor";
            e.dataError = "cut: the file ends at byte " + std::to_string(size) + " " + where + " ("
                + std::to_string(e.availableBytes) + " bytes present"
                + (sized ? " of " + std::to_string(compressed) : std::string()) + ")";
            stop(size, std::string("the end of the file inside the data ") + (sized ? "" : "or data descriptor ") + "of " + e.name);
            zip.m_entries.push_back(std::move(e));
            break;
        }
        e.compressedSize = compressed;
        e.size = uncompressed;
        if ((flags & 1) != 0)
            e.dataError = "encrypted";
        else
            e.dataOk = true;
        zip.m_entries.push_back(std::move(e));
        pos = next;
    }
    zip.buildIndex();
    return zip;
}

void ZipArchive::buildIndex()
{
    m_index.clear();
    m_index.reserve(m_entries.size());
    for (std::size_t i = 0; i < m_entries.size(); ++i)
        m_index.emplace(m_entries[i].name, i);
    m_prefix.clear();
    if (!m_entries.empty()) {
        const std::string& first = m_entries.front().name;
        const auto slash = first.find('/');
        if (slash != std::string::npos)
            m_prefix = first.substr(0, slash);
    }
}

Result<ZipArchive> ZipArchive::openDirectory(std::span<const std::byte> file, const ByteSource* source)
{
    auto ensure = [source](std::uint64_t offset, std::uint64_t length) -> Result<void> {
        return source != nullptr ? source->ensure(offset, length) : Result<void> {};
    };
    const std::uint64_t size = file.size();
    const std::byte* base = file.data();
    if (size < 22)
        return makeError(
            ErrorCode::Format, size, "zip: file too short for an end-of-central-directory record");

    // The classic end record: 22 bytes + a comment of up to 65535 bytes at the very end.
    PS_TRY(ensure(size - std::min<std::uint64_t>(size, 22 + 65535 + 20),
        std::min<std::uint64_t>(size, 22 + 65535 + 20)));
    std::uint64_t eocd = UINT64_MAX;
    const std::uint64_t lowest = size > 22 + 65535 ? size - 22 - 65535 : 0;
    for (std::uint64_t pos = size - 22;; --pos) {
        if (le32(base + pos) == kEndSig && pos + 22 + le16(base + pos + 20) == size) {
            eocd = pos;
            break;
        }
        if (pos == lowest)
            break;
    }
    if (eocd == UINT64_MAX)
        return makeError(ErrorCode::Format, size,
            "zip: no end-of-central-directory record (truncated archive?)");

    std::uint64_t count = le16(base + eocd + 10);
    std::uint64_t cdSize = le32(base + eocd + 12);
    std::uint64_t cdOffset = le32(base + eocd + 16);
    std::uint64_t cdEnd = eocd; // where the directory must end

    // zip64: the locator sits right before the classic end record (torch always writes both).
    if (eocd >= 20 && le32(base + eocd - 20) == kZip64LocatorSig) {
        const std::uint64_t z64 = le64(base + eocd - 20 + 8);
        if (within(z64, 56, size))
            PS_TRY(ensure(z64, 56));
        if (!within(z64, 56, size) || le32(base + z64) != kZip64EndSig)
            return makeError(
                ErrorCode::Format, eocd - 20, "zip: zip64 locator points to no zip64 end record");
        count = le64(base + z64 + 32);
        cdSize = le64(base + z64 + 40);
        cdOffset = le64(base + z64 + 48);
        cdEnd = z64;
    }
    if (!within(cdOffset, cdSize, size) || cdOffset + cdSize > cdEnd)
        return makeError(ErrorCode::Format, eocd,
            "zip: central directory (offset " + std::to_string(cdOffset) + ", "
                + std::to_string(cdSize) + " bytes) lies outside the file (truncated archive?)");
    if (count > cdSize / 46)
        return makeError(ErrorCode::Format, eocd,
            "zip: " + std::to_string(count) + " entries cannot fit in a " + std::to_string(cdSize)
                + "-byte directory");

    PS_TRY(ensure(cdOffset, cdSize));
    ZipArchive zip;
    zip.m_file = file;
    zip.m_source = source;
    zip.m_entries.reserve(count);
    std::uint64_t pos = cdOffset;
    const std::uint64_t end = cdOffset + cdSize;
    for (std::uint64_t i = 0; i < count; ++i) {
        if (!within(pos, 46, end) || le32(base + pos) != kCentralSig)
            return makeError(
                ErrorCode::Format, pos, "zip: bad central directory entry " + std::to_string(i));
        const std::byte* h = base + pos;
        ZipEntry e;
        e.method = le16(h + 10);
        e.compressedSize = le32(h + 20);
        e.size = le32(h + 24);
        const std::uint16_t nameLen = le16(h + 28);
        const std::uint16_t extraLen = le16(h + 30);
        const std::uint16_t commentLen = le16(h + 32);
        e.localHeaderOffset = le32(h + 42);
        const std::uint64_t total = 46ull + nameLen + extraLen + commentLen;
        if (!within(pos, total, end))
            return makeError(ErrorCode::Format, pos,
                "zip: central directory entry " + std::to_string(i) + " runs past the directory");
        e.name.assign(reinterpret_cast<const char*>(h + 46), nameLen);
        readZip64Extra(
            h + 46 + nameLen, extraLen, { &e.size, &e.compressedSize, &e.localHeaderOffset });
        zip.m_entries.push_back(std::move(e));
        pos += total;
    }
    // A remote file fetches every local header in one batch (not one round trip per entry).
    if (source != nullptr && source->isRemote()) {
        std::vector<std::pair<std::uint64_t, std::uint64_t>> headers;
        headers.reserve(zip.m_entries.size());
        for (const ZipEntry& e : zip.m_entries)
            if (within(e.localHeaderOffset, 30, size))
                headers.emplace_back(e.localHeaderOffset, 30);
        PS_TRY(source->ensureRanges(headers));
    }
    for (ZipEntry& e : zip.m_entries) {
        // Data offset from the local header (its extra field differs: torch's 'FB' padding).
        const std::uint64_t lho = e.localHeaderOffset;
        if (!within(lho, 30, size) || le32(base + lho) != kLocalSig) {
            e.dataError = "no local header at offset " + std::to_string(lho);
        } else {
            const std::uint64_t data = lho + 30 + le16(base + lho + 26) + le16(base + lho + 28);
            if (!within(data, e.compressedSize, size)) {
                e.dataError = "data (" + std::to_string(e.compressedSize) + " bytes at offset "
                    + std::to_string(data) + ") runs past the end of the file";
            } else {
                e.dataOffset = data;
                e.dataOk = true;
            }
        }
    }
    zip.buildIndex();
    return zip;
}

const ZipEntry* ZipArchive::find(std::string_view name) const
{
    const auto it = m_index.find(name);
    return it == m_index.end() ? nullptr : &m_entries[it->second];
}

Result<std::span<const std::byte>> ZipArchive::storedBytes(const ZipEntry& entry) const
{
    if (!entry.dataOk)
        return makeError(ErrorCode::Format, entry.localHeaderOffset,
            "zip: record " + entry.name + ": " + entry.dataError);
    if (entry.method != 0)
        return makeError(ErrorCode::Unsupported, entry.localHeaderOffset,
            "zip: record " + entry.name + " is compressed");
    if (entry.size != entry.compressedSize)
        return makeError(ErrorCode::Format, entry.localHeaderOffset,
            "zip: stored record " + entry.name
                + " has different compressed and uncompressed sizes");
    return m_file.subspan(entry.dataOffset, entry.size);
}

Result<std::vector<std::byte>> ZipArchive::inflate(
    const ZipEntry& entry, std::uint64_t maxBytes) const
{
    if (!entry.dataOk)
        return makeError(ErrorCode::Format, entry.localHeaderOffset,
            "zip: record " + entry.name + ": " + entry.dataError);
    if (entry.size > maxBytes)
        return makeError(ErrorCode::LimitExceeded, entry.localHeaderOffset,
            "zip: record " + entry.name + " declares " + std::to_string(entry.size)
                + " bytes, over the limit of " + std::to_string(maxBytes));
    if (m_source != nullptr)
        PS_TRY(m_source->ensure(entry.localHeaderOffset,
            entry.dataOffset - entry.localHeaderOffset + entry.compressedSize));
    if (entry.method == 0) {
        PS_ASSIGN(auto bytes, storedBytes(entry));
        return std::vector<std::byte>(bytes.begin(), bytes.end());
    }
    if (entry.method != 8)
        return makeError(ErrorCode::Unsupported, entry.localHeaderOffset,
            "zip: record " + entry.name + " uses compression method "
                + std::to_string(entry.method));
    // DEFLATE can expand at most ~1032:1; anything claiming more is not a real deflate stream.
    if (entry.size / 1032 > entry.compressedSize + 1)
        return makeError(ErrorCode::Format, entry.localHeaderOffset,
            "zip: record " + entry.name + " declares an impossible compression ratio");

    Inflated out = inflateRaw(
        m_file.subspan(entry.dataOffset, entry.compressedSize), entry.size, entry.size);
    if (!out.error.empty())
        return makeError(
            ErrorCode::Format, entry.dataOffset, "zip: record " + entry.name + ": " + out.error);
    if (!out.ended || out.bytes.size() != entry.size)
        return makeError(ErrorCode::Format, entry.localHeaderOffset,
            "zip: record " + entry.name + " inflates to "
                + (out.overflow ? std::string("more") : std::to_string(out.bytes.size()))
                + " bytes, " + std::to_string(entry.size) + " declared");
    return std::move(out.bytes);
}

Result<std::vector<std::byte>> ZipArchive::partialBytes(
    const ZipEntry& entry, std::uint64_t maxBytes) const
{
    if (!entry.cut)
        return makeError(ErrorCode::Format, entry.localHeaderOffset,
            "zip: record " + entry.name + " is not cut");
    const auto present = m_file.subspan(entry.dataOffset, entry.availableBytes);
    if (entry.method == 0) {
        if (present.size() > maxBytes)
            return makeError(ErrorCode::LimitExceeded, entry.dataOffset,
                "zip: record " + entry.name + " is over the limit of " + std::to_string(maxBytes)
                    + " bytes");
        return std::vector<std::byte>(present.begin(), present.end());
    }
    if (entry.method != 8)
        return makeError(ErrorCode::Unsupported, entry.localHeaderOffset,
            "zip: record " + entry.name + " uses compression method "
                + std::to_string(entry.method));
    // DEFLATE expands at most ~1032:1: a cut stream cannot honestly give more than that.
    const std::uint64_t cap = std::min<std::uint64_t>(maxBytes, present.size() > UINT64_MAX / 1032 ? UINT64_MAX : present.size() * 1032 + 1024);
    Inflated out = inflateRaw(present, std::uint64_t(1) << 16, cap);
    if (out.bytes.empty())
        return makeError(ErrorCode::Format, entry.dataOffset,
            "zip: record " + entry.name + ": nothing inflates from its "
                + std::to_string(present.size()) + " bytes present"
                + (out.error.empty() ? std::string() : " (" + out.error + ")"));
    return std::move(out.bytes);
}

} // namespace core::torch
