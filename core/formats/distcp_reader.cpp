#include "core/formats/distcp_reader.h"

#include "core/formats/safetensors_reader.h"
#include "core/loader.h"
#include "core/torch/torch_dtypes.h"
#include "core/value/value_access.h"
#include "core/torch/zip_archive.h"

#include <QDir>
#include <QFileInfo>

#include <optional>
#include <unordered_map>

namespace core::formats {

namespace {

constexpr std::string_view kMetadataModule = "torch.distributed.checkpoint.metadata";

bool isClass(const ValueGraph& g, ValueId id, std::string_view module, std::string_view name)
{
    const GlobalRecord* c = objectCallable(g, id);
    return c != nullptr && c->module == module && c->name == name;
}

// A dataclass instance's field (NEWOBJ + BUILD {name: value}).
ValueId fieldOf(const ValueGraph& g, ValueId object, std::string_view name)
{
    if (!g.valid(object) || g.kind(object) != ValueKind::Object)
        return kNullValue;
    return dictGet(g, g.object(object).state, name);
}

std::string listText(const std::vector<std::int64_t>& v)
{
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i)
        s += (i > 0 ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

// A .distcp file name as FileSystemWriter writes it: a plain name inside the folder.
bool plainFileName(std::string_view name)
{
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos
        && name.find('\\') == std::string_view::npos;
}

struct StorageInfo {
    std::vector<std::int64_t> offsets; // the chunk's offsets (empty for bytes items)
    bool hasOffsets = false;
    std::string file;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

struct DistFile {
    ShardFile info;
    std::shared_ptr<ByteSource> source;
    std::int32_t kept = -1;
    bool opened = false;
};

class Reader {
public:
    Reader(Document& doc, QDir folder)
        : m_doc(doc)
        , m_folder(std::move(folder))
    {
    }

    DistFile& file(const std::string& name)
    {
        auto [it, fresh] = m_index.emplace(name, m_files.size());
        if (!fresh)
            return m_files[it->second];
        m_files.emplace_back();
        DistFile& f = m_files.back();
        f.info.name = name;
        if (!plainFileName(name)) {
            f.info.error = "not a file name inside the checkpoint's folder: not opened";
            return f;
        }
        const QString path = m_folder.filePath(QString::fromStdString(name));
        const QFileInfo info(path);
        if (!info.isFile()) {
            f.info.error = "missing";
            return f;
        }
        f.info.size = static_cast<std::uint64_t>(info.size());
        auto mapped = ByteSource::mapFile(path.toStdString());
        if (!mapped.ok()) {
            f.info.error = mapped.error().toString();
            return f;
        }
        f.source = mapped.value();
        f.kept = static_cast<std::int32_t>(m_doc.source->keepView(f.source->bytes(), f.source));
        f.info.found = true;
        f.opened = true;
        return f;
    }

    // The storage record of the torch.save archive at info's range: the chunk's bytes (its
    // data.pkl joins the scanned programs). An error text when it cannot be read.
    std::string readChunk(
        const StorageInfo& info, DType dtype, std::uint64_t numel, SafetensorsEntry& out)
    {
        DistFile& f = file(info.file);
        if (!f.opened)
            return info.file + ": " + f.info.error;
        const auto bytes = f.source->bytes();
        if (info.length > bytes.size() || info.offset > bytes.size() - info.length)
            return "the range [" + std::to_string(info.offset) + ", +" + std::to_string(info.length)
                + ") is past the end of " + info.file + " (" + std::to_string(bytes.size())
                + " bytes)";
        const auto sub = bytes.subspan(info.offset, info.length);
        auto zip = torch::ZipArchive::open(sub);
        if (!zip.ok())
            return info.file + " at byte " + std::to_string(info.offset)
                + ": not a torch.save archive (" + zip.error().message + ")";
        addPickleOf(*zip, info, sub);
        const torch::ZipEntry* data = nullptr;
        int storages = 0;
        for (const torch::ZipEntry& e : zip->entries()) {
            if (e.name.find("/data/") != std::string::npos && !e.name.ends_with("/")) {
                data = &e;
                ++storages;
            }
        }
        if (storages != 1 || data == nullptr)
            return info.file + " at byte " + std::to_string(info.offset) + ": "
                + std::to_string(storages)
                + " storage records (torch.save of one chunk writes one)";
        if (!data->dataOk || data->method != 0)
            return info.file + " at byte " + std::to_string(info.offset) + ": the storage record "
                + data->name + " is not stored uncompressed";
        std::uint64_t need = 0;
        if (__builtin_mul_overflow(numel, std::uint64_t(dtypeSize(dtype)), &need)
            || data->size < need)
            return info.file + " at byte " + std::to_string(info.offset) + ": the storage holds "
                + std::to_string(data->size) + " bytes, fewer than the chunk's "
                + std::to_string(need);
        out.offset = info.offset + data->dataOffset;
        out.length = need;
        ++f.info.tensors;
        return {};
    }

    // The data.pkl of the torch.save archive `zip` at info's range joins the scanned programs
    // (its bytes are in the .distcp file, not the opened .metadata: marked inflated).
    void addPickleOf(
        const torch::ZipArchive& zip, const StorageInfo& info, std::span<const std::byte> sub)
    {
        for (const torch::ZipEntry& e : zip.entries()) {
            if (!(e.name.ends_with("/data.pkl") || e.name == "data.pkl") || !e.dataOk
                || e.method != 0)
                continue;
            PickleStream stream;
            stream.name = info.file + " @" + std::to_string(info.offset) + ": data.pkl";
            stream.offset = info.offset + e.dataOffset;
            stream.bytes = sub.subspan(e.dataOffset, e.size);
            if (stream.bytes.size() >= 2 && stream.bytes[0] == std::byte { 0x80 })
                stream.protocol = std::to_integer<int>(stream.bytes[1]);
            stream.inflated = true;
            m_doc.pickles.push_back(std::move(stream));
            return;
        }
    }

    // The bytes of a non-tensor item (torch.save(value)); its data.pkl is scanned too.
    std::optional<std::span<const std::byte>> itemBytes(const StorageInfo& info)
    {
        DistFile& f = file(info.file);
        if (!f.opened)
            return std::nullopt;
        const auto bytes = f.source->bytes();
        if (info.length > bytes.size() || info.offset > bytes.size() - info.length)
            return std::nullopt;
        const auto sub = bytes.subspan(info.offset, info.length);
        if (auto zip = torch::ZipArchive::open(sub); zip.ok())
            addPickleOf(*zip, info, sub);
        return sub;
    }

    std::vector<DistFile>& files() { return m_files; }
    std::int32_t keptOf(const std::string& name) { return file(name).kept; }

private:
    Document& m_doc;
    QDir m_folder;
    std::vector<DistFile> m_files;
    std::unordered_map<std::string, std::size_t> m_index;
};

DType dtypeOfProperties(const ValueGraph& g, ValueId properties)
{
    if (!g.valid(properties) || g.kind(properties) != ValueKind::Object)
        return DType::Unknown;
    const ValueId state = g.object(properties).state;
    ValueId dtype = kNullValue;
    if (const auto st = seqOf(g, state); st != nullptr && !st->empty())
        dtype = (*st)[0]; // TensorProperties.__getstate__: (dtype, layout, requires_grad, ...)
    else
        dtype = dictGet(g, state, "dtype");
    if (!g.valid(dtype) || g.kind(dtype) != ValueKind::Global || g.global(dtype).module != "torch")
        return DType::Unknown;
    return torch::dtypeFromTorchName(g.global(dtype).name);
}

} // namespace

Result<void> loadDistributedCheckpoint(
    Document& doc, const LoadOptions& options, LoadObserver* observer)
{
    ValueGraph& g = doc.graph;
    PickleMachine machine(g, options);
    machine.setObserver(observer);
    auto loaded = runPickle(doc, machine, ".metadata", doc.source->bytes(), 0);
    if (!doc.pickles.empty())
        doc.protocol = doc.pickles.front().protocol;
    if (!loaded.ok()) {
        doc.error = loaded.takeError();
        keepPartialResult(doc, machine);
        return {};
    }
    const ValueId meta = loaded.value();
    if (!isClass(g, meta, kMetadataModule, "Metadata"))
        return makeError(ErrorCode::Format, 0,
            "distributed checkpoint: .metadata does not hold a "
            "torch.distributed.checkpoint.metadata.Metadata");
    const ValueId sdm = fieldOf(g, meta, "state_dict_metadata");
    if (!g.valid(sdm) || g.kind(sdm) != ValueKind::Dict)
        return makeError(ErrorCode::Format, g.offset(meta),
            "distributed checkpoint: Metadata without a state_dict_metadata dict");

    // storage_data: MetadataIndex(fqn, offset, index) -> _StorageInfo(relative_path, offset,
    // length)
    std::unordered_map<std::string, std::vector<StorageInfo>> storage;
    const ValueId storageData = fieldOf(g, meta, "storage_data");
    if (g.valid(storageData) && g.kind(storageData) == ValueKind::Dict) {
        const auto& items = g.items(storageData);
        for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
            const auto fqn = textOf(g, fieldOf(g, items[i], "fqn"));
            const ValueId value = items[i + 1];
            const auto file = textOf(g, fieldOf(g, value, "relative_path"));
            const auto offset = intOf(g, fieldOf(g, value, "offset"));
            const auto length = intOf(g, fieldOf(g, value, "length"));
            if (!fqn || !file || !offset || !length || *offset < 0 || *length < 0) {
                doc.diagnostics.push_back({ Severity::Warning, g.offset(value),
                    "distributed checkpoint: a storage_data entry that is not "
                    "MetadataIndex -> _StorageInfo(relative_path, offset, length)" });
                continue;
            }
            StorageInfo info;
            info.hasOffsets = intListOf(g, fieldOf(g, items[i], "offset"), info.offsets);
            info.file = std::string(*file);
            info.offset = static_cast<std::uint64_t>(*offset);
            info.length = static_cast<std::uint64_t>(*length);
            storage[std::string(*fqn)].push_back(std::move(info));
        }
    } else {
        doc.diagnostics.push_back({ Severity::Warning, g.offset(meta),
            "distributed checkpoint: no storage_data: tensor bytes cannot be located" });
    }

    Reader reader(doc, QFileInfo(QString::fromStdString(doc.source->path())).absoluteDir());
    std::vector<ValueId> rootItems;
    const auto& entries = g.items(sdm);
    for (std::size_t i = 0; i + 1 < entries.size(); i += 2) {
        if (observer != nullptr && observer->isCancelled())
            return makeError(ErrorCode::Cancelled, 0, "cancelled");
        const auto name = textOf(g, entries[i]);
        const ValueId md = entries[i + 1];
        const std::uint64_t at = g.offset(md);
        if (!name) {
            doc.diagnostics.push_back(
                { Severity::Warning, at, "distributed checkpoint: a name that is not a str" });
            continue;
        }
        const std::string fqn(*name);
        const auto found = storage.find(fqn);
        const std::vector<StorageInfo> none;
        const std::vector<StorageInfo>& infos = found != storage.end() ? found->second : none;
        rootItems.push_back(g.addStrCopy(fqn, at));

        if (isClass(g, md, kMetadataModule, "BytesStorageMetadata")) {
            // torch.save(value) bytes: shown as they are
            ValueId value = g.addNone(at);
            if (infos.size() == 1) {
                if (const auto bytes = reader.itemBytes(infos[0]))
                    value = g.addBytesView(*bytes, ValueKind::Bytes, at);
                else
                    doc.diagnostics.push_back({ Severity::Warning, at,
                        "distributed checkpoint: the bytes of '" + fqn + "' cannot be read from "
                            + infos[0].file });
            }
            rootItems.push_back(value);
            continue;
        }
        if (!isClass(g, md, kMetadataModule, "TensorStorageMetadata")) {
            rootItems.push_back(md); // something this reader does not know: as pickled
            continue;
        }
        SafetensorsEntry entry;
        entry.name = fqn;
        entry.dtype = dtypeOfProperties(g, fieldOf(g, md, "properties"));
        if (entry.dtype == DType::Unknown || dtypeSize(entry.dtype) == 0) {
            doc.diagnostics.push_back({ Severity::Warning, at,
                "distributed checkpoint: tensor '" + fqn + "' has no dtype this reader knows" });
            rootItems.push_back(md);
            continue;
        }
        bool shapeOk = intListOf(g, fieldOf(g, md, "size"), entry.shape);
        entry.numel = 1;
        for (std::int64_t d : entry.shape)
            shapeOk = shapeOk && d >= 0
                && !__builtin_mul_overflow(
                    entry.numel, static_cast<std::uint64_t>(d), &entry.numel);
        if (!shapeOk) {
            doc.diagnostics.push_back({ Severity::Warning, at,
                "distributed checkpoint: tensor '" + fqn + "' has no valid size" });
            rootItems.push_back(md);
            continue;
        }
        // chunks: [ChunkStorageMetadata(offsets, sizes)]
        struct Chunk {
            std::vector<std::int64_t> offsets, sizes;
        };
        std::vector<Chunk> chunks;
        if (const auto list = seqOf(g, fieldOf(g, md, "chunks")))
            for (ValueId c : *list) {
                Chunk chunk;
                if (intListOf(g, fieldOf(g, c, "offsets"), chunk.offsets)
                    && intListOf(g, fieldOf(g, c, "sizes"), chunk.sizes))
                    chunks.push_back(std::move(chunk));
            }
        std::string problem;
        const bool whole = chunks.size() == 1 && chunks[0].sizes == entry.shape
            && std::all_of(chunks[0].offsets.begin(), chunks[0].offsets.end(),
                [](std::int64_t o) { return o == 0; });
        const StorageInfo* info = nullptr;
        if (whole) {
            for (const StorageInfo& s : infos)
                if (!s.hasOffsets || s.offsets == chunks[0].offsets)
                    info = &s;
            if (info == nullptr)
                problem = "storage_data names no file for it";
            else
                problem = reader.readChunk(*info, entry.dtype, entry.numel, entry);
        } else {
            std::string list;
            for (std::size_t k = 0; k < chunks.size(); ++k) {
                list += (k > 0 ? "; " : "") + std::string("offsets ") + listText(chunks[k].offsets)
                    + " sizes " + listText(chunks[k].sizes);
                for (const StorageInfo& s : infos)
                    if (s.hasOffsets && s.offsets == chunks[k].offsets) {
                        list += " in " + s.file + " @" + std::to_string(s.offset);
                        // checked (and its data.pkl scanned) though not assembled
                        SafetensorsEntry part;
                        part.numel = 1;
                        for (std::int64_t d : chunks[k].sizes)
                            part.numel *= static_cast<std::uint64_t>(std::max<std::int64_t>(d, 0));
                        if (const std::string bad
                            = reader.readChunk(s, entry.dtype, part.numel, part);
                            !bad.empty())
                            list += " (" + bad + ")";
                    }
            }
            doc.diagnostics.push_back({ Severity::Info, at,
                "distributed checkpoint: tensor '" + fqn + "' is split in "
                    + std::to_string(chunks.size()) + " chunks (" + list
                    + "): shown with its shape and dtype, without its bytes" });
        }
        if (whole && problem.empty()) {
            rootItems.push_back(
                addSafetensorsTensor(g, entry, reader.keptOf(info->file), g.intern(info->file)));
            continue;
        }
        if (!problem.empty())
            doc.diagnostics.push_back({ Severity::Warning, at,
                "distributed checkpoint: the bytes of '" + fqn + "' cannot be read: " + problem });
        entry.offset = 0;
        entry.length = 0;
        const ValueId tensor = addSafetensorsTensor(g, entry, -1, {});
        StorageRecord& s = g.storage(g.tensor(tensor).storage);
        s.bytesFound = false;
        rootItems.push_back(tensor);
    }
    doc.root = g.addContainer(ValueKind::Dict, 0, std::move(rootItems));
    for (DistFile& f : reader.files()) {
        if (!f.info.found)
            doc.diagnostics.push_back({ Severity::Warning, 0,
                "distributed checkpoint: " + f.info.name + ": " + f.info.error });
        doc.shards.push_back(std::move(f.info));
    }
    return {};
}

} // namespace core::formats
