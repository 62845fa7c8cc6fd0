// picklescope-cli info FILE [--stats]: what a file holds at a glance: format, protocol, value
// count, pickles, the tensor table (key path, dtype, shape, elements, bytes, storage key, shared
// with), totals per dtype, the parameter count and the safety verdict. Reads no tensor data
// unless --stats.

#include "app/cli/cli_command.h"
#include "app/cli/cli_filter.h"
#include "app/cli/module_text.h"
#include "core/safety/safety_report.h"
#include "core/safety/scanned_load.h"
#include "core/torch/tensor_table.h"
#include "core/torch/tensor_view.h"
#include "core/value/value_text.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace {

// The storage key, marked when the file is damaged and this storage's bytes are not in it.
std::string storageText(const core::Document& doc, const core::torch::TensorRow& r)
{
    if (r.storageKey.empty())
        return "-";
    const bool missing = doc.recovered && doc.graph.valid(r.storage)
        && doc.graph.kind(r.storage) == core::ValueKind::Storage
        && !doc.graph.storage(r.storage).bytesFound;
    return missing ? r.storageKey + " (missing)" : r.storageKey;
}

std::string shapeText(const std::vector<std::int64_t>& shape)
{
    std::string out = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        out += (i > 0 ? ", " : "") + std::to_string(shape[i]);
    return out + "]";
}

std::string withThousands(std::uint64_t v)
{
    std::string digits = std::to_string(v), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out.push_back(',');
        out.push_back(digits[i]);
    }
    return out;
}

std::string humanBytes(std::uint64_t v)
{
    const char* units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double x = static_cast<double>(v);
    int u = 0;
    while (x >= 1024 && u < 4) {
        x /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", x, units[u]);
    return buf;
}

int runInfo(const cli::Args& args)
{
    if (args.positionals.size() != 1) {
        std::fprintf(stderr, "usage: picklescope-cli info FILE [--stats]\n");
        return cli::ExitUsage;
    }
    // Loaded and safety-scanned together (the scan of a plain pickle runs alongside the load).
    core::LoadOptions options;
    if (!cli::loadOptionsFrom(args, options))
        return cli::ExitUsage;
    core::compare::ValueQuery filter;
    if (!cli::filterFrom(args, filter))
        return cli::ExitUsage;
    auto loaded = core::safety::loadAndScan(args.positionals.front(), options);
    if (!loaded.ok()) {
        std::fprintf(stderr, "picklescope-cli: %s: %s\n", args.positionals.front().c_str(),
            loaded.error().toString().c_str());
        return cli::ExitMalformed;
    }
    const std::shared_ptr<const core::Document> doc = loaded.value().doc;
    const core::safety::SafetyReport& safety = loaded.value().report;
    cli::printRecoveryWarnings(*doc);
    const core::ValueGraph& g = doc->graph;
    std::printf("file:      %s (%s bytes)\n", doc->fileName.c_str(),
        withThousands(doc->source ? doc->source->size() : 0).c_str());
    // A URL: the bytes fetched so far (the tensor table below reads none).
    if (doc->source && doc->source->isRemote())
        std::printf("remote:    %s (fetched %s of %s bytes in %s fetches)\n",
            doc->source->path().c_str(), withThousands(doc->source->bytesFetched()).c_str(),
            withThousands(doc->source->size()).c_str(),
            withThousands(doc->source->fetchCount()).c_str());
    std::printf("format:    %s\n", std::string(core::fileFormatName(doc->format)).c_str());
    std::printf("protocol:  %d\n", doc->protocol);
    std::printf("values:    %s\n", withThousands(g.size()).c_str());
    std::printf("pickles:   %zu\n", doc->pickles.size());
    for (const core::PickleStream& p : doc->pickles)
        std::printf("  %-24s offset %llu, %s bytes, protocol %d%s\n", p.name.c_str(),
            static_cast<unsigned long long>(p.offset), withThousands(p.bytes.size()).c_str(),
            p.protocol, p.inflated ? " (inflated)" : "");
    if (g.valid(doc->root))
        std::printf("root:      %s\n", core::summary(g, doc->root).c_str());
    if (!doc->shards.empty()) {
        std::printf("shards:    %zu\n", doc->shards.size());
        for (const core::ShardFile& shard : doc->shards)
            std::printf("  %-40s %12s  %llu tensor(s)%s\n", shard.name.c_str(),
                shard.found ? humanBytes(shard.size).c_str() : "-",
                static_cast<unsigned long long>(shard.tensors),
                shard.found ? "" : (shard.error == "missing" ? "  MISSING" : ("  " + shard.error).c_str()));
    }
    for (const auto& [key, value] : doc->fileMetadata)
        std::printf("metadata:  %s = %s\n", key.c_str(), value.c_str());

    // ---- safety verdict (details: picklescope-cli scan) -----------------------------------------
    std::printf("safety:    %s (%zu global%s: %zu safe, %zu unknown, %zu dangerous)%s\n",
        std::string(core::safety::verdictName(safety.verdict)).c_str(), safety.globals.size(),
        safety.globals.size() == 1 ? "" : "s", safety.safeCount, safety.unknownCount,
        safety.dangerousCount,
        safety.verdict == core::safety::Verdict::Safe ? "" : "; see picklescope-cli scan");

    if (args.has("--modules")) { // the model view instead of the tensor table
        std::uint64_t depth = ~std::uint64_t(0);
        const std::string d = args.get("--depth");
        if (args.has("--depth")
            && (std::from_chars(d.data(), d.data() + d.size(), depth).ptr != d.data() + d.size()
                || d.empty())) {
            std::fprintf(stderr, "picklescope-cli info: --depth needs a whole number\n");
            return cli::ExitUsage;
        }
        cli::printModuleView(*doc, depth);
        std::fflush(stdout);
        if (doc->error) {
            cli::printDocumentError(*doc);
            return cli::ExitMalformed;
        }
        return cli::ExitOk;
    }
    core::torch::TensorTable table = core::torch::tensorTable(*doc);
    if (!filter.empty()) { // --filter: only the rows the query selects (totals stay the file's)
        const std::size_t all = table.rows.size();
        std::erase_if(table.rows,
            [&](const core::torch::TensorRow& r) { return !filter.matches(g, r.id, r.path); });
        std::printf("filter:    %s (%zu of %zu tensors)\n", args.get("--filter").c_str(),
            table.rows.size(), all);
    }
    if (!table.rows.empty()) {
        const bool stats = args.has("--stats");
        std::printf("\ntensors:   %llu\n", static_cast<unsigned long long>(table.tensorCount));
        if (table.arrayCount > 0)
            std::printf("arrays:    %llu (numpy)\n", static_cast<unsigned long long>(table.arrayCount));
        if (table.frameCount > 0)
            std::printf("frames:    %llu (pandas DataFrame / Series)\n", static_cast<unsigned long long>(table.frameCount));
        auto dtypeOf = [](const core::torch::TensorRow& r) {
            return r.dtype + (r.parameter ? " (param)" : "") + (r.ndarray ? " (array)" : "");
        };
        std::size_t wPath = 4, wType = 5, wShape = 5;
        for (const auto& r : table.rows) {
            wPath = std::max(wPath, r.path.size());
            wType = std::max(wType, dtypeOf(r).size());
            wShape = std::max(wShape, shapeText(r.shape).size());
        }
        wPath = std::min<std::size_t>(wPath, 60);
        std::printf("  %-*s  %-*s  %-*s  %14s  %10s  %-7s", static_cast<int>(wPath), "path",
            static_cast<int>(wType), "dtype", static_cast<int>(wShape), "shape", "elements",
            "bytes", "storage");
        if (stats)
            std::printf(
                "  %12s  %12s  %12s  %12s  %5s  %5s", "min", "max", "mean", "std", "nan", "inf");
        std::printf("  shared with\n");
        for (const auto& r : table.rows) {
            std::printf("  %-*s  %-*s  %-*s  %14s  %10s  %-7s", static_cast<int>(wPath),
                r.path.c_str(), static_cast<int>(wType), dtypeOf(r).c_str(),
                static_cast<int>(wShape), shapeText(r.shape).c_str(),
                withThousands(r.elements).c_str(), r.bytesUnknown ? "?" : humanBytes(r.bytes).c_str(),
                storageText(*doc, r).c_str());
            if (stats) {
                auto view = core::torch::TensorView::open(doc, r.id);
                auto s = view.ok() ? view->stats()
                                   : core::Result<core::torch::TensorStats>(view.error());
                if (s.ok())
                    std::printf("  %12.6g  %12.6g  %12.6g  %12.6g  %5llu  %5llu", s->min, s->max,
                        s->mean, s->stddev, static_cast<unsigned long long>(s->nanCount),
                        static_cast<unsigned long long>(s->infCount));
                else
                    std::printf("  %-67s", ("(" + s.error().message + ")").c_str());
            }
            std::printf("  %s\n", r.sharedWith.c_str());
        }
        std::printf("\ntotals:\n");
        for (const auto& [dtype, totals] : table.perDtype)
            std::printf("  %-12s %16s elements  %10s\n", dtype.c_str(), withThousands(totals.first).c_str(),
                humanBytes(totals.second).c_str());
        if (table.tensorCount > 0) // torch tensors only
            std::printf("parameters: %s (%s; %s in distinct storages)\n", withThousands(table.tensorElements).c_str(),
                humanBytes(table.tensorBytes).c_str(), humanBytes(table.storageBytes).c_str());
        if (table.arrayCount > 0)
            std::printf("array elements: %s (%s%s)\n", withThousands(table.arrayElements).c_str(),
                humanBytes(table.arrayBytes).c_str(),
                std::any_of(table.rows.begin(), table.rows.end(), [](const auto& r) { return r.bytesUnknown; })
                    ? "; object arrays' bytes unknown"
                    : "");
    } else {
        std::printf("tensors:   0\n");
    }
    if (table.rows.empty() && table.frameCount > 0)
        std::printf("frames:    %llu (pandas DataFrame / Series)\n", static_cast<unsigned long long>(table.frameCount));
    for (const core::Diagnostic& d : doc->diagnostics)
        std::printf("%s at byte %llu: %s\n", std::string(core::severityName(d.severity)).c_str(),
            static_cast<unsigned long long>(d.offset), d.message.c_str());
    std::fflush(stdout);
    if (doc->error) {
        cli::printDocumentError(*doc);
        return cli::ExitMalformed;
    }
    return cli::ExitOk;
}

} // namespace

PS_CLI_COMMAND({ "info", "info FILE [--stats] [--filter QUERY] [--modules [--depth N]]",
    "format, protocol, value count, tensor table, totals per dtype, parameter count, safety "
    "verdict",
    {
        { { "stats" }, "",
            "add min, max, mean, std, NaN and inf counts of every tensor (reads all tensor data)" },
        cli::filterOption(),
        { { "modules" }, "",
            "the model view (modules and their parameters) instead of the tensor "
            "table" },
        { { "depth" }, "N", "with --modules: the deepest module level shown" },
    },
    runInfo })
