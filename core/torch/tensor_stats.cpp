#include "core/torch/tensor_stats.h"

#include "core/torch/tensor_view.h"

#include <algorithm>
#include <cmath>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace core::torch {

namespace {

#if defined(__SSE2__)
inline __m128d load2(const double* p)
{
    return _mm_loadu_pd(p);
}
inline __m128d load2(const float* p)
{
    const __m128 f = _mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
    return _mm_cvtps_pd(f);
}
#endif

// Bits set in a 4-bit mask (no popcnt instruction in the baseline x86-64 target).
constexpr std::uint8_t kBits4[16] = { 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4 };

template <typename T> ChunkStats chunkStatsOf(const T* p, std::size_t n)
{
    ChunkStats c;
    // Shifted sums (origin k = the first finite value) give sum and m2 in one pass, stably.
    double k = 0;
    for (std::size_t j = 0; j < n; ++j) {
        const double v = static_cast<double>(p[j]);
        if (std::isfinite(v)) {
            k = v;
            break;
        }
    }
    double sd = 0, sq = 0;
    std::size_t i = 0;
#if defined(__SSE2__)
    const __m128d inf = _mm_set1_pd(std::numeric_limits<double>::infinity());
    const __m128d zero = _mm_setzero_pd();
    const __m128d origin = _mm_set1_pd(k);
    __m128d s0 = zero, s1 = zero, q0 = zero, q1 = zero, lo0 = inf, lo1 = inf;
    __m128d hi0 = _mm_set1_pd(-std::numeric_limits<double>::infinity()), hi1 = hi0;
    __m128i nanCount = _mm_setzero_si128(), zeroCount = nanCount;
    for (; i + 4 <= n; i += 4) {
        const __m128d a = load2(p + i), b = load2(p + i + 2);
        const __m128d ua = _mm_cmpunord_pd(a, a), ub = _mm_cmpunord_pd(b, b);
        const __m128d da = _mm_andnot_pd(ua, _mm_sub_pd(a, origin)),
                      db = _mm_andnot_pd(ub, _mm_sub_pd(b, origin));
        s0 = _mm_add_pd(s0, da);
        s1 = _mm_add_pd(s1, db);
        q0 = _mm_add_pd(q0, _mm_mul_pd(da, da));
        q1 = _mm_add_pd(q1, _mm_mul_pd(db, db));
        lo0 = _mm_min_pd(a, lo0); // a NaN in the first operand yields the second: NaNs skipped
        lo1 = _mm_min_pd(b, lo1);
        hi0 = _mm_max_pd(a, hi0);
        hi1 = _mm_max_pd(b, hi1);
        // all-ones lanes are -1: subtracting a mask counts
        nanCount
            = _mm_sub_epi64(_mm_sub_epi64(nanCount, _mm_castpd_si128(ua)), _mm_castpd_si128(ub));
        zeroCount = _mm_sub_epi64(_mm_sub_epi64(zeroCount, _mm_castpd_si128(_mm_cmpeq_pd(a, zero))),
            _mm_castpd_si128(_mm_cmpeq_pd(b, zero)));
    }
    double tmp[2];
    _mm_storeu_pd(tmp, _mm_add_pd(s0, s1));
    sd = tmp[0] + tmp[1];
    _mm_storeu_pd(tmp, _mm_add_pd(q0, q1));
    sq = tmp[0] + tmp[1];
    _mm_storeu_pd(tmp, _mm_min_pd(lo0, lo1));
    c.min = std::min(tmp[0], tmp[1]);
    _mm_storeu_pd(tmp, _mm_max_pd(hi0, hi1));
    c.max = std::max(tmp[0], tmp[1]);
    std::int64_t counts[2];
    _mm_storeu_si128(reinterpret_cast<__m128i*>(counts), nanCount);
    c.nan = static_cast<std::uint64_t>(counts[0] + counts[1]);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(counts), zeroCount);
    c.zero = static_cast<std::uint64_t>(counts[0] + counts[1]);
    // infinities are rare: counted only when min or max says there are some
    if (c.max == std::numeric_limits<double>::infinity()
        || c.min == -std::numeric_limits<double>::infinity())
        for (std::size_t j = 0; j < i; ++j)
            c.inf
                += std::fabs(static_cast<double>(p[j])) == std::numeric_limits<double>::infinity();
#endif
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
        c.inf += std::fabs(a) == std::numeric_limits<double>::infinity();
    }
    const std::uint64_t count = n - c.nan;
    if (count == 0)
        return c;
    c.sum = sd + k * static_cast<double>(count);
    c.m2 = std::max(0.0, sq - sd * sd / static_cast<double>(count));
    return c;
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

Result<TensorStats> TensorView::stats(LoadObserver* observer) const
{
    TensorStats st;
    st.count = m_numel;
    const std::size_t firstCount = static_cast<std::size_t>(std::min<std::uint64_t>(m_numel, 16));
    st.first.resize(firstCount);
    read(0, firstCount, st.first.data());
    // Raw float32/float64 data is scanned in place; everything else through read().
    const bool raw = m_contiguous && !m_swap && !m_quantized && !m_negative && m_perByte == 1
        && (m_dtype == DType::Float32 || m_dtype == DType::Float64)
        && reinterpret_cast<std::uintptr_t>(
               m_bytes.data() + static_cast<std::uint64_t>(m_offset) * m_elemSize)
                % m_elemSize
            == 0;
    std::vector<double> buf(raw ? 0
                                : static_cast<std::size_t>(std::min<std::uint64_t>(
                                    kChunk, std::max<std::uint64_t>(m_numel, 1))));
    StatsMerger merged;
    for (std::uint64_t first = 0; first < m_numel; first += kChunk) {
        if (observer != nullptr && (first % (kChunk * 16)) == 0) {
            if (observer->isCancelled())
                return makeError(ErrorCode::Cancelled, 0, "statistics cancelled");
            observer->progress(first, m_numel);
        }
        const std::size_t n
            = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, m_numel - first));
        if (m_remote == nullptr && m_contiguous && m_perByte == 1 && (first % kPrefetch) == 0
            && m_numel * m_elemSize > (std::uint64_t(4) << 20)) {
            // map the next block of a large contiguous tensor in one call
            const std::uint64_t start = (static_cast<std::uint64_t>(m_offset) + first) * m_elemSize;
            const std::uint64_t len = std::min<std::uint64_t>(
                std::uint64_t(kPrefetch) * m_elemSize, m_bytes.size() - start);
            prefetchRange(m_bytes.data() + start, static_cast<std::size_t>(len));
        }
        ChunkStats c;
        const std::byte* p
            = m_bytes.data() + (static_cast<std::uint64_t>(m_offset) + first) * m_elemSize;
        ByteSource::Lease lease; // a remote file: this chunk pinned while it is read
        if (m_remote != nullptr && m_contiguous && m_perByte == 1) {
            PS_ASSIGN(lease,
                m_remote->lease(static_cast<std::uint64_t>(p - m_remote->bytes().data()),
                    std::uint64_t(n) * m_elemSize));
        }
        // Legacy checkpoints place storages at any byte offset: read unaligned data by copying.
        if (raw && reinterpret_cast<std::uintptr_t>(p) % m_elemSize == 0) {
            if (m_dtype == DType::Float32)
                c = chunkStats(reinterpret_cast<const float*>(p), n);
            else
                c = chunkStats(reinterpret_cast<const double*>(p), n);
        } else {
            read(first, n, buf.data());
            c = chunkStats(buf.data(), n);
        }
        merged.add(c, n);
    }
    if (observer != nullptr)
        observer->progress(m_numel, m_numel);
    merged.finish(st, m_numel);
    return st;
}

Result<TensorView::ComplexStats> TensorView::complexStats(LoadObserver* observer) const
{
    ComplexStats out;
    const std::size_t chunk = static_cast<std::size_t>(
        std::min<std::uint64_t>(kChunk, std::max<std::uint64_t>(m_numel, 1)));
    std::vector<double> re(chunk), im(chunk), ab(chunk);
    StatsMerger real, imag, abs;
    for (std::uint64_t first = 0; first < m_numel; first += kChunk) {
        if (observer != nullptr && (first % (kChunk * 16)) == 0) {
            if (observer->isCancelled())
                return makeError(ErrorCode::Cancelled, 0, "statistics cancelled");
            observer->progress(first, m_numel);
        }
        const std::size_t n
            = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, m_numel - first));
        for (std::size_t i = 0; i < n; ++i) {
            const auto [r, m] = elementComplex(first + i);
            re[i] = r;
            im[i] = m;
            ab[i] = std::hypot(r, m);
        }
        real.add(chunkStats(re.data(), n), n);
        imag.add(chunkStats(im.data(), n), n);
        abs.add(chunkStats(ab.data(), n), n);
    }
    if (observer != nullptr)
        observer->progress(m_numel, m_numel);
    real.finish(out.real, m_numel);
    imag.finish(out.imag, m_numel);
    abs.finish(out.abs, m_numel);
    const std::size_t firstCount = static_cast<std::size_t>(std::min<std::uint64_t>(m_numel, 16));
    for (std::size_t i = 0; i < firstCount; ++i) {
        const auto [r, m] = elementComplex(i);
        out.real.first.push_back(r);
        out.imag.first.push_back(m);
        out.abs.first.push_back(std::hypot(r, m));
    }
    return out;
}

} // namespace core::torch
