#pragma once

// pandas DataFrame / Series objects read as tables, from the lossless object form the machine
// built (nothing of pandas runs). A table row of known classes and one decode function: the
// machine is not involved.
//
// Layouts read: pandas 1.x and 2.x DataFrame / Series objects whose state holds `_mgr`, a
// BlockManager / SingleBlockManager built either by REDUCE with (blocks, axes) where each block
// is `_unpickle_block(values, placement, ndim)` (pandas >= 1.3; 2.x writes the blocks as a tuple,
// and a SingleBlockManager as (block, index)), or by BUILD with the
// __getstate__ tuple whose last item is {"0.14.1": {"axes": [...], "blocks": [{"values",
// "mgr_locs"}]}} (every pandas since 0.14.1). Block values: numpy arrays (2-D blocks, one row per
// column), NDArrayBacked extension arrays (DatetimeArray with or without a time zone,
// Categorical, StringArray, TimedeltaArray), masked arrays (IntegerArray, FloatingArray,
// BooleanArray with _data / _mask). Indexes: `_new_Index(cls, dict)` for Index, RangeIndex,
// DatetimeIndex, CategoricalIndex, MultiIndex (levels / codes / names).

#include "core/value/value_graph.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace core::domain {

// One column (or index level): cells 0..rows-1 of some source.
struct PandasSource {
    enum class Kind : std::uint8_t { Array, Masked, Categorical, Range };
    Kind kind = Kind::Array;
    ValueId array = kNullValue; // an NdArray: 1-D, or a 2-D block read at `row`
    std::int64_t row = -1; // the block row (the column's position in its block); -1: 1-D
    ValueId mask = kNullValue; // Masked: a bool NdArray (true: missing)
    ValueId categories = kNullValue; // Categorical: the categories (an NdArray) indexed by codes
    std::int64_t start = 0, step = 1; // Range
    std::string dtype; // str(dtype) as pandas prints it: "int64", "category", "Int64", ...
};

struct PandasIndex {
    enum class Kind : std::uint8_t { Range, Values, Multi };
    Kind kind = Kind::Values;
    std::string cls
        = "Index"; // "Index", "RangeIndex", "DatetimeIndex", "CategoricalIndex", "MultiIndex"
    std::int64_t start = 0, stop = 0, step = 1; // Range
    PandasSource values; // Values
    ValueId name = kNullValue;
    std::vector<PandasSource> levels, codes; // Multi
    std::vector<ValueId> names; // Multi
};

struct PandasTable {
    bool series = false;
    std::uint64_t rows = 0;
    PandasIndex columnIndex; // DataFrame: the column labels
    std::vector<PandasSource> columns; // DataFrame: one per column; Series: one
    PandasIndex index;
    ValueId name = kNullValue; // Series: its name
};

// A DataFrame / Series object -> its table; nullopt when the value is not one or its layout
// does not decode (the object form stays, complete).
std::optional<PandasTable> decodePandas(const ValueGraph& graph, ValueId object);

// Elements of a source (an Index's values, a level, a column).
std::uint64_t sourceLength(const ValueGraph& graph, const PandasSource& source);
std::uint64_t indexLength(const ValueGraph& graph, const PandasIndex& index);
// "DataFrame 50 × 5", "Series 50 float64 'name'"-style one-line label (empty: not pandas).
std::string pandasLabel(const ValueGraph& graph, ValueId object);

} // namespace core::domain
