#include "core/formats/safetensors_reader.h"

#include "core/byte_order.h"
#include "core/pickle/text_decoding.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace core::formats {

namespace {

// The first repeated member name of the top-level object, as written (escapes kept): a plain
// scan over the text, without recursion, that tracks strings and nesting depth. QJsonObject
// keeps only the last of duplicate names, so they are found here.
std::optional<std::string> duplicateTopLevelName(std::string_view json)
{
    std::unordered_set<std::string_view> seen;
    int depth = 0;
    bool expectKey = false;
    for (std::size_t i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (c == '"') {
            const std::size_t start = i + 1;
            ++i;
            while (i < json.size() && json[i] != '"')
                i += json[i] == '\\' ? 2 : 1;
            if (depth == 1 && expectKey) {
                const std::string_view key = json.substr(start, std::min(i, json.size()) - start);
                if (!seen.insert(key).second)
                    return std::string(key);
                expectKey = false;
            }
            continue;
        }
        if (c == '{' || c == '[') {
            ++depth;
            expectKey = depth == 1 && c == '{';
        } else if (c == '}' || c == ']') {
            --depth;
        } else if (c == ',' && depth == 1) {
            expectKey = true;
        }
    }
    return std::nullopt;
}

Error headerError(std::string message)
{
    return makeError(ErrorCode::Format, 8, "safetensors header: " + std::move(message));
}

} // namespace

DType safetensorsDType(std::string_view name)
{
    struct Row {
        std::string_view name;
        DType type;
    };
    static constexpr Row kRows[] = {
        { "BOOL", DType::Bool },
        { "U8", DType::UInt8 },
        { "I8", DType::Int8 },
        { "U16", DType::UInt16 },
        { "I16", DType::Int16 },
        { "U32", DType::UInt32 },
        { "I32", DType::Int32 },
        { "U64", DType::UInt64 },
        { "I64", DType::Int64 },
        { "F16", DType::Float16 },
        { "BF16", DType::BFloat16 },
        { "F32", DType::Float32 },
        { "F64", DType::Float64 },
        { "F8_E4M3", DType::Float8E4M3Fn },
        { "F8_E5M2", DType::Float8E5M2 },
        { "C64", DType::Complex64 },
        { "C128", DType::Complex128 },
    };
    for (const Row& row : kRows)
        if (row.name == name)
            return row.type;
    return DType::Unknown;
}

Result<SafetensorsHeader> parseSafetensorsHeader(std::span<const std::byte> file)
{
    SafetensorsHeader out;
    if (file.size() < 8)
        return makeError(ErrorCode::Truncated, 0,
            "safetensors: the file has " + std::to_string(file.size())
                + " bytes, fewer than the 8-byte header length");
    const std::uint64_t n = le64(file.data());
    if (n > kMaxSafetensorsHeader)
        return makeError(ErrorCode::LimitExceeded, 0,
            "safetensors: the header length " + std::to_string(n) + " is over the limit of 100 MB");
    if (n > file.size() - 8)
        return makeError(ErrorCode::Truncated, 0,
            "safetensors: the header length " + std::to_string(n)
                + " runs past the end of the file (" + std::to_string(file.size() - 8)
                + " bytes follow it)");
    out.headerLength = n;
    out.dataStart = 8 + n;
    const std::string_view text(reinterpret_cast<const char*>(file.data() + 8), n);
    bool surrogates = false;
    std::size_t badPos = 0;
    if (!validateUtf8(text, false, surrogates, badPos))
        return makeError(
            ErrorCode::Format, 8 + badPos, "safetensors header: the JSON is not valid UTF-8");
    QJsonParseError parseError;
    const QJsonDocument json = QJsonDocument::fromJson(
        QByteArray::fromRawData(text.data(), qsizetype(text.size())), &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return makeError(ErrorCode::Format, 8 + std::uint64_t(std::max(0, parseError.offset)),
            "safetensors header: not JSON (" + parseError.errorString().toStdString() + ")");
    if (!json.isObject())
        return headerError("the JSON is not an object");
    if (const auto dup = duplicateTopLevelName(text))
        return headerError("the name '" + *dup + "' appears twice");
    const QJsonObject root = json.object();
    const std::uint64_t dataSize = file.size() - out.dataStart;
    for (auto it = root.begin(); it != root.end(); ++it) {
        const std::string name = it.key().toStdString();
        if (name == "__metadata__") {
            if (!it.value().isObject())
                return headerError("__metadata__ is not an object");
            const QJsonObject meta = it.value().toObject();
            for (auto m = meta.begin(); m != meta.end(); ++m) {
                if (!m.value().isString())
                    return headerError(
                        "__metadata__ value of '" + m.key().toStdString() + "' is not a string");
                out.metadata.emplace_back(
                    m.key().toStdString(), m.value().toString().toStdString());
            }
            continue;
        }
        if (!it.value().isObject())
            return headerError("tensor '" + name + "' is not an object");
        const QJsonObject t = it.value().toObject();
        SafetensorsEntry e;
        e.name = name;
        e.dtypeText = t.value(QLatin1String("dtype")).toString().toStdString();
        e.dtype = safetensorsDType(e.dtypeText);
        if (e.dtype == DType::Unknown)
            return headerError("tensor '" + name + "' has an unknown dtype '" + e.dtypeText + "'");
        const QJsonValue shape = t.value(QLatin1String("shape"));
        const QJsonValue offsets = t.value(QLatin1String("data_offsets"));
        if (!shape.isArray() || !offsets.isArray() || offsets.toArray().size() != 2)
            return headerError(
                "tensor '" + name + "' lacks a shape list or a [begin, end] data_offsets pair");
        e.numel = 1;
        bool overflow = false;
        for (const QJsonValue& d : shape.toArray()) {
            const double v = d.toDouble(-1);
            if (!d.isDouble() || v < 0 || v != std::floor(v) || v > 9.0e15)
                return headerError(
                    "tensor '" + name + "' has a dimension that is not a whole number >= 0");
            e.shape.push_back(static_cast<std::int64_t>(v));
            overflow = overflow
                || __builtin_mul_overflow(e.numel, static_cast<std::uint64_t>(v), &e.numel);
        }
        const QJsonArray range = offsets.toArray();
        const double b = range[0].toDouble(-1), en = range[1].toDouble(-1);
        if (!range[0].isDouble() || !range[1].isDouble() || b < 0 || en < 0 || b != std::floor(b)
            || en != std::floor(en) || b > 1.8e19 || en > 1.8e19)
            return headerError(
                "tensor '" + name + "' has data_offsets that are not whole numbers >= 0");
        const auto begin = static_cast<std::uint64_t>(b), end = static_cast<std::uint64_t>(en);
        if (end < begin)
            return headerError("tensor '" + name + "' has data_offsets out of order: ["
                + std::to_string(begin) + ", " + std::to_string(end) + "]");
        if (end > dataSize)
            return makeError(ErrorCode::Truncated, out.dataStart + std::min(begin, dataSize),
                "safetensors: tensor '" + name + "' ends at data offset " + std::to_string(end)
                    + ", past the " + std::to_string(dataSize) + " bytes of data");
        std::uint64_t expected = 0;
        if (overflow || __builtin_mul_overflow(e.numel, dtypeSize(e.dtype), &expected)
            || expected != end - begin)
            return headerError("tensor '" + name + "': " + e.dtypeText + " x "
                + std::to_string(e.numel) + " elements is not the " + std::to_string(end - begin)
                + " bytes its data_offsets hold");
        e.offset = out.dataStart + begin;
        e.length = end - begin;
        out.tensors.push_back(std::move(e));
    }
    // Offsets: no overlap (gaps and trailing bytes are reported, not refused).
    std::vector<const SafetensorsEntry*> byOffset;
    byOffset.reserve(out.tensors.size());
    for (const auto& e : out.tensors)
        byOffset.push_back(&e);
    std::sort(
        byOffset.begin(), byOffset.end(), [](const SafetensorsEntry* a, const SafetensorsEntry* b) {
            return a->offset != b->offset ? a->offset < b->offset : a->length < b->length;
        });
    std::uint64_t cursor = out.dataStart;
    const SafetensorsEntry* previous = nullptr;
    for (const SafetensorsEntry* e : byOffset) {
        if (e->offset < cursor)
            return makeError(ErrorCode::Format, e->offset,
                "safetensors: tensor '" + e->name + "' overlaps tensor '"
                    + (previous != nullptr ? previous->name : "") + "'");
        if (e->offset > cursor)
            out.warnings.push_back({ Severity::Warning, cursor,
                std::to_string(e->offset - cursor) + " bytes of data belong to no tensor (before '"
                    + e->name + "')" });
        cursor = e->offset + e->length;
        previous = e;
    }
    if (cursor < file.size())
        out.warnings.push_back({ Severity::Warning, cursor,
            std::to_string(file.size() - cursor) + " bytes after the last tensor" });
    return out;
}

ValueId addSafetensorsTensor(
    ValueGraph& g, const SafetensorsEntry& entry, std::int32_t kept, std::string_view file)
{
    StorageRecord storage;
    storage.key = g.intern(entry.name);
    storage.dtype = entry.dtype;
    storage.numel = entry.numel;
    storage.location = "cpu";
    storage.bytes = { entry.offset, entry.length, kept };
    storage.bytesFound = true;
    storage.file = file;
    const ValueId storageId = g.addStorage(storage, kept < 0 ? entry.offset : 0);
    TensorRecord tensor;
    tensor.dtype = entry.dtype;
    tensor.storage = storageId;
    tensor.shape = entry.shape;
    tensor.stride.assign(entry.shape.size(), 1);
    for (std::size_t i = entry.shape.size(); i-- > 1;)
        tensor.stride[i - 1] = tensor.stride[i] * std::max<std::int64_t>(entry.shape[i], 1);
    return g.addTensor(std::move(tensor), kept < 0 ? entry.offset : 0);
}

Result<void> loadSafetensors(Document& doc)
{
    PS_ASSIGN(SafetensorsHeader header, parseSafetensorsHeader(doc.source->bytes()));
    ValueGraph& g = doc.graph;
    std::sort(header.tensors.begin(), header.tensors.end(),
        [](const SafetensorsEntry& a, const SafetensorsEntry& b) { return a.name < b.name; });
    std::vector<ValueId> items;
    items.reserve(2 * header.tensors.size());
    for (const SafetensorsEntry& e : header.tensors) {
        items.push_back(g.addStrCopy(e.name, 8));
        items.push_back(addSafetensorsTensor(g, e, -1, {}));
    }
    doc.root = g.addContainer(ValueKind::Dict, 0, std::move(items));
    doc.fileMetadata = std::move(header.metadata);
    for (Diagnostic& d : header.warnings)
        doc.diagnostics.push_back(std::move(d));
    doc.diagnostics.push_back(
        { Severity::Info, 0, "safetensors holds no pickle: no code can run when it is loaded" });
    return {};
}

} // namespace core::formats
