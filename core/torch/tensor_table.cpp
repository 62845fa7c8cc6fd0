#include "core/torch/tensor_table.h"

#include "core/value/access_path.h"
#include "core/value/value_text.h"

#include <unordered_map>

namespace core::torch {

namespace {

// Values that can hold a tensor somewhere below them (scalars and strings never do: their paths
// are not worth building).
bool mayHoldTensors(const ValueGraph& g, ValueId id)
{
    switch (g.kind(id)) {
    case ValueKind::Dict:
    case ValueKind::List:
    case ValueKind::Tuple:
    case ValueKind::Set:
    case ValueKind::FrozenSet:
    case ValueKind::Object:
    case ValueKind::Tensor:
    case ValueKind::NdArray:
        return true;
    default:
        return false;
    }
}

std::string indexPath(const std::string& path, std::size_t index)
{
    std::string out = path;
    appendIndexSegment(out, index);
    return out;
}

// pandas DataFrame / Series objects (their class given to copyreg._reconstructor or NEWOBJ).
bool isPandasFrame(const ValueGraph& g, ValueId id)
{
    const std::string cls = className(g, id);
    return cls == "pandas.core.frame.DataFrame" || cls == "pandas.core.series.Series";
}

} // namespace

TensorTable tensorTable(const Document& doc)
{
    TensorTable table;
    const ValueGraph& g = doc.graph;
    if (!g.valid(doc.root) || (g.tensorCount() == 0 && g.ndarrayCount() == 0))
        return table;
    std::vector<std::pair<ValueId, std::string>> stack;
    std::vector<bool> seen(g.size());
    stack.emplace_back(doc.root, "$");
    while (!stack.empty()) {
        auto [id, path] = std::move(stack.back());
        stack.pop_back();
        if (!g.valid(id))
            continue;
        const ValueKind kind = g.kind(id);
        // a tensor reached twice (tied weights) gets a row per path; containers are walked once
        if (kind != ValueKind::Tensor && kind != ValueKind::NdArray) {
            if (seen[indexOf(id)])
                continue;
            seen[indexOf(id)] = true;
        }
        std::vector<std::pair<ValueId, std::string>> children;
        switch (kind) {
        case ValueKind::Tensor: {
            const TensorRecord& t = g.tensor(id);
            TensorRow row;
            row.id = id;
            row.path = path;
            row.dtype = std::string(dtypeName(t.dtype));
            row.shape = t.shape;
            std::uint64_t n = 1;
            for (auto s : t.shape)
                n = s > 0 && !__builtin_mul_overflow(n, static_cast<std::uint64_t>(s), &n)
                    ? n
                    : (s == 0 ? 0 : n);
            row.elements = n;
            const std::uint32_t size = dtypeSize(t.dtype);
            row.bytes = t.dtype == DType::QUInt4x2
                ? (n + 1) / 2
                : (t.dtype == DType::QUInt2x4 ? (n + 3) / 4 : n * size);
            row.parameter = t.cls == TensorClass::Parameter;
            if (g.valid(t.storage) && g.kind(t.storage) == ValueKind::Storage) {
                row.storage = t.storage;
                row.storageKey = std::string(g.storage(t.storage).key);
            }
            table.rows.push_back(std::move(row));
            break;
        }
        case ValueKind::NdArray: {
            const NdArrayRecord& a = g.ndarray(id);
            TensorRow row;
            row.id = id;
            row.path = path;
            row.dtype = std::string(a.dtypeText);
            row.shape = a.shape;
            row.ndarray = true;
            std::uint64_t n = 1;
            for (auto s : a.shape)
                n = s > 0 && !__builtin_mul_overflow(n, static_cast<std::uint64_t>(s), &n)
                    ? n
                    : (s == 0 ? 0 : n);
            row.elements = n;
            row.bytesUnknown = a.dtype == DType::Object;
            row.bytes = row.bytesUnknown ? 0 : n * a.itemSize;
            table.rows.push_back(std::move(row));
            break;
        }
        case ValueKind::Dict: {
            const auto& items = g.items(id);
            for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
                if (!mayHoldTensors(g, items[i + 1]))
                    continue;
                std::string p = path;
                appendKeySegment(p, g, items[i]);
                children.emplace_back(items[i + 1], std::move(p));
            }
            break;
        }
        case ValueKind::List:
        case ValueKind::Tuple:
        case ValueKind::Set:
        case ValueKind::FrozenSet: {
            const auto& items = g.items(id);
            for (std::size_t i = 0; i < items.size(); ++i)
                if (mayHoldTensors(g, items[i]))
                    children.emplace_back(items[i], indexPath(path, i));
            break;
        }
        case ValueKind::Object: {
            const ObjectRecord& o = g.object(id);
            if (isPandasFrame(g, id)) {
                ++table.frameCount; // a table, not tensors: its blocks are not listed
                break;
            }
            if (g.valid(o.state) && g.kind(o.state) == ValueKind::Dict) {
                const auto& items = g.items(o.state);
                for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
                    std::string p = path;
                    if (g.kind(items[i]) == ValueKind::Str && isAsciiIdentifier(g.text(items[i])))
                        p += "." + std::string(g.text(items[i]));
                    else
                        appendKeySegment(p, g, items[i]);
                    children.emplace_back(items[i + 1], std::move(p));
                }
            } else if (g.valid(o.state)) {
                children.emplace_back(o.state, path + ".__state__");
            }
            if (g.valid(o.args))
                children.emplace_back(o.args, path + ".__args__");
            for (std::size_t i = 0; i < o.listItems.size(); ++i)
                children.emplace_back(o.listItems[i], indexPath(path, i));
            for (std::size_t i = 0; i + 1 < o.dictItems.size(); i += 2) {
                std::string p = path;
                appendKeySegment(p, g, o.dictItems[i]);
                children.emplace_back(o.dictItems[i + 1], std::move(p));
            }
            break;
        }
        default:
            break;
        }
        for (auto it = children.rbegin(); it != children.rend(); ++it)
            stack.push_back(std::move(*it));
        children.clear();
    }
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
