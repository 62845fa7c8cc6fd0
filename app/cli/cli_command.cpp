#include "app/cli/cli_command.h"

#include "core/pickle/pickle_machine.h"

#include <charconv>
#include <cstdio>

namespace cli {

namespace {

std::map<std::string, Command>& table()
{
    static std::map<std::string, Command> commands;
    return commands;
}

bool parseSize(const std::string& text, std::uint64_t& out)
{
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end && !text.empty();
}

} // namespace

std::string Args::get(const std::string& name, const std::string& fallback) const
{
    const auto it = options.find(name);
    return it == options.end() ? fallback : it->second;
}

bool registerCommand(Command command)
{
    std::string name = command.name;
    return table().emplace(std::move(name), std::move(command)).second;
}

const std::map<std::string, Command>& commands()
{
    return table();
}

const std::vector<std::string>& commonValueOptions()
{
    static const std::vector<std::string> options { "--encoding", "--max-stack", "--max-memo",
        "--max-values", "--max-bytes", "--filter" };
    return options;
}

bool loadOptionsFrom(const Args& args, core::LoadOptions& out)
{
    if (args.has("--encoding")) {
        const std::string e = args.get("--encoding");
        if (e == "ASCII" || e == "ascii")
            out.encoding = core::Py2Encoding::Ascii;
        else if (e == "latin1" || e == "latin-1" || e == "LATIN1")
            out.encoding = core::Py2Encoding::Latin1;
        else if (e == "bytes")
            out.encoding = core::Py2Encoding::Bytes;
        else if (e == "utf-8" || e == "utf8" || e == "UTF-8")
            out.encoding = core::Py2Encoding::Utf8;
        else if (!core::setEncodingByName(out, e)) {
            std::fprintf(stderr,
                "picklescope-cli: --encoding: unknown encoding '%s' (ASCII, latin1, bytes, or a codec name such as utf-8, cp1252, shift_jis)\n",
                e.c_str());
            return false;
        }
    }
    out.fixImports = !args.has("--no-fix-imports");
    struct Limit {
        const char* name;
        std::uint64_t* target;
    };
    std::uint64_t stack = out.limits.maxStackDepth, memo = out.limits.maxMemoEntries,
                  values = out.limits.maxValues, bytes = out.limits.maxMaterializedBytes;
    for (const Limit& limit : { Limit { "--max-stack", &stack }, Limit { "--max-memo", &memo },
             Limit { "--max-values", &values }, Limit { "--max-bytes", &bytes } }) {
        if (args.has(limit.name) && !parseSize(args.get(limit.name), *limit.target)) {
            std::fprintf(stderr, "picklescope-cli: %s needs a whole number\n", limit.name);
            return false;
        }
    }
    out.limits.maxStackDepth = stack;
    out.limits.maxMemoEntries = memo;
    out.limits.maxValues = values;
    out.limits.maxMaterializedBytes = bytes;
    return true;
}

std::shared_ptr<core::Document> openDocument(const Args& args, int& exitCode)
{
    core::LoadOptions options;
    if (!loadOptionsFrom(args, options)) {
        exitCode = ExitUsage;
        return nullptr;
    }
    auto loaded = core::loadFile(args.positionals.front(), options);
    if (!loaded.ok()) {
        std::fprintf(stderr, "picklescope-cli: %s: %s\n", args.positionals.front().c_str(),
            loaded.error().toString().c_str());
        exitCode = ExitMalformed;
        return nullptr;
    }
    exitCode = ExitOk;
    printRecoveryWarnings(*loaded.value());
    return std::move(loaded).value();
}

void printRecoveryWarnings(const core::Document& doc)
{
    if (!doc.recovered)
        return;
    std::size_t storages = 0, missing = 0;
    for (std::size_t i = 0; i < doc.graph.size(); ++i) {
        const core::ValueId id { static_cast<std::uint32_t>(i) };
        if (doc.graph.kind(id) != core::ValueKind::Storage)
            continue;
        ++storages;
        missing += doc.graph.storage(id).bytesFound ? 0 : 1;
    }
    std::fprintf(stderr,
        "picklescope-cli: %s: warning: the file is damaged (cut short?): partial content, %s; %zu "
        "of %zu storage(s) have no data\n",
        doc.fileName.c_str(), doc.error ? "the main pickle is cut" : "the main pickle is whole",
        missing, storages);
    for (const core::Diagnostic& d : doc.diagnostics)
        if (d.severity != core::Severity::Info)
            std::fprintf(stderr, "picklescope-cli: %s: warning: at byte %llu: %s\n",
                doc.fileName.c_str(), static_cast<unsigned long long>(d.offset), d.message.c_str());
}

void printDocumentError(const core::Document& doc)
{
    if (doc.error)
        std::fprintf(stderr, "picklescope-cli: %s: %s\n", doc.fileName.c_str(),
            doc.error->toString().c_str());
}

} // namespace cli
