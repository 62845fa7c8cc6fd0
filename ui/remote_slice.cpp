#include "ui/remote_slice.h"

#include <algorithm>
#include <cmath>

namespace ui {

namespace {

bool contains(const core::ByteSource& source, const std::byte* p)
{
    const auto bytes = source.bytes();
    return !bytes.empty() && p >= bytes.data() && p < bytes.data() + bytes.size();
}

// Where a Tensor's storage bytes lie (null for other values or unreadable storages).
const std::byte* storageStart(const core::Document& doc, core::ValueId id)
{
    const core::ValueGraph& graph = doc.graph;
    if (graph.kind(id) != core::ValueKind::Tensor)
        return nullptr;
    const core::TensorRecord& t = graph.tensor(id);
    if (core::isNull(t.storage) || graph.kind(t.storage) != core::ValueKind::Storage)
        return nullptr;
    auto bytes = core::torch::storageBytes(doc, graph.storage(t.storage));
    return bytes.ok() && !bytes.value().empty() ? bytes.value().data() : nullptr;
}

bool isComplex(core::DType t)
{
    return t == core::DType::Complex32 || t == core::DType::Complex64
        || t == core::DType::Complex128;
}

} // namespace

const core::ByteSource* remoteSourceOf(const core::Document& doc, core::ValueId id)
{
    if (!doc.source)
        return nullptr;
    const std::byte* p = storageStart(doc, id);
    if (p != nullptr) {
        if (doc.source->isRemote() && contains(*doc.source, p))
            return doc.source.get();
        for (std::size_t i = 0; i < doc.source->keptCount(); ++i) {
            const core::ByteSource* shard = doc.source->keptSource(i);
            if (shard != nullptr && shard->isRemote() && contains(*shard, p))
                return shard;
        }
        return nullptr;
    }
    return doc.source->isRemote() ? doc.source.get() : nullptr; // an ndarray in a remote pickle
}

SliceWindowData readSliceWindow(const core::Document& doc, core::ValueId id,
    const core::torch::TensorView& view, const SliceWindow& window,
    const std::function<bool()>& cancelled)
{
    SliceWindowData out;
    out.window = window;
    const auto& shape = view.shape();
    const std::size_t rank = shape.size();
    std::vector<std::int64_t> at = window.coords;
    at.resize(rank, 0);
    const auto rowAxis = std::size_t(window.rowAxis), colAxis = std::size_t(window.colAxis);
    if (window.rows < 0 || window.cols < 0 || window.rows * window.cols > (std::int64_t(1) << 24)
        || (rank >= 1 && rowAxis >= rank) || (rank >= 2 && colAxis >= rank)) {
        out.error = QStringLiteral("the window is outside the tensor");
        return out;
    }
    // The cell (r, c) of the window: its coordinates.
    auto place = [&](std::int64_t r, std::int64_t c) {
        if (rank == 1)
            at[0] = window.rowStart + r;
        else if (rank >= 2) {
            at[rowAxis] = window.rowStart + r;
            at[colAxis] = window.colStart + c;
        }
    };
    for (std::size_t k = 0; k < rank; ++k)
        if (at[k] < 0 || at[k] >= shape[k])
            at[k] = 0; // a free axis (placed per cell) or a bad fixed one (checked below)
    const core::ByteSource* source = remoteSourceOf(doc, id);
    const std::uint64_t before = source ? source->bytesFetched() : 0;
    core::ByteSource::Lease lease;
    const std::byte* start = source ? storageStart(doc, id) : nullptr;
    if (source != nullptr && start != nullptr) {
        // The byte ranges of the window's elements (a Tensor: storage offset + coords · stride).
        const core::TensorRecord& t = doc.graph.tensor(id);
        const std::uint64_t size = std::max<std::uint32_t>(core::dtypeSize(t.dtype), 1);
        const auto base = std::uint64_t(start - source->bytes().data());
        std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
        ranges.reserve(std::size_t(window.rows * window.cols));
        for (std::int64_t r = 0; r < window.rows; ++r)
            for (std::int64_t c = 0; c < window.cols; ++c) {
                place(r, c);
                std::int64_t position = t.storageOffset;
                for (std::size_t k = 0; k < rank && k < t.stride.size(); ++k)
                    position += at[k] * t.stride[k];
                if (position >= 0)
                    ranges.emplace_back(base + std::uint64_t(position) * size, size);
            }
        std::sort(ranges.begin(), ranges.end());
        auto leased = source->leaseRanges(ranges);
        if (!leased.ok()) {
            out.error = QString::fromStdString(leased.error().toString());
            out.fetched = source->bytesFetched() - before;
            return out;
        }
        lease = std::move(leased).value();
    }
    const bool complex = isComplex(view.dtype());
    out.values.reserve(std::size_t(window.rows * window.cols));
    if (complex)
        out.imag.reserve(out.values.capacity());
    for (std::int64_t r = 0; r < window.rows; ++r) {
        if (cancelled && cancelled()) {
            out.cancelled = true;
            break;
        }
        for (std::int64_t c = 0; c < window.cols; ++c) {
            place(r, c);
            bool inside = true;
            for (std::size_t k = 0; k < rank; ++k)
                inside = inside && at[k] >= 0 && at[k] < shape[k];
            if (!inside) {
                out.values.push_back(std::nan(""));
                if (complex)
                    out.imag.push_back(std::nan(""));
                continue;
            }
            if (!complex) {
                out.values.push_back(view.elementAt(at));
                continue;
            }
            std::uint64_t index = 0; // row-major logical index
            for (std::size_t k = 0; k < rank; ++k)
                index = index * std::uint64_t(shape[k]) + std::uint64_t(at[k]);
            const auto [re, im] = view.elementComplex(index);
            out.values.push_back(re);
            out.imag.push_back(im);
        }
    }
    out.fetched = source ? source->bytesFetched() - before : 0;
    return out;
}

} // namespace ui
