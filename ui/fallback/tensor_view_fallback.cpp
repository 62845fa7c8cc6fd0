// Linked only while core/torch/tensor_view.cpp does not exist yet (see ui/CMakeLists.txt).
#include "core/torch/tensor_view.h"

namespace core::torch {

Result<TensorView> TensorView::open(std::shared_ptr<const Document>, ValueId)
{
    return makeError(ErrorCode::Unsupported, 0, "tensor reading is not built in");
}
double TensorView::element(std::uint64_t) const { return 0; }
double TensorView::elementAt(std::span<const std::int64_t>) const { return 0; }
void TensorView::read(std::uint64_t, std::size_t count, double* out) const
{
    for (std::size_t i = 0; i < count; ++i)
        out[i] = 0;
}
Result<TensorStats> TensorView::stats(LoadObserver*) const
{
    return makeError(ErrorCode::Unsupported, 0, "tensor reading is not built in");
}
Result<void> TensorView::writeNpy(const std::string&) const
{
    return makeError(ErrorCode::Unsupported, 0, "tensor reading is not built in");
}

} // namespace core::torch
