#include "core/compare/tensor_compare.h"

#include "core/torch/tensor_view.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <optional>
#include <span>
#include <thread>

namespace core::compare {

namespace {

// Logical elements decoded at once where blocks differ (two float64 buffers per thread).
constexpr std::size_t kChunk = torch::TensorView::kChunk;
// Bytes of one side handed to a thread at once (a multiple of kChunk elements).
constexpr std::uint64_t kBlockBytes = std::uint64_t(4) << 20;

bool isComplex(DType t)
{
    return t == DType::Complex32 || t == DType::Complex64 || t == DType::Complex128;
}

bool isNumeric(DType t)
{
    switch (t) {
    case DType::Unknown:
    case DType::Object:
    case DType::Other:
        return false;
    default:
        return true;
    }
}

// Plain element types whose stored bytes are the value (equal bytes <=> identical elements).
bool rawComparable(DType t)
{
    switch (t) {
    case DType::Unknown:
    case DType::Object:
    case DType::QInt8:
    case DType::QUInt8:
    case DType::QInt32:
    case DType::QUInt4x2:
    case DType::QUInt2x4:
        return false;
    default:
        return dtypeSize(t) > 0;
    }
}

bool rowMajor(const std::vector<std::int64_t>& shape, const std::vector<std::int64_t>& stride)
{
    if (stride.size() != shape.size())
        return false;
    std::int64_t expected = 1;
    for (std::size_t k = shape.size(); k-- > 0;) {
        if (shape[k] != 1 && stride[k] != expected)
            return false;
        expected *= shape[k];
    }
    return true;
}

struct RawSide {
    std::span<const std::byte> bytes; // exactly the logical elements, row-major
    DType dtype = DType::Unknown;
    std::uint32_t elemSize = 0;
    bool bigEndian = false;
};

// The logical elements' bytes when they lie contiguously in row-major order, unmodified by
// quantization or torch's neg/conj bits.
std::optional<RawSide> rawSide(const Document& doc, ValueId id, std::uint64_t numel)
{
    const ValueGraph& g = doc.graph;
    RawSide side;
    std::span<const std::byte> all;
    std::uint64_t offsetElems = 0;
    if (g.kind(id) == ValueKind::Tensor) {
        const TensorRecord& t = g.tensor(id);
        if (t.layout != TensorLayout::Strided || t.negative || t.conjugate || !g.valid(t.storage)
            || g.kind(t.storage) != ValueKind::Storage || !rowMajor(t.shape, t.stride)
            || t.storageOffset < 0)
            return std::nullopt;
        const StorageRecord& s = g.storage(t.storage);
        auto bytes = torch::storageBytes(doc, s);
        if (!bytes.ok())
            return std::nullopt;
        all = bytes.value();
        side.dtype = t.dtype;
        side.bigEndian = s.bigEndian;
        offsetElems = static_cast<std::uint64_t>(t.storageOffset);
    } else if (g.kind(id) == ValueKind::NdArray) {
        const NdArrayRecord& a = g.ndarray(id);
        if (!g.valid(a.data)
            || (g.kind(a.data) != ValueKind::Bytes && g.kind(a.data) != ValueKind::ByteArray))
            return std::nullopt;
        std::size_t wide = 0;
        for (auto d : a.shape)
            wide += d > 1 ? 1 : 0;
        if (a.fortranOrder && wide > 1)
            return std::nullopt;
        all = g.bytes(a.data);
        side.dtype = a.dtype;
        side.bigEndian = a.byteOrder == '>';
        side.elemSize = a.itemSize;
    } else {
        return std::nullopt;
    }
    if (side.dtype != DType::Other) {
        if (!rawComparable(side.dtype))
            return std::nullopt;
        side.elemSize = dtypeSize(side.dtype);
    }
    if (side.elemSize == 0)
        return std::nullopt;
    if (side.elemSize == 1)
        side.bigEndian = false;
    const std::uint64_t size = all.size() / side.elemSize;
    if (offsetElems > size || numel > size - offsetElems)
        return std::nullopt;
    side.bytes = all.subspan(offsetElems * side.elemSize, numel * side.elemSize);
    return side;
}

// Two ndarrays of the same non-numeric dtype (numpy "Other": structured, bytes, str) and shape,
// both stored contiguously: compared as raw elements.
std::optional<std::pair<RawSide, RawSide>> rawOnlyPair(
    const Document& da, ValueId a, const Document& db, ValueId b)
{
    const ValueGraph& ga = da.graph;
    const ValueGraph& gb = db.graph;
    if (ga.kind(a) != ValueKind::NdArray || gb.kind(b) != ValueKind::NdArray)
        return std::nullopt;
    const NdArrayRecord& x = ga.ndarray(a);
    const NdArrayRecord& y = gb.ndarray(b);
    if (x.dtype != DType::Other || y.dtype != DType::Other || x.shape != y.shape
        || x.itemSize != y.itemSize || x.dtypeText != y.dtypeText)
        return std::nullopt;
    std::uint64_t numel = 1;
    for (auto d : x.shape)
        if (d < 0 || __builtin_mul_overflow(numel, static_cast<std::uint64_t>(d), &numel))
            return std::nullopt;
    auto ra = rawSide(da, a, numel);
    auto rb = rawSide(db, b, numel);
    if (!ra || !rb || ra->elemSize == 0)
        return std::nullopt;
    return std::make_pair(*ra, *rb);
}

struct Prepared {
    std::optional<torch::TensorView> a, b;
    std::optional<RawSide> rawA, rawB;
    bool raw = false; // compare raw bytes first
    bool rawOnly = false; // no numeric decoding (structured arrays)
    bool complex = false;
    bool sameDtype = false;
    std::uint64_t numel = 0;
    std::uint64_t blockElems = kChunk;
};

struct Partial {
    bool identical = true;
    std::uint64_t mismatched = 0;
    double maxAbs = 0, maxRel = 0;
    std::int64_t firstMismatch = -1;

    void mismatch(std::uint64_t index)
    {
        ++mismatched;
        if (firstMismatch < 0 || static_cast<std::int64_t>(index) < firstMismatch)
            firstMismatch = static_cast<std::int64_t>(index);
    }
    void distance(double d, double absB)
    {
        maxAbs = std::max(maxAbs, d);
        if (absB > 0)
            maxRel = std::max(maxRel, d / absB);
    }
};

inline void accumulate(double a, double b, std::uint64_t index, const Tolerance& tol, Partial& p)
{
    if (a == b)
        return;
    const bool nanA = std::isnan(a), nanB = std::isnan(b);
    if (nanA || nanB) {
        if (!(nanA && nanB))
            p.mismatch(index);
        return;
    }
    const double d = std::fabs(a - b);
    const double absB = std::fabs(b);
    p.distance(d, absB);
    if (std::isinf(a) || std::isinf(b) || !(d <= tol.atol + tol.rtol * absB))
        p.mismatch(index);
}

inline void accumulateComplex(std::pair<double, double> a, std::pair<double, double> b,
    std::uint64_t index, const Tolerance& tol, Partial& p)
{
    if (a == b)
        return;
    const bool nanA = std::isnan(a.first) || std::isnan(a.second);
    const bool nanB = std::isnan(b.first) || std::isnan(b.second);
    if (nanA || nanB) {
        if (!(nanA && nanB))
            p.mismatch(index);
        return;
    }
    const double d = std::hypot(a.first - b.first, a.second - b.second);
    const double absB = std::hypot(b.first, b.second);
    p.distance(d, absB);
    const bool inf = std::isinf(a.first) || std::isinf(a.second) || std::isinf(b.first)
        || std::isinf(b.second);
    if (inf || !(d <= tol.atol + tol.rtol * absB))
        p.mismatch(index);
}

struct Block {
    std::size_t pair = 0;
    std::uint64_t first = 0, count = 0;
};

// A chunk of decoded elements: the common case (both finite) runs on locals with one branch for
// the tolerance (a checkpoint where every element differs stays on it); NaNs and infinities go
// through accumulate().
template <typename T>
void accumulateChunk(
    const T* x, const T* y, std::size_t n, std::uint64_t first, const Tolerance& tol, Partial& part)
{
    double maxAbs = part.maxAbs, maxRel = part.maxRel;
    std::uint64_t mismatched = 0;
    std::int64_t firstMismatch = -1; // in this chunk (indices only grow)
    const double atol = tol.atol, rtol = tol.rtol;
    for (std::size_t i = 0; i < n; ++i) {
        const double a = static_cast<double>(x[i]), b = static_cast<double>(y[i]);
        const double d = std::fabs(a - b), absB = std::fabs(b);
        const bool finite = (a - a == 0) && (b - b == 0);
        if (finite) [[likely]] {
            maxAbs = d > maxAbs ? d : maxAbs;
            if (d > maxRel * absB && absB > 0)
                maxRel = d / absB;
            if (!(d <= atol + rtol * absB)) {
                if (mismatched++ == 0)
                    firstMismatch = static_cast<std::int64_t>(first + i);
            }
            continue;
        }
        part.maxAbs = maxAbs;
        part.maxRel = maxRel;
        accumulate(a, b, first + i, tol, part);
        maxAbs = part.maxAbs;
        maxRel = part.maxRel;
    }
    part.maxAbs = maxAbs;
    part.maxRel = maxRel;
    if (mismatched > 0) {
        part.mismatched += mismatched;
        if (part.firstMismatch < 0 || firstMismatch < part.firstMismatch)
            part.firstMismatch = firstMismatch;
    }
}

// Compares elements [first, first + n) of two native `dtype` (F) storages where they lie, when
// both are of that type and aligned for F; false otherwise.
template <typename F>
bool accumulateInPlace(const Prepared& pp, DType dtype, std::uint64_t first, std::size_t n,
    const Tolerance& tol, Partial& part)
{
    const std::byte* pa = pp.rawA->bytes.data();
    const std::byte* pb = pp.rawB->bytes.data();
    if (pp.rawA->dtype != dtype || reinterpret_cast<std::uintptr_t>(pa) % alignof(F) != 0
        || reinterpret_cast<std::uintptr_t>(pb) % alignof(F) != 0)
        return false;
    accumulateChunk(reinterpret_cast<const F*>(pa) + first, reinterpret_cast<const F*>(pb) + first,
        n, first, tol, part);
    return true;
}

void decodeAndAccumulate(const Prepared& pp, std::uint64_t first, std::size_t n,
    const Tolerance& tol, std::vector<double>& bufA, std::vector<double>& bufB, Partial& part)
{
    if (pp.complex) {
        for (std::size_t i = 0; i < n; ++i)
            accumulateComplex(pp.a->elementComplex(first + i), pp.b->elementComplex(first + i),
                first + i, tol, part);
        return;
    }
    // Native float32 / float64 stored in place: compared where they lie (no copy to float64).
    if (pp.raw && !pp.rawA->bigEndian
        && (accumulateInPlace<float>(pp, DType::Float32, first, n, tol, part)
            || accumulateInPlace<double>(pp, DType::Float64, first, n, tol, part)))
        return;
    pp.a->read(first, n, bufA.data());
    pp.b->read(first, n, bufB.data());
    accumulateChunk(bufA.data(), bufB.data(), n, first, tol, part);
}

void runBlock(const Prepared& pp, const Block& block, const Tolerance& tol,
    std::vector<double>& bufA, std::vector<double>& bufB, Partial& part)
{
    if (pp.raw) {
        const std::size_t es = pp.rawA->elemSize;
        const std::byte* pa = pp.rawA->bytes.data() + block.first * es;
        const std::byte* pb = pp.rawB->bytes.data() + block.first * es;
        torch::prefetchRange(pa, static_cast<std::size_t>(block.count * es));
        torch::prefetchRange(pb, static_cast<std::size_t>(block.count * es));
        for (std::uint64_t done = 0; done < block.count; done += kChunk) {
            const std::size_t n
                = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, block.count - done));
            if (std::memcmp(pa + done * es, pb + done * es, n * es) == 0)
                continue;
            part.identical = false;
            if (pp.rawOnly) {
                for (std::size_t i = 0; i < n; ++i)
                    if (std::memcmp(pa + (done + i) * es, pb + (done + i) * es, es) != 0)
                        part.mismatch(block.first + done + i);
                continue;
            }
            decodeAndAccumulate(pp, block.first + done, n, tol, bufA, bufB, part);
        }
        return;
    }
    for (std::uint64_t done = 0; done < block.count; done += kChunk) {
        const std::size_t n
            = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, block.count - done));
        const std::uint64_t first = block.first + done;
        if (pp.complex) {
            for (std::size_t i = 0; i < n; ++i) {
                const auto x = pp.a->elementComplex(first + i), y = pp.b->elementComplex(first + i);
                if (std::memcmp(&x, &y, sizeof x) != 0)
                    part.identical = false;
                accumulateComplex(x, y, first + i, tol, part);
            }
            continue;
        }
        pp.a->read(first, n, bufA.data());
        pp.b->read(first, n, bufB.data());
        if (!pp.sameDtype || std::memcmp(bufA.data(), bufB.data(), n * sizeof(double)) != 0)
            part.identical = false;
        accumulateChunk(bufA.data(), bufB.data(), n, first, tol, part);
    }
}

} // namespace

std::vector<TensorDifference> compareTensors(const std::shared_ptr<const Document>& docA,
    const std::shared_ptr<const Document>& docB, const std::vector<TensorPair>& pairs,
    const Tolerance& tolerance, unsigned threads)
{
    std::vector<TensorDifference> out(pairs.size());
    std::vector<Prepared> prepared(pairs.size());
    std::vector<Block> blocks;
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        TensorDifference& diff = out[i];
        Prepared& pp = prepared[i];
        auto va = torch::TensorView::open(docA, pairs[i].a);
        auto vb = torch::TensorView::open(docB, pairs[i].b);
        if (!va.ok() || !vb.ok()) {
            // Arrays whose elements are not numbers (structured, bytes): equal bytes or not.
            if (const auto raw = rawOnlyPair(*docA, pairs[i].a, *docB, pairs[i].b)) {
                pp.rawA = raw->first;
                pp.rawB = raw->second;
                pp.raw = pp.rawOnly = true;
                pp.sameDtype = true;
                pp.numel = pp.rawA->bytes.size() / pp.rawA->elemSize;
                pp.blockElems = std::max<std::uint64_t>(
                    kChunk, (kBlockBytes / pp.rawA->elemSize) / kChunk * kChunk);
                diff.readable = true;
                diff.bytes = pp.rawA->bytes.size() + pp.rawB->bytes.size();
                for (std::uint64_t first = 0; first < pp.numel; first += pp.blockElems)
                    blocks.push_back(Block { i, first, std::min(pp.blockElems, pp.numel - first) });
                continue;
            }
            diff.error = !va.ok() ? "a: " + va.error().message : "b: " + vb.error().message;
            continue;
        }
        if (va->shape() != vb->shape() || va->numel() != vb->numel()) {
            diff.error = "shapes differ";
            continue;
        }
        pp.numel = va->numel();
        pp.sameDtype = va->dtype() == vb->dtype();
        pp.complex = isComplex(va->dtype()) || isComplex(vb->dtype());
        pp.rawA = rawSide(*docA, pairs[i].a, pp.numel);
        pp.rawB = rawSide(*docB, pairs[i].b, pp.numel);
        pp.raw = pp.rawA && pp.rawB && pp.rawA->dtype == pp.rawB->dtype
            && pp.rawA->elemSize == pp.rawB->elemSize && pp.rawA->bigEndian == pp.rawB->bigEndian;
        pp.rawOnly = pp.raw && pp.rawA->dtype == DType::Other;
        if (!pp.rawOnly && (!isNumeric(va->dtype()) || !isNumeric(vb->dtype()))) {
            diff.error = "elements are not numbers";
            continue;
        }
        const std::uint64_t elemBytes
            = std::max<std::uint64_t>(1, pp.raw ? pp.rawA->elemSize : dtypeSize(va->dtype()));
        pp.blockElems
            = std::max<std::uint64_t>(kChunk, (kBlockBytes / elemBytes) / kChunk * kChunk);
        diff.readable = true;
        diff.bytes = pp.numel * (std::uint64_t(dtypeSize(va->dtype())) + dtypeSize(vb->dtype()));
        if (pp.rawA && pp.rawB)
            diff.bytes = pp.rawA->bytes.size() + pp.rawB->bytes.size();
        pp.a.emplace(std::move(va).value());
        pp.b.emplace(std::move(vb).value());
        for (std::uint64_t first = 0; first < pp.numel; first += pp.blockElems)
            blocks.push_back(Block { i, first, std::min(pp.blockElems, pp.numel - first) });
    }

    std::vector<Partial> partials(blocks.size());
    std::atomic<std::size_t> next { 0 };
    auto work = [&] {
        std::vector<double> bufA(kChunk), bufB(kChunk);
        for (;;) {
            const std::size_t k = next.fetch_add(1, std::memory_order_relaxed);
            if (k >= blocks.size())
                return;
            runBlock(prepared[blocks[k].pair], blocks[k], tolerance, bufA, bufB, partials[k]);
        }
    };
    unsigned n = threads != 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
    n = static_cast<unsigned>(std::min<std::size_t>(n, std::max<std::size_t>(1, blocks.size())));
    {
        std::vector<std::jthread> pool;
        for (unsigned t = 1; t < n; ++t)
            pool.emplace_back(work);
        work();
    }

    for (std::size_t i = 0; i < pairs.size(); ++i) {
        if (out[i].readable) {
            out[i].identical = prepared[i].sameDtype;
            out[i].close = true;
        }
    }
    for (std::size_t k = 0; k < blocks.size(); ++k) {
        TensorDifference& diff = out[blocks[k].pair];
        const Partial& p = partials[k];
        diff.identical = diff.identical && p.identical;
        diff.mismatched += p.mismatched;
        diff.maxAbs = std::max(diff.maxAbs, p.maxAbs);
        diff.maxRel = std::max(diff.maxRel, p.maxRel);
        if (p.firstMismatch >= 0
            && (diff.firstMismatch < 0 || p.firstMismatch < diff.firstMismatch))
            diff.firstMismatch = p.firstMismatch;
    }
    for (TensorDifference& diff : out)
        if (diff.readable)
            diff.close = diff.mismatched == 0;
    return out;
}

} // namespace core::compare
