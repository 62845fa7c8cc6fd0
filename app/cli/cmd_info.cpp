// picklescope-cli info FILE [--stats]: what a file holds at a glance: format, protocol, value
// count, pickles, the tensor table (key path, dtype, shape, elements, bytes, storage key, shared
// with), totals per dtype, the parameter count and the safety verdict. Reads no tensor data
// unless --stats.

#include "app/cli/cli_command.h"
#include "core/safety/safety_report.h"
#include "core/safety/scanned_load.h"
#include "core/torch/tensor_table.h"
#include "core/torch/tensor_view.h"
#include "core/value/value_text.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace {

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
    auto loaded = core::safety::loadAndScan(args.positionals.front(), options);
    if (!loaded.ok()) {
        std::fprintf(stderr, "picklescope-cli: %s: %s\n", args.positionals.front().c_str(),
            loaded.error().toString().c_str());
        return cli::ExitMalformed;
    }
    const std::shared_ptr<const core::Document> doc = loaded.value().doc;
    const core::safety::SafetyReport& safety = loaded.value().report;
    const core::ValueGraph& g = doc->graph;
    std::printf("file:      %s (%s bytes)\n", doc->fileName.c_str(),
        withThousands(doc->source ? doc->source->size() : 0).c_str());
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

    const core::torch::TensorTable table = core::torch::tensorTable(*doc);
    if (!table.rows.empty()) {
        const bool stats = args.has("--stats");
        std::printf("\ntensors:   %zu\n", table.rows.size());
        auto dtypeOf = [](const core::torch::TensorRow& r) { return r.dtype + (r.parameter ? " (param)" : ""); };
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
                r.path.c_str(), static_cast<int>(wType), dtypeOf(r).c_str(), static_cast<int>(wShape),
                shapeText(r.shape).c_str(), withThousands(r.elements).c_str(), humanBytes(r.bytes).c_str(),
                r.storageKey.empty() ? "-" : r.storageKey.c_str());
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
        std::printf("parameters: %s (%s; %s in distinct storages)\n", withThousands(table.totalElements).c_str(),
            humanBytes(table.totalBytes).c_str(), humanBytes(table.storageBytes).c_str());
    } else {
        std::printf("tensors:   0\n");
    }
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

PS_CLI_COMMAND({ "info", "info FILE [--stats]",
    "format, protocol, value count, tensor table, totals per dtype, parameter count, safety "
    "verdict",
    {}, runInfo })
