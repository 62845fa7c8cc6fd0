#include "core/value/byte_source.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace core {

ByteSource::~ByteSource()
{
    if (m_map != nullptr)
        ::munmap(m_map, m_mapLength);
}

Result<std::shared_ptr<ByteSource>> ByteSource::mapFile(const std::string& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return makeError(ErrorCode::Io, 0, "cannot open " + path + ": " + std::strerror(errno));
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(fd);
        return makeError(ErrorCode::Io, 0, "cannot open " + path + ": not a regular file");
    }
    std::shared_ptr<ByteSource> source(new ByteSource);
    source->m_path = path;
    const auto length = static_cast<std::size_t>(info.st_size);
    if (length > 0) {
        void* map = ::mmap(nullptr, length, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            const int err = errno;
            ::close(fd);
            return makeError(ErrorCode::Io, 0, "cannot map " + path + ": " + std::strerror(err));
        }
        source->m_map = map;
        source->m_mapLength = length;
        source->m_view = { static_cast<const std::byte*>(map), length };
    }
    ::close(fd);
    return source;
}

std::shared_ptr<ByteSource> ByteSource::fromBuffer(std::vector<std::byte> bytes, std::string name)
{
    std::shared_ptr<ByteSource> source(new ByteSource);
    source->m_path = std::move(name);
    source->m_owned = std::move(bytes);
    source->m_view = source->m_owned;
    return source;
}

std::shared_ptr<ByteSource> ByteSource::fromBytes(std::span<const std::byte> bytes, std::string name)
{
    return fromBuffer(std::vector<std::byte>(bytes.begin(), bytes.end()), std::move(name));
}

std::span<const std::byte> ByteSource::keep(std::vector<std::byte> bytes)
{
    m_kept.push_back(std::make_unique<std::vector<std::byte>>(std::move(bytes)));
    m_keptViews.emplace_back(*m_kept.back(), nullptr);
    return *m_kept.back();
}

std::size_t ByteSource::keepView(std::span<const std::byte> bytes, std::shared_ptr<const void> owner)
{
    m_kept.push_back(std::make_unique<std::vector<std::byte>>());
    m_keptViews.emplace_back(bytes, std::move(owner));
    return m_kept.size() - 1;
}

std::span<const std::byte> ByteSource::kept(std::size_t index) const
{
    return index < m_keptViews.size() ? m_keptViews[index].first : std::span<const std::byte>();
}

} // namespace core
