#include "core/value/byte_source.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace core {

namespace {

constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kMaxReadAhead = std::uint64_t(4) << 20;

std::atomic<ByteSource::UrlOpener> g_urlOpener { nullptr };

} // namespace

struct ByteSource::Remote {
    std::unique_ptr<RangeFetcher> fetcher;
    RemoteOptions options;
    std::byte* base = nullptr;
    std::uint64_t size = 0;
    std::vector<std::atomic<std::uint8_t>> pages; // 1 once the page's bytes are in place
    std::mutex mutex; // one fetch at a time; guards the fields below
    std::uint64_t lastEnd = UINT64_MAX; // where the previous fetch ended (read-ahead)
    std::uint64_t readAhead = kPage;
    std::atomic<std::uint64_t> fetched { 0 };
    std::atomic<std::uint64_t> calls { 0 };

    bool present(std::uint64_t page) const
    {
        return pages[page].load(std::memory_order_acquire) != 0;
    }
};

ByteSource::~ByteSource()
{
    m_remote.reset(); // a fetcher stops writing into the mapping before it goes
    if (m_map != nullptr)
        ::munmap(m_map, m_mapLength);
}

bool ByteSource::isUrl(const std::string& path)
{
    return path.rfind("http://", 0) == 0 || path.rfind("https://", 0) == 0;
}

void ByteSource::setUrlOpener(UrlOpener opener)
{
    g_urlOpener.store(opener);
}

Result<std::shared_ptr<ByteSource>> ByteSource::mapFile(const std::string& path)
{
    if (isUrl(path)) {
        if (const UrlOpener opener = g_urlOpener.load())
            return opener(path);
        return makeError(
            ErrorCode::Io, 0, "cannot open " + path + ": this program does not read URLs");
    }
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

Result<std::shared_ptr<ByteSource>> ByteSource::fromFetcher(std::unique_ptr<RangeFetcher> fetcher,
    std::uint64_t size, std::string name, RemoteOptions options)
{
    std::shared_ptr<ByteSource> source(new ByteSource);
    source->m_path = std::move(name);
    auto remote = std::make_unique<Remote>();
    remote->fetcher = std::move(fetcher);
    remote->options = options;
    remote->options.maxRequest = std::max<std::uint64_t>(options.maxRequest / kPage * kPage, kPage);
    remote->size = size;
    if (size > 0) {
        if (size > std::uint64_t(1) << 46)
            return makeError(ErrorCode::LimitExceeded, 0,
                "remote file of " + std::to_string(size) + " bytes is too large");
        const std::uint64_t pages = (size + kPage - 1) / kPage;
        const auto length = static_cast<std::size_t>(pages * kPage);
        // Untouched pages of an anonymous private mapping cost no memory.
        void* map
            = ::mmap(nullptr, length, options.guardUnfetched ? PROT_NONE : PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (map == MAP_FAILED)
            return makeError(ErrorCode::Io, 0,
                "cannot reserve " + std::to_string(size) + " bytes for " + source->m_path + ": "
                    + std::strerror(errno));
        source->m_map = map;
        source->m_mapLength = length;
        source->m_view = { static_cast<const std::byte*>(map), static_cast<std::size_t>(size) };
        remote->base = static_cast<std::byte*>(map);
        remote->pages = std::vector<std::atomic<std::uint8_t>>(static_cast<std::size_t>(pages));
    }
    source->m_remote = std::move(remote);
    return source;
}

std::uint64_t ByteSource::bytesFetched() const
{
    return m_remote ? m_remote->fetched.load() : 0;
}

std::uint64_t ByteSource::fetchCount() const
{
    return m_remote ? m_remote->calls.load() : 0;
}

Result<void> ByteSource::ensureRemote(std::uint64_t offset, std::uint64_t length) const
{
    Remote& r = *m_remote;
    if (length == 0)
        return {};
    if (offset > r.size || length > r.size - offset)
        return makeError(ErrorCode::Truncated, offset,
            std::to_string(length) + " bytes at offset " + std::to_string(offset)
                + " run past the end of the " + std::to_string(r.size) + "-byte remote file");
    const std::uint64_t first = offset / kPage;
    const std::uint64_t last = (offset + length - 1) / kPage;
    std::uint64_t page = first;
    while (page <= last && r.present(page))
        ++page;
    if (page > last)
        return {};

    const std::lock_guard lock(r.mutex);
    const std::uint64_t pageCount = r.pages.size();
    std::vector<RangeFetcher::Request> requests;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> runs; // [first page, end page)
    while (page <= last) {
        if (r.present(page)) {
            ++page;
            continue;
        }
        const std::uint64_t start = page;
        while (page <= last && !r.present(page))
            ++page;
        // Read ahead when this continues the previous fetch; a scattered read takes what it needs.
        if (start * kPage == r.lastEnd)
            r.readAhead = std::min(r.readAhead * 2, kMaxReadAhead);
        else
            r.readAhead = kPage;
        const std::uint64_t wanted
            = start + std::max<std::uint64_t>(page - start, r.readAhead / kPage);
        while (page < wanted && page < pageCount && !r.present(page))
            ++page;
        runs.emplace_back(start, page);
        r.lastEnd = page * kPage;
    }
    const std::uint64_t perRequest = r.options.maxRequest / kPage;
    for (const auto& [begin, end] : runs) {
        if (r.options.guardUnfetched
            && ::mprotect(r.base + begin * kPage, static_cast<std::size_t>((end - begin) * kPage),
                   PROT_READ | PROT_WRITE)
                != 0)
            return makeError(ErrorCode::Io, begin * kPage,
                std::string("cannot map fetched pages: ") + std::strerror(errno));
        for (std::uint64_t p = begin; p < end; p += perRequest) {
            const std::uint64_t from = p * kPage;
            const std::uint64_t to = std::min(std::min(end, p + perRequest) * kPage, r.size);
            requests.push_back({ from, { r.base + from, static_cast<std::size_t>(to - from) } });
        }
    }
    r.calls.fetch_add(1);
    auto done = r.fetcher->fetch(requests);
    if (!done.ok()) {
        r.lastEnd = UINT64_MAX;
        return done;
    }
    for (const auto& [begin, end] : runs)
        for (std::uint64_t p = begin; p < end; ++p)
            r.pages[p].store(1, std::memory_order_release);
    std::uint64_t total = 0;
    for (const auto& request : requests)
        total += request.into.size();
    r.fetched.fetch_add(total);
    return {};
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
