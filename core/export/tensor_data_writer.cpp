#include "core/export/tensor_data_writer.h"

#include "core/export/nested_lists.h"
#include "core/torch/tensor_view.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <optional>
#include <string>

namespace core {

namespace {

constexpr double kTwo53 = 9007199254740992.0;
// Leaves written between two polls of the observer and the sink.
constexpr std::uint64_t kPollLeaves = 0x4000;

// A set of dtypes as a bit mask (a table instead of one switch per question).
constexpr std::uint64_t dtypeMask(std::initializer_list<DType> types)
{
    std::uint64_t mask = 0;
    for (DType t : types)
        mask |= std::uint64_t(1) << static_cast<unsigned>(t);
    return mask;
}

constexpr bool inMask(std::uint64_t mask, DType t)
{
    return ((mask >> static_cast<unsigned>(t)) & 1u) != 0;
}

// Integers read exactly (elementInt64 / elementUInt64).
constexpr std::uint64_t kExactIntegers = dtypeMask({ DType::Int8, DType::Int16, DType::Int32,
    DType::Int64, DType::UInt8, DType::UInt16, DType::UInt32, DType::UInt64 });
// Element types whose float64 statistics are written as integers where they are whole.
constexpr std::uint64_t kIntegral
    = kExactIntegers | dtypeMask({ DType::Bool, DType::UntypedByte, DType::Bits8, DType::Bits16 });
constexpr std::uint64_t kComplex
    = dtypeMask({ DType::Complex32, DType::Complex64, DType::Complex128 });

// numpy dtypes the float64 view cannot show: structured, subarray, complex, datetime,
// timedelta, str, bytes, void, longdouble (either byte order).
bool needsItemPath(const numpy::NumpyDType& d, TensorDataMode mode)
{
    const numpy::DTypeNode& n = d.node();
    if (!n.fields.empty() || n.subBase != numpy::kNoNode)
        return true;
    switch (n.kind) {
    case 'b': // full: true / false, as tolist() gives them (summary keeps its statistics)
        return mode == TensorDataMode::Full;
    case 'c':
    case 'M':
    case 'm':
    case 'U':
    case 'S':
    case 'V':
        return true;
    case 'f':
        return n.itemSize == 16;
    default:
        return false;
    }
}

numpy::Int128 wideElement(const torch::TensorView& view, std::uint64_t i)
{
    if (view.dtype() == DType::UInt64)
        return static_cast<numpy::Int128>(view.elementUInt64(i));
    return view.elementInt64(i);
}

// "min":…,"max":…: lo() and hi() write the values; both null when nothing was counted.
template <typename Lo, typename Hi> void rangeMembers(JsonStream& out, bool any, Lo&& lo, Hi&& hi)
{
    out.key("min");
    any ? lo() : (void)out.null();
    out.key("max");
    any ? hi() : (void)out.null();
}

// "mean":…, null when nothing was counted.
template <typename Mean> void meanMember(JsonStream& out, bool any, Mean&& mean)
{
    out.key("mean");
    any ? mean() : (void)out.null();
}

// "first":[…] of up to 16 elements.
template <typename Put> void firstMember(JsonStream& out, std::uint64_t count, Put&& put)
{
    out.key("first").beginArray();
    for (std::uint64_t i = 0; i < std::min<std::uint64_t>(count, 16); ++i)
        put(i);
    out.endArray();
}

} // namespace

void TensorDataWriter::error(std::string_view message)
{
    m_ctx.out.key("data").beginObject().member("error", message).endObject();
}

template <typename Leaf>
Result<void> TensorDataWriter::nested(const std::vector<std::int64_t>& shape, Leaf&& leaf)
{
    JsonStream& out = m_ctx.out;
    std::optional<Error> stopped;
    forEachNested(
        shape, [&] { out.beginArray(); }, [&] { out.endArray(); },
        [&](std::uint64_t n) {
            leaf(n);
            if ((n + 1) % kPollLeaves == 0) {
                if (m_ctx.cancelled())
                    stopped = exportCancelled();
                else if (out.failed())
                    stopped = exportWriteFailed();
            }
            return !stopped;
        });
    if (stopped)
        return *stopped;
    return {};
}

Result<void> TensorDataWriter::write(ValueId id)
{
    const ValueGraph& g = m_ctx.g;
    if (m_ctx.options.tensorData == TensorDataMode::None)
        return {};
    if (g.kind(id) == ValueKind::NdArray) {
        if (auto d = numpy::dtypeFromValue(g, g.ndarray(id).dtypeValue);
            d && (g.ndarray(id).masked || needsItemPath(*d, m_ctx.options.tensorData)))
            return ndarrayItems(id, *d);
    }
    auto view = torch::TensorView::open(m_ctx.doc, id);
    if (!view.ok()) {
        error(view.error().message);
        return {};
    }
    return viewData(*view);
}

Result<void> TensorDataWriter::viewData(const torch::TensorView& view)
{
    JsonStream& out = m_ctx.out;
    if (inMask(kExactIntegers, view.dtype()))
        return integerData(view);
    if (inMask(kComplex, view.dtype()))
        return complexData(view);
    if (m_ctx.options.tensorData == TensorDataMode::Full) {
        out.key("data").beginObject().key("values");
        PS_TRY(fullValues(view));
        out.endObject();
        return {};
    }
    auto stats = view.stats(m_ctx.observer);
    if (!stats.ok()) {
        if (stats.error().code == ErrorCode::Cancelled)
            return stats.takeError();
        error(stats.error().message);
        return {};
    }
    const torch::TensorStats& s = *stats;
    const bool integral = inMask(kIntegral, view.dtype());
    out.key("data").beginObject();
    rangeMembers(
        out, s.count != 0, [&] { element(s.min, integral); }, [&] { element(s.max, integral); });
    out.key("sum");
    element(s.sum, integral);
    meanMember(out, s.count != 0, [&] { out.value(s.mean); });
    out.member("nan", s.nanCount).member("inf", s.infCount);
    firstMember(out, s.first.size(), [&](std::uint64_t i) { element(s.first[i], integral); });
    out.endObject();
    return {};
}

Result<void> TensorDataWriter::integerData(const torch::TensorView& view)
{
    JsonStream& out = m_ctx.out;
    const std::uint64_t n = view.numel();
    if (m_ctx.options.tensorData == TensorDataMode::Full) {
        out.key("data").beginObject().key("values");
        PS_TRY(nested(view.shape(), [&](std::uint64_t i) { m_ctx.wide(wideElement(view, i)); }));
        out.endObject();
        return {};
    }
    numpy::Int128 lo = 0, hi = 0, sum = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
        const numpy::Int128 v = wideElement(view, i);
        if (i == 0 || v < lo)
            lo = v;
        if (i == 0 || v > hi)
            hi = v;
        sum += v;
        if ((i & 0xFFFF) == 0xFFFF && m_ctx.cancelled())
            return exportCancelled();
    }
    out.key("data").beginObject();
    rangeMembers(
        out, n != 0, [&] { m_ctx.wide(lo); }, [&] { m_ctx.wide(hi); });
    out.key("sum");
    m_ctx.wide(sum);
    meanMember(out, n != 0, [&] { out.value(static_cast<double>(sum) / static_cast<double>(n)); });
    out.member("nan", 0).member("inf", 0);
    firstMember(out, n, [&](std::uint64_t i) { m_ctx.wide(wideElement(view, i)); });
    out.endObject();
    return {};
}

Result<void> TensorDataWriter::complexData(const torch::TensorView& view)
{
    JsonStream& out = m_ctx.out;
    const std::uint64_t n = view.numel();
    auto pairAt = [&](std::uint64_t i) {
        const auto [re, im] = view.elementComplex(i);
        m_ctx.pair(re, im);
    };
    if (m_ctx.options.tensorData == TensorDataMode::Full) {
        out.key("data").beginObject().key("values");
        PS_TRY(nested(view.shape(), pairAt));
        out.endObject();
        return {};
    }
    double sre = 0, sim = 0;
    std::uint64_t nan = 0, inf = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
        const auto [re, im] = view.elementComplex(i);
        sre += re;
        sim += im;
        nan += (std::isnan(re) || std::isnan(im)) ? 1 : 0;
        inf += (std::isinf(re) || std::isinf(im)) ? 1 : 0;
        if ((i & 0xFFFF) == 0xFFFF && m_ctx.cancelled())
            return exportCancelled();
    }
    out.key("data").beginObject();
    rangeMembers(
        out, false, [] {}, [] {});
    out.key("sum");
    m_ctx.pair(sre, sim);
    const auto count = static_cast<double>(n);
    meanMember(out, n != 0, [&] { m_ctx.pair(sre / count, sim / count); });
    out.member("nan", nan).member("inf", inf);
    firstMember(out, n, pairAt);
    out.endObject();
    return {};
}

void TensorDataWriter::element(double v, bool integral)
{
    if (integral && std::isfinite(v) && std::fabs(v) < kTwo53 && v == std::floor(v)) {
        m_ctx.out.value(static_cast<std::int64_t>(v));
        return;
    }
    m_ctx.out.value(v);
}

// Nested lists, row-major, read in chunks.
Result<void> TensorDataWriter::fullValues(const torch::TensorView& view)
{
    const bool integral = inMask(kIntegral, view.dtype());
    constexpr std::uint64_t kChunk = 8192;
    std::vector<double> chunk;
    return nested(view.shape(), [&](std::uint64_t n) {
        const std::uint64_t at = n % kChunk;
        if (at == 0) {
            chunk.resize(static_cast<std::size_t>(std::min(kChunk, view.numel() - n)));
            view.read(n, chunk.size(), chunk.data());
        }
        element(chunk[static_cast<std::size_t>(at)], integral);
    });
}

// "data":{…} of an ndarray whose items are not plain real numbers.
Result<void> TensorDataWriter::ndarrayItems(ValueId id, const numpy::NumpyDType& d)
{
    const ValueGraph& g = m_ctx.g;
    JsonStream& out = m_ctx.out;
    const NdArrayRecord& a = g.ndarray(id);
    if (!g.valid(a.data)
        || (g.kind(a.data) != ValueKind::Bytes && g.kind(a.data) != ValueKind::ByteArray)) {
        error("array has no raw data");
        return {};
    }
    const auto bytes = g.bytes(a.data);
    const std::uint64_t itemSize = d.node().itemSize;
    std::uint64_t numel = 1;
    for (std::int64_t dim : a.shape) {
        if (dim < 0 || __builtin_mul_overflow(numel, static_cast<std::uint64_t>(dim), &numel)) {
            error("array shape is negative or overflows");
            return {};
        }
    }
    std::uint64_t need = 0;
    if (__builtin_mul_overflow(numel, itemSize, &need) || need > bytes.size()) {
        error("array data holds " + std::to_string(bytes.size())
            + " bytes, its shape and dtype need " + std::to_string(need));
        return {};
    }
    // byte strides of the logical (row-major) index, C or Fortran order
    std::vector<std::uint64_t> strides(a.shape.size(), 0);
    std::uint64_t step = itemSize;
    for (std::size_t k = 0; k < a.shape.size(); ++k) {
        const std::size_t axis = a.fortranOrder ? k : a.shape.size() - 1 - k;
        strides[axis] = step;
        step *= static_cast<std::uint64_t>(std::max<std::int64_t>(a.shape[axis], 1));
    }
    auto itemAt = [&](std::uint64_t index) {
        std::uint64_t pos = 0;
        for (std::size_t k = a.shape.size(); k-- > 0;) {
            const auto size = static_cast<std::uint64_t>(a.shape[k]);
            pos += (index % size) * strides[k];
            index /= size;
        }
        return bytes.data() + pos;
    };
    // numpy.ma: masked elements are null, as MaskedArray.tolist() gives them
    std::span<const std::byte> maskBytes;
    std::uint64_t maskUnit = 0;
    if (a.masked && g.valid(a.mask)
        && (g.kind(a.mask) == ValueKind::Bytes || g.kind(a.mask) == ValueKind::ByteArray)) {
        maskBytes = g.bytes(a.mask);
        if (numel > 0 && itemSize > 0 && maskBytes.size() % numel == 0)
            maskUnit = maskBytes.size() / numel;
    }
    auto isMasked = [&](std::uint64_t i) {
        if (maskUnit == 0)
            return false;
        const auto phys = static_cast<std::uint64_t>(itemAt(i) - bytes.data()) / itemSize;
        for (std::uint64_t k = 0; k < maskUnit; ++k)
            if (maskBytes[phys * maskUnit + k] == std::byte { 0 })
                return false;
        return true;
    };
    auto putMaybe = [&](std::uint64_t i) {
        if (isMasked(i))
            out.null();
        else
            m_items.item(d, 0, itemAt(i));
    };
    if (m_ctx.options.tensorData == TensorDataMode::Full) {
        out.key("data").beginObject().key("values");
        PS_TRY(nested(a.shape, putMaybe));
        if (maskUnit > 0) {
            out.key("mask");
            PS_TRY(nested(a.shape, [&](std::uint64_t i) { out.boolean(isMasked(i)); }));
        }
        out.endObject();
        return {};
    }
    const numpy::DTypeNode& root = d.node();
    const bool scalarKind = root.fields.empty() && root.subBase == numpy::kNoNode;
    const bool big = root.byteOrder == '>';
    out.key("data").beginObject();
    if (scalarKind && (root.kind == 'M' || root.kind == 'm')) {
        // min / max as numpy gives them: NaT when any element is NaT
        bool nat = false;
        std::int64_t lo = 0, hi = 0;
        std::uint64_t seen = 0;
        for (std::uint64_t i = 0; i < numel; ++i) {
            if (isMasked(i))
                continue;
            const std::int64_t v = numpy::readInt(itemAt(i), 8, big);
            nat = nat || v == numpy::kNaT;
            lo = seen == 0 || v < lo ? v : lo;
            hi = seen == 0 || v > hi ? v : hi;
            ++seen;
        }
        auto putTime = [&](std::int64_t v) {
            if (nat)
                out.value("NaT");
            else if (root.kind == 'M')
                out.value(numpy::datetimeAsString(v, root));
            else
                m_ctx.wide(v);
        };
        rangeMembers(
            out, seen != 0, [&] { putTime(lo); }, [&] { putTime(hi); });
    } else if (scalarKind && (root.kind == 'c' || root.kind == 'f')) {
        const std::uint64_t part = root.kind == 'c' ? root.itemSize / 2 : root.itemSize;
        double sre = 0, sim = 0, lo = 0, hi = 0;
        std::uint64_t nan = 0, inf = 0, seen = 0, counted = 0;
        for (std::uint64_t i = 0; i < numel; ++i) {
            if (isMasked(i))
                continue;
            ++counted;
            const std::byte* p = itemAt(i);
            const double re = numpy::readFloat(p, part, big);
            const double im = root.kind == 'c' ? numpy::readFloat(p + part, part, big) : 0.0;
            sre += re;
            sim += im;
            nan += (std::isnan(re) || std::isnan(im)) ? 1 : 0;
            inf += (std::isinf(re) || std::isinf(im)) ? 1 : 0;
            // over the non-NaN elements, as the float64 statistics do
            if (!std::isnan(re)) {
                lo = seen == 0 || re < lo ? re : lo;
                hi = seen == 0 || re > hi ? re : hi;
                ++seen;
            }
        }
        const auto count = static_cast<double>(counted);
        if (root.kind == 'c') {
            rangeMembers(
                out, false, [] {}, [] {});
            out.key("sum");
            m_ctx.pair(sre, sim);
            meanMember(out, counted != 0, [&] { m_ctx.pair(sre / count, sim / count); });
        } else {
            rangeMembers(
                out, seen != 0, [&] { out.value(lo); }, [&] { out.value(hi); });
            out.key("sum").value(sre);
            meanMember(out, counted != 0, [&] { out.value(sre / count); });
        }
        out.member("nan", nan).member("inf", inf);
    } else if (scalarKind && (root.kind == 'b' || root.kind == 'i' || root.kind == 'u')) {
        // exact: 128-bit sum over the unmasked elements
        numpy::Int128 lo = 0, hi = 0, sum = 0;
        std::uint64_t counted = 0;
        for (std::uint64_t i = 0; i < numel; ++i) {
            if (isMasked(i))
                continue;
            const std::byte* p = itemAt(i);
            const numpy::Int128 v = root.kind == 'i'
                ? numpy::Int128(numpy::readInt(p, root.itemSize, big))
                : root.kind == 'u' ? numpy::Int128(numpy::readUInt(p, root.itemSize, big))
                                   : numpy::Int128(p[0] != std::byte { 0 } ? 1 : 0);
            lo = counted == 0 || v < lo ? v : lo;
            hi = counted == 0 || v > hi ? v : hi;
            sum += v;
            ++counted;
        }
        rangeMembers(
            out, counted != 0, [&] { m_ctx.wide(lo); }, [&] { m_ctx.wide(hi); });
        out.key("sum");
        m_ctx.wide(sum);
        meanMember(out, counted != 0,
            [&] { out.value(static_cast<double>(sum) / static_cast<double>(counted)); });
        out.member("nan", 0).member("inf", 0);
    }
    firstMember(out, numel, putMaybe);
    out.endObject();
    return {};
}

} // namespace core
