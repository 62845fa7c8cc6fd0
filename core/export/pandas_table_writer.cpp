#include "core/export/pandas_table_writer.h"

#include "core/export/export_children.h"
#include "core/value/value_text.h"

#include <algorithm>

namespace core {

PandasTableWriter::ArrayAccess PandasTableWriter::arrayAccess(ValueId array) const
{
    const ValueGraph& g = m_ctx.g;
    ArrayAccess acc;
    if (!g.valid(array) || g.kind(array) != ValueKind::NdArray)
        return acc;
    const NdArrayRecord& a = g.ndarray(array);
    acc.shape = a.shape;
    acc.strides.assign(a.shape.size(), 0);
    std::uint64_t step = 1;
    for (std::size_t k = 0; k < a.shape.size(); ++k) {
        const std::size_t axis = a.fortranOrder ? k : a.shape.size() - 1 - k;
        acc.strides[axis] = step;
        if (a.shape[axis] < 0
            || __builtin_mul_overflow(
                step, static_cast<std::uint64_t>(std::max<std::int64_t>(a.shape[axis], 1)), &step))
            return acc;
    }
    acc.numel = 1;
    for (std::int64_t d : a.shape)
        acc.numel *= static_cast<std::uint64_t>(d);
    if (isObjectArray(g, array)) {
        acc.objects = ItemsPtr(g.items(a.data));
        acc.ok = acc.objects->size() >= acc.numel;
        return acc;
    }
    acc.dtype = numpy::dtypeFromValue(g, a.dtypeValue);
    if (!acc.dtype || !g.valid(a.data)
        || (g.kind(a.data) != ValueKind::Bytes && g.kind(a.data) != ValueKind::ByteArray))
        return acc;
    acc.bytes = g.bytes(a.data);
    std::uint64_t need = 0;
    acc.ok = !__builtin_mul_overflow(acc.numel, acc.dtype->node().itemSize, &need)
        && need <= acc.bytes.size();
    return acc;
}

// The element index of (row, i) (row < 0: a 1-D array); numel when out of range.
std::uint64_t PandasTableWriter::elementIndex(
    const ArrayAccess& acc, std::int64_t row, std::uint64_t i)
{
    if (row >= 0) {
        if (acc.shape.size() != 2 || row >= acc.shape[0]
            || i >= static_cast<std::uint64_t>(acc.shape[1]))
            return acc.numel;
        return static_cast<std::uint64_t>(row) * acc.strides[0] + i * acc.strides[1];
    }
    if (acc.shape.size() != 1 || i >= static_cast<std::uint64_t>(acc.shape[0]))
        return acc.numel;
    return i * acc.strides[0];
}

void PandasTableWriter::objectCell(ValueId v)
{
    const ValueGraph& g = m_ctx.g;
    JsonStream& out = m_ctx.out;
    if (!g.valid(v)) {
        out.null();
        return;
    }
    if (m_ctx.plainScalar(v))
        return;
    switch (g.kind(v)) {
    case ValueKind::Global: // pandas.NA
        if (g.global(v).name == "NA" || g.global(v).name == "NaT") {
            out.null();
            return;
        }
        break;
    case ValueKind::Object: {
        const std::string cls = className(g, v);
        if (cls.find("nattype") != std::string::npos
            || cls.find("__nat_unpickle") != std::string::npos) {
            out.null();
            return;
        }
        if (const auto scalar = numpyScalar(g, v)) {
            m_items.item(scalar->first, 0, scalar->second);
            return;
        }
        const std::string display = displayRepr(g, v);
        if (!display.empty()) {
            out.value(display);
            return;
        }
        break;
    }
    default:
        break;
    }
    out.value(summary(g, v));
}

void PandasTableWriter::arrayCell(const ArrayAccess& acc, std::int64_t row, std::uint64_t i)
{
    const std::uint64_t e = elementIndex(acc, row, i);
    if (!acc.ok || e >= acc.numel) {
        m_ctx.out.null();
        return;
    }
    if (acc.objects != nullptr) {
        objectCell((*acc.objects)[static_cast<std::size_t>(e)]);
        return;
    }
    m_items.item(*acc.dtype, 0, acc.bytes.data() + e * acc.dtype->node().itemSize);
}

PandasTableWriter::Column PandasTableWriter::column(const domain::PandasSource& s) const
{
    Column c;
    c.source = &s;
    c.values = arrayAccess(s.array);
    if (s.kind == domain::PandasSource::Kind::Masked)
        c.mask = arrayAccess(s.mask);
    if (s.kind == domain::PandasSource::Kind::Categorical)
        c.categories = arrayAccess(s.categories);
    return c;
}

void PandasTableWriter::cell(const Column& c, std::uint64_t i)
{
    JsonStream& out = m_ctx.out;
    const domain::PandasSource& s = *c.source;
    switch (s.kind) {
    case domain::PandasSource::Kind::Range:
        out.value(s.start + static_cast<std::int64_t>(i) * s.step);
        return;
    case domain::PandasSource::Kind::Array:
        arrayCell(c.values, s.row, i);
        return;
    case domain::PandasSource::Kind::Masked: {
        const std::uint64_t e = elementIndex(c.mask, -1, i);
        if (c.mask.ok && e < c.mask.numel && c.mask.objects == nullptr
            && c.mask.bytes[e] != std::byte { 0 }) {
            out.null();
            return;
        }
        arrayCell(c.values, -1, i);
        return;
    }
    case domain::PandasSource::Kind::Categorical: {
        const std::uint64_t e = elementIndex(c.values, s.row, i);
        if (!c.values.ok || e >= c.values.numel || c.values.objects != nullptr
            || c.values.dtype->node().kind != 'i') {
            out.null();
            return;
        }
        const numpy::DTypeNode& n = c.values.dtype->node();
        const std::int64_t code = numpy::readInt(
            c.values.bytes.data() + e * n.itemSize, n.itemSize, n.byteOrder == '>');
        if (code < 0) {
            out.null(); // a missing value
            return;
        }
        arrayCell(c.categories, -1, static_cast<std::uint64_t>(code));
        return;
    }
    }
}

void PandasTableWriter::cells(const Column& c, std::uint64_t count)
{
    m_ctx.out.beginArray();
    for (std::uint64_t i = 0; i < count; ++i)
        cell(c, i);
    m_ctx.out.endArray();
}

void PandasTableWriter::label(ValueId name)
{
    if (m_ctx.g.valid(name))
        objectCell(name);
    else
        m_ctx.out.null();
}

// INDEX: {"$type":"pandas.RangeIndex","start","stop","step"} or
// {"$type":"pandas.Index","dtype","name","values"} (MultiIndex: "levels", "codes", "names").
void PandasTableWriter::index(const domain::PandasIndex& index, std::uint64_t limit)
{
    const ValueGraph& g = m_ctx.g;
    JsonStream& out = m_ctx.out;
    out.beginObject();
    if (index.kind == domain::PandasIndex::Kind::Range) {
        out.member("$type", "pandas.RangeIndex")
            .member("start", index.start)
            .member("stop", index.stop)
            .member("step", index.step)
            .key("name");
        label(index.name);
        out.endObject();
        return;
    }
    out.member("$type", "pandas." + index.cls);
    if (index.kind == domain::PandasIndex::Kind::Multi) {
        out.key("names").beginArray();
        for (ValueId name : index.names)
            label(name);
        out.endArray().key("levels").beginArray();
        for (const domain::PandasSource& level : index.levels)
            cells(column(level), domain::sourceLength(g, level));
        out.endArray().key("codes").beginArray();
        for (const domain::PandasSource& codes : index.codes)
            cells(column(codes), std::min(limit, domain::sourceLength(g, codes)));
        out.endArray().endObject();
        return;
    }
    out.member("dtype", index.values.dtype).key("name");
    label(index.name);
    out.key("values");
    cells(column(index.values), std::min(limit, domain::sourceLength(g, index.values)));
    out.endObject();
}

void PandasTableWriter::table(const domain::PandasTable& t)
{
    m_ctx.out.beginObject();
    members(t);
    m_ctx.out.endObject();
}

void PandasTableWriter::members(const domain::PandasTable& t)
{
    JsonStream& out = m_ctx.out;
    const TensorDataMode mode = m_ctx.options.tensorData;
    const std::uint64_t limit
        = mode == TensorDataMode::Full ? t.rows : std::min<std::uint64_t>(t.rows, 16);
    if (t.series) {
        out.member("$type", "pandas.Series").key("name");
        label(t.name);
        out.member("dtype", t.columns[0].dtype).key("index");
        index(t.index, limit);
        if (mode != TensorDataMode::None) {
            out.key("data");
            cells(column(t.columns[0]), limit);
        }
        return;
    }
    out.member("$type", "pandas.DataFrame")
        .key("shape")
        .beginArray()
        .value(t.rows)
        .value(t.columns.size())
        .endArray()
        .key("columns");
    if (t.columnIndex.kind == domain::PandasIndex::Kind::Values) {
        cells(column(t.columnIndex.values), t.columns.size());
    } else if (t.columnIndex.kind == domain::PandasIndex::Kind::Range) {
        domain::PandasSource range;
        range.kind = domain::PandasSource::Kind::Range;
        range.start = t.columnIndex.start;
        range.step = t.columnIndex.step;
        cells(column(range), t.columns.size());
    } else {
        out.null();
    }
    out.key("dtypes").beginArray();
    for (const domain::PandasSource& c : t.columns)
        out.value(c.dtype);
    out.endArray().key("index");
    index(t.index, limit);
    if (mode != TensorDataMode::None) {
        out.key("data").beginArray();
        for (const domain::PandasSource& c : t.columns)
            cells(column(c), limit);
        out.endArray();
    }
}

} // namespace core
