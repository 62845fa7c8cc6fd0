#include "core/torch/tensor_view.h"

#include "core/torch/element_decode.h"

#include <algorithm>
#include <cmath>
#include <limits>

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
        advance(coord, pos);
    }
}

void TensorView::advance(std::vector<std::uint64_t>& coord, std::uint64_t& pos) const
{
    for (std::size_t k = coord.size(); k-- > 0;) {
        pos += static_cast<std::uint64_t>(m_stride[k]);
        if (++coord[k] < static_cast<std::uint64_t>(m_shape[k]))
            return;
        pos -= coord[k] * static_cast<std::uint64_t>(m_stride[k]);
        coord[k] = 0;
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

} // namespace core::torch
