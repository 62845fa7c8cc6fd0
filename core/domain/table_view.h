#pragma once

// A rectangular view of tabular values for the window's Table tab: pandas DataFrames and Series
// (one column per column, the index as row labels), structured numpy arrays (one column per
// field), and other 1-D / 2-D arrays (non-numeric ones above all: datetime, str, bytes, object).
// Cells are decoded on demand, one at a time, as short Python-like text.

#include "core/domain/pandas_decoder.h"
#include "core/numpy/numpy_dtype.h"
#include "core/value/value_graph.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace core::domain {

class TableView {
public:
    // nullopt when the value is not a table-like value.
    static std::optional<TableView> open(const ValueGraph& graph, ValueId id);

    std::uint64_t rows() const { return m_rows; }
    std::size_t columns() const { return m_columns.size(); }
    const std::string& columnName(std::size_t c) const { return m_columns[c].name; }
    const std::string& columnDType(std::size_t c) const { return m_columns[c].dtype; }
    std::string rowLabel(std::uint64_t r) const;
    std::string cell(std::uint64_t r, std::size_t c) const;

private:
    struct Column {
        std::string name, dtype;
        // a pandas source, or an ndarray's field (node of `array`'s dtype at `offset`) / column
        std::optional<PandasSource> source;
        std::uint32_t node = 0;
        std::uint64_t offset = 0;
        std::int64_t arrayColumn = -1; // 2-D arrays: the column index
    };
    std::string sourceCell(const PandasSource& s, std::uint64_t r) const;
    std::string arrayElement(ValueId array, std::int64_t row, std::uint64_t i) const;
    std::string itemText(const numpy::NumpyDType& d, std::uint32_t node, const std::byte* p) const;

    const ValueGraph* m_g = nullptr;
    ValueId m_array = kNullValue; // ndarray tables
    std::optional<numpy::NumpyDType> m_dtype;
    std::optional<PandasIndex> m_index;
    std::vector<Column> m_columns;
    std::uint64_t m_rows = 0;
};

} // namespace core::domain
