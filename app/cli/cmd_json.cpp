// picklescope-cli json FILE [-o OUT] [--plain] [--tensor-data none|summary|full] [--indent N]:
// the typed JSON export of DESIGN.md (schema version 1), or the plain form. See
// docs/json-schema.md. With --filter QUERY: the list of values the query selects.

#include "app/cli/cli_command.h"
#include "app/cli/cli_filter.h"
#include "core/export/json_stream.h"
#include "core/export/json_writer.h"
#include "core/value/access_path.h"
#include "core/value/value_text.h"

#include <charconv>
#include <cstdio>
#include <string>

namespace {

// --filter: the values the query selects, by access path, with their type and one-line summary
// (not their full export): {"picklescope":1,"file":{...},"filter":Q,"matches":[...]}.
core::Result<void> writeFilteredJson(const core::Document& doc,
    const core::compare::ValueQuery& filter, const std::string& text, core::JsonSink& sink)
{
    const core::ValueGraph& g = doc.graph;
    core::JsonStream json(sink);
    json.beginObject().member("picklescope", 1);
    json.key("file").beginObject();
    json.member("name", doc.fileName).member("format", core::fileFormatName(doc.format));
    json.endObject();
    json.member("filter", text);
    json.key("matches").beginArray(core::JsonLayout::OnePerLine);
    core::walkAccessPaths(g, doc.root, "$", [&](core::ValueId id, const std::string& path) {
        if (!filter.matches(g, id, path))
            return true;
        json.beginObject();
        json.member("path", path).member("type", core::valueKindName(g.kind(id)));
        json.member("summary", core::summary(g, id));
        json.endObject();
        return !json.failed();
    });
    json.endArray().endObject();
    return json.finish();
}

int runJson(const cli::Args& args)
{
    core::JsonExportOptions options;
    options.plain = args.has("--plain");
    if (args.has("--tensor-data")) {
        const std::string mode = args.get("--tensor-data");
        if (mode == "none")
            options.tensorData = core::TensorDataMode::None;
        else if (mode == "summary")
            options.tensorData = core::TensorDataMode::Summary;
        else if (mode == "full")
            options.tensorData = core::TensorDataMode::Full;
        else {
            std::fprintf(stderr,
                "picklescope-cli json: --tensor-data must be none, summary or full, not '%s'\n",
                mode.c_str());
            return cli::ExitUsage;
        }
    }
    if (args.has("--indent")) {
        const std::string text = args.get("--indent");
        int indent = -1;
        const auto r = std::from_chars(text.data(), text.data() + text.size(), indent);
        if (r.ec != std::errc() || r.ptr != text.data() + text.size() || indent < 0
            || indent > 16) {
            std::fprintf(stderr, "picklescope-cli json: --indent needs a number from 0 to 16\n");
            return cli::ExitUsage;
        }
        options.indent = indent;
    }
    if (args.positionals.size() != 1) {
        std::fprintf(stderr,
            "usage: picklescope-cli json FILE [-o OUT] [--plain] [--tensor-data none|summary|full] "
            "[--indent N]\n");
        return cli::ExitUsage;
    }
    core::compare::ValueQuery filter;
    if (!cli::filterFrom(args, filter))
        return cli::ExitUsage;
    int exitCode = cli::ExitOk;
    const std::shared_ptr<const core::Document> doc = cli::openDocument(args, exitCode);
    if (!doc)
        return exitCode;
    if (doc->error) {
        // A partial graph is not an export: write nothing.
        cli::printDocumentError(*doc);
        return cli::ExitMalformed;
    }
    const std::string out = args.get("-o", args.get("--output"));
    std::FILE* file = stdout;
    if (!out.empty() && out != "-") {
        file = std::fopen(out.c_str(), "wb");
        if (file == nullptr) {
            std::fprintf(stderr, "picklescope-cli json: cannot write '%s'\n", out.c_str());
            return cli::ExitMalformed;
        }
    }
    core::FileJsonSink sink(file);
    auto written = args.has("--filter")
        ? writeFilteredJson(*doc, filter, args.get("--filter"), sink)
        : core::writeJson(doc, sink, options);
    bool closed = true;
    if (file != stdout)
        closed = std::fclose(file) == 0;
    else
        closed = std::fflush(stdout) == 0;
    if (!written.ok() || !closed) {
        std::fprintf(stderr, "picklescope-cli json: %s\n",
            written.ok() ? "could not write the output" : written.error().message.c_str());
        if (file != stdout)
            std::remove(out.c_str());
        return cli::ExitMalformed;
    }
    return cli::ExitOk;
}

} // namespace

PS_CLI_COMMAND({ "json",
    "json FILE [-o OUT] [--plain] [--tensor-data none|summary|full] [--indent N] "
    "[--filter QUERY]",
    "export the value graph as JSON (typed schema 1 by default; --plain for jq)",
    {
        { { "o", "output" }, "OUT", "write to OUT instead of stdout (- for stdout)" },
        { { "plain" }, "", "the plain form, for people and jq (may lose information)" },
        { { "tensor-data" }, "MODE",
            "none, summary (default: min, max, sum, mean, nan, inf, first values) or full "
            "(every value)" },
        { { "indent" }, "N", "spaces per level, 0 to 16 (default 0: one line)" },
        cli::filterOption(),
    },
    runJson })
