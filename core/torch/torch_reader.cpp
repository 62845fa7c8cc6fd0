#include "core/torch/torch_reader.h"

#include "core/byte_order.h"
#include "core/loader.h"
#include "core/torch/legacy_reader.h"
#include "core/torch/tar_archive.h"
#include "core/torch/torch_dtypes.h"
#include "core/value/value_access.h"
#include "core/torch/zip_archive.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

namespace core::torch {

namespace {

std::uint64_t byteswap64(std::uint64_t v)
{
    return __builtin_bswap64(v);
}

// The storage a persistent id ('storage', storage type, key, location, numel, ...) names, as
// torch.save writes it in zip and legacy files: dtype, type name, key, location and element count
// (no bytes yet); nullopt for any other pid.
std::optional<StorageRecord> storageOfPid(const ValueGraph& g, std::span<const ValueId> items);

void warn(Document& doc, std::uint64_t offset, std::string message)
{
    doc.diagnostics.push_back({ Severity::Warning, offset, std::move(message) });
}

// The main pickle: the one that started at `index` (the last one when it did not start); its
// protocol is the document's.
void setMainPickle(Document& doc, std::size_t index)
{
    doc.mainPickle = std::min(index, doc.pickles.empty() ? 0 : doc.pickles.size() - 1);
    if (doc.mainPickle < doc.pickles.size())
        doc.protocol = doc.pickles[doc.mainPickle].protocol;
}

// A checkpoint cut short: the document is marked recovered, with an error at `offset`.
void markCut(Document& doc, std::uint64_t offset, std::string message)
{
    doc.recovered = true;
    doc.diagnostics.push_back({ Severity::Error, offset, std::move(message) });
}

// The storage type of a pid: a Global named *Storage (any module: torch, torch.cuda, torch.storage).
DType storageTypeOf(const ValueGraph& g, ValueId id, std::string_view& typeName)
{
    if (!g.valid(id) || g.kind(id) != ValueKind::Global)
        return DType::Unknown;
    typeName = g.global(id).name;
    return dtypeFromStorageName(typeName);
}

std::optional<StorageRecord> storageOfPid(const ValueGraph& g, std::span<const ValueId> items)
{
    if (items.size() < 5 || textOf(g, items[0]) != std::string_view("storage"))
        return std::nullopt;
    StorageRecord rec;
    rec.dtype = storageTypeOf(g, items[1], rec.typeName);
    const auto key = textOf(g, items[2]);
    const auto location = textOf(g, items[3]);
    const auto numel = intOf(g, items[4]);
    if (!key || !numel || *numel < 0)
        return std::nullopt;
    rec.key = *key;
    rec.location = location ? *location : std::string_view();
    rec.numel = static_cast<std::uint64_t>(*numel);
    return rec;
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
    const auto items = seqOf(g, pid);
    auto named = items != nullptr ? storageOfPid(g, *items) : std::nullopt;
    if (!named)
        return kNullValue; // stays an unresolved persistent id
    StorageRecord rec = *named;
    const std::string_view key = rec.key;
    auto& known = ctx.storages[dir];
    if (const auto it = known.find(key); it != known.end())
        return it->second;
    const std::string record = dir + "/" + std::string(key);
    rec.bigEndian = ctx.bigEndian;
    ctx.name.assign(ctx.prefix).append("/").append(record);
    const ZipEntry* entry = ctx.zip.find(ctx.name);
    if (entry == nullptr && ctx.zip.recovery().used) {
        ctx.doc.diagnostics.push_back({ Severity::Error, ctx.zip.recovery().stopOffset,
            "storage '" + std::string(key) + "' is missing: the file ends (at byte "
                + std::to_string(ctx.doc.source->size()) + ") before its record " + record });
    } else if (entry == nullptr) {
        warn(ctx.doc, offset,
            "storage '" + std::string(key) + "' has no record " + record + " in the archive");
    } else if (std::uint64_t need = 0; entry->cut && entry->method == 0 && dtypeSize(rec.dtype) > 0
               && !__builtin_mul_overflow(rec.numel, dtypeSize(rec.dtype), &need) && need <= entry->availableBytes) {
        // The file ends after the bytes the pickle declares (before the record's data descriptor).
        rec.bytes = { entry->dataOffset, need, -1 };
        rec.bytesFound = true;
        warn(ctx.doc, entry->dataOffset,
            "storage '" + std::string(key) + "': the file ends after its " + std::to_string(need)
                + " declared bytes, before the end of its record; read as whole");
    } else if (entry->cut) {
        ctx.doc.diagnostics.push_back({ Severity::Error, entry->dataOffset,
            "storage '" + std::string(key) + "' is cut at byte "
                + std::to_string(ctx.doc.source->size()) + ": "
                + std::to_string(entry->availableBytes) + " of its bytes are present, from byte "
                + std::to_string(entry->dataOffset) + "; its data is not read" });
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
            "storage '" + std::string(key) + "' declares " + std::to_string(rec.numel)
                + " elements of " + std::string(dtypeName(rec.dtype)) + " but its record holds "
                + std::to_string(rec.bytes.length) + " bytes");
    const ValueId id = g.addStorage(rec, offset);
    known.emplace(rec.key, id);
    return id;
}

// Runs one pickle record of the zip (in place when stored, inflated otherwise; a cut record
// over the bytes present). `partial` (when given) receives the machine's stack if it fails.
Result<ValueId> runZipPickle(ZipContext& ctx, const ZipEntry& entry, const std::string& name,
    const std::string& dir, const LoadOptions& options, LoadObserver* observer,
    bool keepPartial = false)
{
    std::span<const std::byte> bytes;
    std::uint64_t offset = 0;
    bool inflated = false;
    const std::uint64_t maxBytes
        = std::min<std::uint64_t>(options.limits.maxMaterializedBytes, std::uint64_t(1) << 34);
    if (entry.cut && entry.method == 0) {
        bytes = ctx.doc.source->bytes().subspan(entry.dataOffset, entry.availableBytes);
        offset = entry.dataOffset;
    } else if (entry.cut) {
        PS_ASSIGN(auto buffer, ctx.zip.partialBytes(entry, maxBytes));
        bytes = ctx.doc.source->keep(std::move(buffer));
        inflated = true;
    } else if (entry.method == 0) {
        PS_ASSIGN(bytes, ctx.zip.storedBytes(entry));
        PS_TRY(ctx.doc.source->ensure(
            entry.dataOffset, entry.size)); // a remote file fetches the pickle
        offset = entry.dataOffset;
    } else {
        PS_ASSIGN(auto buffer, ctx.zip.inflate(entry, maxBytes));
        bytes = ctx.doc.source->keep(std::move(buffer));
        inflated = true;
    }
    PickleMachine machine(ctx.doc.graph, options);
    machine.setObserver(observer);
    machine.hooks().persistentLoad = [&ctx, dir](ValueId pid, std::uint64_t at) { return zipPersistentLoad(ctx, dir, pid, at); };
    auto result = runPickle(ctx.doc, machine, name, bytes, offset, inflated);
    if (!result.ok() && keepPartial && result.error().code != ErrorCode::Cancelled) {
        ctx.doc.error = result.error();
        keepPartialResult(ctx.doc, machine);
    }
    return result;
}

// A zip read from its local headers (no usable central directory): say so, and what was lost.
void noteRecovery(Document& doc, const ZipArchive& zip)
{
    const ZipRecovery& r = zip.recovery();
    doc.recovered = true;
    std::size_t whole = 0;
    for (const ZipEntry& e : zip.entries())
        whole += e.dataOk ? 1 : 0;
    doc.diagnostics.insert(doc.diagnostics.begin(),
        Diagnostic { Severity::Warning, r.reasonOffset,
            "central directory missing or damaged (" + r.reason + "): recovered "
                + std::to_string(whole) + " whole entr" + (whole == 1 ? "y" : "ies")
                + " of ? from the local headers; the walk stopped at byte "
                + std::to_string(r.stopOffset) + ", " + r.stopReason });
}

Result<void> loadZip(Document& doc, FileFormat format, const LoadOptions& options, LoadObserver* observer)
{
    const auto file = doc.source->bytes();
    PS_ASSIGN(auto zip, ZipArchive::open(file, doc.source.get()));
    if (zip.recovery().used)
        noteRecovery(doc, zip);
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
    auto root = runZipPickle(ctx, *data, "data.pkl", "data", options, observer, true);
    setMainPickle(doc, index);
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
    // An archive cut short (its last member cut, or the members after it missing) keeps the
    // tensors and storages read before the cut; the rest point to storages without bytes.
    const bool archiveCut = !members.empty() && members.back().cut;
    if (pickle == nullptr || pickle->cut
        || (!archiveCut && (storages == nullptr || tensors == nullptr)))
        return makeError(ErrorCode::Format, 0, "tar archive lacks the storages, tensors or pickle member (not a torch checkpoint)");
    ValueGraph& g = doc.graph;
    bool lost = false;
    auto cutShort = [&](std::uint64_t at, const std::string& what) {
        lost = true;
        markCut(doc, at,
            "tar checkpoint cut short: " + what + "; the file ends at byte "
                + std::to_string(file.size()) + ", what follows is missing");
    };
    // A failure inside a cut member is the cut (the member's declared bytes are not all there).
    auto inCut = [&](const TarMember* m, const Error& e) {
        return m != nullptr && m->cut && e.code != ErrorCode::Cancelled;
    };

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
    std::uint64_t pos = 0;
    // The count pickle a member (storages, tensors) starts with; 0 when the member is missing
    // or cut before it.
    auto countOf = [&](const TarMember* m, const std::string& what,
                       const std::string& one) -> Result<std::int64_t> {
        pos = 0;
        auto id = m != nullptr ? runAt(*m, pos, what + ": count")
                               : Result<ValueId>(makeError(
                                   ErrorCode::Truncated, file.size(), "no " + what + " member"));
        if (id.ok()) {
            const auto count = intOf(g, *id);
            if (!count || *count < 0 || static_cast<std::uint64_t>(*count) > m->size)
                return makeError(
                    ErrorCode::Format, m->offset, "tar " + what + ": bad " + one + " count");
            return *count;
        }
        if (m != nullptr && !inCut(m, id.error()))
            return id.takeError();
        cutShort(m != nullptr ? m->offset : file.size(),
            "the " + what + " member is missing or cut before its count");
        return 0;
    };
    // The header pickle of entry i of a member, a triple `shape`; nullptr when the member is
    // cut there.
    auto headerOf
        = [&](const TarMember& m, std::int64_t i, const std::string& what, const std::string& one,
              const char* shape) -> Result<decltype(seqOf(g, kNullValue))> {
        const std::uint64_t at = m.offset + pos;
        auto head = runAt(m, pos, what + ": header " + std::to_string(i));
        if (!head.ok()) {
            if (!inCut(&m, head.error()))
                return head.takeError();
            cutShort(at, "the header of " + one + " " + std::to_string(i) + " is cut");
            return ItemsPtr();
        }
        const auto items = seqOf(g, *head);
        if (items == nullptr || items->size() != 3)
            return makeError(ErrorCode::Format, at, "tar " + what + ": header is not " + shape);
        return items;
    };

    // The next 8-byte little-endian word of a member (an element count, a rank); nullopt when the
    // member is cut there (cutShort says `cut`), an error when a whole member ends before it.
    auto wordOf = [&](const TarMember& m, const std::string& cut,
                      const char* pastEnd) -> Result<std::optional<std::uint64_t>> {
        if (m.size - pos < 8) {
            if (!m.cut)
                return makeError(ErrorCode::Truncated, m.offset + pos, pastEnd);
            cutShort(m.offset + pos, cut);
            return std::optional<std::uint64_t>();
        }
        const std::uint64_t word = le64(file.data() + m.offset + pos);
        pos += 8;
        return std::optional<std::uint64_t>(word);
    };
    // Runs body(at, header) for each entry of a member (storages, tensors): the count pickle the
    // member starts with, then each entry's header pickle, a triple `shape`, and what body reads
    // after it. Stops where the member is cut, or where body says false.
    auto forEachEntry = [&](const TarMember* m, const std::string& what, const std::string& one,
                            const char* shape, const auto& body) -> Result<void> {
        PS_ASSIGN(const std::int64_t count, countOf(m, what, one));
        for (std::int64_t i = 0; i < count; ++i) {
            const std::uint64_t at = m->offset + pos;
            PS_ASSIGN(const auto items, headerOf(*m, i, what, one, shape));
            if (items == nullptr)
                return {};
            PS_ASSIGN(const bool more, body(at, std::span<const ValueId>(*items)));
            if (!more)
                return {};
        }
        return {};
    };

    // storages
    PS_TRY(forEachEntry(storages, "storages", "storage", "(key, location, type)",
        [&](std::uint64_t at, std::span<const ValueId> items) -> Result<bool> {
            StorageRecord rec;
            const std::string key = keyText(items[0]);
            rec.key = g.intern(key);
            if (const auto loc = textOf(g, items[1]))
                rec.location = *loc;
            rec.dtype = storageTypeOf(g, items[2], rec.typeName);
            const std::uint32_t elsize = dtypeSize(rec.dtype);
            if (elsize == 0)
                return makeError(
                    ErrorCode::Format, at, "tar storages: unknown storage type for key " + key);
            PS_ASSIGN(const auto count,
                wordOf(*storages, "storage " + key + "'s element count is cut",
                    "tar storages: element count runs past the member"));
            if (!count)
                return false;
            std::uint64_t n = *count;
            std::uint64_t bytes = 0;
            if (__builtin_mul_overflow(n, elsize, &bytes) || bytes > storages->size - pos) {
                const std::uint64_t swapped = byteswap64(n);
                if (!__builtin_mul_overflow(swapped, elsize, &bytes)
                    && bytes <= storages->size - pos) {
                    n = swapped; // a big-endian writer's count
                } else if (storages->cut) {
                    cutShort(storages->offset + pos,
                        "storage " + key + " (" + std::to_string(n) + " elements from byte "
                            + std::to_string(storages->offset + pos) + ") is cut: "
                            + std::to_string(storages->size - pos) + " of its bytes are present");
                    return false;
                } else {
                    return makeError(ErrorCode::Truncated, storages->offset + pos - 8,
                        "tar storages: storage " + key + " of " + std::to_string(n)
                            + " elements runs past the member");
                }
            }
            rec.numel = n;
            rec.bytes = { storages->offset + pos, bytes, -1 };
            rec.bytesFound = true;
            pos += bytes;
            objects[key] = g.addStorage(rec, at);
            return true;
        }));
    if (!lost && storages != nullptr) {
        const std::uint64_t at = storages->offset + pos;
        auto viewsResult = runAt(*storages, pos, "storages: views");
        if (!viewsResult.ok() && !inCut(storages, viewsResult.error()))
            return viewsResult.takeError();
        if (!viewsResult.ok())
            cutShort(at, "the storage view list is cut");
        const ValueId views = viewsResult.ok() ? *viewsResult : kNullValue;
        if (const auto list = isNull(views) ? nullptr : seqOf(g, views)) {
            for (ValueId v : *list) {
                const auto t = seqOf(g, v);
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
    PS_TRY(forEachEntry(tensors, "tensors", "tensor", "(key, storage key, type)",
        [&](std::uint64_t at, std::span<const ValueId> items) -> Result<bool> {
            const std::string key = keyText(items[0]);
            const std::string storageKey = keyText(items[1]);
            auto storage = objects.find(storageKey);
            if ((storage == objects.end() || g.kind(storage->second) != ValueKind::Storage)
                && lost) {
                // Its storage was in the part of the file that is missing: a storage without bytes.
                StorageRecord rec;
                std::string_view typeName;
                rec.key = g.intern(storageKey);
                rec.dtype = storageTypeOf(g, items[2], typeName);
                if (rec.dtype == DType::Unknown && g.valid(items[2])
                    && g.kind(items[2]) == ValueKind::Global) {
                    const std::string tensorType(
                        g.global(items[2]).name); // FloatTensor -> FloatStorage
                    const auto t = tensorType.rfind("Tensor");
                    rec.dtype = t == std::string::npos
                        ? DType::Unknown
                        : dtypeFromStorageName(tensorType.substr(0, t) + "Storage");
                }
                doc.diagnostics.push_back({ Severity::Error, at,
                    "tensor " + key + ": its storage " + storageKey
                        + " is missing (the file is cut before it)" });
                storage = objects.insert_or_assign(storageKey, g.addStorage(rec, at)).first;
            }
            if (storage == objects.end() || g.kind(storage->second) != ValueKind::Storage)
                return makeError(ErrorCode::Format, at,
                    "tar tensors: tensor " + key + " names an unknown storage");
            PS_ASSIGN(const auto rank,
                wordOf(*tensors, "tensor " + key + "'s rank is cut",
                    "tar tensors: ndim runs past the member"));
            if (!rank)
                return false;
            const std::uint32_t ndim = static_cast<std::uint32_t>(*rank & 0xFFFFFFFFu);
            if (ndim <= 64 && tensors->cut && tensors->size - pos < (2ull * ndim + 1) * 8) {
                cutShort(tensors->offset + pos, "tensor " + key + "'s shape is cut");
                return false;
            }
            if (ndim > 64 || tensors->size - pos < (2ull * ndim + 1) * 8)
                return makeError(ErrorCode::Format, tensors->offset + pos - 8,
                    "tar tensors: bad rank " + std::to_string(ndim));
            TensorRecord t;
            t.storage = storage->second;
            t.dtype = g.storage(storage->second).dtype;
            const std::byte* p = file.data() + tensors->offset + pos;
            for (std::uint32_t k = 0; k < ndim; ++k)
                t.shape.push_back(static_cast<std::int64_t>(le64(p + 8 * k)));
            for (std::uint32_t k = 0; k < ndim; ++k)
                t.stride.push_back(static_cast<std::int64_t>(le64(p + 8 * (ndim + k))));
            t.storageOffset = static_cast<std::int64_t>(le64(p + 16 * ndim));
            pos += (2ull * ndim + 1) * 8;
            objects[key] = g.addTensor(std::move(t), at);
            return true;
        }));

    // the object
    PickleMachine machine(g, options);
    machine.setObserver(observer);
    machine.hooks().persistentLoad = [&](ValueId pid, std::uint64_t) -> Result<ValueId> {
        if (const auto t = seqOf(g, pid); t != nullptr && !t->empty())
            return (*t)[0]; // (module class, source file, source)
        const auto it = objects.find(keyText(pid));
        return it == objects.end() ? kNullValue : it->second;
    };
    const std::size_t index = doc.pickles.size();
    auto root = runPickle(doc, machine, "pickle", file.subspan(pickle->offset, pickle->size), pickle->offset);
    setMainPickle(doc, index);
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
    // A checkpoint file (not a blob inside a pickle) cut short keeps what was read: the main
    // pickle's partial stack when it is cut, the whole storages when they are.
    const bool recover = objectOut != nullptr && !inflated;
    auto run = [&](const std::string& name,
                   const std::function<Result<ValueId>(ValueId, std::uint64_t)>& persistent,
                   bool keepPartial = false) -> Result<ValueId> {
        PickleMachine machine(g, options);
        machine.setObserver(observer);
        if (persistent)
            machine.hooks().persistentLoad = persistent;
        if (pos >= bytes.size())
            return makeError(ErrorCode::Truncated, where.base + pos, "legacy checkpoint: " + name + " pickle is missing (file truncated)");
        auto v = runPickle(
            doc, machine, name, bytes.subspan(pos), inflated ? pos : where.base + pos, inflated);
        if (!v.ok()) {
            if (keepPartial && v.error().code != ErrorCode::Cancelled) {
                doc.error = v.error();
                keepPartialResult(doc, machine);
            }
            return v.takeError();
        }
        pos += machine.consumed();
        return v;
    };
    // The file ends inside the storages: keep those read, mark the rest as missing.
    bool wasCut = false;
    auto cutShort = [&](std::uint64_t at, const std::string& what) {
        wasCut = true;
        markCut(doc, at,
            "legacy checkpoint cut short: " + what + "; the file ends at byte "
                + std::to_string(where.base + bytes.size()) + ", storages after it are missing");
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
        const auto items = seqOf(g, pid);
        if (items == nullptr || items->empty())
            return kNullValue;
        const auto type = textOf(g, (*items)[0]);
        if (type == std::string_view("module") && items->size() >= 2)
            return (*items)[1];
        const auto rec = storageOfPid(g, *items);
        if (!rec)
            return kNullValue;
        const std::string rootKey(rec->key);
        ValueId root;
        if (const auto it = roots.find(rootKey); it != roots.end()) {
            root = it->second;
        } else {
            root = g.addStorage(*rec, offset);
            roots.emplace(rootKey, root);
        }
        if (items->size() >= 6) {
            if (const auto view = seqOf(g, (*items)[5]); view != nullptr && view->size() == 3) {
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
    PS_ASSIGN(ValueId object, run("pickle", persistent, recover));
    if (objectOut != nullptr)
        *objectOut = object;
    const std::uint64_t keysAt = where.base + pos;
    auto keyList = run("storage keys", {});
    if (!keyList.ok() && recover && keyList.error().code != ErrorCode::Cancelled
        && (pos >= bytes.size() || keyList.error().code == ErrorCode::Truncated
            || keyList.error().code == ErrorCode::EndOfInput)) {
        cutShort(
            keysAt, "the storage key list is missing or cut (" + keyList.error().message + ")");
        keyList = ValueId(kNullValue);
    }
    PS_TRY(keyList);
    const auto keys = isNull(*keyList) ? nullptr : seqOf(g, *keyList);
    if (keys == nullptr && !isNull(*keyList))
        return makeError(ErrorCode::Format, keysAt, "legacy checkpoint: the storage key list is not a list");
    static const std::vector<ValueId> kNoKeys;
    for (ValueId k : keys != nullptr ? *keys : kNoKeys) {
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
        if (bytes.size() - pos < 8) {
            if (recover) {
                cutShort(at, "storage '" + std::string(*key) + "' element count is cut");
                break;
            }
            return makeError(ErrorCode::Truncated, at, "legacy checkpoint: storage '" + std::string(*key) + "' element count runs past the end of the file");
        }
        std::uint64_t n = le64(bytes.data() + pos);
        if (n != rec.numel && byteswap64(n) == rec.numel)
            n = rec.numel; // a big-endian writer's native count
        else if (n != rec.numel)
            warn(doc, at, "legacy checkpoint: storage '" + std::string(*key) + "' holds " + std::to_string(n) + " elements, "
                    + std::to_string(rec.numel) + " declared");
        pos += 8;
        std::uint64_t length = 0;
        if (__builtin_mul_overflow(n, elsize, &length) || length > bytes.size() - pos) {
            if (recover) {
                cutShort(at,
                    "storage '" + std::string(*key) + "' (" + std::to_string(n)
                        + " elements from byte " + std::to_string(where.base + pos) + ") is cut: "
                        + std::to_string(bytes.size() - pos) + " of its bytes are present");
                break;
            }
            return makeError(ErrorCode::Truncated, at,
                "legacy checkpoint: storage '" + std::string(*key) + "' (" + std::to_string(n) + " elements) runs past the end of the file");
        }
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
    if (pos < bytes.size() && !inflated && !wasCut)
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
        setMainPickle(doc, index);
        if (!root.ok()) {
            if (doc.pickles.size() <= index)
                return root.takeError();
            if (!isNull(object))
                doc.root = object; // else the partial stack of a cut pickle is already the root
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
