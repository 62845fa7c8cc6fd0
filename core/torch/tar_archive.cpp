#include "core/torch/tar_archive.h"

#include <cstring>

namespace core::torch {

namespace {

constexpr std::uint64_t kBlock = 512;

std::string_view field(const std::byte* h, std::size_t offset, std::size_t length)
{
    const char* p = reinterpret_cast<const char*>(h + offset);
    std::size_t n = 0;
    while (n < length && p[n] != '\0')
        ++n;
    return { p, n };
}

// Octal number (spaces/NULs around it allowed); base-256 when the high bit is set.
bool parseNumber(const std::byte* h, std::size_t offset, std::size_t length, std::uint64_t& out)
{
    const auto* p = reinterpret_cast<const unsigned char*>(h + offset);
    out = 0;
    if (p[0] & 0x80) {
        for (std::size_t i = 1; i < length; ++i) {
            if (out >> 56)
                return false;
            out = (out << 8) | p[i];
        }
        return true;
    }
    std::size_t i = 0;
    while (i < length && p[i] == ' ')
        ++i;
    bool any = false;
    for (; i < length && p[i] >= '0' && p[i] <= '7'; ++i) {
        if (out >> 60)
            return false;
        out = out * 8 + (p[i] - '0');
        any = true;
    }
    for (; i < length; ++i)
        if (p[i] != ' ' && p[i] != '\0')
            return false;
    return any || length > 0;
}

bool checksumOk(const std::byte* h)
{
    std::uint64_t stored = 0;
    if (!parseNumber(h, 148, 8, stored))
        return false;
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < kBlock; ++i)
        sum += (i >= 148 && i < 156) ? ' ' : std::to_integer<unsigned>(h[i]);
    return sum == stored;
}

bool zeroBlock(const std::byte* h)
{
    for (std::size_t i = 0; i < kBlock; ++i)
        if (h[i] != std::byte { 0 })
            return false;
    return true;
}

} // namespace

bool looksLikeTar(std::span<const std::byte> file)
{
    if (file.size() < kBlock)
        return false;
    return std::memcmp(file.data() + 257, "ustar", 5) == 0 && checksumOk(file.data());
}

Result<std::vector<TarMember>> readTar(std::span<const std::byte> file)
{
    std::vector<TarMember> members;
    const std::uint64_t size = file.size();
    std::uint64_t pos = 0;
    std::string paxPath;
    std::uint64_t paxSize = UINT64_MAX;
    while (true) {
        if (size - pos < kBlock) {
            if (pos == size || !members.empty())
                break; // no end blocks (or a file cut after a member): tolerated
            return makeError(
                ErrorCode::Truncated, pos, "tar: header block runs past the end of the file");
        }
        const std::byte* h = file.data() + pos;
        if (zeroBlock(h))
            break;
        if (!checksumOk(h))
            return makeError(ErrorCode::Format, pos, "tar: bad header checksum");
        std::uint64_t memberSize = 0;
        if (!parseNumber(h, 124, 12, memberSize))
            return makeError(ErrorCode::Format, pos + 124, "tar: bad size field");
        if (paxSize != UINT64_MAX)
            memberSize = paxSize;
        const char type = static_cast<char>(h[156]);
        const std::uint64_t data = pos + kBlock;
        if (memberSize > size - data && (type == '0' || type == '\0' || type == '7')) {
            // An archive cut inside this member: keep the bytes present and stop.
            TarMember m;
            m.name = !paxPath.empty() ? paxPath : std::string(field(h, 0, 100));
            if (paxPath.empty() && !field(h, 345, 155).empty())
                m.name = std::string(field(h, 345, 155)) + "/" + m.name;
            m.offset = data;
            m.size = size - data;
            m.cut = true;
            m.declaredSize = memberSize;
            members.push_back(std::move(m));
            break;
        }
        if (memberSize > size - data && !members.empty())
            break; // cut inside a later PAX header: keep the members before it
        if (memberSize > size - data)
            return makeError(ErrorCode::Truncated, pos,
                "tar: member of " + std::to_string(memberSize)
                    + " bytes runs past the end of the file");
        const std::uint64_t next = data + ((memberSize + kBlock - 1) / kBlock) * kBlock;
        if (type == 'x' || type == 'g') {
            // PAX records: "<len> key=value\n"
            const char* p = reinterpret_cast<const char*>(file.data() + data);
            std::uint64_t i = 0;
            while (i < memberSize) {
                std::uint64_t len = 0;
                std::uint64_t j = i;
                while (j < memberSize && p[j] >= '0' && p[j] <= '9' && len < memberSize)
                    len = len * 10 + static_cast<std::uint64_t>(p[j++] - '0');
                if (len == 0 || len > memberSize - i || j >= i + len || p[j] != ' ')
                    return makeError(ErrorCode::Format, data + i, "tar: bad PAX record");
                std::string_view rec(p + j + 1, i + len - j - 1);
                if (!rec.empty() && rec.back() == '\n')
                    rec.remove_suffix(1);
                const auto eq = rec.find('=');
                if (type == 'x' && eq != std::string_view::npos) {
                    const auto key = rec.substr(0, eq);
                    const auto value = rec.substr(eq + 1);
                    if (key == "path")
                        paxPath = std::string(value);
                    else if (key == "size") {
                        std::uint64_t v = 0;
                        for (char c : value)
                            v = (c >= '0' && c <= '9' && v < (UINT64_MAX / 10 - 10))
                                ? v * 10 + std::uint64_t(c - '0')
                                : v;
                        paxSize = v;
                    }
                }
                i += len;
            }
        } else {
            if (type == '0' || type == '\0' || type == '7') {
                TarMember m;
                if (!paxPath.empty()) {
                    m.name = paxPath;
                } else {
                    const auto prefix = field(h, 345, 155);
                    const auto name = field(h, 0, 100);
                    m.name = prefix.empty() ? std::string(name)
                                            : std::string(prefix) + "/" + std::string(name);
                }
                m.offset = data;
                m.size = memberSize;
                m.declaredSize = memberSize;
                members.push_back(std::move(m));
            }
            paxPath.clear();
            paxSize = UINT64_MAX;
        }
        if (next > size)
            break; // last member's padding is missing: tolerated
        pos = next;
    }
    return members;
}

} // namespace core::torch
