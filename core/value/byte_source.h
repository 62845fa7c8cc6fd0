#pragma once

// The bytes of an opened file: memory-mapped read-only, or an in-memory buffer (tests, fuzzing,
// inflated zip entries), or a remote file (HTTP) read on demand into an anonymous mapping of its
// size. Views handed out stay valid as long as the source lives.
//
// A remote source's pages hold zeros until fetched. A reader calls ensure(offset, length) before
// it touches a range it keeps (directories, pickles: those pages stay for the source's life), or
// takes a lease(offset, length) for the span of a read it does not keep (tensor data): leased
// pages are a cache with a memory cap, evicted least recently used once no lease pins them. Both
// are no-ops for local files.

#include "core/result.h"
#include "core/value/range_fetcher.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace core {

class ByteSource {
public:
    ~ByteSource();
    ByteSource(const ByteSource&) = delete;
    ByteSource& operator=(const ByteSource&) = delete;

    // A local file, or an http:// / https:// URL when a URL opener is installed (the
    // applications install core/remote's; without one a URL is an Io error).
    static Result<std::shared_ptr<ByteSource>> mapFile(const std::string& path);
    static std::shared_ptr<ByteSource> fromBuffer(
        std::vector<std::byte> bytes, std::string name = {});
    static std::shared_ptr<ByteSource> fromBytes(
        std::span<const std::byte> bytes, std::string name = {});

    std::span<const std::byte> bytes() const { return m_view; }
    std::uint64_t size() const { return m_view.size(); }
    const std::string& path() const { return m_path; }

    // Extra owned buffers (inflated zip entries) whose views live as long as this source.
    std::span<const std::byte> keep(std::vector<std::byte> bytes);
    std::span<const std::byte> kept(std::size_t index) const;
    std::size_t keptCount() const { return m_kept.size(); }
    // Bytes owned by someone else (another mapped file: a shard of a sharded checkpoint), kept
    // alive by `owner`; listed with the kept buffers. Returns its index for kept().
    std::size_t keepView(std::span<const std::byte> bytes, std::shared_ptr<const void> owner);
    // The same for the whole bytes of another source (a remote shard: keptSource() names it, and
    // readers fetch through it).
    std::size_t keepSource(
        std::shared_ptr<const ByteSource> other, std::shared_ptr<const void> owner);
    // The source whose bytes kept(index) are, when it was kept by keepSource; else nullptr.
    const ByteSource* keptSource(std::size_t index) const;

    // --- remote files ---
    struct RemoteOptions {
        // Unfetched pages unreadable (PROT_NONE) instead of zeros: a reader that forgot to call
        // ensure() crashes in tests instead of reading zeros.
        bool guardUnfetched = false;
        std::uint64_t maxRequest = std::uint64_t(4) << 20; // bytes per request (larger runs split)
        // Fetched bytes kept in memory: beyond it, leased pages no lease pins are evicted (least
        // recently used first). Pages kept by ensure() count but are never evicted.
        std::uint64_t cacheLimit = kDefaultCacheLimit;
    };
    static constexpr std::uint64_t kDefaultCacheLimit = std::uint64_t(256) << 20;
    // A remote file of `size` bytes named `name` (its URL), read through `fetcher`.
    static Result<std::shared_ptr<ByteSource>> fromFetcher(std::unique_ptr<RangeFetcher> fetcher,
        std::uint64_t size, std::string name, RemoteOptions options);
    static Result<std::shared_ptr<ByteSource>> fromFetcher(
        std::unique_ptr<RangeFetcher> fetcher, std::uint64_t size, std::string name)
    {
        return fromFetcher(std::move(fetcher), size, std::move(name), RemoteOptions {});
    }

    // Makes [offset, offset + length) of the file readable. Local: nothing to do. Remote: fetches
    // the pages not yet here (in page-aligned requests; a read that continues the previous one
    // reads ahead, doubling up to 4 MiB). Thread-safe; Error (naming the offset) when the range is
    // outside the file or the fetch fails.
    Result<void> ensure(std::uint64_t offset, std::uint64_t length) const
    {
        if (m_remote == nullptr)
            return {};
        return ensureRemote(offset, length);
    }
    // ensure() of many (offset, length) ranges at once: their missing pages fetched in one batch
    // (requests run concurrently; pages a few apart share a request). A zip's local headers.
    Result<void> ensureRanges(
        std::span<const std::pair<std::uint64_t, std::uint64_t>> ranges) const;

    // Pins [offset, offset + length) of a remote file for as long as the lease lives: fetched
    // when missing, never evicted under the reader. Local files: an empty lease. Errors as
    // ensure(). A lease must not outlive its source.
    class Lease {
    public:
        Lease() = default;
        Lease(Lease&& other) noexcept;
        Lease& operator=(Lease&& other) noexcept;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease();

    private:
        friend class ByteSource;
        const ByteSource* m_source = nullptr;
        std::uint64_t m_pin = 0;
    };
    Result<Lease> lease(std::uint64_t offset, std::uint64_t length) const
    {
        if (m_remote == nullptr)
            return Lease {};
        return leaseRemote(offset, length);
    }

    // lease() of many (offset, length) ranges at once, their missing pages fetched in one batch
    // as ensureRanges() does (a window of a tensor: one round trip instead of one per row). The
    // lease pins every page from the first range's to the last's. Only the pages asked for are
    // fetched (no read-ahead; adjacent pages share a request).
    Result<Lease> leaseRanges(
        std::span<const std::pair<std::uint64_t, std::uint64_t>> ranges) const;

    bool isRemote() const { return m_remote != nullptr; }
    std::uint64_t bytesFetched() const; // remote: bytes received so far; local: 0
    std::uint64_t fetchCount() const; // remote: fetch calls made so far
    std::uint64_t residentBytes() const; // remote: fetched bytes in memory now (whole pages)
    std::uint64_t evictedBytes() const; // remote: bytes dropped from the cache so far
    std::uint64_t cacheLimit() const; // remote: RemoteOptions::cacheLimit; local: 0

    static bool isUrl(const std::string& path); // http:// or https://
    using UrlOpener = Result<std::shared_ptr<ByteSource>> (*)(const std::string& url);
    static void setUrlOpener(UrlOpener opener);

private:
    ByteSource() = default;
    struct Remote;
    Result<void> ensureRemote(std::uint64_t offset, std::uint64_t length) const;
    Result<Lease> leaseRemote(std::uint64_t offset, std::uint64_t length) const;
    // Pins the pages of [offset, offset + length), fetches what is missing; keep: the pages stay.
    Result<std::uint64_t> acquire(std::uint64_t offset, std::uint64_t length, bool keep) const;
    Result<void> fetchMissing(std::uint64_t first, std::uint64_t last) const;
    // fetchMutex held: fetches the page runs [first, end), then keeps the [first, last] ranges.
    Result<void> fetchRuns(std::span<const std::pair<std::uint64_t, std::uint64_t>> runs,
        std::span<const std::pair<std::uint64_t, std::uint64_t>> keep) const;
    void unpin(std::uint64_t pin) const;
    std::unique_ptr<Remote> m_remote;
    std::string m_path;
    void* m_map = nullptr;
    std::size_t m_mapLength = 0;
    std::vector<std::byte> m_owned;
    std::span<const std::byte> m_view;
    std::vector<std::unique_ptr<std::vector<std::byte>>> m_kept;
    // by kept index: the bytes, and who owns them when not m_kept (keepView)
    std::vector<std::pair<std::span<const std::byte>, std::shared_ptr<const void>>> m_keptViews;
    std::vector<std::pair<std::size_t, std::shared_ptr<const ByteSource>>> m_keptSources;
};

} // namespace core
