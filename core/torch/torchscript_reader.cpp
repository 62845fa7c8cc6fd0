#include "core/torch/torchscript_reader.h"

#include "core/loader.h"
#include "core/torch/zip_archive.h"

namespace core::torch {

namespace {

bool endsWith(std::string_view text, std::string_view tail)
{
    return text.size() >= tail.size() && text.substr(text.size() - tail.size()) == tail;
}

} // namespace

std::string_view memberShortName(std::string_view name)
{
    const auto slash = name.find('/');
    return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

Result<void> loadTorchScriptPrograms(
    Document& doc, const LoadOptions& options, LoadObserver* observer)
{
    PS_ASSIGN(auto zip, ZipArchive::open(doc.source->bytes()));
    for (const ZipEntry& entry : zip.entries()) {
        const std::string_view shortName = memberShortName(entry.name);
        const bool program = shortName == "bytecode.pkl"
            || (shortName.rfind("code/", 0) == 0 && endsWith(shortName, ".debug_pkl"));
        if (!program)
            continue;
        std::span<const std::byte> bytes;
        std::uint64_t offset = 0;
        bool inflated = false;
        if (entry.method == 0) {
            auto stored = zip.storedBytes(entry);
            if (!stored.ok()) {
                doc.diagnostics.push_back({ Severity::Warning, entry.localHeaderOffset,
                    std::string(shortName) + ": " + stored.error().message });
                continue;
            }
            bytes = stored.value();
            offset = entry.dataOffset;
        } else {
            auto buffer = zip.inflate(entry, options.limits.maxMaterializedBytes);
            if (!buffer.ok()) {
                doc.diagnostics.push_back({ Severity::Warning, entry.localHeaderOffset,
                    std::string(shortName) + ": " + buffer.error().message });
                continue;
            }
            bytes = doc.source->keep(std::move(buffer).value());
            inflated = true;
        }
        PickleMachine machine(doc.graph, options);
        machine.setObserver(observer);
        auto result = runPickle(doc, machine, std::string(shortName), bytes, offset, inflated);
        if (!result.ok()) {
            if (result.error().code == ErrorCode::Cancelled)
                return result.takeError();
            doc.diagnostics.push_back({ Severity::Warning, result.error().offset,
                std::string(shortName) + ": " + result.error().message });
        }
    }
    return {};
}

Result<std::vector<std::byte>> readArchiveMember(
    const Document& doc, std::string_view name, std::uint64_t maxBytes)
{
    if (!doc.source)
        return makeError(ErrorCode::Io, 0, "no file");
    PS_ASSIGN(auto zip, ZipArchive::open(doc.source->bytes()));
    const ZipEntry* found = zip.find(name);
    if (found == nullptr)
        for (const ZipEntry& entry : zip.entries())
            if (memberShortName(entry.name) == name) {
                found = &entry;
                break;
            }
    if (found == nullptr)
        return makeError(
            ErrorCode::Format, 0, "the archive has no member '" + std::string(name) + "'");
    return zip.inflate(*found, maxBytes);
}

} // namespace core::torch
