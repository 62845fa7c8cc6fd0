#include "core/formats/decompress.h"

#include <bzlib.h>
#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>

#include <algorithm>
#include <string>

namespace core::formats {

namespace {

constexpr std::size_t kChunk = std::size_t(1) << 20;
// liblzma allocates the dictionary a stream's header declares before it decodes a byte (an
// LZMA-alone header may claim 4 GiB in 13 bytes). xz -9e needs 65 MiB to decode: refuse more.
constexpr std::uint64_t kXzMemoryLimit = std::uint64_t(256) << 20;

Error tooBig(std::string_view kind, std::uint64_t maxBytes)
{
    return makeError(ErrorCode::LimitExceeded, 0,
        std::string(kind) + " stream expands past the limit of " + std::to_string(maxBytes)
            + " bytes (a decompression bomb, or raise --max-bytes)");
}

// Grows `out` by up to one chunk within the cap; false when the cap is reached.
bool grow(std::vector<std::byte>& out, std::size_t& used, std::uint64_t maxBytes)
{
    if (used < out.size())
        return true;
    if (out.size() >= maxBytes)
        return false;
    out.resize(static_cast<std::size_t>(
        std::min<std::uint64_t>(maxBytes, out.size() + std::max(kChunk, out.size() / 2))));
    return true;
}

Result<std::vector<std::byte>> inflateZlib(
    std::span<const std::byte> in, std::string_view kind, std::uint64_t maxBytes)
{
    z_stream zs {};
    if (inflateInit2(&zs, 15 + 32) != Z_OK) // zlib or gzip header
        return makeError(ErrorCode::Format, 0, "zlib: cannot start inflating");
    std::vector<std::byte> out;
    std::size_t used = 0;
    std::size_t pos = 0;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        if (!grow(out, used, maxBytes)) {
            inflateEnd(&zs);
            return tooBig(kind, maxBytes);
        }
        const std::size_t inChunk = std::min<std::size_t>(in.size() - pos, 1u << 30);
        zs.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data() + pos));
        zs.avail_in = static_cast<uInt>(inChunk);
        const std::size_t room = std::min<std::size_t>(out.size() - used, 1u << 30);
        zs.next_out = reinterpret_cast<Bytef*>(out.data() + used);
        zs.avail_out = static_cast<uInt>(room);
        rc = inflate(&zs, Z_NO_FLUSH);
        pos += inChunk - zs.avail_in;
        used += room - zs.avail_out;
        if (rc == Z_BUF_ERROR && pos >= in.size() && zs.avail_out != 0) {
            inflateEnd(&zs);
            return makeError(ErrorCode::Truncated, pos,
                std::string(kind) + " stream ends before its end marker");
        }
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
            const std::string message = zs.msg != nullptr ? zs.msg : "corrupt data";
            inflateEnd(&zs);
            return makeError(ErrorCode::Format, pos, std::string(kind) + ": " + message);
        }
    }
    inflateEnd(&zs);
    out.resize(used);
    return out;
}

Result<std::vector<std::byte>> inflateBz2(std::span<const std::byte> in, std::uint64_t maxBytes)
{
    bz_stream bz {};
    if (BZ2_bzDecompressInit(&bz, 0, 0) != BZ_OK)
        return makeError(ErrorCode::Format, 0, "bz2: cannot start decompressing");
    std::vector<std::byte> out;
    std::size_t used = 0, pos = 0;
    int rc = BZ_OK;
    while (rc != BZ_STREAM_END) {
        if (!grow(out, used, maxBytes)) {
            BZ2_bzDecompressEnd(&bz);
            return tooBig("bz2", maxBytes);
        }
        const std::size_t inChunk = std::min<std::size_t>(in.size() - pos, 1u << 30);
        bz.next_in = const_cast<char*>(reinterpret_cast<const char*>(in.data() + pos));
        bz.avail_in = static_cast<unsigned>(inChunk);
        const std::size_t room = std::min<std::size_t>(out.size() - used, 1u << 30);
        bz.next_out = reinterpret_cast<char*>(out.data() + used);
        bz.avail_out = static_cast<unsigned>(room);
        rc = BZ2_bzDecompress(&bz);
        pos += inChunk - bz.avail_in;
        used += room - bz.avail_out;
        if (rc != BZ_OK && rc != BZ_STREAM_END) {
            BZ2_bzDecompressEnd(&bz);
            return makeError(
                ErrorCode::Format, pos, "bz2: corrupt data (error " + std::to_string(rc) + ")");
        }
        if (rc == BZ_OK && pos >= in.size() && bz.avail_out != 0) {
            BZ2_bzDecompressEnd(&bz);
            return makeError(ErrorCode::Truncated, pos, "bz2 stream ends before its end marker");
        }
    }
    BZ2_bzDecompressEnd(&bz);
    out.resize(used);
    return out;
}

Result<std::vector<std::byte>> inflateXz(
    std::span<const std::byte> in, std::string_view kind, std::uint64_t maxBytes)
{
    lzma_stream xz = LZMA_STREAM_INIT;
    if (lzma_auto_decoder(&xz, kXzMemoryLimit, 0) != LZMA_OK) // .xz and .lzma (alone)
        return makeError(ErrorCode::Format, 0, std::string(kind) + ": cannot start decompressing");
    std::vector<std::byte> out;
    std::size_t used = 0;
    xz.next_in = reinterpret_cast<const std::uint8_t*>(in.data());
    xz.avail_in = in.size();
    lzma_ret rc = LZMA_OK;
    while (rc != LZMA_STREAM_END) {
        if (!grow(out, used, maxBytes)) {
            lzma_end(&xz);
            return tooBig(kind, maxBytes);
        }
        xz.next_out = reinterpret_cast<std::uint8_t*>(out.data() + used);
        xz.avail_out = out.size() - used;
        const std::size_t before = xz.avail_out;
        rc = lzma_code(&xz, xz.avail_in == 0 ? LZMA_FINISH : LZMA_RUN);
        used += before - xz.avail_out;
        if (rc == LZMA_MEMLIMIT_ERROR) {
            const std::uint64_t at = in.size() - xz.avail_in;
            lzma_end(&xz);
            return makeError(ErrorCode::LimitExceeded, at,
                std::string(kind) + " stream needs more than "
                    + std::to_string(kXzMemoryLimit >> 20)
                    + " MiB of decoder memory (the dictionary its header declares)");
        }
        if (rc != LZMA_OK && rc != LZMA_STREAM_END) {
            const std::uint64_t at = in.size() - xz.avail_in;
            lzma_end(&xz);
            return makeError(rc == LZMA_BUF_ERROR ? ErrorCode::Truncated : ErrorCode::Format, at,
                std::string(kind)
                    + (rc == LZMA_BUF_ERROR ? " stream ends before its end marker"
                                            : ": corrupt data (error " + std::to_string(rc) + ")"));
        }
    }
    lzma_end(&xz);
    out.resize(used);
    return out;
}

Result<std::vector<std::byte>> inflateLz4(std::span<const std::byte> in, std::uint64_t maxBytes)
{
    LZ4F_dctx* ctx = nullptr;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION)))
        return makeError(ErrorCode::Format, 0, "lz4: cannot start decompressing");
    std::vector<std::byte> out;
    std::size_t used = 0, pos = 0;
    std::size_t hint = 1;
    while (hint != 0) {
        if (pos >= in.size()) {
            LZ4F_freeDecompressionContext(ctx);
            return makeError(ErrorCode::Truncated, pos, "lz4 stream ends before its end mark");
        }
        if (!grow(out, used, maxBytes)) {
            LZ4F_freeDecompressionContext(ctx);
            return tooBig("lz4", maxBytes);
        }
        std::size_t room = out.size() - used;
        std::size_t took = in.size() - pos;
        hint = LZ4F_decompress(ctx, out.data() + used, &room, in.data() + pos, &took, nullptr);
        if (LZ4F_isError(hint)) {
            const std::string message = LZ4F_getErrorName(hint);
            LZ4F_freeDecompressionContext(ctx);
            return makeError(ErrorCode::Format, pos, "lz4: " + message);
        }
        pos += took;
        used += room;
    }
    LZ4F_freeDecompressionContext(ctx);
    out.resize(used);
    return out;
}

} // namespace

Result<std::vector<std::byte>> decompress(
    std::span<const std::byte> input, std::string_view kind, std::uint64_t maxBytes)
{
    if (kind == "zlib" || kind == "gzip")
        return inflateZlib(input, kind, maxBytes);
    if (kind == "bz2")
        return inflateBz2(input, maxBytes);
    if (kind == "xz" || kind == "lzma")
        return inflateXz(input, kind, maxBytes);
    if (kind == "lz4")
        return inflateLz4(input, maxBytes);
    return makeError(ErrorCode::Unsupported, 0, "unknown compression '" + std::string(kind) + "'");
}

} // namespace core::formats
