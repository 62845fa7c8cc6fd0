#include "core/formats/sharded_reader.h"

#include "core/formats/detect_format.h"
#include "core/formats/safetensors_reader.h"
#include "core/loader.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>

#include <optional>
#include <unordered_map>

namespace core::formats {

namespace {

// A shard name the index may use: relative, inside the index's folder (no "..", no absolute
// path), so that a hostile index cannot make the reader open files elsewhere.
bool safeShardName(const QString& name)
{
    if (name.isEmpty() || QDir::isAbsolutePath(name) || name.contains(QLatin1Char('\\')))
        return false;
    for (const QString& part : name.split(QLatin1Char('/')))
        if (part == QLatin1String("..") || part.isEmpty())
            return false;
    return true;
}

// The keys of the top-level object's "weight_map" in the file's own order (QJsonObject sorts
// them). `text` is valid JSON (QJsonDocument parsed it); anything unexpected gives {} and the
// caller keeps QJsonObject's order. A flat scan: no recursion on nesting.
std::vector<QString> weightMapKeyOrder(QByteArrayView text)
{
    qsizetype pos = 0;
    const qsizetype size = text.size();
    auto skipSpace = [&] {
        while (pos < size
            && (text[pos] == ' ' || text[pos] == '\n' || text[pos] == '\r' || text[pos] == '\t'))
            ++pos;
    };
    auto skipString = [&] { // at '"': past the closing quote
        for (++pos; pos < size; ++pos) {
            if (text[pos] == '\\')
                ++pos;
            else if (text[pos] == '"') {
                ++pos;
                return true;
            }
        }
        return false;
    };
    auto skipValue = [&] {
        if (pos < size && text[pos] == '"')
            return skipString();
        int depth = 0;
        while (pos < size) {
            const char c = text[pos];
            if (c == '"') {
                if (!skipString())
                    return false;
                continue;
            }
            if (c == '{' || c == '[')
                ++depth;
            else if (c == '}' || c == ']') {
                if (depth == 0)
                    return true;
                --depth;
            } else if (c == ',' && depth == 0)
                return true;
            ++pos;
            if (depth == 0 && (c == '}' || c == ']'))
                return true;
        }
        return false;
    };
    // Reads the members of the object at pos; returns each key's raw JSON string.
    auto members = [&](bool wantKeys, QByteArray* keysOut, std::optional<qsizetype>* weightMapAt) {
        skipSpace();
        if (pos >= size || text[pos] != '{')
            return false;
        ++pos;
        bool first = true;
        for (;;) {
            skipSpace();
            if (pos < size && text[pos] == '}')
                return true;
            if (!first) {
                if (pos >= size || text[pos] != ',')
                    return false;
                ++pos;
                skipSpace();
            }
            first = false;
            const qsizetype keyStart = pos;
            if (pos >= size || text[pos] != '"' || !skipString())
                return false;
            const QByteArrayView key = text.sliced(keyStart, pos - keyStart);
            skipSpace();
            if (pos >= size || text[pos] != ':')
                return false;
            ++pos;
            skipSpace();
            if (wantKeys)
                *keysOut += (keysOut->isEmpty() ? "" : ",") + key.toByteArray();
            else if (key == "\"weight_map\"")
                *weightMapAt = pos;
            if (!skipValue())
                return false;
        }
    };
    std::optional<qsizetype> weightMapAt;
    if (!members(false, nullptr, &weightMapAt) || !weightMapAt)
        return {};
    pos = *weightMapAt;
    QByteArray keys;
    if (!members(true, &keys, nullptr))
        return {};
    const QJsonArray decoded = QJsonDocument::fromJson("[" + keys + "]").array();
    std::vector<QString> out;
    out.reserve(static_cast<std::size_t>(decoded.size()));
    for (const QJsonValue& key : decoded)
        out.push_back(key.toString());
    return out;
}

// A shard's URL: its name resolved against the index's URL, on the same scheme, host and port.
QString shardUrl(const std::string& indexUrl, const QString& name)
{
    const QUrl index(QString::fromStdString(indexUrl));
    const QUrl shard = index.resolved(QUrl(name, QUrl::StrictMode));
    if (!shard.isValid() || shard.scheme() != index.scheme() || shard.host() != index.host()
        || shard.port() != index.port())
        return {};
    return shard.toString();
}

struct Shard {
    ShardFile info;
    std::shared_ptr<ByteSource> source;
    std::shared_ptr<const Document> doc; // torch.save shards
    std::int32_t kept = -1; // doc.source->kept index of the shard's mapped bytes
    std::unordered_map<std::string, SafetensorsEntry> safetensors;
    std::unordered_map<std::string, ValueId> torchTensors; // in doc's graph
    std::unordered_map<std::uint32_t, ValueId> copiedStorages; // shard storage -> ours
    std::unordered_map<std::int32_t, std::int32_t> keptMap; // shard kept index -> ours
    std::string_view fileName; // interned in the graph
};

// The tensors of a torch state dict (dict str -> Tensor); nested dicts are not walked.
void collectTensors(
    const ValueGraph& g, ValueId root, std::unordered_map<std::string, ValueId>& out)
{
    if (!g.valid(root) || g.kind(root) != ValueKind::Dict)
        return;
    const auto& items = g.items(root);
    for (std::size_t i = 0; i + 1 < items.size(); i += 2)
        if (g.kind(items[i]) == ValueKind::Str && g.valid(items[i + 1])
            && g.kind(items[i + 1]) == ValueKind::Tensor)
            out.emplace(std::string(g.text(items[i])), items[i + 1]);
}

// Copies a tensor of a shard's graph into ours: records only (the bytes stay in the shard).
ValueId copyTensor(Document& doc, Shard& shard, ValueId id, std::uint64_t offset)
{
    ValueGraph& g = doc.graph;
    const ValueGraph& sg = shard.doc->graph;
    TensorRecord t = sg.tensor(id);
    t.rebuild = kNullValue;
    t.scales = t.zeroPoints = t.components = kNullValue;
    if (sg.valid(t.storage) && sg.kind(t.storage) == ValueKind::Storage) {
        const auto it = shard.copiedStorages.find(indexOf(t.storage));
        if (it != shard.copiedStorages.end()) {
            t.storage = it->second;
        } else {
            StorageRecord s = sg.storage(t.storage);
            s.key = g.intern(s.key);
            s.location = g.intern(s.location);
            s.typeName = g.intern(s.typeName);
            s.file = shard.fileName;
            const std::int32_t from = s.bytes.inflatedEntry;
            if (from < 0) {
                s.bytes.inflatedEntry = shard.kept;
            } else {
                auto [k, fresh] = shard.keptMap.emplace(from, -1);
                if (fresh)
                    k->second = static_cast<std::int32_t>(doc.source->keepView(
                        shard.doc->source->kept(static_cast<std::size_t>(from)), shard.doc));
                s.bytes.inflatedEntry = k->second;
            }
            const ValueId storage = g.addStorage(std::move(s), offset);
            shard.copiedStorages.emplace(indexOf(t.storage), storage);
            t.storage = storage;
        }
    } else {
        t.storage = kNullValue;
    }
    return g.addTensor(std::move(t), offset);
}

// `path` is a file, or a URL (opened lazily as a remote source: headers and pickles fetched
// now, tensor data when a view reads it).
void openShard(Document& doc, Shard& shard, const QString& path, const LoadOptions& options,
    LoadObserver* observer)
{
    const bool remote = ByteSource::isUrl(path.toStdString());
    const QFileInfo info(path);
    if (!remote && !info.isFile()) {
        shard.info.error = "missing";
        return;
    }
    auto mapped = ByteSource::mapFile(path.toStdString());
    if (!mapped.ok()) {
        shard.info.error = mapped.error().message;
        return;
    }
    shard.source = mapped.value();
    shard.info.size = shard.source->size();
    if (auto head = shard.source->ensure(0, std::min<std::uint64_t>(shard.source->size(), 4096));
        !head.ok()) {
        shard.info.error = head.error().toString();
        return;
    }
    const FileFormat format = detectFormat(shard.source->bytes(), path.toStdString());
    if (format == FileFormat::Safetensors) {
        if (auto fetched = prefetchForLoad(*shard.source, observer); !fetched.ok()) {
            shard.info.error = fetched.error().toString();
            return;
        }
        auto header = parseSafetensorsHeader(shard.source->bytes());
        if (!header.ok()) {
            shard.info.error = header.error().toString();
            return;
        }
        for (SafetensorsEntry& e : header->tensors) {
            std::string name = e.name;
            shard.safetensors.emplace(std::move(name), std::move(e));
        }
        shard.kept = static_cast<std::int32_t>(doc.source->keepSource(shard.source, shard.source));
    } else if (format == FileFormat::TorchZip || format == FileFormat::TorchLegacy
        || format == FileFormat::Pickle || format == FileFormat::TorchTar) {
        auto loaded = loadSource(shard.source, options, observer);
        if (!loaded.ok()) {
            shard.info.error = loaded.error().toString();
            return;
        }
        std::shared_ptr<const Document> sub = std::move(loaded).value();
        if (sub->error) {
            shard.info.error = sub->error->toString();
            return;
        }
        shard.doc = sub;
        collectTensors(sub->graph, sub->root, shard.torchTensors);
        shard.kept = static_cast<std::int32_t>(doc.source->keepSource(shard.source, sub));
        // Its pickles are scanned with the rest (their values live in the shard's graph).
        for (const PickleStream& stream : sub->pickles) {
            PickleStream copy = stream;
            copy.name = std::string(shard.fileName) + ": " + stream.name;
            copy.root = kNullValue;
            copy.inflated = true;
            doc.pickles.push_back(std::move(copy));
        }
    } else {
        shard.info.error
            = "a " + std::string(fileFormatName(format)) + " file is not a checkpoint shard";
        return;
    }
    shard.info.found = true;
}

} // namespace

Result<void> loadShardedIndex(Document& doc, const LoadOptions& options, LoadObserver* observer)
{
    const auto bytes = doc.source->bytes();
    if (bytes.size() > (std::uint64_t(256) << 20))
        return makeError(
            ErrorCode::LimitExceeded, 0, "sharded index: the index file is over 256 MB");
    QJsonParseError parseError;
    const QJsonDocument json = QJsonDocument::fromJson(
        QByteArray::fromRawData(
            reinterpret_cast<const char*>(bytes.data()), qsizetype(bytes.size())),
        &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return makeError(ErrorCode::Format, std::uint64_t(std::max(0, parseError.offset)),
            "sharded index: not JSON (" + parseError.errorString().toStdString() + ")");
    const QJsonObject root = json.object();
    if (!root.value(QLatin1String("weight_map")).isObject())
        return makeError(ErrorCode::Format, 0, "sharded index: no \"weight_map\" object");
    const QJsonObject meta = root.value(QLatin1String("metadata")).toObject();
    for (auto it = meta.begin(); it != meta.end(); ++it) {
        const QJsonValue v = it.value();
        std::string text = v.isString() ? v.toString().toStdString()
            : v.isDouble()              ? QString::number(v.toDouble(), 'g', 17).toStdString()
                                        : QJsonDocument(QJsonObject { { QStringLiteral("v"), v } })
                                 .toJson(QJsonDocument::Compact)
                                 .toStdString();
        doc.fileMetadata.emplace_back(it.key().toStdString(), std::move(text));
    }
    const bool remote = ByteSource::isUrl(doc.source->path());
    const QDir folder = QFileInfo(QString::fromStdString(doc.source->path())).absoluteDir();
    const QJsonObject weightMap = root.value(QLatin1String("weight_map")).toObject();
    // The tensors in the index's own order.
    std::vector<QString> order = weightMapKeyOrder(
        QByteArrayView(reinterpret_cast<const char*>(bytes.data()), qsizetype(bytes.size())));
    {
        std::unordered_map<std::string, bool> seen;
        std::vector<QString> unique;
        for (QString& key : order)
            if (weightMap.contains(key) && seen.emplace(key.toStdString(), true).second)
                unique.push_back(std::move(key));
        order = std::move(unique);
    }
    if (order.size() != static_cast<std::size_t>(weightMap.size())) {
        const QStringList sorted = weightMap.keys();
        order.assign(sorted.begin(), sorted.end());
    }

    // Shards in order of first use.
    std::vector<std::unique_ptr<Shard>> shards;
    std::unordered_map<std::string, std::size_t> shardIndex;
    ValueGraph& g = doc.graph;
    for (const QString& key : order) {
        const QJsonValue target = weightMap.value(key);
        if (!target.isString())
            return makeError(ErrorCode::Format, 0,
                "sharded index: the shard of '" + key.toStdString() + "' is not a file name");
        const std::string file = target.toString().toStdString();
        if (shardIndex.count(file) != 0)
            continue;
        shardIndex.emplace(file, shards.size());
        auto shard = std::make_unique<Shard>();
        shard->info.name = file;
        shard->fileName = g.intern(file);
        const QString url = remote ? shardUrl(doc.source->path(), target.toString()) : QString();
        if (!safeShardName(target.toString()) || (remote && url.isEmpty()))
            shard->info.error = "the name leaves the index's folder: not opened";
        else
            openShard(
                doc, *shard, remote ? url : folder.filePath(target.toString()), options, observer);
        if (observer != nullptr && observer->isCancelled())
            return makeError(ErrorCode::Cancelled, 0, "loading cancelled");
        shards.push_back(std::move(shard));
    }

    std::vector<ValueId> items;
    items.reserve(2 * static_cast<std::size_t>(weightMap.size()));
    for (const QString& key : order) {
        const std::string name = key.toStdString();
        Shard& shard = *shards[shardIndex[weightMap.value(key).toString().toStdString()]];
        items.push_back(g.addStrCopy(name, 0));
        ValueId value = kNullValue;
        if (shard.info.found) {
            if (const auto st = shard.safetensors.find(name); st != shard.safetensors.end())
                value = addSafetensorsTensor(g, st->second, shard.kept, shard.fileName);
            else if (const auto t = shard.torchTensors.find(name); t != shard.torchTensors.end())
                value = copyTensor(doc, shard, t->second, 0);
            else
                doc.diagnostics.push_back({ Severity::Warning, 0,
                    "tensor '" + name + "' is not in its shard " + shard.info.name });
        }
        if (isNull(value))
            value = g.addNone(0);
        else
            ++shard.info.tensors;
        items.push_back(value);
    }
    doc.root = g.addContainer(ValueKind::Dict, 0, std::move(items));
    for (const auto& shard : shards) {
        if (!shard->info.found)
            doc.diagnostics.push_back({ Severity::Warning, 0,
                "shard " + shard->info.name + " "
                    + (shard->info.error == "missing" ? std::string("is missing")
                                                      : "could not be read: " + shard->info.error)
                    + "; its tensors show as None" });
        const std::size_t held = shard->safetensors.size() + shard->torchTensors.size();
        if (shard->info.found && held > shard->info.tensors)
            doc.diagnostics.push_back({ Severity::Info, 0,
                "shard " + shard->info.name + " holds " + std::to_string(held - shard->info.tensors)
                    + " tensor(s) the index does not name" });
        doc.shards.push_back(shard->info);
    }
    if (!doc.pickles.empty())
        doc.protocol = doc.pickles.front().protocol;
    return {};
}

} // namespace core::formats
