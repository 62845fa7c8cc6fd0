#include "core/value/huge_pages.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define PICKLESCOPE_BLOCK_ALWAYS_MOVES 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PICKLESCOPE_BLOCK_ALWAYS_MOVES 1
#endif
#endif

namespace core {

void adviseHugePages(const void* data, std::size_t bytes)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    constexpr std::uintptr_t kHuge = std::uintptr_t(2) << 20;
    if (data == nullptr || bytes < 2 * kHuge)
        return;
    const auto begin = (reinterpret_cast<std::uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
    const auto end = (reinterpret_cast<std::uintptr_t>(data) + bytes) & ~(kHuge - 1);
    if (end > begin)
        ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
    (void)data;
    (void)bytes;
#endif
}

namespace {

// Mappings start at this size (a smaller block is a malloc: a graph of a few values should not
// cost a page of its own per buffer).
constexpr std::size_t kMapAtLeast = std::size_t(256) << 10;

} // namespace

GrowableBlock::~GrowableBlock()
{
    release();
}

GrowableBlock::GrowableBlock(GrowableBlock&& other) noexcept
    : m_data(std::exchange(other.m_data, nullptr))
    , m_capacity(std::exchange(other.m_capacity, 0))
    , m_mapped(std::exchange(other.m_mapped, false))
{
}

GrowableBlock& GrowableBlock::operator=(GrowableBlock&& other) noexcept
{
    if (this != &other) {
        release();
        m_data = std::exchange(other.m_data, nullptr);
        m_capacity = std::exchange(other.m_capacity, 0);
        m_mapped = std::exchange(other.m_mapped, false);
    }
    return *this;
}

void GrowableBlock::release() noexcept
{
#if defined(__linux__)
    if (m_mapped) {
        ::munmap(m_data, m_capacity);
        m_data = nullptr;
        m_capacity = 0;
        m_mapped = false;
        return;
    }
#endif
    std::free(m_data);
    m_data = nullptr;
    m_capacity = 0;
}

void GrowableBlock::grow(std::size_t bytes, std::size_t used)
{
    if (bytes <= m_capacity)
        return;
    std::size_t capacity = m_capacity < 1024 ? 1024 : m_capacity * 2;
    while (capacity < bytes)
        capacity *= 2;
#if defined(PICKLESCOPE_BLOCK_ALWAYS_MOVES)
    // Sanitized builds: a fresh heap block every time, the old one freed.
    void* fresh = std::malloc(capacity);
    if (fresh == nullptr)
        throw std::bad_alloc();
    if (used > 0)
        std::memcpy(fresh, m_data, used);
    release();
    m_data = fresh;
    m_capacity = capacity;
    return;
#else
#if defined(__linux__) && defined(MREMAP_MAYMOVE)
    if (capacity >= kMapAtLeast) {
        constexpr std::size_t kPage = 4096;
        capacity = (capacity + kPage - 1) & ~(kPage - 1);
        void* moved = MAP_FAILED;
        if (m_mapped) {
            moved = ::mremap(m_data, m_capacity, capacity, MREMAP_MAYMOVE);
        } else {
            moved = ::mmap(
                nullptr, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (moved != MAP_FAILED && used > 0)
                std::memcpy(moved, m_data, used);
            if (moved != MAP_FAILED)
                std::free(m_data);
        }
        if (moved == MAP_FAILED)
            throw std::bad_alloc();
        m_data = moved;
        m_capacity = capacity;
        m_mapped = true;
        adviseHugePages(m_data, m_capacity);
        return;
    }
#endif
    (void)used;
    void* fresh = std::realloc(m_data, capacity);
    if (fresh == nullptr)
        throw std::bad_alloc();
    m_data = fresh;
    m_capacity = capacity;
#endif
}

} // namespace core
