#include "core/domain/table_view.h"

#include "core/value/value_text.h"

#include <charconv>

namespace core::domain {

namespace {

struct Access {
    const NdArrayRecord* rec = nullptr;
    std::optional<numpy::NumpyDType> dtype;
    std::span<const std::byte> bytes;
    ItemsPtr objects; // object arrays: a view into the loaded graph's item pool
    std::uint64_t numel = 0;
};

Access accessOf(const ValueGraph& g, ValueId array)
{
    Access a;
    if (!g.valid(array) || g.kind(array) != ValueKind::NdArray)
        return a;
    a.rec = &g.ndarray(array);
    a.numel = 1;
    for (std::int64_t d : a.rec->shape)
        a.numel *= d > 0 ? static_cast<std::uint64_t>(d) : 0;
    const ValueId data = a.rec->data;
    if (g.valid(data) && (g.kind(data) == ValueKind::List || g.kind(data) == ValueKind::Tuple)) {
        a.objects = ItemsPtr(g.items(data));
        return a;
    }
    a.dtype = numpy::dtypeFromValue(g, a.rec->dtypeValue);
    if (a.dtype && g.valid(data)
        && (g.kind(data) == ValueKind::Bytes || g.kind(data) == ValueKind::ByteArray)) {
        a.bytes = g.bytes(data);
        if (a.bytes.size() / std::max<std::uint64_t>(a.dtype->node().itemSize, 1) < a.numel)
            a.dtype.reset();
    } else {
        a.dtype.reset();
    }
    return a;
}

// Element number of (row, i) in a 1-D (row < 0) or 2-D array, C or Fortran order.
std::optional<std::uint64_t> elementOf(const NdArrayRecord& r, std::int64_t row, std::uint64_t i)
{
    if (row < 0) {
        if (r.shape.size() != 1
            || i >= static_cast<std::uint64_t>(std::max<std::int64_t>(r.shape[0], 0)))
            return std::nullopt;
        return i;
    }
    if (r.shape.size() != 2 || row >= r.shape[0]
        || i >= static_cast<std::uint64_t>(std::max<std::int64_t>(r.shape[1], 0)))
        return std::nullopt;
    return r.fortranOrder
        ? i * static_cast<std::uint64_t>(r.shape[0]) + static_cast<std::uint64_t>(row)
        : static_cast<std::uint64_t>(row) * static_cast<std::uint64_t>(r.shape[1]) + i;
}

} // namespace

std::optional<TableView> TableView::open(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id))
        return std::nullopt;
    TableView t;
    t.m_g = &g;
    if (g.kind(id) == ValueKind::Object) {
        auto table = decodePandas(g, id);
        if (!table)
            return std::nullopt;
        t.m_rows = table->rows;
        t.m_index = table->index;
        if (table->series) {
            Column c;
            c.name = g.valid(table->name) && g.kind(table->name) != ValueKind::None
                ? scalarRepr(g, table->name, 60)
                : "0";
            c.dtype = table->columns[0].dtype;
            c.source = table->columns[0];
            t.m_columns.push_back(std::move(c));
            return t;
        }
        for (std::size_t k = 0; k < table->columns.size(); ++k) {
            Column c;
            if (table->columnIndex.kind == PandasIndex::Kind::Values) {
                // a str label as itself (df.columns prints 'a' as a)
                const PandasSource& labels = table->columnIndex.values;
                const Access a = accessOf(g, labels.array);
                if (a.objects != nullptr && k < a.objects->size()
                    && g.kind((*a.objects)[k]) == ValueKind::Str)
                    c.name = std::string(g.text((*a.objects)[k]));
                else
                    c.name = t.sourceCell(labels, k);
            } else if (table->columnIndex.kind == PandasIndex::Kind::Range)
                c.name = std::to_string(table->columnIndex.start
                    + static_cast<std::int64_t>(k) * table->columnIndex.step);
            else
                c.name = std::to_string(k);
            c.dtype = table->columns[k].dtype;
            c.source = table->columns[k];
            t.m_columns.push_back(std::move(c));
        }
        return t;
    }
    if (g.kind(id) != ValueKind::NdArray)
        return std::nullopt;
    const NdArrayRecord& r = g.ndarray(id);
    if (r.shape.empty() || r.shape.size() > 2 || r.shape[0] < 0
        || (r.shape.size() == 2 && r.shape[1] < 0))
        return std::nullopt;
    t.m_array = id;
    t.m_dtype = numpy::dtypeFromValue(g, r.dtypeValue);
    t.m_rows = static_cast<std::uint64_t>(r.shape[0]);
    if (t.m_dtype && t.m_dtype->structured() && r.shape.size() == 1) {
        for (const numpy::DTypeField& f : t.m_dtype->node().fields) {
            Column c;
            c.name = f.name;
            const numpy::DTypeNode& n = t.m_dtype->node(f.node);
            c.dtype
                = n.subBase != numpy::kNoNode ? t.m_dtype->str(n.subBase) : t.m_dtype->str(f.node);
            c.node = f.node;
            c.offset = f.offset;
            t.m_columns.push_back(std::move(c));
        }
        return t;
    }
    const std::string dtype = t.m_dtype ? t.m_dtype->str() : std::string(r.dtypeText);
    const std::int64_t cols = r.shape.size() == 2 ? r.shape[1] : 1;
    if (cols > (1 << 20))
        return std::nullopt;
    for (std::int64_t k = 0; k < cols; ++k) {
        Column c;
        c.name = std::to_string(k);
        c.dtype = dtype;
        c.arrayColumn = r.shape.size() == 2 ? k : -1;
        t.m_columns.push_back(std::move(c));
    }
    return t;
}

std::string TableView::rowLabel(std::uint64_t r) const
{
    if (!m_index)
        return std::to_string(r);
    switch (m_index->kind) {
    case PandasIndex::Kind::Range:
        return std::to_string(m_index->start + static_cast<std::int64_t>(r) * m_index->step);
    case PandasIndex::Kind::Values:
        return sourceCell(m_index->values, r);
    case PandasIndex::Kind::Multi: {
        std::string s;
        for (std::size_t k = 0; k < m_index->codes.size(); ++k) {
            const std::string code = sourceCell(m_index->codes[k], r);
            std::int64_t c = -1;
            std::from_chars(code.data(), code.data() + code.size(), c);
            s += (k > 0 ? ", " : "")
                + (c >= 0 ? sourceCell(m_index->levels[k], static_cast<std::uint64_t>(c))
                          : std::string("NaN"));
        }
        return s;
    }
    }
    return std::to_string(r);
}

std::string TableView::itemText(
    const numpy::NumpyDType& d, std::uint32_t node, const std::byte* p) const
{
    const numpy::DTypeNode& n = d.node(node);
    if (!n.fields.empty() || n.subBase != numpy::kNoNode)
        return n.subBase != numpy::kNoNode ? "[…]" : "(…)";
    const bool big = n.byteOrder == '>';
    switch (n.kind) {
    case 'b':
        return p[0] != std::byte { 0 } ? "True" : "False";
    case 'i':
        return std::to_string(numpy::readInt(p, n.itemSize, big));
    case 'u':
        return std::to_string(numpy::readUInt(p, n.itemSize, big));
    case 'f':
        return pyFloatRepr(numpy::readFloat(p, n.itemSize, big));
    case 'c':
        return pyComplexRepr(numpy::readFloat(p, n.itemSize / 2, big),
            numpy::readFloat(p + n.itemSize / 2, n.itemSize / 2, big));
    case 'M':
        return numpy::datetimeAsString(numpy::readInt(p, 8, big), n);
    case 'm': {
        const std::int64_t v = numpy::readInt(p, 8, big);
        return v == numpy::kNaT ? "NaT" : std::to_string(v) + " " + n.unit;
    }
    case 'U':
        return pyStrRepr(
            numpy::ucs4ToUtf8(
                std::span<const std::byte>(p, static_cast<std::size_t>(n.itemSize)), big),
            200);
    case 'S':
        return pyBytesRepr(numpy::stripNuls(std::string_view(reinterpret_cast<const char*>(p),
                               static_cast<std::size_t>(n.itemSize))),
            200);
    case 'V':
        return pyBytesRepr(std::string_view(reinterpret_cast<const char*>(p),
                               static_cast<std::size_t>(n.itemSize)),
            200);
    default:
        return "?";
    }
}

std::string TableView::arrayElement(ValueId array, std::int64_t row, std::uint64_t i) const
{
    const Access a = accessOf(*m_g, array);
    if (a.rec == nullptr)
        return {};
    const auto e = elementOf(*a.rec, row, i);
    if (!e || *e >= a.numel)
        return {};
    if (a.objects != nullptr)
        return *e < a.objects->size()
            ? summary(*m_g, (*a.objects)[static_cast<std::size_t>(*e)], 200)
            : std::string();
    if (!a.dtype)
        return {};
    return itemText(*a.dtype, 0, a.bytes.data() + *e * a.dtype->node().itemSize);
}

std::string TableView::sourceCell(const PandasSource& s, std::uint64_t r) const
{
    switch (s.kind) {
    case PandasSource::Kind::Range:
        return std::to_string(s.start + static_cast<std::int64_t>(r) * s.step);
    case PandasSource::Kind::Array:
        return arrayElement(s.array, s.row, r);
    case PandasSource::Kind::Masked:
        return arrayElement(s.mask, -1, r) == "True" ? "<NA>" : arrayElement(s.array, -1, r);
    case PandasSource::Kind::Categorical: {
        const std::string code = arrayElement(s.array, s.row, r);
        std::int64_t c = -1;
        if (std::from_chars(code.data(), code.data() + code.size(), c).ec != std::errc())
            return {};
        return c < 0 ? "NaN" : arrayElement(s.categories, -1, static_cast<std::uint64_t>(c));
    }
    }
    return {};
}

std::string TableView::cell(std::uint64_t r, std::size_t c) const
{
    if (c >= m_columns.size() || r >= m_rows)
        return {};
    const Column& col = m_columns[c];
    if (col.source)
        return sourceCell(*col.source, r);
    if (col.arrayColumn >= 0)
        return arrayElement(
            m_array, static_cast<std::int64_t>(r), static_cast<std::uint64_t>(col.arrayColumn));
    if (m_dtype && m_dtype->structured()) {
        const Access a = accessOf(*m_g, m_array);
        if (!a.dtype || a.objects != nullptr || r >= a.numel)
            return {};
        const numpy::DTypeNode& n = m_dtype->node(col.node);
        const std::byte* p = a.bytes.data() + r * a.dtype->node().itemSize + col.offset;
        if (n.subBase != numpy::kNoNode) { // a subarray field: its elements, comma-separated
            const std::uint64_t size = m_dtype->node(n.subBase).itemSize;
            const std::uint64_t count
                = size == 0 ? 0 : std::min<std::uint64_t>(n.itemSize / size, 64);
            std::string s = "[";
            for (std::uint64_t k = 0; k < count; ++k)
                s += (k > 0 ? ", " : "") + itemText(*m_dtype, n.subBase, p + k * size);
            return s + "]";
        }
        return itemText(*m_dtype, col.node, p);
    }
    return arrayElement(m_array, -1, r);
}

} // namespace core::domain
