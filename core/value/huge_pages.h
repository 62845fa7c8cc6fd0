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

} // namespace core
