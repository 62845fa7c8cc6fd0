#pragma once

// pandas DataFrames and Series as JSON tables: {"$type":"pandas.DataFrame","shape","columns",
// "dtypes","index","data"} / {"$type":"pandas.Series","name","dtype","index","data"}, cells as
// plain JSON values (NA and NaT as null), read from the frame's blocks by coordinates.

#include "core/domain/pandas_decoder.h"
#include "core/export/export_context.h"
#include "core/export/numpy_item_writer.h"

#include <optional>
#include <span>
#include <vector>

namespace core {

class PandasTableWriter {
public:
    PandasTableWriter(ExportContext& ctx, NumpyItemWriter& items)
        : m_ctx(ctx)
        , m_items(items)
    {
    }

    // {…}: the table as one object.
    void table(const domain::PandasTable& t);
    // Its members, into an object the caller has opened ("data": every row with --tensor-data
    // full, the first 16 with summary, none with none).
    void members(const domain::PandasTable& t);
    // One object value as a cell: null for None / NA / NaT, numbers, strings, bytes, a numpy
    // scalar's item, a known object's display text, else its one-line summary.
    void objectCell(ValueId v);

private:
    // Raw access to one ndarray's elements by coordinates (C or Fortran order).
    struct ArrayAccess {
        bool ok = false;
        std::optional<numpy::NumpyDType> dtype;
        std::span<const std::byte> bytes;
        ItemsPtr objects; // object arrays: a view into the loaded graph's item pool
        std::vector<std::int64_t> shape;
        std::vector<std::uint64_t> strides; // in elements
        std::uint64_t numel = 0;
    };
    // One source prepared for cell access.
    struct Column {
        const domain::PandasSource* source = nullptr;
        ArrayAccess values, mask, categories;
    };

    ArrayAccess arrayAccess(ValueId array) const;
    static std::uint64_t elementIndex(const ArrayAccess& acc, std::int64_t row, std::uint64_t i);
    Column column(const domain::PandasSource& s) const;
    void arrayCell(const ArrayAccess& acc, std::int64_t row, std::uint64_t i);
    void cell(const Column& c, std::uint64_t i);
    void cells(const Column& c, std::uint64_t count);
    void label(ValueId name);
    void index(const domain::PandasIndex& index, std::uint64_t limit);

    ExportContext& m_ctx;
    NumpyItemWriter& m_items;
};

} // namespace core
