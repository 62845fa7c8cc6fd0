#pragma once

// The tensor pane on a remote file: the window of a 2-D slice that the pane shows, read on a
// worker. Its pages are fetched first in one batch (ByteSource::leaseRanges), so a window costs
// the pages its elements lie in and a round trip or a few, not one fetch per row.

#include "core/torch/tensor_view.h"
#include "core/value/document.h"

#include <QString>

#include <cstdint>
#include <functional>
#include <vector>

namespace ui {

struct SliceWindow {
    std::vector<std::int64_t> coords; // the fixed coordinates (one per axis; free axes ignored)
    int rowAxis = 0, colAxis = 1; // rank 1: rows along axis 0, one column; rank 0: one cell
    std::int64_t rowStart = 0, rows = 0, colStart = 0, cols = 0;
};

struct SliceWindowData {
    SliceWindow window;
    std::vector<double> values; // rows x cols, row-major (complex: the real parts)
    std::vector<double> imag; // complex dtypes: the imaginary parts
    QString error;
    std::uint64_t fetched = 0; // bytes the read fetched
    bool cancelled = false;
    quint64 generation = 0; // the reader's tag (the pane drops an older read's result)
};

// The remote source a tensor's bytes are read from (the document's, or a shard's it keeps), or
// null when they are local.
const core::ByteSource* remoteSourceOf(const core::Document& doc, core::ValueId id);

// Reads `window` of the view's tensor (value `id` of `doc`) on the calling thread: one batched
// fetch of the pages the window's elements lie in, then the elements. `cancelled` is polled
// between rows.
SliceWindowData readSliceWindow(const core::Document& doc, core::ValueId id,
    const core::torch::TensorView& view, const SliceWindow& window,
    const std::function<bool()>& cancelled = {});

} // namespace ui
