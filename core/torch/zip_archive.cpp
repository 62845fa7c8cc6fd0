#include "core/torch/zip_archive.h"

#include <QBuffer>
#include <QByteArray>

#include <quazip/quazip.h>
#include <quazip/quazipfile.h>

#include <algorithm>
#include <cstring>

namespace core::torch {

namespace {

constexpr std::uint32_t kLocalSig = 0x04034b50;
constexpr std::uint32_t kCentralSig = 0x02014b50;
constexpr std::uint32_t kEndSig = 0x06054b50;
constexpr std::uint32_t kZip64EndSig = 0x06064b50;
constexpr std::uint32_t kZip64LocatorSig = 0x07064b50;

std::uint16_t le16(const std::byte* p)
{
    return static_cast<std::uint16_t>(std::to_integer<unsigned>(p[0]) | (std::to_integer<unsigned>(p[1]) << 8));
}
std::uint32_t le32(const std::byte* p)
{
    return static_cast<std::uint32_t>(le16(p)) | (static_cast<std::uint32_t>(le16(p + 2)) << 16);
}
std::uint64_t le64(const std::byte* p)
{
    return static_cast<std::uint64_t>(le32(p)) | (static_cast<std::uint64_t>(le32(p + 4)) << 32);
}

// [offset, offset + length) lies within size (overflow-safe).
bool within(std::uint64_t offset, std::uint64_t length, std::uint64_t size)
{
    return offset <= size && length <= size - offset;
}

} // namespace

Result<ZipArchive> ZipArchive::open(std::span<const std::byte> file, const ByteSource* source)
{
    auto ensure = [source](std::uint64_t offset, std::uint64_t length) -> Result<void> {
        return source != nullptr ? source->ensure(offset, length) : Result<void> {};
    };
    const std::uint64_t size = file.size();
    const std::byte* base = file.data();
    if (size < 22)
        return makeError(ErrorCode::Format, size, "zip: file too short for an end-of-central-directory record");

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
        return makeError(ErrorCode::Format, size, "zip: no end-of-central-directory record (truncated archive?)");

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
            return makeError(ErrorCode::Format, eocd - 20, "zip: zip64 locator points to no zip64 end record");
        count = le64(base + z64 + 32);
        cdSize = le64(base + z64 + 40);
        cdOffset = le64(base + z64 + 48);
        cdEnd = z64;
    }
    if (!within(cdOffset, cdSize, size) || cdOffset + cdSize > cdEnd)
        return makeError(ErrorCode::Format, eocd,
            "zip: central directory (offset " + std::to_string(cdOffset) + ", " + std::to_string(cdSize)
                + " bytes) lies outside the file (truncated archive?)");
    if (count > cdSize / 46)
        return makeError(ErrorCode::Format, eocd,
            "zip: " + std::to_string(count) + " entries cannot fit in a " + std::to_string(cdSize) + "-byte directory");

    PS_TRY(ensure(cdOffset, cdSize));
    ZipArchive zip;
    zip.m_file = file;
    zip.m_source = source;
    zip.m_entries.reserve(count);
    std::uint64_t pos = cdOffset;
    const std::uint64_t end = cdOffset + cdSize;
    for (std::uint64_t i = 0; i < count; ++i) {
        if (!within(pos, 46, end) || le32(base + pos) != kCentralSig)
            return makeError(ErrorCode::Format, pos, "zip: bad central directory entry " + std::to_string(i));
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
            return makeError(ErrorCode::Format, pos, "zip: central directory entry " + std::to_string(i) + " runs past the directory");
        e.name.assign(reinterpret_cast<const char*>(h + 46), nameLen);
        // zip64 extended information: only the fields saturated in the fixed part, in order.
        const std::byte* x = h + 46 + nameLen;
        const std::byte* xEnd = x + extraLen;
        while (xEnd - x >= 4) {
            const std::uint16_t id = le16(x);
            const std::uint16_t len = le16(x + 2);
            if (len > xEnd - x - 4)
                break;
            if (id == 0x0001) {
                const std::byte* f = x + 4;
                const std::byte* fEnd = f + len;
                auto take = [&](std::uint64_t& field) {
                    if (field == 0xFFFFFFFFu && fEnd - f >= 8) {
                        field = le64(f);
                        f += 8;
                    }
                };
                take(e.size);
                take(e.compressedSize);
                take(e.localHeaderOffset);
            }
            x += 4 + len;
        }
        // Data offset from the local header (its extra field differs: torch's 'FB' padding).
        const std::uint64_t lho = e.localHeaderOffset;
        if (within(lho, 30, size))
            PS_TRY(ensure(lho, 30));
        if (!within(lho, 30, size) || le32(base + lho) != kLocalSig) {
            e.dataError = "no local header at offset " + std::to_string(lho);
        } else {
            const std::uint64_t data = lho + 30 + le16(base + lho + 26) + le16(base + lho + 28);
            if (!within(data, e.compressedSize, size)) {
                e.dataError = "data (" + std::to_string(e.compressedSize) + " bytes at offset " + std::to_string(data)
                    + ") runs past the end of the file";
            } else {
                e.dataOffset = data;
                e.dataOk = true;
            }
        }
        zip.m_entries.push_back(std::move(e));
        pos += total;
    }
    zip.m_index.reserve(zip.m_entries.size());
    for (std::size_t i = 0; i < zip.m_entries.size(); ++i)
        zip.m_index.emplace(zip.m_entries[i].name, i);
    if (!zip.m_entries.empty()) {
        const std::string& first = zip.m_entries.front().name;
        const auto slash = first.find('/');
        if (slash != std::string::npos)
            zip.m_prefix = first.substr(0, slash);
    }
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
        return makeError(ErrorCode::Format, entry.localHeaderOffset, "zip: record " + entry.name + ": " + entry.dataError);
    if (entry.method != 0)
        return makeError(ErrorCode::Unsupported, entry.localHeaderOffset, "zip: record " + entry.name + " is compressed");
    if (entry.size != entry.compressedSize)
        return makeError(ErrorCode::Format, entry.localHeaderOffset,
            "zip: stored record " + entry.name + " has different compressed and uncompressed sizes");
    return m_file.subspan(entry.dataOffset, entry.size);
}

Result<std::vector<std::byte>> ZipArchive::inflate(const ZipEntry& entry, std::uint64_t maxBytes) const
{
    if (!entry.dataOk)
        return makeError(ErrorCode::Format, entry.localHeaderOffset, "zip: record " + entry.name + ": " + entry.dataError);
    if (entry.size > maxBytes)
        return makeError(ErrorCode::LimitExceeded, entry.localHeaderOffset,
            "zip: record " + entry.name + " declares " + std::to_string(entry.size) + " bytes, over the limit of "
                + std::to_string(maxBytes));
    if (m_source != nullptr)
        PS_TRY(m_source->ensure(entry.localHeaderOffset,
            entry.dataOffset - entry.localHeaderOffset + entry.compressedSize));
    if (entry.method == 0) {
        PS_ASSIGN(auto bytes, storedBytes(entry));
        return std::vector<std::byte>(bytes.begin(), bytes.end());
    }
    if (entry.method != 8)
        return makeError(ErrorCode::Unsupported, entry.localHeaderOffset,
            "zip: record " + entry.name + " uses compression method " + std::to_string(entry.method));
    // DEFLATE can expand at most ~1032:1; anything claiming more is not a real deflate stream.
    if (entry.size / 1032 > entry.compressedSize + 1)
        return makeError(ErrorCode::Format, entry.localHeaderOffset,
            "zip: record " + entry.name + " declares an impossible compression ratio");

    QByteArray raw = QByteArray::fromRawData(reinterpret_cast<const char*>(m_file.data()), static_cast<qsizetype>(m_file.size()));
    QBuffer buffer(&raw);
    QuaZip qz(&buffer);
    if (!qz.open(QuaZip::mdUnzip))
        return makeError(ErrorCode::Format, entry.localHeaderOffset, "zip: QuaZip cannot open the archive");
    if (!qz.setCurrentFile(QString::fromStdString(entry.name)))
        return makeError(ErrorCode::Format, entry.localHeaderOffset, "zip: QuaZip does not find record " + entry.name);
    QuaZipFile zf(&qz);
    if (!zf.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::Format, entry.localHeaderOffset, "zip: cannot open record " + entry.name);
    std::vector<std::byte> out(entry.size);
    std::uint64_t done = 0;
    while (done < entry.size) {
        const qint64 n = zf.read(reinterpret_cast<char*>(out.data() + done),
            static_cast<qint64>(std::min<std::uint64_t>(entry.size - done, 1u << 24)));
        if (n <= 0)
            break;
        done += static_cast<std::uint64_t>(n);
    }
    char extra = 0;
    const bool more = zf.read(&extra, 1) > 0;
    zf.close();
    if (done != entry.size || more)
        return makeError(ErrorCode::Format, entry.localHeaderOffset,
            "zip: record " + entry.name + " inflates to " + (more ? "more" : std::to_string(done)) + " bytes, "
                + std::to_string(entry.size) + " declared");
    return out;
}

} // namespace core::torch
