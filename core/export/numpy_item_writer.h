#pragma once

// numpy items as JSON, as tolist() gives them: one element of any dtype (structured items as
// objects keyed by field, subarrays as nested lists, datetimes as text, bytes as base64), and
// the numpy scalar objects (numpy.core.multiarray.scalar(dtype, bytes)) that carry one item.

#include "core/export/export_context.h"
#include "core/numpy/numpy_dtype.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace core {

// numpy.core.multiarray.scalar(dtype, bytes): the dtype and the item's bytes; nullopt when the
// object is not one (or its bytes do not fit its dtype).
std::optional<std::pair<numpy::NumpyDType, const std::byte*>> numpyScalar(
    const ValueGraph& g, ValueId id);

// "float32", "int64", "complex256" for numbers; numpy's str ("<M8[D]", "<U5") otherwise.
std::string numpyDTypeText(const numpy::NumpyDType& d);

class NumpyItemWriter {
public:
    explicit NumpyItemWriter(ExportContext& ctx)
        : m_ctx(ctx)
    {
    }

    // One item of node `node` of `d` at p. An explicit stack of pieces, no recursion on the
    // dtype's depth.
    void item(const numpy::NumpyDType& d, std::uint32_t node, const std::byte* p);

private:
    enum class Op : std::uint8_t { Item, Key, Token };
    struct Piece {
        Op op = Op::Item;
        JsonToken token = JsonToken::BeginArray; // Token
        std::uint32_t node = numpy::kNoNode; // Item
        const std::byte* p = nullptr; // Item
        std::string_view key; // Key
    };
    void scalarItem(const numpy::DTypeNode& n, const std::byte* p);

    ExportContext& m_ctx;
    // item()'s worklists (kept to reuse their allocations)
    std::vector<Piece> m_stack, m_forward;
};

} // namespace core
