#include "core/torch/tensor_table.h"

#include "core/value/access_path.h"
#include "core/value/value_text.h"

#include <unordered_map>

namespace core::torch {

namespace {

// pandas DataFrame / Series objects (their class given to copyreg._reconstructor or NEWOBJ).
bool isPandasFrame(const ValueGraph& g, ValueId id)
{
    const std::string cls = className(g, id);
    return cls == "pandas.core.frame.DataFrame" || cls == "pandas.core.series.Series";
}

// The product of a shape's sizes (a negative size or an overflow leaves it out).
std::uint64_t elementCount(const std::vector<std::int64_t>& shape)
{
    std::uint64_t n = 1;
    for (auto s : shape)
        n = s > 0 && !__builtin_mul_overflow(n, static_cast<std::uint64_t>(s), &n)
            ? n
            : (s == 0 ? 0 : n);
    return n;
}

// The row of a tensor or an ndarray at `path`.
TensorRow rowOf(const ValueGraph& g, ValueId id, const std::string& path)
{
    TensorRow row;
    row.id = id;
    row.path = path;
    if (g.kind(id) == ValueKind::NdArray) {
        const NdArrayRecord& a = g.ndarray(id);
        row.ndarray = true;
        row.dtype = std::string(a.dtypeText);
        row.shape = a.shape;
        row.elements = elementCount(a.shape);
        row.bytesUnknown = a.dtype == DType::Object; // elements are Python objects
        row.bytes = row.bytesUnknown ? 0 : row.elements * a.itemSize;
        return row;
    }
    const TensorRecord& t = g.tensor(id);
    row.dtype = std::string(dtypeName(t.dtype));
    row.shape = t.shape;
    const std::uint64_t n = row.elements = elementCount(t.shape);
    row.bytes = t.dtype == DType::QUInt4x2 ? (n + 1) / 2
        : t.dtype == DType::QUInt2x4       ? (n + 3) / 4
                                           : n * dtypeSize(t.dtype);
    row.parameter = t.cls == TensorClass::Parameter;
    if (g.valid(t.storage) && g.kind(t.storage) == ValueKind::Storage) {
        row.storage = t.storage;
        row.storageKey = std::string(g.storage(t.storage).key);
    }
    return row;
}

} // namespace

TensorTable tensorTable(const Document& doc)
{
    TensorTable table;
    const ValueGraph& g = doc.graph;
    if (!g.valid(doc.root) || (g.tensorCount() == 0 && g.ndarrayCount() == 0))
        return table;
    // The access paths (a tensor reached twice, tied weights, gets a row per path; containers are
    // walked once).
    walkAccessPaths(g, doc.root, "$", [&](ValueId id, const std::string& path) {
        switch (g.kind(id)) {
        case ValueKind::Tensor:
        case ValueKind::NdArray:
            table.rows.push_back(rowOf(g, id, path));
            return false;
        case ValueKind::Object:
            if (isPandasFrame(g, id)) {
                ++table.frameCount; // a table, not tensors: its blocks are not listed
                return false;
            }
            return true;
        default:
            return true;
        }
    });
    std::unordered_map<std::uint32_t, std::size_t> firstOnStorage;
    for (std::size_t i = 0; i < table.rows.size(); ++i) {
        TensorRow& row = table.rows[i];
        table.totalElements += row.elements;
        table.totalBytes += row.bytes;
        if (row.ndarray) {
            ++table.arrayCount;
            table.arrayElements += row.elements;
            table.arrayBytes += row.bytes;
        } else {
            ++table.tensorCount;
            table.tensorElements += row.elements;
            table.tensorBytes += row.bytes;
        }
        auto& [elements, bytes] = table.perDtype[row.dtype];
        elements += row.elements;
        bytes += row.bytes;
        if (isNull(row.storage))
            continue;
        const auto [it, inserted] = firstOnStorage.emplace(indexOf(row.storage), i);
        if (inserted) {
            const StorageRecord& s = g.storage(row.storage);
            table.storageBytes += s.bytesFound ? s.bytes.length : s.numel * dtypeSize(s.dtype);
        } else {
            row.sharedWith = table.rows[it->second].path;
            if (table.rows[it->second].sharedWith.empty())
                table.rows[it->second].sharedWith = row.path;
        }
    }
    return table;
}

} // namespace core::torch
