#include "core/torch/tensor_view.h"

#include "core/torch/element_decode.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <sys/mman.h>
#include <unistd.h>

namespace core::torch {

namespace {

constexpr std::size_t kMaxRank = 64;

bool mulOverflow(std::uint64_t a, std::uint64_t b, std::uint64_t& out)
{
    return __builtin_mul_overflow(a, b, &out);
}

Error viewError(ErrorCode code, const ValueGraph& graph, ValueId id, std::string message)
{
    return makeError(code, graph.valid(id) ? graph.offset(id) : 0, std::move(message));
}

// Reads a small 1-D tensor (per-channel scales / zero points) fully.
Result<std::vector<double>> readAll(std::shared_ptr<const Document> doc, ValueId id)
{
    PS_ASSIGN(auto view, TensorView::open(std::move(doc), id));
    if (view.numel() > (1u << 24))
        return makeError(ErrorCode::LimitExceeded, 0, "per-channel quantization parameters too large");
    std::vector<double> out(view.numel());
    view.read(0, out.size(), out.data());
    return out;
}

} // namespace

Result<std::span<const std::byte>> storageBytes(const Document& doc, const StorageRecord& storage)
{
    if (!storage.bytesFound)
        return makeError(ErrorCode::Format, storage.bytes.offset,
            "storage '" + std::string(storage.key) + "' has no data record in the file");
    std::span<const std::byte> whole;
    if (storage.bytes.inflatedEntry >= 0)
        whole = doc.source ? doc.source->kept(static_cast<std::size_t>(storage.bytes.inflatedEntry)) : whole;
    else if (doc.source)
        whole = doc.source->bytes();
    const auto& r = storage.bytes;
    if (r.offset > whole.size() || r.length > whole.size() - r.offset)
        return makeError(ErrorCode::Truncated, r.offset,
            "storage '" + std::string(storage.key) + "': " + std::to_string(r.length) + " bytes at offset "
                + std::to_string(r.offset) + " run past the end of the data");
    return whole.subspan(r.offset, r.length);
}

Result<TensorView> TensorView::open(std::shared_ptr<const Document> doc, ValueId id)
{
    if (!doc)
        return makeError(ErrorCode::BadValue, 0, "no document");
    const ValueGraph& graph = doc->graph;
    if (!graph.valid(id))
        return makeError(ErrorCode::BadValue, 0, "no such value");
    TensorView view;
    const ValueKind kind = graph.kind(id);
    if (kind == ValueKind::Tensor) {
        const TensorRecord& t = graph.tensor(id);
        if (t.layout != TensorLayout::Strided && t.layout != TensorLayout::Quantized)
            return viewError(ErrorCode::Unsupported, graph, id, "tensor has no strided data (sparse, meta or nested)");
        if (isNull(t.storage) || !graph.valid(t.storage) || graph.kind(t.storage) != ValueKind::Storage)
            return viewError(ErrorCode::BadValue, graph, id, "tensor has no storage");
        const StorageRecord& s = graph.storage(t.storage);
        view.m_dtype = t.dtype == DType::Unknown ? s.dtype : t.dtype;
        view.m_shape = t.shape;
        view.m_stride = t.stride;
        view.m_offset = t.storageOffset;
        view.m_swap = s.bigEndian;
        view.m_negative = t.negative;
        view.m_conjugate = t.conjugate;
        auto bytes = storageBytes(*doc, s);
        if (!bytes.ok())
            return viewError(bytes.error().code, graph, bytes.error().offset ? id : t.storage, bytes.error().message);
        view.m_bytes = bytes.value();
        if (doc->source && doc->source->isRemote() && s.bytes.inflatedEntry < 0)
            view.m_remote = doc->source.get();
        else if (doc->source && s.bytes.inflatedEntry >= 0) // a shard's bytes: remote or not
            if (const ByteSource* shard
                = doc->source->keptSource(static_cast<std::size_t>(s.bytes.inflatedEntry));
                shard != nullptr && shard->isRemote())
                view.m_remote = shard;
        if (t.layout == TensorLayout::Quantized) {
            view.m_quantized = true;
            view.m_scale = t.scale;
            view.m_zeroPoint = t.zeroPoint;
            view.m_axis = t.axis;
            if (!isNull(t.scales)) {
                PS_ASSIGN(view.m_scales, readAll(doc, t.scales));
                if (!isNull(t.zeroPoints)) {
                    PS_ASSIGN(view.m_zeroPoints, readAll(doc, t.zeroPoints));
                }
                if (t.axis < 0 || static_cast<std::size_t>(t.axis) >= t.shape.size()
                    || view.m_scales.size() != static_cast<std::uint64_t>(t.shape[static_cast<std::size_t>(t.axis)])
                    || (!view.m_zeroPoints.empty() && view.m_zeroPoints.size() != view.m_scales.size()))
                    return viewError(ErrorCode::BadValue, graph, id, "per-channel quantization parameters do not match the shape");
            }
        }
    } else if (kind == ValueKind::NdArray) {
        const NdArrayRecord& a = graph.ndarray(id);
        if (a.dtype == DType::Object || a.dtype == DType::Other || a.dtype == DType::Unknown)
            return viewError(ErrorCode::Unsupported, graph, id, "array dtype " + std::string(a.dtypeText) + " is not numeric");
        if (isNull(a.data) || !graph.valid(a.data)
            || (graph.kind(a.data) != ValueKind::Bytes && graph.kind(a.data) != ValueKind::ByteArray))
            return viewError(ErrorCode::BadValue, graph, id, "array has no raw data");
        view.m_dtype = a.dtype;
        view.m_shape = a.shape;
        view.m_bytes = graph.bytes(a.data);
        view.m_swap = a.byteOrder == '>';
        // element strides, C or Fortran order
        view.m_stride.assign(a.shape.size(), 1);
        std::int64_t step = 1;
        for (std::size_t k = 0; k < a.shape.size(); ++k) {
            const std::size_t axis = a.fortranOrder ? k : a.shape.size() - 1 - k;
            view.m_stride[axis] = step;
            const std::int64_t dim = std::max<std::int64_t>(a.shape[axis], 1);
            if (__builtin_mul_overflow(step, dim, &step))
                return viewError(ErrorCode::LimitExceeded, graph, id, "array element count overflows");
        }
    } else {
        return viewError(ErrorCode::BadValue, graph, id, "not a tensor or array");
    }
    view.m_doc = std::move(doc);

    // Shape, strides, bounds.
    if (view.m_shape.size() != view.m_stride.size())
        return viewError(ErrorCode::BadValue, graph, id, "shape and stride ranks differ");
    if (view.m_shape.size() > kMaxRank)
        return viewError(ErrorCode::LimitExceeded, graph, id, "rank " + std::to_string(view.m_shape.size()) + " is over 64");
    if (view.m_offset < 0)
        return viewError(ErrorCode::BadValue, graph, id, "negative storage offset");
    view.m_elemSize = dtypeSize(view.m_dtype);
    if (view.m_elemSize == 0)
        return viewError(ErrorCode::Unsupported, graph, id, "dtype " + std::string(dtypeName(view.m_dtype)) + " has no element size");
    if (view.m_dtype == DType::QUInt4x2)
        view.m_perByte = 2;
    else if (view.m_dtype == DType::QUInt2x4)
        view.m_perByte = 4;
    std::uint64_t numel = 1;
    std::uint64_t extent = 0; // sum (size-1)*stride
    bool empty = false;
    for (std::size_t k = 0; k < view.m_shape.size(); ++k) {
        const std::int64_t size = view.m_shape[k];
        const std::int64_t stride = view.m_stride[k];
        if (size < 0)
            return viewError(ErrorCode::BadValue, graph, id, "negative size in shape");
        if (stride < 0)
            return viewError(ErrorCode::BadValue, graph, id, "negative stride");
        if (size == 0)
            empty = true;
        if (mulOverflow(numel, static_cast<std::uint64_t>(size), numel))
            return viewError(ErrorCode::LimitExceeded, graph, id, "element count of the shape overflows 64 bits");
    }
    if (empty)
        numel = 0;
    const std::uint64_t storageElems = view.m_bytes.size() / view.m_elemSize * view.m_perByte;
    if (!empty) {
        for (std::size_t k = 0; k < view.m_shape.size(); ++k) {
            std::uint64_t span = 0;
            if (mulOverflow(static_cast<std::uint64_t>(view.m_shape[k] - 1), static_cast<std::uint64_t>(view.m_stride[k]), span)
                || __builtin_add_overflow(extent, span, &extent))
                return viewError(ErrorCode::LimitExceeded, graph, id, "strides times sizes overflow 64 bits");
        }
        std::uint64_t last = 0;
        if (__builtin_add_overflow(extent, static_cast<std::uint64_t>(view.m_offset), &last) || last >= storageElems)
            return viewError(ErrorCode::Format, graph, id,
                "tensor needs storage element " + std::to_string(last) + " but its storage holds "
                    + std::to_string(storageElems) + " elements (strides or offset past the storage, or storage too short)");
    } else if (static_cast<std::uint64_t>(view.m_offset) > storageElems) {
        return viewError(ErrorCode::Format, graph, id, "storage offset past the end of the storage");
    }
    view.m_numel = numel;
    // row-major contiguous?
    bool contiguous = true;
    std::int64_t expect = 1;
    for (std::size_t k = view.m_shape.size(); k-- > 0;) {
        if (view.m_shape[k] != 1 && view.m_stride[k] != expect)
            contiguous = false;
        expect *= std::max<std::int64_t>(view.m_shape[k], 1);
    }
    view.m_contiguous = contiguous;
    return view;
}

std::uint64_t TensorView::position(std::uint64_t index) const
{
    std::uint64_t pos = static_cast<std::uint64_t>(m_offset);
    for (std::size_t k = m_shape.size(); k-- > 0;) {
        const auto size = static_cast<std::uint64_t>(m_shape[k]);
        pos += (index % size) * static_cast<std::uint64_t>(m_stride[k]);
        index /= size;
    }
    return pos;
}

double TensorView::dequantize(double q, std::uint64_t index) const
{
    if (m_scales.empty())
        return (q - static_cast<double>(m_zeroPoint)) * m_scale;
    // channel = coordinate along m_axis
    std::uint64_t inner = 1;
    for (std::size_t k = static_cast<std::size_t>(m_axis) + 1; k < m_shape.size(); ++k)
        inner *= static_cast<std::uint64_t>(m_shape[k]);
    const std::uint64_t channel = (index / inner) % static_cast<std::uint64_t>(m_shape[static_cast<std::size_t>(m_axis)]);
    const double zp = m_zeroPoints.empty() ? 0.0 : m_zeroPoints[channel];
    return (q - zp) * m_scales[channel];
}

double TensorView::decodeAt(std::uint64_t pos, std::uint64_t index) const
{
    double v;
    if (m_perByte > 1) {
        const auto lease = touch(m_bytes.data() + pos / m_perByte, 1);
        const unsigned byte = std::to_integer<unsigned>(m_bytes[pos / m_perByte]);
        const unsigned bits = 8 / m_perByte;
        v = static_cast<double>((byte >> ((pos % m_perByte) * bits)) & ((1u << bits) - 1));
    } else {
        const auto lease = touch(m_bytes.data() + pos * m_elemSize, m_elemSize);
        v = decodeElement(m_dtype, m_bytes.data() + pos * m_elemSize, m_swap);
    }
    v = m_quantized ? dequantize(v, index) : v;
    return m_negative ? -v : v;
}

double TensorView::element(std::uint64_t index) const
{
    if (index >= m_numel)
        return std::numeric_limits<double>::quiet_NaN();
    return decodeAt(position(index), index);
}

double TensorView::elementAt(std::span<const std::int64_t> coords) const
{
    if (coords.size() != m_shape.size())
        return std::numeric_limits<double>::quiet_NaN();
    std::uint64_t pos = static_cast<std::uint64_t>(m_offset);
    std::uint64_t index = 0;
    for (std::size_t k = 0; k < coords.size(); ++k) {
        if (coords[k] < 0 || coords[k] >= m_shape[k])
            return std::numeric_limits<double>::quiet_NaN();
        pos += static_cast<std::uint64_t>(coords[k]) * static_cast<std::uint64_t>(m_stride[k]);
        index = index * static_cast<std::uint64_t>(m_shape[k]) + static_cast<std::uint64_t>(coords[k]);
    }
    return decodeAt(pos, index);
}

std::pair<double, double> TensorView::elementComplex(std::uint64_t index) const
{
    const double re = element(index);
    if (index >= m_numel || (m_dtype != DType::Complex32 && m_dtype != DType::Complex64 && m_dtype != DType::Complex128))
        return { re, 0.0 };
    const std::uint64_t pos = position(index);
    const std::uint32_t half = m_elemSize / 2;
    const DType part = m_dtype == DType::Complex32 ? DType::Float16 : (m_dtype == DType::Complex64 ? DType::Float32 : DType::Float64);
    const auto lease = touch(m_bytes.data() + pos * m_elemSize, m_elemSize);
    double im = decodeElement(part, m_bytes.data() + pos * m_elemSize + half, m_swap);
    im = m_negative ? -im : im;
    return { re, m_conjugate ? -im : im };
}

std::int64_t TensorView::elementInt64(std::uint64_t index) const
{
    if (index >= m_numel)
        return 0;
    const std::byte* p = m_bytes.data() + position(index) * m_elemSize;
    const auto lease = touch(p, m_elemSize);
    std::int64_t v = 0;
    switch (m_dtype) {
    case DType::Int8: v = static_cast<std::int8_t>(std::to_integer<unsigned>(p[0])); break;
    case DType::UInt8: v = std::to_integer<unsigned>(p[0]); break;
    case DType::Int16: v = loadAs<std::int16_t>(p, m_swap); break;
    case DType::UInt16: v = loadAs<std::uint16_t>(p, m_swap); break;
    case DType::Int32: v = loadAs<std::int32_t>(p, m_swap); break;
    case DType::UInt32: v = loadAs<std::uint32_t>(p, m_swap); break;
    case DType::Int64: v = loadAs<std::int64_t>(p, m_swap); break;
    case DType::UInt64: v = static_cast<std::int64_t>(loadAs<std::uint64_t>(p, m_swap)); break;
    default: return static_cast<std::int64_t>(element(index));
    }
    // torch's neg bit (wrapping, as torch would)
    return m_negative ? static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(v)) : v;
}

std::uint64_t TensorView::elementUInt64(std::uint64_t index) const
{
    if (m_dtype != DType::UInt64 || index >= m_numel)
        return static_cast<std::uint64_t>(elementInt64(index));
    const std::byte* p = m_bytes.data() + position(index) * m_elemSize;
    const auto lease = touch(p, m_elemSize);
    return loadAs<std::uint64_t>(p, m_swap);
}

Result<std::vector<double>> TensorView::slice2D(std::span<const std::int64_t> coords, std::size_t rowAxis, std::size_t colAxis,
    std::int64_t rowStart, std::int64_t rows, std::int64_t colStart, std::int64_t cols) const
{
    const std::size_t rank = m_shape.size();
    if (coords.size() != rank)
        return makeError(ErrorCode::BadValue, 0, "slice: coordinates do not match the rank");
    if (rank == 0) {
        if (rows != 1 || cols != 1 || rowStart != 0 || colStart != 0)
            return makeError(ErrorCode::BadValue, 0, "slice: a 0-d tensor has one element");
        return std::vector<double> { element(0) };
    }
    if (rowAxis >= rank || colAxis >= rank)
        return makeError(ErrorCode::BadValue, 0, "slice: axis out of range");
    const bool oneD = rowAxis == colAxis;
    const std::int64_t rowSize = oneD ? 1 : m_shape[rowAxis];
    if (rows < 0 || cols < 0 || rowStart < 0 || colStart < 0 || rowStart > rowSize - rows || colStart > m_shape[colAxis] - cols)
        return makeError(ErrorCode::BadValue, 0, "slice: window outside the tensor");
    if (static_cast<std::uint64_t>(rows) * static_cast<std::uint64_t>(cols) > (std::uint64_t(1) << 26))
        return makeError(ErrorCode::LimitExceeded, 0, "slice: window too large");
    for (std::size_t k = 0; k < rank; ++k) {
        const bool free = k == colAxis || (!oneD && k == rowAxis);
        if (!free && (coords[k] < 0 || coords[k] >= m_shape[k]))
            return makeError(ErrorCode::BadValue, 0, "slice: coordinate out of range");
    }
    std::vector<double> out;
    out.reserve(static_cast<std::size_t>(rows * cols));
    std::vector<std::int64_t> at(coords.begin(), coords.end());
    for (std::int64_t r = 0; r < rows; ++r) {
        if (!oneD)
            at[rowAxis] = rowStart + r;
        for (std::int64_t c = 0; c < cols; ++c) {
            at[colAxis] = colStart + c;
            out.push_back(elementAt(at));
        }
    }
    return out;
}

void TensorView::read(std::uint64_t first, std::size_t count, double* out) const
{
    if (first >= m_numel)
        return;
    count = static_cast<std::size_t>(std::min<std::uint64_t>(count, m_numel - first));
    if (count == 0)
        return;
    // Fast paths: contiguous, native order, plain types.
    if (m_contiguous && !m_swap && !m_quantized && !m_negative && m_perByte == 1) {
        const std::byte* p = m_bytes.data() + (static_cast<std::uint64_t>(m_offset) + first) * m_elemSize;
        const auto lease = touch(p, std::uint64_t(count) * m_elemSize);
        switch (m_dtype) {
        case DType::Float32: {
            const float* f = reinterpret_cast<const float*>(p);
            if (reinterpret_cast<std::uintptr_t>(p) % alignof(float) == 0) {
                for (std::size_t i = 0; i < count; ++i)
                    out[i] = f[i];
                return;
            }
            break;
        }
        case DType::Float64:
            std::memcpy(out, p, count * sizeof(double));
            return;
        case DType::Float16: {
            const auto& table = halfTable();
            for (std::size_t i = 0; i < count; ++i)
                out[i] = table[loadAs<std::uint16_t>(p + 2 * i, false)];
            return;
        }
        case DType::BFloat16:
            for (std::size_t i = 0; i < count; ++i)
                out[i] = bfloat16ToFloat(loadAs<std::uint16_t>(p + 2 * i, false));
            return;
        default:
            break;
        }
    }
    // General path: an odometer over the coordinates.
    const std::size_t rank = m_shape.size();
    std::vector<std::uint64_t> coord(rank, 0);
    std::uint64_t rest = first;
    std::uint64_t pos = static_cast<std::uint64_t>(m_offset);
    for (std::size_t k = rank; k-- > 0;) {
        const auto size = static_cast<std::uint64_t>(m_shape[k]);
        coord[k] = rest % size;
        rest /= size;
        pos += coord[k] * static_cast<std::uint64_t>(m_stride[k]);
    }
    for (std::size_t i = 0; i < count; ++i) {
        out[i] = decodeAt(pos, first + i);
        for (std::size_t k = rank; k-- > 0;) {
            pos += static_cast<std::uint64_t>(m_stride[k]);
            if (++coord[k] < static_cast<std::uint64_t>(m_shape[k]))
                break;
            pos -= coord[k] * static_cast<std::uint64_t>(m_stride[k]);
            coord[k] = 0;
        }
    }
}

void prefetchRange(const std::byte* p, std::size_t n)
{
#ifdef __linux__
    static const std::uintptr_t page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto begin = reinterpret_cast<std::uintptr_t>(p) & ~(page - 1);
    const auto end = reinterpret_cast<std::uintptr_t>(p) + n;
    if (end <= begin)
        return;
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
    if (::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_READ) != 0)
        (void)::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_WILLNEED);
#else
    (void)p;
    (void)n;
#endif
}

namespace {

// Statistics of one chunk: NaNs are skipped for sum/min/max/m2 and counted; m2 is the sum of
// squared deviations from the chunk's own mean (combined across chunks with Chan's formula).
struct ChunkStats {
    double sum = 0, min = std::numeric_limits<double>::infinity(), max = -std::numeric_limits<double>::infinity();
    double m2 = 0;
    std::uint64_t nan = 0, inf = 0, zero = 0;
};

#if defined(__SSE2__)
inline __m128d load2(const double* p) { return _mm_loadu_pd(p); }
inline __m128d load2(const float* p)
{
    const __m128 f = _mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
    return _mm_cvtps_pd(f);
}
#endif

// Bits set in a 4-bit mask (no popcnt instruction in the baseline x86-64 target).
constexpr std::uint8_t kBits4[16] = { 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4 };

template <typename T>
ChunkStats chunkStats(const T* p, std::size_t n)
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
        const __m128d da = _mm_andnot_pd(ua, _mm_sub_pd(a, origin)), db = _mm_andnot_pd(ub, _mm_sub_pd(b, origin));
        s0 = _mm_add_pd(s0, da);
        s1 = _mm_add_pd(s1, db);
        q0 = _mm_add_pd(q0, _mm_mul_pd(da, da));
        q1 = _mm_add_pd(q1, _mm_mul_pd(db, db));
        lo0 = _mm_min_pd(a, lo0); // a NaN in the first operand yields the second: NaNs skipped
        lo1 = _mm_min_pd(b, lo1);
        hi0 = _mm_max_pd(a, hi0);
        hi1 = _mm_max_pd(b, hi1);
        // all-ones lanes are -1: subtracting a mask counts
        nanCount = _mm_sub_epi64(_mm_sub_epi64(nanCount, _mm_castpd_si128(ua)), _mm_castpd_si128(ub));
        zeroCount = _mm_sub_epi64(_mm_sub_epi64(zeroCount, _mm_castpd_si128(_mm_cmpeq_pd(a, zero))), _mm_castpd_si128(_mm_cmpeq_pd(b, zero)));
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
    if (c.max == std::numeric_limits<double>::infinity() || c.min == -std::numeric_limits<double>::infinity())
        for (std::size_t j = 0; j < i; ++j)
            c.inf += std::fabs(static_cast<double>(p[j])) == std::numeric_limits<double>::infinity();
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

// Merges per-chunk statistics (Chan's parallel variance) into one TensorStats.
struct StatsMerger {
    double mn = std::numeric_limits<double>::infinity();
    double mx = -std::numeric_limits<double>::infinity();
    double total = 0, mean = 0, m2 = 0;
    std::uint64_t counted = 0, nan = 0, inf = 0, zero = 0;

    void add(const ChunkStats& c, std::size_t n)
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

    void finish(TensorStats& st, std::uint64_t count) const
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
};

} // namespace

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
        && reinterpret_cast<std::uintptr_t>(m_bytes.data() + static_cast<std::uint64_t>(m_offset) * m_elemSize) % m_elemSize == 0;
    std::vector<double> buf(raw ? 0 : static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, std::max<std::uint64_t>(m_numel, 1))));
    StatsMerger merged;
    for (std::uint64_t first = 0; first < m_numel; first += kChunk) {
        if (observer != nullptr && (first % (kChunk * 16)) == 0) {
            if (observer->isCancelled())
                return makeError(ErrorCode::Cancelled, 0, "statistics cancelled");
            observer->progress(first, m_numel);
        }
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, m_numel - first));
        if (m_remote == nullptr && m_contiguous && m_perByte == 1 && (first % kPrefetch) == 0
            && m_numel * m_elemSize > (std::uint64_t(4) << 20)) {
            // map the next block of a large contiguous tensor in one call
            const std::uint64_t start = (static_cast<std::uint64_t>(m_offset) + first) * m_elemSize;
            const std::uint64_t len = std::min<std::uint64_t>(std::uint64_t(kPrefetch) * m_elemSize, m_bytes.size() - start);
            prefetchRange(m_bytes.data() + start, static_cast<std::size_t>(len));
        }
        ChunkStats c;
        const std::byte* p = m_bytes.data() + (static_cast<std::uint64_t>(m_offset) + first) * m_elemSize;
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

std::string TensorView::npyDescr() const
{
    switch (m_quantized ? DType::Float32 : m_dtype) {
    case DType::Bool: return "|b1";
    case DType::UInt8: return "|u1";
    case DType::Int8: return "|i1";
    case DType::Int16: return "<i2";
    case DType::Int32: return "<i4";
    case DType::Int64: return "<i8";
    case DType::UInt16: return "<u2";
    case DType::UInt32: return "<u4";
    case DType::UInt64: return "<u8";
    case DType::Float16: return "<f2";
    case DType::Float64: return "<f8";
    case DType::LongDouble: return "<f16";
    case DType::Complex64: return "<c8";
    case DType::Complex128: return "<c16";
    default: return "<f4"; // float32, bfloat16, float8, complex32 (real part), quantized
    }
}

Result<void> TensorView::writeNpy(const std::string& path) const
{
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr)
        return makeError(ErrorCode::Io, 0, "cannot write " + path);
    auto r = writeNpy(
        [f](const char* data, std::size_t size) { return std::fwrite(data, 1, size, f) == size; });
    const bool closed = std::fclose(f) == 0;
    if (!r)
        return makeError(r.error().code, 0, r.error().message + " on " + path);
    if (!closed)
        return makeError(ErrorCode::Io, 0, "write error on " + path);
    return {};
}

Result<void> TensorView::writeNpy(const NpySink& sink, LoadObserver* observer) const
{
    std::string header = "{'descr': '" + npyDescr() + "', 'fortran_order': False, 'shape': (";
    for (std::size_t k = 0; k < m_shape.size(); ++k)
        header += std::to_string(m_shape[k]) + (m_shape.size() == 1 ? ",)" : (k + 1 == m_shape.size() ? ")" : ", "));
    if (m_shape.empty())
        header += ")";
    header += ", }";
    // magic(6) + version(2) + len(2) + header + '\n' is a multiple of 64
    const std::size_t total = 10 + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header += '\n';
    if (header.size() > 65535)
        return makeError(ErrorCode::LimitExceeded, 0, "npy header too long");

    std::string head = "\x93NUMPY";
    head += '\x01';
    head += '\x00';
    head += static_cast<char>(header.size() & 0xFF);
    head += static_cast<char>(header.size() >> 8);
    head += header;
    bool ok = sink(head.data(), head.size());

    const std::string descr = npyDescr();
    const bool floating = m_dtype == DType::Float16 || m_dtype == DType::Float32 || m_dtype == DType::Float64
        || m_dtype == DType::Complex64 || m_dtype == DType::Complex128;
    const bool complex = m_dtype == DType::Complex64 || m_dtype == DType::Complex128;
    // numpy-native dtypes are copied as stored (neg/conj bits applied by flipping sign bits)
    const bool raw = !m_quantized && m_perByte == 1 && (descr != "<f4" || m_dtype == DType::Float32)
        && (!m_negative || floating);
    const std::uint32_t unit = swapUnit(m_dtype);
    std::vector<std::byte> out;
    std::vector<double> vals;
    const std::size_t rank = m_shape.size();
    std::vector<std::uint64_t> coord(rank, 0);
    std::uint64_t pos = static_cast<std::uint64_t>(m_offset);
    for (std::uint64_t first = 0; ok && first < m_numel; first += kChunk) {
        if (observer) {
            if (observer->isCancelled())
                return makeError(ErrorCode::Cancelled, 0, "export cancelled");
            observer->progress(first, m_numel);
        }
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, m_numel - first));
        if (raw) {
            out.resize(n * m_elemSize);
            for (std::size_t i = 0; i < n; ++i) {
                std::byte* dst = out.data() + i * m_elemSize;
                const auto lease = touch(m_bytes.data() + pos * m_elemSize, m_elemSize);
                std::memcpy(dst, m_bytes.data() + pos * m_elemSize, m_elemSize);
                if (m_swap && unit > 1)
                    for (std::uint32_t c = 0; c < m_elemSize; c += unit)
                        std::reverse(dst + c, dst + c + unit);
                if (m_negative)
                    for (std::uint32_t c = 0; c < m_elemSize; c += unit)
                        dst[c + unit - 1] ^= std::byte { 0x80 }; // little-endian sign bit of each component
                if (m_conjugate && complex)
                    dst[m_elemSize - 1] ^= std::byte { 0x80 }; // the imaginary part's sign
                for (std::size_t k = rank; k-- > 0;) {
                    pos += static_cast<std::uint64_t>(m_stride[k]);
                    if (++coord[k] < static_cast<std::uint64_t>(m_shape[k]))
                        break;
                    pos -= coord[k] * static_cast<std::uint64_t>(m_stride[k]);
                    coord[k] = 0;
                }
            }
        } else {
            vals.resize(n);
            read(first, n, vals.data());
            out.resize(n * 4);
            for (std::size_t i = 0; i < n; ++i) {
                const float v = static_cast<float>(vals[i]);
                std::memcpy(out.data() + 4 * i, &v, 4);
            }
        }
        ok = sink(reinterpret_cast<const char*>(out.data()), out.size());
    }
    if (!ok)
        return makeError(ErrorCode::Io, 0, "write error");
    if (observer)
        observer->progress(m_numel, m_numel);
    return {};
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
