#include "core/value/byte_source.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <list>
#include <mutex>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>
#include <utility>

namespace core {

namespace {

constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kMaxReadAhead = std::uint64_t(4) << 20;
// ensureRanges: missing pages at most this many apart go in one request.
constexpr std::uint64_t kMergeGap = 16;

std::atomic<ByteSource::UrlOpener> g_urlOpener { nullptr };

} // namespace

struct ByteSource::Remote {
    enum : std::uint8_t { Absent = 0, Cached = 1, Kept = 2 };
    std::unique_ptr<RangeFetcher> fetcher;
    RemoteOptions options;
    std::byte* base = nullptr;
    std::uint64_t size = 0;
    // Absent, Cached (fetched, evictable once unpinned) or Kept (fetched by ensure(): stays).
    // Kept is read without a lock; every other transition happens under stateMutex.
    std::vector<std::atomic<std::uint8_t>> pages;
    std::mutex fetchMutex; // one fetch at a time; guards lastEnd and readAhead
    std::uint64_t lastEnd = UINT64_MAX; // where the previous fetch ended (read-ahead)
    std::uint64_t readAhead = kPage;
    std::mutex stateMutex; // guards the fields below and Cached/Absent transitions
    std::list<std::uint64_t> lru; // Cached pages, most recently used first
    std::unordered_map<std::uint64_t, std::list<std::uint64_t>::iterator> lruPosition;
    struct Pin {
        std::uint64_t id, first, last; // pages [first, last]
    };
    std::vector<Pin> pins;
    std::uint64_t nextPin = 1;
    std::uint64_t residentPages = 0;
    std::atomic<std::uint64_t> resident { 0 }; // residentPages * kPage, for readers without lock
    std::atomic<std::uint64_t> evicted { 0 };
    std::atomic<std::uint64_t> fetched { 0 };
    std::atomic<std::uint64_t> calls { 0 };

    std::uint8_t state(std::uint64_t page) const
    {
        return pages[page].load(std::memory_order_acquire);
    }
    bool pinned(std::uint64_t page) const
    {
        return std::any_of(pins.begin(), pins.end(),
            [page](const Pin& pin) { return page >= pin.first && page <= pin.last; });
    }
    void touch(std::uint64_t page) // stateMutex held; a Cached page becomes most recent
    {
        const auto at = lruPosition.find(page);
        if (at != lruPosition.end())
            lru.splice(lru.begin(), lru, at->second);
    }
    void keep(std::uint64_t first, std::uint64_t last) // stateMutex held
    {
        for (std::uint64_t page = first; page <= last; ++page) {
            if (state(page) != Cached)
                continue;
            const auto at = lruPosition.find(page);
            lru.erase(at->second);
            lruPosition.erase(at);
            pages[page].store(Kept, std::memory_order_release);
        }
    }
    // [first, last] page of each non-empty (offset, length) range; Error for one outside the file.
    Result<std::vector<std::pair<std::uint64_t, std::uint64_t>>> pagesOf(
        std::span<const std::pair<std::uint64_t, std::uint64_t>> ranges) const
    {
        std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
        for (const auto& [offset, length] : ranges) {
            if (length == 0)
                continue;
            if (offset > size || length > size - offset)
                return makeError(ErrorCode::Truncated, offset,
                    std::to_string(length) + " bytes at offset " + std::to_string(offset)
                        + " run past the end of the " + std::to_string(size) + "-byte remote file");
            out.emplace_back(offset / kPage, (offset + length - 1) / kPage);
        }
        return out;
    }
    // stateMutex held: the runs [first page, end page) of the Absent pages of sorted [first,
    // last] page ranges, for one batch. Missing pages at most `gap` apart (all between missing)
    // share a run: one request with a little more data costs less than another round trip.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> missingRuns(
        std::span<const std::pair<std::uint64_t, std::uint64_t>> sorted, std::uint64_t gap) const
    {
        std::vector<std::pair<std::uint64_t, std::uint64_t>> runs;
        auto absent = [this](std::uint64_t page) { return state(page) == Absent; };
        for (const auto& [first, last] : sorted) {
            for (std::uint64_t page = first; page <= last; ++page) {
                if (!absent(page) || (!runs.empty() && page < runs.back().second))
                    continue;
                if (!runs.empty() && page - runs.back().second <= gap) {
                    std::uint64_t between = runs.back().second;
                    while (between < page && absent(between))
                        ++between;
                    if (between == page) {
                        runs.back().second = page + 1;
                        continue;
                    }
                }
                runs.emplace_back(page, page + 1);
            }
        }
        return runs;
    }
    // stateMutex held: drops least recently used unpinned Cached pages while over the limit.
    void evictOverLimit()
    {
        if (residentPages * kPage <= options.cacheLimit || lru.empty())
            return;
        std::vector<std::uint64_t> victims;
        std::uint64_t remaining = residentPages;
        for (auto it = lru.end(); it != lru.begin() && remaining * kPage > options.cacheLimit;) {
            --it;
            if (pinned(*it))
                continue;
            victims.push_back(*it);
            --remaining;
        }
        if (victims.empty())
            return;
        for (const std::uint64_t page : victims) {
            const auto at = lruPosition.find(page);
            lru.erase(at->second);
            lruPosition.erase(at);
            pages[page].store(Absent, std::memory_order_release);
        }
        std::sort(victims.begin(), victims.end());
        for (std::size_t i = 0; i < victims.size();) {
            std::size_t j = i + 1;
            while (j < victims.size() && victims[j] == victims[j - 1] + 1)
                ++j;
            auto* at = base + victims[i] * kPage;
            const auto length = static_cast<std::size_t>((j - i) * kPage);
            // Anonymous private pages read as zeros again and cost no memory.
            (void)::madvise(at, length, MADV_DONTNEED);
            if (options.guardUnfetched)
                (void)::mprotect(at, length, PROT_NONE);
            i = j;
        }
        residentPages = remaining;
        this->resident.store(residentPages * kPage);
        evicted.fetch_add(victims.size() * kPage);
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
    struct stat info { };
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

std::shared_ptr<ByteSource> ByteSource::fromBytes(
    std::span<const std::byte> bytes, std::string name)
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

std::uint64_t ByteSource::residentBytes() const
{
    return m_remote ? m_remote->resident.load() : 0;
}

std::uint64_t ByteSource::evictedBytes() const
{
    return m_remote ? m_remote->evicted.load() : 0;
}

std::uint64_t ByteSource::cacheLimit() const
{
    return m_remote ? m_remote->options.cacheLimit : 0;
}

Result<void> ByteSource::ensureRemote(std::uint64_t offset, std::uint64_t length) const
{
    Remote& r = *m_remote;
    if (length == 0)
        return {};
    if (offset <= r.size && length <= r.size - offset) {
        std::uint64_t page = offset / kPage;
        const std::uint64_t last = (offset + length - 1) / kPage;
        while (page <= last && r.state(page) == Remote::Kept)
            ++page;
        if (page > last)
            return {};
    }
    PS_ASSIGN(const std::uint64_t pin, acquire(offset, length, true));
    unpin(pin);
    return {};
}

Result<ByteSource::Lease> ByteSource::leaseRemote(std::uint64_t offset, std::uint64_t length) const
{
    if (length == 0)
        return Lease {};
    PS_ASSIGN(const std::uint64_t pin, acquire(offset, length, false));
    Lease lease;
    lease.m_source = this;
    lease.m_pin = pin;
    return lease;
}

Result<std::uint64_t> ByteSource::acquire(
    std::uint64_t offset, std::uint64_t length, bool keep) const
{
    Remote& r = *m_remote;
    if (offset > r.size || length > r.size - offset || length == 0)
        return makeError(ErrorCode::Truncated, offset,
            std::to_string(length) + " bytes at offset " + std::to_string(offset)
                + " run past the end of the " + std::to_string(r.size) + "-byte remote file");
    const std::uint64_t first = offset / kPage;
    const std::uint64_t last = (offset + length - 1) / kPage;
    std::uint64_t pin = 0;
    bool missing = false;
    {
        const std::lock_guard lock(r.stateMutex);
        pin = r.nextPin++;
        r.pins.push_back({ pin, first, last });
        for (std::uint64_t page = first; page <= last; ++page) {
            const std::uint8_t state = r.state(page);
            missing = missing || state == Remote::Absent;
            if (state == Remote::Cached)
                r.touch(page);
        }
        if (!missing && keep)
            r.keep(first, last);
    }
    if (!missing)
        return pin;
    auto fetched = fetchMissing(first, last);
    if (!fetched.ok()) {
        unpin(pin);
        return fetched.takeError();
    }
    if (keep) {
        const std::lock_guard lock(r.stateMutex);
        r.keep(first, last);
    }
    return pin;
}

void ByteSource::unpin(std::uint64_t pin) const
{
    Remote& r = *m_remote;
    const std::lock_guard lock(r.stateMutex);
    const auto at = std::find_if(
        r.pins.begin(), r.pins.end(), [pin](const Remote::Pin& p) { return p.id == pin; });
    if (at != r.pins.end())
        r.pins.erase(at);
    r.evictOverLimit();
}

Result<void> ByteSource::fetchMissing(std::uint64_t first, std::uint64_t last) const
{
    Remote& r = *m_remote;
    const std::lock_guard fetchLock(r.fetchMutex);
    const std::uint64_t pageCount = r.pages.size();
    // Read ahead at most a quarter of the cache, so that a run does not evict itself.
    const std::uint64_t maxReadAhead
        = std::max(kPage, std::min(kMaxReadAhead, r.options.cacheLimit / 4 / kPage * kPage));
    std::vector<std::pair<std::uint64_t, std::uint64_t>> runs; // [first page, end page)
    {
        // Pages of [first, last] are pinned by the caller: none turns Absent under us. Pages read
        // ahead are Absent and only this fetch (under fetchMutex) makes them anything else.
        const std::lock_guard lock(r.stateMutex);
        auto absent = [&r](std::uint64_t page) { return r.state(page) == Remote::Absent; };
        std::uint64_t page = first;
        while (page <= last) {
            if (!absent(page)) {
                ++page;
                continue;
            }
            const std::uint64_t start = page;
            while (page <= last && absent(page))
                ++page;
            // Read ahead when this continues the previous fetch; a scattered read takes what it
            // needs.
            if (start * kPage == r.lastEnd)
                r.readAhead = std::min(r.readAhead * 2, maxReadAhead);
            else
                r.readAhead = kPage;
            const std::uint64_t wanted
                = start + std::max<std::uint64_t>(page - start, r.readAhead / kPage);
            while (page < wanted && page < pageCount && absent(page))
                ++page;
            runs.emplace_back(start, page);
            r.lastEnd = page * kPage;
        }
    }
    if (runs.empty())
        return {};
    auto done = fetchRuns(runs, {});
    if (!done.ok())
        r.lastEnd = UINT64_MAX;
    return done;
}

Result<void> ByteSource::fetchRuns(std::span<const std::pair<std::uint64_t, std::uint64_t>> runs,
    std::span<const std::pair<std::uint64_t, std::uint64_t>> keep) const
{
    Remote& r = *m_remote;
    std::vector<RangeFetcher::Request> requests;
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
    PS_TRY(r.fetcher->fetch(requests));
    std::uint64_t total = 0;
    for (const auto& request : requests)
        total += request.into.size();
    r.fetched.fetch_add(total);
    const std::lock_guard lock(r.stateMutex);
    // Read-ahead pages go in least recent first, so that the pages asked for stay longest.
    for (auto run = runs.rbegin(); run != runs.rend(); ++run)
        for (std::uint64_t p = run->second; p-- > run->first;) {
            r.pages[p].store(Remote::Cached, std::memory_order_release);
            r.lru.push_front(p);
            r.lruPosition.emplace(p, r.lru.begin());
            ++r.residentPages;
        }
    r.resident.store(r.residentPages * kPage);
    for (const auto& [first, last] : keep)
        r.keep(first, last);
    r.evictOverLimit();
    return {};
}

Result<void> ByteSource::ensureRanges(
    std::span<const std::pair<std::uint64_t, std::uint64_t>> ranges) const
{
    if (m_remote == nullptr)
        return {};
    Remote& r = *m_remote;
    PS_ASSIGN(auto pages, r.pagesOf(ranges));
    std::sort(pages.begin(), pages.end());
    const std::lock_guard fetchLock(r.fetchMutex);
    std::vector<std::pair<std::uint64_t, std::uint64_t>> runs;
    {
        const std::lock_guard lock(r.stateMutex);
        for (const auto& [first, last] : pages)
            r.keep(first, last); // what is here stays (no other fetch runs until we are done)
        runs = r.missingRuns(pages, kMergeGap);
    }
    if (runs.empty())
        return {};
    return fetchRuns(runs, pages);
}

Result<ByteSource::Lease> ByteSource::leaseRanges(
    std::span<const std::pair<std::uint64_t, std::uint64_t>> ranges) const
{
    if (m_remote == nullptr)
        return Lease {};
    Remote& r = *m_remote;
    PS_ASSIGN(auto pages, r.pagesOf(ranges));
    if (pages.empty())
        return Lease {};
    std::sort(pages.begin(), pages.end());
    Lease lease;
    {
        // One pin from the first page to the last: nothing between goes while the lease lives.
        const std::lock_guard lock(r.stateMutex);
        std::uint64_t last = 0;
        for (const auto& range : pages)
            last = std::max(last, range.second);
        lease.m_pin = r.nextPin++;
        r.pins.push_back({ lease.m_pin, pages.front().first, last });
        for (const auto& [first, end] : pages)
            for (std::uint64_t page = first; page <= end; ++page)
                if (r.state(page) == Remote::Cached)
                    r.touch(page);
    }
    lease.m_source = this;
    const std::lock_guard fetchLock(r.fetchMutex);
    std::vector<std::pair<std::uint64_t, std::uint64_t>> runs;
    {
        // Only the pages asked for: a window of a tensor skips the rest of each row.
        const std::lock_guard lock(r.stateMutex);
        runs = r.missingRuns(pages, 0);
    }
    if (!runs.empty())
        PS_TRY(fetchRuns(runs, {})); // the lease unpins on the way out
    return lease;
}

ByteSource::Lease::Lease(Lease&& other) noexcept
    : m_source(std::exchange(other.m_source, nullptr))
    , m_pin(std::exchange(other.m_pin, 0))
{
}

ByteSource::Lease& ByteSource::Lease::operator=(Lease&& other) noexcept
{
    if (this != &other) {
        if (m_source != nullptr)
            m_source->unpin(m_pin);
        m_source = std::exchange(other.m_source, nullptr);
        m_pin = std::exchange(other.m_pin, 0);
    }
    return *this;
}

ByteSource::Lease::~Lease()
{
    if (m_source != nullptr)
        m_source->unpin(m_pin);
}

std::span<const std::byte> ByteSource::keep(std::vector<std::byte> bytes)
{
    m_kept.push_back(std::make_unique<std::vector<std::byte>>(std::move(bytes)));
    m_keptViews.emplace_back(*m_kept.back(), nullptr);
    return *m_kept.back();
}

std::size_t ByteSource::keepView(
    std::span<const std::byte> bytes, std::shared_ptr<const void> owner)
{
    m_kept.push_back(std::make_unique<std::vector<std::byte>>());
    m_keptViews.emplace_back(bytes, std::move(owner));
    return m_kept.size() - 1;
}

std::size_t ByteSource::keepSource(
    std::shared_ptr<const ByteSource> other, std::shared_ptr<const void> owner)
{
    const std::size_t index = keepView(other->bytes(), std::move(owner));
    m_keptSources.emplace_back(index, std::move(other));
    return index;
}

const ByteSource* ByteSource::keptSource(std::size_t index) const
{
    for (const auto& [at, source] : m_keptSources)
        if (at == index)
            return source.get();
    return nullptr;
}

std::span<const std::byte> ByteSource::kept(std::size_t index) const
{
    return index < m_keptViews.size() ? m_keptViews[index].first : std::span<const std::byte>();
}

} // namespace core
