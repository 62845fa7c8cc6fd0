#pragma once

// numpy arrays in pickles, typed without importing numpy:
//   numpy.core.multiarray._reconstruct(ndarray, (0,), b'b') + BUILD (version, shape, dtype,
//   is_fortran, rawdata-or-list); numpy.core.numeric._frombuffer(buffer, dtype, shape, order)
//   (protocol 5); numpy.dtype objects with their BUILD state (3, '<', None, names, fields,
//   elsize, alignment, flags[, metadata]) stay generic objects that these functions read;
//   numpy.core.multiarray.scalar(dtype, bytes) stays a generic object, decoded by
//   describeScalar. numpy >= 2 module names (numpy._core.*) are accepted too.

#include "core/result.h"
#include "core/value/value_graph.h"

#include <optional>
#include <string>
#include <string_view>

namespace core::numpy {

struct DTypeInfo {
    DType type = DType::Unknown;
    char byteOrder = '<';
    std::uint32_t itemSize = 0;
    std::string text; // numpy's dtype.str: "<f4", "|b1", "<M8[D]", "|V12", "|O"
};

// A numpy.dtype value (generic object built by REDUCE numpy.dtype + BUILD) -> its description.
std::optional<DTypeInfo> dtypeInfo(const ValueGraph& graph, ValueId dtypeValue);

// REDUCE hook part: returns a typed NdArray for _reconstruct/_frombuffer, kNullValue otherwise.
Result<ValueId> reduce(ValueGraph& graph, const GlobalRecord& callable, ValueId callableId, ValueId args,
    ValueId kwargs, ObjectVia via, std::uint64_t offset);
// BUILD hook part: applies ndarray state to an NdArray target; false when not ours.
Result<bool> build(ValueGraph& graph, ValueId target, ValueId state, std::uint64_t offset);

// numpy.core.multiarray.scalar(dtype, bytes) objects: their value as Python's repr would show
// it for numeric dtypes ("2.75", "-12", "True"); nullopt for anything else.
std::optional<std::string> describeScalar(const ValueGraph& graph, ValueId object);
// The same as float64, for numeric scalars.
std::optional<double> scalarValue(const ValueGraph& graph, ValueId object);

} // namespace core::numpy
