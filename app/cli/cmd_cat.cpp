// picklescope-cli cat FILE MEMBER: writes one member of a zip archive (TorchScript code/*.py,
// extra/ files, version, data.pkl, a storage record, an .npz's .npy) to stdout as it is stored
// (inflated when compressed). MEMBER is the full name or the name under the archive folder.

#include "app/cli/cli_command.h"
#include "core/torch/torchscript_reader.h"
#include "core/torch/zip_archive.h"
#include "core/value/byte_source.h"

#include <cstdio>
#include <string>

namespace {

int runCat(const cli::Args& args)
{
    if (args.positionals.size() != 2) {
        std::fprintf(stderr, "usage: picklescope-cli cat FILE MEMBER\n");
        return cli::ExitUsage;
    }
    const std::string& path = args.positionals[0];
    const std::string& member = args.positionals[1];
    auto mapped = core::ByteSource::mapFile(path);
    if (!mapped.ok()) {
        std::fprintf(
            stderr, "picklescope-cli: %s: %s\n", path.c_str(), mapped.error().toString().c_str());
        return cli::ExitMalformed;
    }
    core::Document doc;
    doc.source = mapped.value();
    core::LoadOptions options;
    if (!cli::loadOptionsFrom(args, options))
        return cli::ExitUsage;
    auto bytes = core::torch::readArchiveMember(doc, member, options.limits.maxMaterializedBytes);
    if (!bytes.ok()) {
        std::fprintf(stderr, "picklescope-cli cat: %s: %s\n", path.c_str(),
            bytes.error().toString().c_str());
        if (auto zip = core::torch::ZipArchive::open(doc.source->bytes()); zip.ok()) {
            std::fprintf(stderr, "members:");
            for (const auto& entry : zip->entries())
                std::fprintf(
                    stderr, " %s", std::string(core::torch::memberShortName(entry.name)).c_str());
            std::fprintf(stderr, "\n");
        }
        return cli::ExitMalformed;
    }
    const auto& data = bytes.value();
    if (!data.empty() && std::fwrite(data.data(), 1, data.size(), stdout) != data.size())
        return cli::ExitMalformed;
    return std::fflush(stdout) == 0 ? cli::ExitOk : cli::ExitMalformed;
}

} // namespace

PS_CLI_COMMAND({ "cat", "cat FILE MEMBER",
    "write one archive member (code/*.py, extra/*, version, ...) to stdout", {}, runCat })
