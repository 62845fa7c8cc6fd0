#pragma once

// The bytes of an opened file: memory-mapped read-only, or an in-memory buffer (tests, fuzzing,
// inflated zip entries). Views handed out stay valid as long as the source lives.

#include "core/result.h"

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

    static Result<std::shared_ptr<ByteSource>> mapFile(const std::string& path);
    static std::shared_ptr<ByteSource> fromBuffer(std::vector<std::byte> bytes, std::string name = {});
    static std::shared_ptr<ByteSource> fromBytes(std::span<const std::byte> bytes, std::string name = {});

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

private:
    ByteSource() = default;
    std::string m_path;
    void* m_map = nullptr;
    std::size_t m_mapLength = 0;
    std::vector<std::byte> m_owned;
    std::span<const std::byte> m_view;
    std::vector<std::unique_ptr<std::vector<std::byte>>> m_kept;
    // by kept index: the bytes, and who owns them when not m_kept (keepView)
    std::vector<std::pair<std::span<const std::byte>, std::shared_ptr<const void>>> m_keptViews;
};

} // namespace core
