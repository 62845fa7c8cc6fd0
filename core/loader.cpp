#include "core/loader.h"

#include "core/byte_order.h"
#include "core/formats/detect_format.h"
#include "core/formats/distcp_reader.h"
#include "core/formats/joblib_reader.h"
#include "core/formats/npy_reader.h"
#include "core/formats/safetensors_reader.h"
#include "core/formats/sharded_reader.h"
#include "core/torch/torch_reader.h"
#include "core/torch/torchscript_reader.h"
#include "core/torch/zip_archive.h"

#include <QFileInfo>

#include <new>
#include <utility>

namespace core {

namespace {

std::string baseName(const std::string& path)
{
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// A plain pickle file: one program, or several back to back (each gets its own stream; the
// first is the main one, as pickle.load reads it). Bytes after the last STOP are reported.
void loadPlainPickle(Document& doc, const LoadOptions& options, LoadObserver* observer)
{
    const auto bytes = doc.source->bytes();
    PickleMachine machine(doc.graph, options);
    machine.setObserver(observer);
    std::uint64_t pos = 0;
    int index = 0;
    while (pos < bytes.size()) {
        std::string name = index == 0 ? "pickle" : "pickle " + std::to_string(index + 1);
        auto result = runPickle(doc, machine, std::move(name), bytes.subspan(pos), pos);
        if (!result.ok()) {
            if (index == 0) {
                doc.error = result.takeError();
                keepPartialResult(doc, machine);
            } else {
                doc.diagnostics.push_back({ Severity::Warning, pos,
                    "bytes after the first pickle do not form another pickle ("
                        + result.error().toString() + ")" });
                doc.pickles.pop_back();
            }
            break;
        }
        if (index == 0) {
            doc.root = result.value();
            doc.protocol = doc.pickles.front().protocol;
        }
        pos += machine.consumed();
        ++index;
        if (index >= 64 && pos < bytes.size()) {
            doc.diagnostics.push_back({ Severity::Warning, pos,
                "more than 64 pickles in one file: the rest is not read" });
            break;
        }
    }
    if (!doc.pickles.empty())
        doc.protocol = doc.pickles.front().protocol;
    if (bytes.empty())
        doc.error = makeError(ErrorCode::EndOfInput, 0, "the file is empty");
    if (index > 1)
        doc.diagnostics.push_back({ Severity::Info, 0,
            std::to_string(index) + " pickles in one file; pickle.load reads only the first" });
}

} // namespace

void keepPartialResult(Document& doc, const PickleMachine& machine)
{
    // Show what was built before the error: the stack at that moment, as a tuple.
    const auto& partial = machine.stackAtError();
    const std::uint64_t at = doc.error ? doc.error->offset : 0;
    if (!partial.empty()) {
        doc.root = doc.graph.addContainer(ValueKind::Tuple, at, partial);
        doc.diagnostics.push_back({ Severity::Error, at,
            "partial result: the " + std::to_string(partial.size())
                + " value(s) on the unpickling stack when loading stopped" });
    }
}

Result<ValueId> runPickle(Document& doc, PickleMachine& machine, std::string name,
    std::span<const std::byte> bytes, std::uint64_t offset, bool inflated)
{
    torch::installValueHooks(machine.hooks(), doc);
    PickleStream stream;
    stream.name = std::move(name);
    stream.offset = offset;
    stream.inflated = inflated;
    auto result = machine.load(bytes, offset);
    stream.bytes = bytes.first(result.ok() ? machine.consumed() : bytes.size());
    stream.protocol = machine.highestProtocol();
    if (result.ok()) {
        stream.root = result.value();
        if (machine.leftoverItems() > 0)
            doc.diagnostics.push_back({ Severity::Warning, offset + machine.consumed() - 1,
                std::to_string(machine.leftoverItems()) + " value(s) left on the stack at STOP in "
                    + stream.name });
    }
    doc.pickles.push_back(std::move(stream));
    return result;
}

Result<void> prefetchForLoad(ByteSource& source, LoadObserver* observer)
{
    if (!source.isRemote())
        return {};
    const std::uint64_t size = source.size();
    PS_TRY(source.ensure(
        0, std::min<std::uint64_t>(size, 4096))); // detection reads the first 512 bytes
    const auto bytes = source.bytes();
    if (size >= 4 && bytes[0] == std::byte { 'P' } && bytes[1] == std::byte { 'K' }) {
        auto zip = torch::ZipArchive::open(bytes, &source);
        if (zip.ok())
            return {};
        if (zip.error().code == ErrorCode::Io)
            return zip.takeError(); // the transfer failed (a zip that does not parse is read whole)
    }
    // safetensors: its 8-byte length and JSON header only (tensor views fetch the data).
    if (size >= 10 && bytes[8] == std::byte { '{' }) {
        const std::uint64_t n = le64(bytes.data());
        if (n <= size - 8 && n <= (std::uint64_t(100) << 20))
            return source.ensure(8, n);
    }
    constexpr std::uint64_t kStep = std::uint64_t(16) << 20;
    for (std::uint64_t pos = 0; pos < size; pos += kStep) {
        if (observer != nullptr && observer->isCancelled())
            return makeError(ErrorCode::Cancelled, pos, "cancelled");
        const std::uint64_t n = std::min(kStep, size - pos);
        PS_TRY(source.ensure(pos, n));
        if (observer != nullptr)
            observer->progress(pos + n, size);
    }
    return {};
}

namespace {

// The readers of the formats that are neither a plain pickle nor a torch archive.
using FormatReader = Result<void> (*)(Document&, const LoadOptions&, LoadObserver*);
constexpr std::pair<FileFormat, FormatReader> kReaders[] = {
    { FileFormat::Safetensors,
        [](Document& doc, const LoadOptions&, LoadObserver*) {
            return formats::loadSafetensors(doc);
        } },
    { FileFormat::ShardedIndex, formats::loadShardedIndex },
    { FileFormat::Joblib, formats::loadJoblib },
    { FileFormat::Npy, formats::loadNpy },
    { FileFormat::Npz, formats::loadNpz },
    { FileFormat::DistributedCheckpoint, formats::loadDistributedCheckpoint },
};

} // namespace

Result<std::shared_ptr<Document>> loadSource(
    std::shared_ptr<ByteSource> source, const LoadOptions& options, LoadObserver* observer)
{
    PS_TRY(prefetchForLoad(*source, observer));
    auto doc = std::make_shared<Document>();
    doc->fileName = baseName(source->path());
    doc->source = std::move(source);
    try {
        const FileFormat format = detectFormat(doc->source->bytes(), doc->source->path());
        doc->format = format;
        switch (format) {
        case FileFormat::Pickle:
            loadPlainPickle(*doc, options, observer);
            break;
        case FileFormat::TorchZip:
        case FileFormat::TorchLegacy:
        case FileFormat::TorchTar:
        case FileFormat::TorchScript:
            PS_TRY(torch::loadArchive(*doc, format, options, observer));
            if (format == FileFormat::TorchScript && !doc->error)
                PS_TRY(torch::loadTorchScriptPrograms(*doc, options, observer));
            break;
        default: { // the other containers: a reader each
            for (const auto& [readerFormat, read] : kReaders)
                if (readerFormat == format)
                    PS_TRY(read(*doc, options, observer));
            break;
        }
        }
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::LimitExceeded, 0, "out of memory while loading");
    }
    if (doc->error && doc->error->code == ErrorCode::Cancelled)
        return *doc->error;
    return doc;
}

Result<std::shared_ptr<Document>> loadFile(
    const std::string& path, const LoadOptions& options, LoadObserver* observer)
{
    // A folder holding a sharded index (or a distributed checkpoint) opens as that checkpoint.
    if (QFileInfo(QString::fromStdString(path)).isDir()) {
        const std::string inside = checkpointInFolder(path);
        if (inside.empty())
            return makeError(ErrorCode::Unsupported, 0,
                "a folder without a *.index.json or a distributed checkpoint's .metadata");
        PS_ASSIGN(auto source, ByteSource::mapFile(inside));
        return loadSource(std::move(source), options, observer);
    }
    PS_ASSIGN(auto source, ByteSource::mapFile(path));
    return loadSource(std::move(source), options, observer);
}

} // namespace core
