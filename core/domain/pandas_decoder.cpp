#include "core/domain/pandas_decoder.h"

#include "core/numpy/numpy_dtype.h"
#include "core/value/value_access.h"
#include "core/value/value_text.h"

#include <string_view>

namespace core::domain {

namespace {

// The last component of a dotted name.
std::string leaf(const std::string& dotted)
{
    const auto dot = dotted.rfind('.');
    return dot == std::string::npos ? dotted : dotted.substr(dot + 1);
}

bool isArray(const ValueGraph& g, ValueId id)
{
    return g.valid(id) && g.kind(id) == ValueKind::NdArray;
}

std::string numpyName(const ValueGraph& g, ValueId array)
{
    if (const auto d = numpy::dtypeFromValue(g, g.ndarray(array).dtypeValue))
        return d->node().kind == 'O' ? std::string("object") : d->name();
    return std::string(g.ndarray(array).dtypeText);
}

// A time zone object's name: pytz (_UTC, _p('Europe/Paris', ...)), zoneinfo, datetime.timezone.
std::string tzName(const ValueGraph& g, ValueId tz)
{
    const std::string cls = className(g, tz);
    if (cls == "pytz._UTC" || cls == "datetime.timezone")
        return "UTC";
    if (const auto a = objectArgs(g, tz); a != nullptr && !a->empty())
        if (const auto name = textOf(g, (*a)[0]))
            return std::string(*name);
    if (g.valid(tz) && g.kind(tz) == ValueKind::Str)
        return std::string(g.text(tz));
    return "tz";
}

std::optional<PandasIndex> decodeIndex(const ValueGraph& g, ValueId id);

// One extension array or numpy array -> a 1-D source (row: the block row of a 2-D array).
std::optional<PandasSource> decodeValues(const ValueGraph& g, ValueId values, std::int64_t row)
{
    PandasSource s;
    s.row = row;
    if (isArray(g, values)) {
        s.array = values;
        if (g.ndarray(values).shape.size() == 1)
            s.row = -1;
        s.dtype = numpyName(g, values);
        return s;
    }
    const std::string cls = className(g, values);
    if (cls.empty())
        return std::nullopt;
    const ObjectRecord& o = g.object(values);
    // masked arrays: state {'_data': ndarray, '_mask': ndarray}
    if (cls == "pandas.core.arrays.integer.IntegerArray"
        || cls == "pandas.core.arrays.floating.FloatingArray"
        || cls == "pandas.core.arrays.boolean.BooleanArray") {
        const ValueId data = dictGet(g, o.state, "_data");
        const ValueId mask = dictGet(g, o.state, "_mask");
        if (!isArray(g, data) || !isArray(g, mask))
            return std::nullopt;
        s.kind = PandasSource::Kind::Masked;
        s.array = data;
        s.mask = mask;
        s.row = -1;
        if (cls.find("boolean") != std::string::npos) {
            s.dtype = "boolean";
        } else {
            // Int64, UInt8, Float32: pandas capitalises numpy's name
            std::string n = numpyName(g, data);
            if (!n.empty() && n[0] == 'u')
                n = "UInt" + n.substr(4);
            else if (!n.empty())
                n[0] = static_cast<char>(n[0] - 'a' + 'A');
            s.dtype = n;
        }
        return s;
    }
    // NDArrayBacked: __pyx_unpickle_NDArrayBacked(cls, checksum, None) + state (dtype, ndarray,
    // attrs)
    if (cls == "pandas._libs.arrays.__pyx_unpickle_NDArrayBacked") {
        const auto a = objectArgs(g, values);
        const auto st = seqOf(g, o.state);
        if (a == nullptr || a->empty() || st == nullptr || st->size() < 2 || !isArray(g, (*st)[1]))
            return std::nullopt;
        const std::string arrayCls = leaf(globalName(g, (*a)[0]));
        const ValueId dtype = (*st)[0];
        const ValueId data = (*st)[1];
        s.array = data;
        if (g.ndarray(data).shape.size() == 1)
            s.row = -1;
        if (arrayCls == "Categorical") {
            const ValueId cats = dictGet(g,
                g.kind(dtype) == ValueKind::Object ? g.object(dtype).state : kNullValue,
                "categories");
            const auto index = decodeIndex(g, cats);
            if (!index || index->kind != PandasIndex::Kind::Values
                || index->values.kind != PandasSource::Kind::Array)
                return std::nullopt;
            s.kind = PandasSource::Kind::Categorical;
            s.categories = index->values.array;
            s.dtype = "category";
            return s;
        }
        if (arrayCls == "DatetimeArray") {
            if (className(g, dtype) == "pandas.core.dtypes.dtypes.DatetimeTZDtype") {
                const ValueId state = g.object(dtype).state;
                const auto unit = textOf(g, dictGet(g, state, "unit"));
                s.dtype = "datetime64[" + std::string(unit ? *unit : "ns") + ", "
                    + tzName(g, dictGet(g, state, "tz")) + "]";
            } else {
                s.dtype = numpyName(g, data);
            }
            return s;
        }
        if (arrayCls == "StringArray") {
            s.dtype = "string";
            return s;
        }
        s.dtype = numpyName(g, data);
        return s;
    }
    return std::nullopt;
}

std::optional<PandasIndex> decodeIndex(const ValueGraph& g, ValueId id)
{
    // _new_Index(cls, {...})
    // the reconstructors of Index (every class) and DatetimeIndex; both take (cls, dict)
    const std::string cls = className(g, id);
    if (cls != "pandas.core.indexes.base._new_Index"
        && cls != "pandas.core.indexes.datetimes._new_DatetimeIndex")
        return std::nullopt;
    const auto a = objectArgs(g, id);
    if (a == nullptr || a->size() < 2 || !g.valid((*a)[1]) || g.kind((*a)[1]) != ValueKind::Dict)
        return std::nullopt;
    const ValueId d = (*a)[1];
    PandasIndex index;
    index.cls = leaf(globalName(g, (*a)[0]));
    index.name = dictGet(g, d, "name");
    if (index.cls == "RangeIndex") {
        const auto start = intOf(g, dictGet(g, d, "start"));
        const auto stop = intOf(g, dictGet(g, d, "stop"));
        const auto step = intOf(g, dictGet(g, d, "step"));
        if (!start || !stop || !step || *step == 0)
            return std::nullopt;
        index.kind = PandasIndex::Kind::Range;
        index.start = *start;
        index.stop = *stop;
        index.step = *step;
        return index;
    }
    if (index.cls == "MultiIndex") {
        const auto levels = seqOf(g, dictGet(g, d, "levels"));
        const auto codes = seqOf(g, dictGet(g, d, "codes"));
        const auto names = seqOf(g, dictGet(g, d, "names"));
        if (levels == nullptr || codes == nullptr || levels->size() != codes->size())
            return std::nullopt;
        index.kind = PandasIndex::Kind::Multi;
        for (std::size_t k = 0; k < levels->size(); ++k) {
            const auto level = decodeIndex(g, (*levels)[k]);
            if (!level || level->kind != PandasIndex::Kind::Values || !isArray(g, (*codes)[k]))
                return std::nullopt;
            index.levels.push_back(level->values);
            PandasSource c;
            c.array = (*codes)[k];
            c.dtype = numpyName(g, c.array);
            index.codes.push_back(std::move(c));
            index.names.push_back(names != nullptr && k < names->size() ? (*names)[k] : kNullValue);
        }
        return index;
    }
    const auto values = decodeValues(g, dictGet(g, d, "data"), -1);
    if (!values)
        return std::nullopt;
    index.values = *values;
    return index;
}

// Column positions of a block's placement: slice(start, stop, step) or an int64 array.
bool placementOf(const ValueGraph& g, ValueId placement, std::vector<std::int64_t>& out)
{
    if (className(g, placement) == "builtins.slice") {
        const auto a = objectArgs(g, placement);
        if (a == nullptr || a->size() != 3)
            return false;
        const auto start = intOf(g, (*a)[0]);
        const auto stop = intOf(g, (*a)[1]);
        const auto step = g.kind((*a)[2]) == ValueKind::None ? std::optional<std::int64_t>(1)
                                                             : intOf(g, (*a)[2]);
        if (!start || !stop || !step || *step <= 0 || *stop - *start > (1 << 24))
            return false;
        for (std::int64_t i = *start; i < *stop; i += *step)
            out.push_back(i);
        return true;
    }
    if (isArray(g, placement)) {
        const NdArrayRecord& r = g.ndarray(placement);
        const auto d = numpy::dtypeFromValue(g, r.dtypeValue);
        if (!d || d->node().kind != 'i' || !g.valid(r.data)
            || (g.kind(r.data) != ValueKind::Bytes && g.kind(r.data) != ValueKind::ByteArray))
            return false;
        const auto bytes = g.bytes(r.data);
        const std::uint64_t size = d->node().itemSize;
        for (std::uint64_t i = 0; i + size <= bytes.size(); i += size)
            out.push_back(numpy::readInt(bytes.data() + i, size, d->node().byteOrder == '>'));
        return true;
    }
    return false;
}

struct Block {
    ValueId values;
    ValueId placement;
};

// The manager's blocks and axes: REDUCE (blocks, axes) with _unpickle_block blocks, or the
// __getstate__ tuple ending in {"0.14.1": {"axes", "blocks": [{"values", "mgr_locs"}]}}.
bool managerParts(
    const ValueGraph& g, ValueId mgr, std::vector<Block>& blocks, std::vector<ValueId>& axes)
{
    if (!g.valid(mgr) || g.kind(mgr) != ValueKind::Object)
        return false;
    const ObjectRecord& o = g.object(mgr);
    if (const auto st = seqOf(g, o.state); st != nullptr && !st->empty()) {
        const ValueId extra = dictGet(g, st->back(), "0.14.1");
        const auto ax = seqOf(g, dictGet(g, extra, "axes"));
        const auto bl = seqOf(g, dictGet(g, extra, "blocks"));
        if (ax != nullptr && bl != nullptr) {
            axes.assign(ax->begin(), ax->end());
            for (ValueId b : *bl)
                blocks.push_back({ dictGet(g, b, "values"), dictGet(g, b, "mgr_locs") });
            return true;
        }
    }
    const auto a = objectArgs(g, mgr);
    if (a == nullptr || a->size() < 2)
        return false;
    // pandas 2.x SingleBlockManager.__reduce__: (block, index), not ([blocks], [axes])
    if (className(g, (*a)[0]) == "pandas._libs.internals._unpickle_block") {
        const auto ba = objectArgs(g, (*a)[0]);
        if (ba == nullptr || ba->size() < 2)
            return false;
        blocks.push_back({ (*ba)[0], (*ba)[1] });
        axes = { (*a)[1] };
        return true;
    }
    const auto bl = seqOf(g, (*a)[0]);
    const auto ax = seqOf(g, (*a)[1]);
    if (bl == nullptr || ax == nullptr)
        return false;
    axes.assign(ax->begin(), ax->end());
    for (ValueId b : *bl) {
        if (className(g, b) != "pandas._libs.internals._unpickle_block")
            return false;
        const auto ba = objectArgs(g, b);
        if (ba == nullptr || ba->size() < 2)
            return false;
        blocks.push_back({ (*ba)[0], (*ba)[1] });
    }
    return true;
}

} // namespace

std::uint64_t sourceLength(const ValueGraph& g, const PandasSource& s)
{
    if (!isArray(g, s.array))
        return 0;
    const auto& shape = g.ndarray(s.array).shape;
    const std::size_t axis = s.row >= 0 ? 1 : 0;
    return axis < shape.size() && shape[axis] > 0 ? static_cast<std::uint64_t>(shape[axis]) : 0;
}

std::uint64_t indexLength(const ValueGraph& g, const PandasIndex& index)
{
    switch (index.kind) {
    case PandasIndex::Kind::Range: {
        if (index.step > 0)
            return index.stop > index.start ? static_cast<std::uint64_t>(
                       (index.stop - index.start + index.step - 1) / index.step)
                                            : 0;
        return index.start > index.stop
            ? static_cast<std::uint64_t>((index.start - index.stop - index.step - 1) / -index.step)
            : 0;
    }
    case PandasIndex::Kind::Values:
        return sourceLength(g, index.values);
    case PandasIndex::Kind::Multi:
        return index.codes.empty() ? 0 : sourceLength(g, index.codes[0]);
    }
    return 0;
}

std::optional<PandasTable> decodePandas(const ValueGraph& g, ValueId id)
{
    const std::string cls = className(g, id);
    const bool frame = cls == "pandas.core.frame.DataFrame";
    const bool series = cls == "pandas.core.series.Series";
    if (!frame && !series)
        return std::nullopt;
    const ValueId state = g.object(id).state;
    std::vector<Block> blocks;
    std::vector<ValueId> axes;
    if (!managerParts(g, dictGet(g, state, "_mgr"), blocks, axes))
        return std::nullopt;
    PandasTable t;
    t.series = series;
    if (series) {
        if (axes.size() != 1 || blocks.size() != 1)
            return std::nullopt;
        const auto index = decodeIndex(g, axes[0]);
        const auto values = decodeValues(g, blocks[0].values, -1);
        if (!index || !values)
            return std::nullopt;
        t.index = *index;
        t.columns.push_back(*values);
        t.name = dictGet(g, state, "name");
        t.rows = indexLength(g, t.index);
        return t;
    }
    if (axes.size() != 2)
        return std::nullopt;
    const auto columns = decodeIndex(g, axes[0]);
    const auto index = decodeIndex(g, axes[1]);
    if (!columns || !index)
        return std::nullopt;
    t.columnIndex = *columns;
    t.index = *index;
    t.rows = indexLength(g, t.index);
    const std::uint64_t ncols = indexLength(g, t.columnIndex);
    if (ncols > (1u << 24))
        return std::nullopt;
    t.columns.resize(static_cast<std::size_t>(ncols));
    std::vector<bool> filled(static_cast<std::size_t>(ncols), false);
    for (const Block& b : blocks) {
        std::vector<std::int64_t> positions;
        if (!placementOf(g, b.placement, positions))
            return std::nullopt;
        for (std::size_t k = 0; k < positions.size(); ++k) {
            const std::int64_t p = positions[k];
            if (p < 0 || static_cast<std::uint64_t>(p) >= ncols)
                return std::nullopt;
            const auto source = decodeValues(g, b.values, static_cast<std::int64_t>(k));
            if (!source)
                return std::nullopt;
            t.columns[static_cast<std::size_t>(p)] = *source;
            filled[static_cast<std::size_t>(p)] = true;
        }
    }
    for (bool f : filled)
        if (!f)
            return std::nullopt;
    return t;
}

std::string pandasLabel(const ValueGraph& g, ValueId id)
{
    const auto t = decodePandas(g, id);
    if (!t)
        return {};
    if (t->series) {
        std::string label = "Series " + std::to_string(t->rows) + " " + t->columns[0].dtype;
        if (g.valid(t->name) && g.kind(t->name) != ValueKind::None)
            label += " " + scalarRepr(g, t->name, 40);
        return label;
    }
    return "DataFrame " + std::to_string(t->rows) + " \u00d7 " + std::to_string(t->columns.size());
}

} // namespace core::domain
