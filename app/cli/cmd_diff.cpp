// picklescope-cli diff A B [--json] [--atol X] [--rtol Y] [--values none|summary|full]
// [--strip-prefix P] [--under PATH]: what changed between two files. Values are paired by access
// path; tensors compared element-wise from the mapped files (numpy's allclose rule). Text: a
// summary, then every entry that is not `same`, largest max_abs first. Exit 0 when everything is
// same or close, 4 when differences were found, 1 / 2 as elsewhere.

#include "app/cli/cli_command.h"
#include "app/cli/cli_filter.h"
#include "core/compare/document_compare.h"
#include "core/value/number_text.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <string>

namespace {

constexpr int kExitDifferences = 4;

bool parseDouble(const std::string& text, double& out)
{
    const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
    return r.ec == std::errc() && r.ptr == text.data() + text.size() && !text.empty() && out >= 0;
}

std::string shapeText(const std::vector<std::int64_t>& shape)
{
    std::string out = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        out += (i > 0 ? ", " : "") + std::to_string(shape[i]);
    return out + "]";
}

std::string number(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

std::string sideText(const core::compare::Entry& e, const core::compare::EntrySide& s)
{
    if (core::isNull(s.id))
        return "-";
    if (e.kind == core::compare::EntryKind::Tensor || e.kind == core::compare::EntryKind::NdArray)
        return s.type + " " + shapeText(s.shape);
    return s.repr.empty() ? s.type : s.repr;
}

void printText(const core::compare::Comparison& c, const core::Document& a, const core::Document& b,
    const core::compare::CompareOptions& options)
{
    using core::compare::Status;
    std::printf(
        "a: %s (%s)\n", a.fileName.c_str(), std::string(core::fileFormatName(a.format)).c_str());
    std::printf(
        "b: %s (%s)\n", b.fileName.c_str(), std::string(core::fileFormatName(b.format)).c_str());
    std::printf("%zu paths:", c.entries.size());
    for (std::size_t s = 0; s < core::compare::kStatusCount; ++s)
        std::printf("%s %llu %s", s == 0 ? "" : ",", static_cast<unsigned long long>(c.counts[s]),
            std::string(core::compare::statusName(static_cast<Status>(s))).c_str());
    std::printf("\n");
    const double gbps = c.seconds > 0 ? static_cast<double>(c.bytesCompared) / c.seconds / 1e9 : 0;
    std::printf("tensors: %llu pairs compared, %s read in %.3f s (%.2f GB/s); rtol %s, atol %s\n",
        static_cast<unsigned long long>(c.tensorsCompared),
        core::humanBytes(c.bytesCompared).c_str(), c.seconds, gbps,
        number(options.tolerance.rtol).c_str(), number(options.tolerance.atol).c_str());
    std::vector<const core::compare::Entry*> rows;
    for (const auto& e : c.entries)
        if (e.status != Status::Same)
            rows.push_back(&e);
    if (rows.empty()) {
        std::printf("\nno differences\n");
        return;
    }
    std::stable_sort(rows.begin(), rows.end(), [](const auto* x, const auto* y) {
        if (x->compared != y->compared)
            return x->compared;
        return x->maxAbs > y->maxAbs;
    });
    std::printf("\n");
    for (const auto* e : rows) {
        std::string line = std::string(core::compare::statusName(e->status));
        line.resize(std::max<std::size_t>(line.size() + 1, 8), ' ');
        line += e->path + "  ";
        const std::string sa = sideText(*e, e->a), sb = sideText(*e, e->b);
        if (e->status == Status::OnlyA)
            line += sa;
        else if (e->status == Status::OnlyB)
            line += sb;
        else
            line += sa == sb ? sa : sa + " -> " + sb;
        if (e->compared && e->status != Status::Same) {
            line += "  max_abs " + number(e->maxAbs) + ", max_rel " + number(e->maxRel)
                + ", mismatched " + std::to_string(e->mismatched);
            if (!e->firstMismatch.empty())
                line += " (first at " + shapeText(e->firstMismatch) + ")";
        }
        if (!e->sharedWith.empty())
            line += "  (shares storage with " + e->sharedWith + ")";
        if (!e->note.empty())
            line += "  (" + e->note + ")";
        std::printf("%s\n", line.c_str());
    }
}

int runDiff(const cli::Args& args)
{
    static const char* kUsage
        = "usage: picklescope-cli diff A B [--json] [--atol X] [--rtol Y] "
          "[--values none|summary|full] [--strip-prefix P] [--under PATH] [--filter QUERY]\n";
    if (args.positionals.size() != 2) {
        std::fputs(kUsage, stderr);
        return cli::ExitUsage;
    }
    core::compare::CompareOptions options;
    if (args.has("--atol") && !parseDouble(args.get("--atol"), options.tolerance.atol)) {
        std::fprintf(stderr, "picklescope-cli diff: --atol needs a number >= 0\n");
        return cli::ExitUsage;
    }
    if (args.has("--rtol") && !parseDouble(args.get("--rtol"), options.tolerance.rtol)) {
        std::fprintf(stderr, "picklescope-cli diff: --rtol needs a number >= 0\n");
        return cli::ExitUsage;
    }
    if (args.has("--values")) {
        const std::string v = args.get("--values");
        if (v == "none")
            options.values = core::compare::ValuesMode::None;
        else if (v == "summary")
            options.values = core::compare::ValuesMode::Summary;
        else if (v == "full")
            options.values = core::compare::ValuesMode::Full;
        else {
            std::fprintf(stderr, "picklescope-cli diff: --values must be none, summary or full\n");
            return cli::ExitUsage;
        }
    }
    core::compare::ValueQuery filter;
    if (!cli::filterFrom(args, filter))
        return cli::ExitUsage;
    if (!filter.empty())
        options.filter = [&filter](const core::ValueGraph& g, core::ValueId id,
                             const std::string& path) { return filter.matches(g, id, path); };
    options.stripPrefix = args.get("--strip-prefix");
    options.under = args.get("--under");
    core::LoadOptions loadOptions;
    if (!cli::loadOptionsFrom(args, loadOptions))
        return cli::ExitUsage;
    std::shared_ptr<core::Document> docs[2];
    for (int i = 0; i < 2; ++i) {
        auto loaded = core::loadFile(args.positionals[static_cast<std::size_t>(i)], loadOptions);
        if (!loaded.ok()) {
            std::fprintf(stderr, "picklescope-cli: %s: %s\n",
                args.positionals[static_cast<std::size_t>(i)].c_str(),
                loaded.error().toString().c_str());
            return cli::ExitMalformed;
        }
        docs[i] = std::move(loaded).value();
        if (docs[i]->error) {
            cli::printDocumentError(*docs[i]);
            return cli::ExitMalformed;
        }
    }
    auto compared = core::compare::compareDocuments(docs[0], docs[1], options);
    if (!compared.ok()) {
        std::fprintf(stderr, "picklescope-cli diff: %s\n", compared.error().message.c_str());
        return cli::ExitUsage;
    }
    const core::compare::Comparison& c = compared.value();
    if (args.has("--json")) {
        const std::string json = core::compare::comparisonJson(c, *docs[0], *docs[1]);
        std::fwrite(json.data(), 1, json.size(), stdout);
    } else {
        printText(c, *docs[0], *docs[1], options);
    }
    std::fflush(stdout);
    return c.hasDifferences() ? kExitDifferences : cli::ExitOk;
}

} // namespace

PS_CLI_COMMAND({ "diff",
    "diff A B [--json] [--atol X] [--rtol Y] [--values none|summary|full] [--strip-prefix P] "
    "[--under PATH] [--filter QUERY]",
    "what changed between two files: values paired by access path, tensors compared element-wise "
    "(exit 0 same or close, 4 differences)",
    {
        { { "json" }, "", "the comparison as JSON" },
        { { "atol" }, "X", "absolute tolerance of numpy's allclose (default 1e-08)" },
        { { "rtol" }, "Y", "relative tolerance of numpy's allclose (default 1e-05)" },
        { { "values" }, "MODE", "reprs of other changed values: none, summary (default) or full" },
        { { "strip-prefix" }, "P",
            "remove P from the start of every str dict key on both sides (module.)" },
        { { "under" }, "PATH", "compare the sub-tree at this access path" },
        cli::filterOption(),
    },
    runDiff })
