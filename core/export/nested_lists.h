#pragma once

// The one walk of nested lists over a shape, row-major, as numpy's tolist() gives them: tensor
// and array data, numpy subarray items and object arrays all write their values through it.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace core {

// Calls open() and close() for every bracket and leaf(i) for logical element i, in order.
// Dimensions up to the first zero-length one are lists, below it empty lists; a 0-d shape is
// one leaf. leaf() returns false to stop the walk (then forEachNested returns false). Iterative,
// O(rank) memory. The shape's product must not overflow (the caller has checked it).
template <typename Open, typename Close, typename Leaf>
bool forEachNested(std::span<const std::int64_t> shape, Open&& open, Close&& close, Leaf&& leaf)
{
    if (shape.empty())
        return leaf(std::uint64_t(0));
    std::size_t dims = shape.size();
    for (std::size_t i = 0; i < shape.size(); ++i)
        if (shape[i] <= 0) {
            dims = i + 1;
            break;
        }
    const bool empty = dims < shape.size() || shape[dims - 1] <= 0;
    const std::size_t listDims = empty ? dims - 1 : dims;
    std::uint64_t leaves = 1;
    for (std::size_t i = 0; i < listDims; ++i)
        leaves *= static_cast<std::uint64_t>(shape[i]);
    std::vector<std::int64_t> index(listDims, 0);
    for (std::size_t i = 0; i < listDims; ++i)
        open();
    for (std::uint64_t n = 0; n < leaves; ++n) {
        if (n > 0) {
            // Advance the index; close and reopen the dimensions that wrapped.
            std::size_t wrapped = 0;
            for (std::size_t d = listDims; d-- > 0;) {
                if (++index[d] < shape[d])
                    break;
                index[d] = 0;
                ++wrapped;
            }
            for (std::size_t w = 0; w < wrapped; ++w)
                close();
            for (std::size_t w = 0; w < wrapped; ++w)
                open();
        }
        if (empty) {
            open();
            close();
            continue;
        }
        if (!leaf(n))
            return false;
    }
    for (std::size_t i = 0; i < listDims; ++i)
        close();
    return true;
}

} // namespace core
