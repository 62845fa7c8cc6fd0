#include "core/torch/tensor_stats.h"

#include "core/torch/tensor_view.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <optional>
#include <thread>
#include <type_traits>

namespace core::torch {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The chunk kernel works on W-byte vectors (GCC / Clang vector extensions): W = 32 (AVX2) or 16
// (SSE2, the x86-64 baseline, and other targets). Every operation is lane by lane, and element e
// of every 8-element step lands in sum lane e at either width, so both give the same bits.
template <std::size_t W> struct Lanes;
template <> struct Lanes<16> {
    using F = float __attribute__((vector_size(16)));
    using I = std::int32_t __attribute__((vector_size(16))); // a comparison of two F: 0 or -1
    using D = double __attribute__((vector_size(16)));
    using L = std::int64_t __attribute__((vector_size(16)));
    [[gnu::always_inline]] static void widen(const F& v, D* out)
    {
        out[0] = __builtin_convertvector(__builtin_shufflevector(v, v, 0, 1), D);
        out[1] = __builtin_convertvector(__builtin_shufflevector(v, v, 2, 3), D);
    }
};
template <> struct Lanes<32> {
    using F = float __attribute__((vector_size(32)));
    using I = std::int32_t __attribute__((vector_size(32)));
    using D = double __attribute__((vector_size(32)));
    using L = std::int64_t __attribute__((vector_size(32)));
    using D8 = double __attribute__((vector_size(64)));
    [[gnu::always_inline]] static void widen(const F& v, D* out)
    {
        const D8 d = __builtin_convertvector(v, D8); // two vcvtps2pd
        out[0] = __builtin_shufflevector(d, d, 0, 1, 2, 3);
        out[1] = __builtin_shufflevector(d, d, 4, 5, 6, 7);
    }
};

// The first finite value (0 when there is none): the origin of the chunk's shifted sums.
template <typename T> T firstFinite(const T* p, std::size_t n)
{
    for (std::size_t j = 0; j < n; ++j)
        if (std::isfinite(p[j]))
            return p[j];
    return 0;
}

// Statistics of p[0, n). The inner loop takes 8 elements a step, without a branch: NaN lanes
// are counted and replaced by the origin (so they add 0 to the shifted sums), min / max skip
// them (a comparison with NaN is false), zeros are counted by mask. Sums are in float64 (a
// float32 converts exactly), in 8 lanes added in one fixed order at the end. Infinities are
// counted after the loop, only when the minimum or maximum says there are some.
template <typename T, std::size_t W>
[[gnu::always_inline]] inline ChunkStats chunkKernel(const T* p, std::size_t n)
{
    using V = Lanes<W>;
    constexpr bool kFloat = std::is_same_v<T, float>;
    using X = std::conditional_t<kFloat, typename V::F, typename V::D>; // elements as stored
    using M = std::conditional_t<kFloat, typename V::I, typename V::L>;
    using D = typename V::D;
    constexpr std::size_t kStep = 8;
    constexpr std::size_t kX = kStep * sizeof(T) / W; // element vectors a step
    constexpr std::size_t kD = kStep * sizeof(double) / W; // sum vectors

    ChunkStats c;
    const T origin = firstFinite(p, n);
    const double k = origin;
    const X originLanes = X {} + origin;
    X lo[kX], hi[kX];
    M nans[kX], zeros[kX];
    D s[kD], q[kD];
    for (std::size_t j = 0; j < kX; ++j) {
        lo[j] = X {} + static_cast<T>(kInf);
        hi[j] = X {} - static_cast<T>(kInf);
        nans[j] = zeros[j] = M {};
    }
    for (std::size_t j = 0; j < kD; ++j)
        s[j] = q[j] = D {};
    std::size_t i = 0;
    for (; i + kStep <= n; i += kStep) {
        D d[kD];
#pragma GCC unroll 8
        for (std::size_t j = 0; j < kX; ++j) {
            X v;
            std::memcpy(&v, p + i + j * (W / sizeof(T)), W);
            const M nan = v != v;
            nans[j] -= nan;
            zeros[j] -= v == T(0);
            lo[j] = v < lo[j] ? v : lo[j];
            hi[j] = v > hi[j] ? v : hi[j];
            v = nan ? originLanes : v;
            if constexpr (kFloat)
                V::widen(v, d + 2 * j);
            else
                d[j] = v;
        }
#pragma GCC unroll 8
        for (std::size_t j = 0; j < kD; ++j) {
            d[j] -= k;
            s[j] += d[j];
            q[j] += d[j] * d[j];
        }
    }
    double sl[kStep], ql[kStep];
    T lol[kStep], hil[kStep];
    std::conditional_t<kFloat, std::int32_t, std::int64_t> nl[kStep], zl[kStep];
    std::memcpy(sl, s, sizeof sl);
    std::memcpy(ql, q, sizeof ql);
    std::memcpy(lol, lo, sizeof lol);
    std::memcpy(hil, hi, sizeof hil);
    std::memcpy(nl, nans, sizeof nl);
    std::memcpy(zl, zeros, sizeof zl);
    double sd = ((sl[0] + sl[4]) + (sl[1] + sl[5])) + ((sl[2] + sl[6]) + (sl[3] + sl[7]));
    double sq = ((ql[0] + ql[4]) + (ql[1] + ql[5])) + ((ql[2] + ql[6]) + (ql[3] + ql[7]));
    for (std::size_t j = 0; j < kStep; ++j) {
        c.min = std::min<double>(c.min, lol[j]);
        c.max = std::max<double>(c.max, hil[j]);
        c.nan += static_cast<std::uint64_t>(nl[j]);
        c.zero += static_cast<std::uint64_t>(zl[j]);
    }
    if (c.max == kInf || c.min == -kInf)
        for (std::size_t j = 0; j < i; ++j)
            c.inf += std::fabs(static_cast<double>(p[j])) == kInf;
    for (; i < n; ++i) {
        const double a = static_cast<double>(p[i]);
        if (a != a) {
            ++c.nan;
            continue;
        }
        const double d = a - k;
        sd += d;
        sq += d * d;
        c.min = std::min(c.min, a);
        c.max = std::max(c.max, a);
        c.zero += a == 0;
        c.inf += std::fabs(a) == kInf;
    }
    const std::uint64_t count = n - c.nan;
    if (count == 0)
        return c;
    c.sum = sd + k * static_cast<double>(count);
    c.m2 = std::max(0.0, sq - sd * sd / static_cast<double>(count));
    return c;
}

// x86-64: the kernel for AVX2 too, chosen at run time.
#if defined(__x86_64__)
[[gnu::target("avx2")]] ChunkStats chunkStatsAvx2(const float* p, std::size_t n)
{
    return chunkKernel<float, 32>(p, n);
}

[[gnu::target("avx2")]] ChunkStats chunkStatsAvx2(const double* p, std::size_t n)
{
    return chunkKernel<double, 32>(p, n);
}

bool hasAvx2()
{
    static const bool yes = __builtin_cpu_supports("avx2");
    return yes;
}
#endif

template <typename T> ChunkStats chunkStatsOf(const T* p, std::size_t n)
{
#if defined(__x86_64__)
    if (hasAvx2())
        return chunkStatsAvx2(p, n);
#endif
    return chunkKernel<T, 16>(p, n);
}

// Threads for the statistics of `bytes` of local data: every core, up to 8, for 1 MiB and more.
unsigned statsThreads(std::uint64_t bytes, bool remote)
{
    if (remote || bytes < (std::uint64_t(1) << 20))
        return 1;
    return std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
}

// One chunk of TensorView::kChunk logical elements, in the run of chunks one thread takes.
struct ChunkPlace {
    std::uint64_t index, first; // the chunk's number and its first logical element
    std::size_t n; // its elements
    bool startsRun; // the thread's first chunk
    std::uint64_t runEnd; // the logical element where the thread's run ends
};

// Runs body(place, scratch) over the chunks of [0, numel): on `threads` threads, each over one
// contiguous run of chunks (so that each maps its own part of the file ahead), each with
// `scratch` doubles of its own. The calling thread takes the first run and polls the observer
// (cancel, progress) as often as one thread would over the whole tensor: every 16 chunks done in
// all. The first error (or the cancel) stops every thread.
template <typename Body>
Result<void> forEachChunk(std::uint64_t numel, unsigned threads, std::size_t scratch,
    LoadObserver* observer, const Body& body)
{
    constexpr std::uint64_t kChunk = TensorView::kChunk;
    const std::uint64_t chunks = (numel + kChunk - 1) / kChunk;
    threads = static_cast<unsigned>(std::clamp<std::uint64_t>(chunks, 1, threads));
    std::vector<std::vector<double>> buffers(threads, std::vector<double>(scratch));
    std::vector<std::optional<Error>> errors(threads);
    std::atomic<bool> stop { false };
    std::atomic<std::uint64_t> othersDone { 0 };
    const std::uint64_t pollEvery = std::max<std::uint64_t>(1, 16 / threads);
    auto run = [&](unsigned t) {
        const std::uint64_t begin = chunks * t / threads, end = chunks * (t + 1) / threads;
        const std::uint64_t runEnd = std::min(numel, end * kChunk);
        for (std::uint64_t chunk = begin; chunk < end; ++chunk) {
            if (t == 0 && observer != nullptr && (chunk - begin) % pollEvery == 0) {
                if (observer->isCancelled()) {
                    errors[0] = makeError(ErrorCode::Cancelled, 0, "statistics cancelled");
                    stop = true;
                    return;
                }
                observer->progress(
                    std::min(numel, (chunk - begin + othersDone.load()) * kChunk), numel);
            }
            if (stop.load(std::memory_order_relaxed))
                return;
            const std::uint64_t first = chunk * kChunk;
            const ChunkPlace place { chunk, first,
                static_cast<std::size_t>(std::min(kChunk, numel - first)), chunk == begin, runEnd };
            if (auto done = body(place, buffers[t]); !done.ok()) {
                errors[t] = done.error();
                stop = true;
                return;
            }
            if (t != 0)
                othersDone.fetch_add(1, std::memory_order_relaxed);
        }
    };
    {
        std::vector<std::jthread> pool;
        for (unsigned t = 1; t < threads; ++t)
            pool.emplace_back(run, t);
        run(0);
    }
    for (const auto& error : errors)
        if (error)
            return *error;
    if (observer != nullptr)
        observer->progress(numel, numel);
    return {};
}

std::size_t chunkLength(std::uint64_t numel, std::uint64_t chunk)
{
    return static_cast<std::size_t>(
        std::min<std::uint64_t>(TensorView::kChunk, numel - chunk * TensorView::kChunk));
}

std::vector<double> firstValues(std::uint64_t numel, const auto& valueAt)
{
    std::vector<double> out(static_cast<std::size_t>(std::min<std::uint64_t>(numel, 16)));
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i] = valueAt(i);
    return out;
}

} // namespace

ChunkStats chunkStats(const float* p, std::size_t n)
{
    return chunkStatsOf(p, n);
}

ChunkStats chunkStats(const double* p, std::size_t n)
{
    return chunkStatsOf(p, n);
}

void StatsMerger::add(const ChunkStats& c, std::size_t n)
{
    mn = std::min(mn, c.min);
    mx = std::max(mx, c.max);
    nan += c.nan;
    inf += c.inf;
    zero += c.zero;
    total += c.sum;
    const std::uint64_t chunkCount = n - c.nan;
    if (chunkCount == 0)
        return;
    const double chunkMean = c.sum / static_cast<double>(chunkCount);
    const double delta = chunkMean - mean;
    const std::uint64_t merged = counted + chunkCount;
    mean += delta * static_cast<double>(chunkCount) / static_cast<double>(merged);
    m2 += c.m2
        + delta * delta * static_cast<double>(counted) * static_cast<double>(chunkCount)
            / static_cast<double>(merged);
    counted = merged;
}

void StatsMerger::finish(TensorStats& st, std::uint64_t count) const
{
    st.count = count;
    st.nanCount = nan;
    st.infCount = inf;
    st.zeroCount = zero;
    st.sum = total;
    if (counted > 0) {
        st.min = mn;
        st.max = mx;
        st.mean = total / static_cast<double>(counted);
        st.stddev = std::sqrt(m2 / static_cast<double>(counted));
    } else {
        st.min = st.max = st.mean = st.stddev = std::numeric_limits<double>::quiet_NaN();
    }
}

// Chunks are computed on up to statsThreads() threads and merged in chunk order, so the result
// does not depend on how many threads ran.
Result<TensorStats> TensorView::stats(LoadObserver* observer) const
{
    const std::byte* base = m_contiguous
        ? m_bytes.data() + static_cast<std::uint64_t>(m_offset) * m_elemSize
        : nullptr;
    // Raw float32/float64 data is scanned in place; everything else through read(). (Legacy
    // checkpoints place storages at any byte offset: unaligned data is read by copying.)
    const bool raw = base != nullptr && !m_swap && !m_quantized && !m_negative && m_perByte == 1
        && (m_dtype == DType::Float32 || m_dtype == DType::Float64)
        && reinterpret_cast<std::uintptr_t>(base) % m_elemSize == 0;
    const bool prefetch = m_remote == nullptr && base != nullptr && m_perByte == 1
        && m_numel * m_elemSize > (std::uint64_t(4) << 20);
    const std::uint64_t chunks = (m_numel + kChunk - 1) / kChunk;
    std::vector<ChunkStats> perChunk(static_cast<std::size_t>(chunks));
    auto body = [&](const ChunkPlace& at, std::vector<double>& buf) -> Result<void> {
        const std::size_t n = at.n;
        const std::byte* p = base != nullptr ? base + at.first * m_elemSize : nullptr;
        if (prefetch && (at.startsRun || at.first % kPrefetch == 0)) {
            // map the next block of a large contiguous tensor in one call (up to the run's end)
            const std::uint64_t until = std::min(at.runEnd, (at.first / kPrefetch + 1) * kPrefetch);
            prefetchRange(p, static_cast<std::size_t>((until - at.first) * m_elemSize));
        }
        ByteSource::Lease lease; // a remote file: this chunk pinned while it is read
        if (m_remote != nullptr && p != nullptr && m_perByte == 1) {
            PS_ASSIGN(lease,
                m_remote->lease(static_cast<std::uint64_t>(p - m_remote->bytes().data()),
                    std::uint64_t(n) * m_elemSize));
        }
        ChunkStats& c = perChunk[static_cast<std::size_t>(at.index)];
        if (raw) {
            if (m_dtype == DType::Float32)
                c = chunkStats(reinterpret_cast<const float*>(p), n);
            else
                c = chunkStats(reinterpret_cast<const double*>(p), n);
        } else {
            read(at.first, n, buf.data());
            c = chunkStats(buf.data(), n);
        }
        return {};
    };
    PS_TRY(forEachChunk(m_numel, statsThreads(m_numel * m_elemSize, m_remote != nullptr),
        raw ? 0 : kChunk, observer, body));
    StatsMerger merged;
    for (std::uint64_t chunk = 0; chunk < chunks; ++chunk)
        merged.add(perChunk[static_cast<std::size_t>(chunk)], chunkLength(m_numel, chunk));
    TensorStats st;
    merged.finish(st, m_numel);
    st.first.resize(static_cast<std::size_t>(std::min<std::uint64_t>(m_numel, 16)));
    read(0, st.first.size(), st.first.data());
    return st;
}

Result<TensorView::ComplexStats> TensorView::complexStats(LoadObserver* observer) const
{
    const std::uint64_t chunks = (m_numel + kChunk - 1) / kChunk;
    std::vector<ChunkStats> perChunk(static_cast<std::size_t>(chunks) * 3); // re, im, |z|
    auto body = [&](const ChunkPlace& at, std::vector<double>& buf) -> Result<void> {
        double* re = buf.data();
        double* im = re + kChunk;
        double* ab = im + kChunk;
        for (std::size_t i = 0; i < at.n; ++i) {
            const auto [r, m] = elementComplex(at.first + i);
            re[i] = r;
            im[i] = m;
            ab[i] = std::hypot(r, m);
        }
        ChunkStats* c = perChunk.data() + at.index * 3;
        c[0] = chunkStats(re, at.n);
        c[1] = chunkStats(im, at.n);
        c[2] = chunkStats(ab, at.n);
        return {};
    };
    PS_TRY(forEachChunk(m_numel, statsThreads(m_numel * m_elemSize, m_remote != nullptr),
        3 * kChunk, observer, body));
    ComplexStats out;
    TensorStats* parts[3] = { &out.real, &out.imag, &out.abs };
    for (std::size_t part = 0; part < 3; ++part) {
        StatsMerger merged;
        for (std::uint64_t chunk = 0; chunk < chunks; ++chunk)
            merged.add(
                perChunk[static_cast<std::size_t>(chunk) * 3 + part], chunkLength(m_numel, chunk));
        merged.finish(*parts[part], m_numel);
    }
    out.real.first = firstValues(m_numel, [&](std::uint64_t i) { return elementComplex(i).first; });
    out.imag.first
        = firstValues(m_numel, [&](std::uint64_t i) { return elementComplex(i).second; });
    out.abs.first = firstValues(m_numel, [&](std::uint64_t i) {
        const auto [r, m] = elementComplex(i);
        return std::hypot(r, m);
    });
    return out;
}

} // namespace core::torch
