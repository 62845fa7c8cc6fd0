#pragma once

// A tensor's or numeric ndarray's "data" member, per --tensor-data: summary statistics
// (min, max, sum, mean, nan, inf, first 16 values) or every value as nested lists, read through
// core::torch::TensorView (float64, exact integers, complex pairs) or, for numpy dtypes the
// float64 view cannot show (structured, datetime, str, bytes, longdouble, masked arrays), item
// by item as tolist() gives them.

#include "core/export/export_context.h"
#include "core/export/numpy_item_writer.h"

namespace core {

namespace torch {
class TensorView;
}

class TensorDataWriter {
public:
    TensorDataWriter(ExportContext& ctx, NumpyItemWriter& items)
        : m_ctx(ctx)
        , m_items(items)
    {
    }

    // The member "data":{…} of tensor or ndarray `id` (nothing with --tensor-data none; an
    // "error" member when its data cannot be read). Errors: Cancelled, Io.
    Result<void> write(ValueId id);

private:
    Result<void> viewData(const torch::TensorView& view);
    Result<void> integerData(const torch::TensorView& view);
    Result<void> complexData(const torch::TensorView& view);
    Result<void> fullValues(const torch::TensorView& view);
    Result<void> ndarrayItems(ValueId id, const numpy::NumpyDType& d);
    void element(double v, bool integral);
    void error(std::string_view message);
    // Nested lists over `shape`, leaf(i) writing logical element i; polls for cancel and I/O.
    template <typename Leaf>
    Result<void> nested(const std::vector<std::int64_t>& shape, Leaf&& leaf);

    ExportContext& m_ctx;
    NumpyItemWriter& m_items;
};

} // namespace core
