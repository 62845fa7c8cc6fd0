#pragma once

// Transparent huge pages for the big, long-lived buffers of a load (the value arena, a list of
// millions of items): the kernel then maps them 2 MiB at a time, so a 100 MB arena costs about
// fifty page faults instead of twenty-five thousand. Advice only: the memory is the same, and
// where the kernel declines (THP "never") nothing changes.

#include <cstddef>
#include <iterator>
#include <vector>

namespace core {

// Advises the whole 2 MiB-aligned part of [data, data + bytes). Buffers under 4 MiB are left alone.
void adviseHugePages(const void* data, std::size_t bytes);

// Grows `v` geometrically (x2) to hold at least `needed` elements and advises the new buffer
// when it is large. For vectors filled by push_back/insert in a hot loop.
template <typename T> void reserveWithHugePages(std::vector<T>& v, std::size_t needed)
{
    if (needed <= v.capacity())
        return;
    std::size_t capacity = v.capacity() < 16 ? 16 : v.capacity() * 2;
    while (capacity < needed)
        capacity *= 2;
    if (capacity * sizeof(T) < (std::size_t(4) << 20)) {
        v.reserve(capacity);
        return;
    }
    // Advise the new buffer before the old elements are copied in: the copy is its first touch.
    std::vector<T> fresh;
    fresh.reserve(capacity);
    adviseHugePages(fresh.data(), fresh.capacity() * sizeof(T));
    fresh.insert(fresh.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
    v.swap(fresh);
}

// A growable block of raw bytes for trivially copyable data that grows without a second copy
// alive: on Linux an anonymous mapping that mremap moves page tables for (no copy, no fresh
// pages, no doubled peak), advised for huge pages once large; elsewhere malloc/realloc. In an
// AddressSanitizer build every growth moves the block (new, copy, free the old), so a pointer
// held across a growth is reported as a use after free. Move-only; contents past the bytes a
// caller wrote are unspecified.
class GrowableBlock {
public:
    GrowableBlock() = default;
    ~GrowableBlock();
    GrowableBlock(const GrowableBlock&) = delete;
    GrowableBlock& operator=(const GrowableBlock&) = delete;
    GrowableBlock(GrowableBlock&& other) noexcept;
    GrowableBlock& operator=(GrowableBlock&& other) noexcept;

    void* data() const { return m_data; }
    std::size_t capacity() const { return m_capacity; } // bytes
    bool mapped() const { return m_mapped; } // pages past those written are never touched
    // Makes room for at least `bytes`, keeping the first `used` bytes; at least doubles the
    // capacity. Throws std::bad_alloc when the memory is not there (as a vector would).
    void grow(std::size_t bytes, std::size_t used);

private:
    void release() noexcept;

    void* m_data = nullptr;
    std::size_t m_capacity = 0;
    bool m_mapped = false;
};

} // namespace core
