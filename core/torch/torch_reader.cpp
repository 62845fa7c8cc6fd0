#include "core/torch/torch_reader.h"

#include "core/loader.h"
#include "core/torch/legacy_reader.h"
#include "core/torch/tar_archive.h"
#include "core/torch/torch_dtypes.h"
#include "core/torch/value_access.h"
#include "core/torch/zip_archive.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <unordered_map>

namespace core::torch {

namespace {

std::uint64_t le64(const std::byte* p)
{
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | std::to_integer<std::uint64_t>(p[i]);
    return v;
}

std::uint64_t byteswap64(std::uint64_t v)
{
    return __builtin_bswap64(v);
}

void warn(Document& doc, std::uint64_t offset, std::string message)
{
    doc.diagnostics.push_back({ Severity::Warning, offset, std::move(message) });
}

// The storage type of a pid: a Global named *Storage (any module: torch, torch.cuda, torch.storage).
DType storageTypeOf(const ValueGraph& g, ValueId id, std::string_view& typeName)
{
    if (!g.valid(id) || g.kind(id) != ValueKind::Global)
        return DType::Unknown;
    typeName = g.global(id).name;
    return dtypeFromStorageName(typeName);
}

// --- zip ----------------------------------------------------------------------------------

struct ZipContext {
    Document& doc;
    const ZipArchive& zip;
    std::string prefix;
    bool bigEndian = false;
    std::uint64_t maxInflate = 0;
    // dir ("data", "constants") -> key (a view into the graph) -> Storage value
    std::unordered_map<std::string, std::unordered_map<std::string_view, ValueId>> storages;
    std::string name; // scratch for record names
    // DEFLATE storages are inflated at load: their total may be at most max(16 MiB, 32 x the
    // file) (and the load limit), so a small zip cannot claim gigabytes (zip bombs). Real
    // weights compress far less than 32:1; a storage over the budget loads without its bytes.
    std::uint64_t inflateBudget = 0;
};

Result<ValueId> zipPersistentLoad(ZipContext& ctx, const std::string& dir, ValueId pid, std::uint64_t offset)
{
    ValueGraph& g = ctx.doc.graph;
    const auto* items = seqOf(g, pid);
    if (items == nullptr || items->empty() || textOf(g, (*items)[0]) != std::string_view("storage") || items->size() < 5)
        return kNullValue; // stays an unresolved persistent id
    StorageRecord rec;
    rec.dtype = storageTypeOf(g, (*items)[1], rec.typeName);
    const auto key = textOf(g, (*items)[2]);
    const auto location = textOf(g, (*items)[3]);
    const auto numel = intOf(g, (*items)[4]);
    if (!key || !numel || *numel < 0)
        return kNullValue;
    auto& known = ctx.storages[dir];
    if (const auto it = known.find(*key); it != known.end())
        return it->second;
    rec.key = *key;
    const std::string record = dir + "/" + std::string(*key);
    rec.location = location ? *location : std::string_view();
    rec.numel = static_cast<std::uint64_t>(*numel);
    rec.bigEndian = ctx.bigEndian;
    ctx.name.assign(ctx.prefix).append("/").append(record);
    const ZipEntry* entry = ctx.zip.find(ctx.name);
    if (entry == nullptr) {
        warn(ctx.doc, offset, "storage '" + std::string(*key) + "' has no record " + record + " in the archive");
    } else if (entry->method == 0) {
        auto bytes = ctx.zip.storedBytes(*entry);
        if (!bytes.ok()) {
            warn(ctx.doc, entry->localHeaderOffset, bytes.error().message);
        } else {
            rec.bytes = { entry->dataOffset, entry->size, -1 };
            rec.bytesFound = true;
        }
    } else if (entry->size > ctx.inflateBudget) {
        warn(ctx.doc, entry->localHeaderOffset,
            "storage record " + record + " would inflate to " + std::to_string(entry->size)
                + " bytes, over the budget of 32x the file size; its data is not read");
    } else {
        ctx.inflateBudget -= entry->size;
        auto inflated = ctx.zip.inflate(*entry, ctx.maxInflate);
        if (!inflated.ok()) {
            warn(ctx.doc, entry->localHeaderOffset, inflated.error().message);
        } else {
            const std::size_t size = inflated->size();
            ctx.doc.source->keep(std::move(inflated).value());
            rec.bytes = { 0, size, static_cast<std::int32_t>(ctx.doc.source->keptCount() - 1) };
            rec.bytesFound = true;
        }
    }
    const std::uint32_t elsize = dtypeSize(rec.dtype);
    std::uint64_t need = 0;
    if (rec.bytesFound && elsize > 0 && (__builtin_mul_overflow(rec.numel, elsize, &need) || need != rec.bytes.length))
        warn(ctx.doc, offset,
            "storage '" + std::string(*key) + "' declares " + std::to_string(rec.numel) + " elements of "
                + std::string(dtypeName(rec.dtype)) + " but its record holds " + std::to_string(rec.bytes.length) + " bytes");
    const ValueId id = g.addStorage(rec, offset);
    known.emplace(rec.key, id);
    return id;
}

// Runs one pickle record of the zip (in place when stored, inflated otherwise).
Result<ValueId> runZipPickle(ZipContext& ctx, const ZipEntry& entry, const std::string& name, const std::string& dir,
    const LoadOptions& options, LoadObserver* observer)
{
    std::span<const std::byte> bytes;
    std::uint64_t offset = 0;
    bool inflated = false;
    if (entry.method == 0) {
        PS_ASSIGN(bytes, ctx.zip.storedBytes(entry));
        offset = entry.dataOffset;
    } else {
        PS_ASSIGN(auto buffer, ctx.zip.inflate(entry, std::min<std::uint64_t>(options.limits.maxMaterializedBytes, std::uint64_t(1) << 34)));
        bytes = ctx.doc.source->keep(std::move(buffer));
        inflated = true;
    }
    PickleMachine machine(ctx.doc.graph, options);
    machine.setObserver(observer);
    machine.hooks().persistentLoad = [&ctx, dir](ValueId pid, std::uint64_t at) { return zipPersistentLoad(ctx, dir, pid, at); };
    return runPickle(ctx.doc, machine, name, bytes, offset, inflated);
}

Result<void> loadZip(Document& doc, FileFormat format, const LoadOptions& options, LoadObserver* observer)
{
    const auto file = doc.source->bytes();
    PS_ASSIGN(auto zip, ZipArchive::open(file));
    for (const ZipEntry& e : zip.entries())
        doc.entries.push_back({ e.name, e.dataOk ? e.dataOffset : e.localHeaderOffset, e.size, e.compressedSize, e.method != 0 });
    if (zip.entries().empty())
        return makeError(ErrorCode::Format, 0, "zip archive is empty: no data.pkl record (not a torch checkpoint)");
    if (zip.prefix().empty())
        return makeError(ErrorCode::Format, 0,
            "zip archive: first record '" + zip.entries().front().name + "' is not in a folder (not a torch checkpoint)");
    ZipContext ctx { doc, zip, zip.prefix(), false, std::min<std::uint64_t>(options.limits.maxMaterializedBytes, std::uint64_t(1) << 36), {}, {} };
    ctx.inflateBudget = std::min<std::uint64_t>(options.limits.maxMaterializedBytes,
        std::max<std::uint64_t>(std::uint64_t(16) << 20, 32 * doc.source->size()));
    const ZipEntry* data = zip.find(ctx.prefix + "/data.pkl");
    if (data == nullptr)
        return makeError(ErrorCode::Format, 0, "zip archive has no " + ctx.prefix + "/data.pkl record (not a torch checkpoint)");
    if (const ZipEntry* order = zip.find(ctx.prefix + "/byteorder")) {
        auto text = zip.inflate(*order, 64);
        if (text.ok()) {
            const std::string value(reinterpret_cast<const char*>(text->data()), text->size());
            if (value.rfind("big", 0) == 0)
                ctx.bigEndian = true;
            else if (value.rfind("little", 0) != 0)
                warn(doc, order->dataOffset, "unknown byteorder record '" + value + "': assuming little-endian");
        }
    }
    if (format == FileFormat::TorchScript) {
        if (const ZipEntry* constants = zip.find(ctx.prefix + "/constants.pkl")) {
            auto r = runZipPickle(ctx, *constants, "constants.pkl", "constants", options, observer);
            if (!r.ok()) {
                if (r.error().code == ErrorCode::Cancelled)
                    return r.takeError();
                warn(doc, r.error().offset, "constants.pkl: " + r.error().message);
            }
        }
    }
    const std::size_t index = doc.pickles.size();
    auto root = runZipPickle(ctx, *data, "data.pkl", "data", options, observer);
    doc.mainPickle = std::min(index, doc.pickles.empty() ? 0 : doc.pickles.size() - 1);
    if (doc.mainPickle < doc.pickles.size())
        doc.protocol = doc.pickles[doc.mainPickle].protocol;
    if (!root.ok()) {
        if (doc.pickles.size() <= index) // the pickle did not even start
            return root.takeError();
        doc.error = root.takeError();
        return {};
    }
    doc.root = root.value();
    return {};
}

// --- legacy tar -------------------------------------------------------------------------

Result<void> loadTar(Document& doc, const LoadOptions& options, LoadObserver* observer)
{
    const auto file = doc.source->bytes();
    PS_ASSIGN(auto members, readTar(file));
    for (const TarMember& m : members)
        doc.entries.push_back({ m.name, m.offset, m.size, m.size, false });
    auto member = [&](std::string_view name) -> const TarMember* {
        for (const TarMember& m : members)
            if (m.name == name)
                return &m;
        return nullptr;
    };
    const TarMember* storages = member("storages");
    const TarMember* tensors = member("tensors");
    const TarMember* pickle = member("pickle");
    if (storages == nullptr || tensors == nullptr || pickle == nullptr)
        return makeError(ErrorCode::Format, 0, "tar archive lacks the storages, tensors or pickle member (not a torch checkpoint)");
    ValueGraph& g = doc.graph;

    // One small pickle at a time from a member, as torch's legacy_load does.
    auto runAt = [&](const TarMember& m, std::uint64_t& pos, const std::string& name) -> Result<ValueId> {
        PickleMachine machine(g, options);
        machine.setObserver(observer);
        if (pos > m.size)
            return makeError(ErrorCode::Truncated, m.offset + m.size, name + " runs past the member");
        PS_ASSIGN(ValueId v, runPickle(doc, machine, name, file.subspan(m.offset + pos, m.size - pos), m.offset + pos));
        pos += machine.consumed();
        return v;
    };
    auto keyText = [&](ValueId id) -> std::string {
        if (!g.valid(id))
            return {};
        if (g.kind(id) == ValueKind::Int || g.kind(id) == ValueKind::BigInt)
            return g.intDecimal(id);
        if (const auto t = textOf(g, id))
            return std::string(*t);
        return {};
    };
    std::unordered_map<std::string, ValueId> objects; // key -> Storage or Tensor

    // storages
    std::uint64_t pos = 0;
    PS_ASSIGN(ValueId countId, runAt(*storages, pos, "storages: count"));
    const auto count = intOf(g, countId);
    if (!count || *count < 0 || static_cast<std::uint64_t>(*count) > storages->size)
        return makeError(ErrorCode::Format, storages->offset, "tar storages: bad storage count");
    for (std::int64_t i = 0; i < *count; ++i) {
        const std::uint64_t at = storages->offset + pos;
        PS_ASSIGN(ValueId head, runAt(*storages, pos, "storages: header " + std::to_string(i)));
        const auto* items = seqOf(g, head);
        if (items == nullptr || items->size() != 3)
            return makeError(ErrorCode::Format, at, "tar storages: header is not (key, location, type)");
        StorageRecord rec;
        const std::string key = keyText((*items)[0]);
        rec.key = g.intern(key);
        if (const auto loc = textOf(g, (*items)[1]))
            rec.location = *loc;
        rec.dtype = storageTypeOf(g, (*items)[2], rec.typeName);
        const std::uint32_t elsize = dtypeSize(rec.dtype);
        if (elsize == 0)
            return makeError(ErrorCode::Format, at, "tar storages: unknown storage type for key " + key);
        if (storages->size - pos < 8)
            return makeError(ErrorCode::Truncated, storages->offset + pos, "tar storages: element count runs past the member");
        std::uint64_t n = le64(file.data() + storages->offset + pos);
        pos += 8;
        std::uint64_t bytes = 0;
        if (__builtin_mul_overflow(n, elsize, &bytes) || bytes > storages->size - pos) {
            const std::uint64_t swapped = byteswap64(n);
            if (!__builtin_mul_overflow(swapped, elsize, &bytes) && bytes <= storages->size - pos) {
                n = swapped; // a big-endian writer's count
            } else {
                return makeError(ErrorCode::Truncated, storages->offset + pos - 8,
                    "tar storages: storage " + key + " of " + std::to_string(n) + " elements runs past the member");
            }
        }
        rec.numel = n;
        rec.bytes = { storages->offset + pos, bytes, -1 };
        rec.bytesFound = true;
        pos += bytes;
        objects[key] = g.addStorage(rec, at);
    }
    {
        const std::uint64_t at = storages->offset + pos;
        PS_ASSIGN(ValueId views, runAt(*storages, pos, "storages: views"));
        if (const auto* list = seqOf(g, views)) {
            for (ValueId v : *list) {
                const auto* t = seqOf(g, v);
                if (t == nullptr || t->size() != 4)
                    continue;
                const std::string viewKey = keyText((*t)[0]);
                const auto root = objects.find(keyText((*t)[1]));
                const auto off = intOf(g, (*t)[2]);
                const auto numel = intOf(g, (*t)[3]);
                if (root == objects.end() || !off || !numel || *off < 0 || *numel < 0 || g.kind(root->second) != ValueKind::Storage) {
                    warn(doc, at, "tar storages: view " + viewKey + " does not resolve");
                    continue;
                }
                StorageRecord rec = g.storage(root->second);
                const std::uint32_t elsize = dtypeSize(rec.dtype);
                const auto o = static_cast<std::uint64_t>(*off) * elsize;
                const auto len = static_cast<std::uint64_t>(*numel) * elsize;
                if (o > rec.bytes.length || len > rec.bytes.length - o) {
                    warn(doc, at, "tar storages: view " + viewKey + " lies outside its root storage");
                    continue;
                }
                rec.key = g.intern(viewKey);
                rec.numel = static_cast<std::uint64_t>(*numel);
                rec.bytes.offset += o;
                rec.bytes.length = len;
                objects[viewKey] = g.addStorage(rec, at);
            }
        }
    }

    // tensors
    pos = 0;
    PS_ASSIGN(ValueId tcountId, runAt(*tensors, pos, "tensors: count"));
    const auto tcount = intOf(g, tcountId);
    if (!tcount || *tcount < 0 || static_cast<std::uint64_t>(*tcount) > tensors->size)
        return makeError(ErrorCode::Format, tensors->offset, "tar tensors: bad tensor count");
    for (std::int64_t i = 0; i < *tcount; ++i) {
        const std::uint64_t at = tensors->offset + pos;
        PS_ASSIGN(ValueId head, runAt(*tensors, pos, "tensors: header " + std::to_string(i)));
        const auto* items = seqOf(g, head);
        if (items == nullptr || items->size() != 3)
            return makeError(ErrorCode::Format, at, "tar tensors: header is not (key, storage key, type)");
        const std::string key = keyText((*items)[0]);
        const auto storage = objects.find(keyText((*items)[1]));
        if (storage == objects.end() || g.kind(storage->second) != ValueKind::Storage)
            return makeError(ErrorCode::Format, at, "tar tensors: tensor " + key + " names an unknown storage");
        if (tensors->size - pos < 8)
            return makeError(ErrorCode::Truncated, tensors->offset + pos, "tar tensors: ndim runs past the member");
        const std::byte* p = file.data() + tensors->offset + pos;
        const std::uint32_t ndim = static_cast<std::uint32_t>(le64(p) & 0xFFFFFFFFu);
        pos += 8;
        if (ndim > 64 || tensors->size - pos < (2ull * ndim + 1) * 8)
            return makeError(ErrorCode::Format, tensors->offset + pos - 8, "tar tensors: bad rank " + std::to_string(ndim));
        TensorRecord t;
        t.storage = storage->second;
        t.dtype = g.storage(storage->second).dtype;
        p = file.data() + tensors->offset + pos;
        for (std::uint32_t k = 0; k < ndim; ++k)
            t.shape.push_back(static_cast<std::int64_t>(le64(p + 8 * k)));
        for (std::uint32_t k = 0; k < ndim; ++k)
            t.stride.push_back(static_cast<std::int64_t>(le64(p + 8 * (ndim + k))));
        t.storageOffset = static_cast<std::int64_t>(le64(p + 16 * ndim));
        pos += (2ull * ndim + 1) * 8;
        objects[key] = g.addTensor(std::move(t), at);
    }

    // the object
    PickleMachine machine(g, options);
    machine.setObserver(observer);
    machine.hooks().persistentLoad = [&](ValueId pid, std::uint64_t) -> Result<ValueId> {
        if (const auto* t = seqOf(g, pid); t != nullptr && !t->empty())
            return (*t)[0]; // (module class, source file, source)
        const auto it = objects.find(keyText(pid));
        return it == objects.end() ? kNullValue : it->second;
    };
    const std::size_t index = doc.pickles.size();
    auto root = runPickle(doc, machine, "pickle", file.subspan(pickle->offset, pickle->size), pickle->offset);
    doc.mainPickle = std::min(index, doc.pickles.empty() ? 0 : doc.pickles.size() - 1);
    if (doc.mainPickle < doc.pickles.size())
        doc.protocol = doc.pickles[doc.mainPickle].protocol;
    if (!root.ok()) {
        if (doc.pickles.size() <= index)
            return root.takeError();
        doc.error = root.takeError();
        return {};
    }
    doc.root = root.value();
    return {};
}

} // namespace

// --- legacy non-tar ---------------------------------------------------------------------

Result<ValueId> loadLegacyStream(Document& doc, std::span<const std::byte> bytes, Placement where, const LoadOptions& options,
    LoadObserver* observer, std::size_t* mainIndex, ValueId* objectOut)
{
    ValueGraph& g = doc.graph;
    std::uint64_t pos = 0;
    const bool inflated = where.kept >= 0;
    auto run = [&](const std::string& name, const std::function<Result<ValueId>(ValueId, std::uint64_t)>& persistent) -> Result<ValueId> {
        PickleMachine machine(g, options);
        machine.setObserver(observer);
        if (persistent)
            machine.hooks().persistentLoad = persistent;
        if (pos >= bytes.size())
            return makeError(ErrorCode::Truncated, where.base + pos, "legacy checkpoint: " + name + " pickle is missing (file truncated)");
        PS_ASSIGN(ValueId v, runPickle(doc, machine, name, bytes.subspan(pos), inflated ? pos : where.base + pos, inflated));
        pos += machine.consumed();
        return v;
    };

    PS_ASSIGN(ValueId magic, run("magic number", {}));
    if (!g.valid(magic) || (g.kind(magic) != ValueKind::BigInt && g.kind(magic) != ValueKind::Int) || g.intDecimal(magic) != kLegacyMagicDecimal)
        return makeError(ErrorCode::Format, where.base, "legacy checkpoint: invalid magic number");
    const std::uint64_t protoAt = where.base + pos;
    PS_ASSIGN(ValueId proto, run("protocol version", {}));
    if (intOf(g, proto) != std::optional<std::int64_t>(1001))
        return makeError(ErrorCode::Format, protoAt, "legacy checkpoint: protocol version is not 1001");
    const std::uint64_t sysAt = where.base + pos;
    PS_ASSIGN(ValueId sysInfo, run("sys_info", {}));
    bool littleEndian = true;
    if (const auto le = boolOf(g, dictGet(g, sysInfo, "little_endian"))) {
        littleEndian = *le;
        if (!littleEndian)
            doc.diagnostics.push_back({ Severity::Info, sysAt,
                "written on a big-endian host: storage payloads are little-endian (torch converts them); element counts are read either way" });
    }

    struct Pending {
        ValueId id;
        std::string rootKey;
        std::uint64_t viewOffset = 0, viewSize = 0;
        bool view = false;
    };
    std::unordered_map<std::string, ValueId> roots;
    std::unordered_map<std::string, ValueId> views;
    std::vector<Pending> pendingViews;
    auto persistent = [&](ValueId pid, std::uint64_t offset) -> Result<ValueId> {
        const auto* items = seqOf(g, pid);
        if (items == nullptr || items->empty())
            return kNullValue;
        const auto type = textOf(g, (*items)[0]);
        if (type == std::string_view("module") && items->size() >= 2)
            return (*items)[1];
        if (type != std::string_view("storage") || items->size() < 5)
            return kNullValue;
        StorageRecord rec;
        rec.dtype = storageTypeOf(g, (*items)[1], rec.typeName);
        const auto key = textOf(g, (*items)[2]);
        const auto location = textOf(g, (*items)[3]);
        const auto numel = intOf(g, (*items)[4]);
        if (!key || !numel || *numel < 0)
            return kNullValue;
        const std::string rootKey(*key);
        ValueId root;
        if (const auto it = roots.find(rootKey); it != roots.end()) {
            root = it->second;
        } else {
            rec.key = g.text((*items)[2]);
            rec.location = location ? *location : std::string_view();
            rec.numel = static_cast<std::uint64_t>(*numel);
            root = g.addStorage(rec, offset);
            roots.emplace(rootKey, root);
        }
        if (items->size() >= 6) {
            if (const auto* view = seqOf(g, (*items)[5]); view != nullptr && view->size() == 3) {
                const auto viewKey = textOf(g, (*view)[0]);
                const auto vOff = intOf(g, (*view)[1]);
                const auto vSize = intOf(g, (*view)[2]);
                if (viewKey && vOff && vSize && *vOff >= 0 && *vSize >= 0) {
                    if (const auto it = views.find(std::string(*viewKey)); it != views.end())
                        return it->second;
                    StorageRecord vrec = g.storage(root);
                    vrec.key = g.text((*view)[0]);
                    vrec.numel = static_cast<std::uint64_t>(*vSize);
                    const ValueId vid = g.addStorage(vrec, offset);
                    views.emplace(std::string(*viewKey), vid);
                    pendingViews.push_back({ vid, rootKey, static_cast<std::uint64_t>(*vOff), static_cast<std::uint64_t>(*vSize), true });
                    return vid;
                }
            }
        }
        return root;
    };
    const std::size_t index = doc.pickles.size();
    if (mainIndex != nullptr)
        *mainIndex = index;
    PS_ASSIGN(ValueId object, run("pickle", persistent));
    if (objectOut != nullptr)
        *objectOut = object;
    const std::uint64_t keysAt = where.base + pos;
    PS_ASSIGN(ValueId keyList, run("storage keys", {}));
    const auto* keys = seqOf(g, keyList);
    if (keys == nullptr)
        return makeError(ErrorCode::Format, keysAt, "legacy checkpoint: the storage key list is not a list");
    for (ValueId k : *keys) {
        const auto key = textOf(g, k);
        const std::uint64_t at = where.base + pos;
        if (!key)
            return makeError(ErrorCode::Format, keysAt, "legacy checkpoint: a storage key is not a string");
        const auto it = roots.find(std::string(*key));
        if (it == roots.end())
            return makeError(ErrorCode::Format, at,
                "legacy checkpoint: storage key '" + std::string(*key) + "' was never referenced by the pickle; its size is unknown");
        StorageRecord& rec = g.storage(it->second);
        const std::uint32_t elsize = std::max<std::uint32_t>(dtypeSize(rec.dtype), 1);
        if (bytes.size() - pos < 8)
            return makeError(ErrorCode::Truncated, at, "legacy checkpoint: storage '" + std::string(*key) + "' element count runs past the end of the file");
        std::uint64_t n = le64(bytes.data() + pos);
        if (n != rec.numel && byteswap64(n) == rec.numel)
            n = rec.numel; // a big-endian writer's native count
        else if (n != rec.numel)
            warn(doc, at, "legacy checkpoint: storage '" + std::string(*key) + "' holds " + std::to_string(n) + " elements, "
                    + std::to_string(rec.numel) + " declared");
        pos += 8;
        std::uint64_t length = 0;
        if (__builtin_mul_overflow(n, elsize, &length) || length > bytes.size() - pos)
            return makeError(ErrorCode::Truncated, at,
                "legacy checkpoint: storage '" + std::string(*key) + "' (" + std::to_string(n) + " elements) runs past the end of the file");
        rec.bytes = { where.base + pos, length, where.kept };
        rec.bytesFound = true;
        rec.numel = n;
        pos += length;
    }
    for (const Pending& v : pendingViews) {
        const StorageRecord& root = g.storage(roots[v.rootKey]);
        StorageRecord& rec = g.storage(v.id);
        const std::uint32_t elsize = std::max<std::uint32_t>(dtypeSize(rec.dtype), 1);
        const std::uint64_t o = v.viewOffset * elsize, len = v.viewSize * elsize;
        if (!root.bytesFound || o > root.bytes.length || len > root.bytes.length - o) {
            warn(doc, g.offset(v.id), "legacy checkpoint: storage view '" + std::string(rec.key) + "' lies outside its root");
            continue;
        }
        rec.bytes = { root.bytes.offset + o, len, root.bytes.inflatedEntry };
        rec.bytesFound = true;
    }
    for (const auto& [key, id] : roots)
        if (!g.storage(id).bytesFound)
            warn(doc, g.offset(id), "legacy checkpoint: storage '" + key + "' has no data in the file");
    if (pos < bytes.size() && !inflated)
        doc.diagnostics.push_back({ Severity::Info, where.base + pos, std::to_string(bytes.size() - pos) + " trailing bytes after the storages" });
    return object;
}

Result<void> loadArchive(Document& doc, FileFormat format, const LoadOptions& options, LoadObserver* observer)
{
    if (!doc.source)
        return makeError(ErrorCode::Io, 0, "no file");
    doc.format = format;
    if (doc.source->size() == 0)
        return makeError(ErrorCode::Format, 0, "the file is empty");
    switch (format) {
    case FileFormat::TorchZip:
    case FileFormat::TorchScript:
        return loadZip(doc, format, options, observer);
    case FileFormat::TorchTar:
        return loadTar(doc, options, observer);
    case FileFormat::TorchLegacy: {
        std::size_t index = 0;
        ValueId object = kNullValue;
        auto root = loadLegacyStream(doc, doc.source->bytes(), Placement {}, options, observer, &index, &object);
        doc.mainPickle = std::min(index, doc.pickles.empty() ? 0 : doc.pickles.size() - 1);
        if (doc.mainPickle < doc.pickles.size())
            doc.protocol = doc.pickles[doc.mainPickle].protocol;
        if (!root.ok()) {
            if (doc.pickles.size() <= index)
                return root.takeError();
            doc.root = object;
            doc.error = root.takeError();
            return {};
        }
        doc.root = root.value();
        return {};
    }
    default:
        break;
    }
    return makeError(ErrorCode::Unsupported, 0, "not a torch archive");
}

} // namespace core::torch
