// picklescope-cli info FILE [--stats]: what a file holds at a glance: format, protocol, value
// count, pickles, the tensor table (key path, dtype, shape, elements, bytes, storage key, shared
// with), totals per dtype, the parameter count and the safety verdict. Reads no tensor data
// unless --stats.

#include "app/cli/cli_command.h"
#include "core/safety/safety_report.h"
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

struct TensorRow {
    core::ValueId id;
    std::string path;
    std::string dtype;
    std::string shape;
    std::uint64_t elements = 0;
    std::uint64_t bytes = 0;
    std::string storage; // key, or "-"
    std::string sharedWith;
    bool isArray = false;
};

std::string shapeText(const std::vector<std::int64_t>& shape)
{
    std::string out = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        out += (i > 0 ? ", " : "") + std::to_string(shape[i]);
    return out + "]";
}

std::uint64_t elementCount(const std::vector<std::int64_t>& shape)
{
    std::uint64_t n = 1;
    for (std::int64_t d : shape) {
        if (d <= 0)
            return 0;
        if (n > ~std::uint64_t(0) / static_cast<std::uint64_t>(d))
            return ~std::uint64_t(0);
        n *= static_cast<std::uint64_t>(d);
    }
    return n;
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

// Every tensor and ndarray reachable from the root, first appearance only, with its access path.
std::vector<TensorRow> findTensors(const core::ValueGraph& g, core::ValueId root)
{
    struct Frame {
        core::ValueId id;
        std::size_t next;
        std::size_t count;
    };
    std::vector<TensorRow> rows;
    if (!g.valid(root))
        return rows;
    std::vector<bool> seen(g.size(), false);
    std::vector<Frame> stack;
    auto pathOf = [&](const core::DisplayChild* last) {
        std::string path = "root";
        for (std::size_t i = 0; i + 1 <= stack.size(); ++i) {
            const Frame& f = stack[i];
            if (i + 1 == stack.size() && last != nullptr) {
                path += last->pathSegment;
                break;
            }
            path += core::displayChild(g, f.id, f.next - 1).pathSegment;
        }
        return path;
    };
    auto enter = [&](core::ValueId id, const core::DisplayChild* via) {
        if (!g.valid(id) || seen[core::indexOf(id)])
            return;
        if (core::isIdentityValue(g, id))
            seen[core::indexOf(id)] = true;
        const core::ValueKind k = g.kind(id);
        if (k == core::ValueKind::Tensor || k == core::ValueKind::NdArray) {
            TensorRow row;
            row.id = id;
            row.path = via == nullptr ? "root" : pathOf(via);
            if (k == core::ValueKind::Tensor) {
                const auto& t = g.tensor(id);
                row.dtype = std::string(core::dtypeName(t.dtype));
                row.shape = shapeText(t.shape);
                row.elements = elementCount(t.shape);
                row.bytes = row.elements * core::dtypeSize(t.dtype);
                row.storage = "-";
                if (g.valid(t.storage) && g.kind(t.storage) == core::ValueKind::Storage)
                    row.storage = std::string(g.storage(t.storage).key);
                if (t.cls == core::TensorClass::Parameter)
                    row.dtype += " (param)";
            } else {
                const auto& a = g.ndarray(id);
                row.isArray = true;
                row.dtype = a.dtype == core::DType::Other && !a.dtypeText.empty()
                    ? std::string(a.dtypeText)
                    : std::string(core::dtypeName(a.dtype));
                row.shape = shapeText(a.shape);
                row.elements = elementCount(a.shape);
                row.bytes
                    = row.elements * (a.itemSize != 0 ? a.itemSize : core::dtypeSize(a.dtype));
                row.storage = "-";
            }
            rows.push_back(std::move(row));
        }
        const std::size_t n = core::displayChildCount(g, id);
        if (n > 0)
            stack.push_back(Frame { id, 0, n });
    };
    enter(root, nullptr);
    while (!stack.empty()) {
        Frame& f = stack.back();
        if (f.next >= f.count) {
            stack.pop_back();
            continue;
        }
        const core::ValueId child = core::displayChildId(g, f.id, f.next++);
        if (!g.valid(child) || seen[core::indexOf(child)])
            continue;
        const core::ValueKind k = g.kind(child);
        if (k == core::ValueKind::Tensor || k == core::ValueKind::NdArray) {
            const core::DisplayChild labelled = core::displayChild(g, f.id, f.next - 1);
            enter(child, &labelled);
        } else {
            enter(child, nullptr);
        }
    }
    // Shared storages.
    std::unordered_map<std::string, std::vector<std::size_t>> byStorage;
    for (std::size_t i = 0; i < rows.size(); ++i)
        if (rows[i].storage != "-")
            byStorage[rows[i].storage].push_back(i);
    for (auto& [key, list] : byStorage) {
        if (list.size() < 2)
            continue;
        for (std::size_t i : list) {
            std::string others;
            for (std::size_t j : list)
                if (j != i)
                    others += (others.empty() ? "" : ", ") + rows[j].path;
            rows[i].sharedWith = others;
        }
    }
    return rows;
}

int runInfo(const cli::Args& args)
{
    if (args.positionals.size() != 1) {
        std::fprintf(stderr, "usage: picklescope-cli info FILE [--stats]\n");
        return cli::ExitUsage;
    }
    int exitCode = cli::ExitOk;
    const std::shared_ptr<const core::Document> doc = cli::openDocument(args, exitCode);
    if (!doc)
        return exitCode;
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

    // ---- safety verdict (details: picklescope-cli scan) -----------------------------------------
    const core::safety::SafetyReport safety = core::safety::scan(*doc);
    std::printf("safety:    %s (%zu global%s: %zu safe, %zu unknown, %zu dangerous)%s\n",
        std::string(core::safety::verdictName(safety.verdict)).c_str(), safety.globals.size(),
        safety.globals.size() == 1 ? "" : "s", safety.safeCount, safety.unknownCount,
        safety.dangerousCount,
        safety.verdict == core::safety::Verdict::Safe ? "" : "; see picklescope-cli scan");

    const std::vector<TensorRow> rows = findTensors(g, doc->root);
    if (!rows.empty()) {
        const bool stats = args.has("--stats");
        std::printf("\ntensors:   %zu\n", rows.size());
        std::size_t wPath = 4, wType = 5, wShape = 5;
        for (const auto& r : rows) {
            wPath = std::max(wPath, r.path.size());
            wType = std::max(wType, r.dtype.size());
            wShape = std::max(wShape, r.shape.size());
        }
        wPath = std::min<std::size_t>(wPath, 60);
        std::printf("  %-*s  %-*s  %-*s  %14s  %10s  %-7s", static_cast<int>(wPath), "path",
            static_cast<int>(wType), "dtype", static_cast<int>(wShape), "shape", "elements",
            "bytes", "storage");
        if (stats)
            std::printf(
                "  %12s  %12s  %12s  %12s  %5s  %5s", "min", "max", "mean", "std", "nan", "inf");
        std::printf("  shared with\n");
        for (const auto& r : rows) {
            std::printf("  %-*s  %-*s  %-*s  %14s  %10s  %-7s", static_cast<int>(wPath),
                r.path.c_str(), static_cast<int>(wType), r.dtype.c_str(), static_cast<int>(wShape),
                r.shape.c_str(), withThousands(r.elements).c_str(), humanBytes(r.bytes).c_str(),
                r.storage.c_str());
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
        // Totals per dtype; the parameter count sums the elements of every distinct tensor.
        struct Total {
            std::size_t tensors = 0;
            std::uint64_t elements = 0, bytes = 0;
        };
        std::map<std::string, Total> totals;
        std::uint64_t parameters = 0, allBytes = 0;
        for (const auto& r : rows) {
            std::string dtype = r.dtype;
            if (const auto p = dtype.find(" ("); p != std::string::npos)
                dtype.resize(p);
            auto& t = totals[dtype];
            ++t.tensors;
            t.elements += r.elements;
            t.bytes += r.bytes;
            parameters += r.elements;
            allBytes += r.bytes;
        }
        std::printf("\ntotals:\n");
        for (const auto& [dtype, t] : totals)
            std::printf("  %-12s %6zu tensor%s  %16s elements  %10s\n", dtype.c_str(), t.tensors,
                t.tensors == 1 ? " " : "s", withThousands(t.elements).c_str(),
                humanBytes(t.bytes).c_str());
        std::printf("parameters: %s (%s)\n", withThousands(parameters).c_str(),
            humanBytes(allBytes).c_str());
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
