#include "app/cli/module_text.h"

#include "core/torch/module_tree.h"
#include "core/value/number_text.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace cli {

namespace {

std::string shapeText(const std::vector<std::int64_t>& shape)
{
    std::string out = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        out += (i > 0 ? ", " : "") + std::to_string(shape[i]);
    return out + "]";
}

std::string percent(double share)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f %%", share * 100.0);
    return buf;
}

} // namespace

void printModuleView(const core::Document& doc, std::uint64_t maxDepth)
{
    const core::torch::StateDicts dicts = core::torch::findStateDicts(doc);
    if (dicts.found.empty()) {
        std::printf("\nmodules:   no state dict found (a dict whose values are mostly tensors "
                    "keyed by dotted names)\n");
    } else {
        const auto& main = dicts.found[dicts.main];
        const core::torch::ModuleTree tree = core::torch::moduleTree(doc, main.dict, main.path);
        std::printf("\n%s: %s (%zu tensors)", main.module ? "module" : "state dict",
            main.path.c_str(), main.tensors);
        if (dicts.found.size() > 1) {
            std::printf("; also");
            for (std::size_t i = 0; i < dicts.found.size(); ++i)
                if (i != dicts.main)
                    std::printf(" %s (%zu)", dicts.found[i].path.c_str(), dicts.found[i].tensors);
        }
        std::printf("\n%s\n\n", tree.summaryLine().c_str());
        // rows in file order (pre-order over the children lists, iterative)
        struct Row {
            std::string label, params, share, bytes, detail;
        };
        std::vector<Row> rows;
        std::vector<std::size_t> stack;
        const auto& root = tree.nodes[0].children;
        for (auto it = root.rbegin(); it != root.rend(); ++it)
            stack.push_back(*it);
        while (!stack.empty()) {
            const core::torch::ModuleNode& n = tree.nodes[stack.back()];
            stack.pop_back();
            if (static_cast<std::uint64_t>(n.depth) > maxDepth)
                continue;
            Row r;
            r.label = std::string(static_cast<std::size_t>(n.depth - 1) * 2, ' ') + n.name;
            r.params = core::withThousands(n.params);
            r.share = percent(tree.share(n));
            r.bytes = core::humanBytes(n.bytes);
            r.detail = n.parameter ? n.dtype + " " + shapeText(n.shape) : tree.dtypeMix(n);
            if (!n.tiedTo.empty())
                r.detail += "  tied to " + n.tiedTo;
            rows.push_back(std::move(r));
            for (auto it = n.children.rbegin(); it != n.children.rend(); ++it)
                stack.push_back(*it);
        }
        std::size_t wLabel = 6, wParams = 6;
        for (const auto& r : rows) {
            wLabel = std::max(wLabel, r.label.size());
            wParams = std::max(wParams, r.params.size());
        }
        wLabel = std::min<std::size_t>(wLabel, 60);
        std::printf("  %-*s  %*s  %7s  %10s  %s\n", static_cast<int>(wLabel), "module",
            static_cast<int>(wParams), "params", "share", "bytes", "dtype / shape");
        for (const auto& r : rows)
            std::printf("  %-*s  %*s  %7s  %10s  %s\n", static_cast<int>(wLabel), r.label.c_str(),
                static_cast<int>(wParams), r.params.c_str(), r.share.c_str(), r.bytes.c_str(),
                r.detail.c_str());
    }
    for (const core::torch::OptimizerSummary& o : core::torch::findOptimizers(doc)) {
        std::string keys;
        for (const auto& [key, count] : o.stateKeys)
            keys += (keys.empty() ? "" : ", ") + key + " " + std::to_string(count);
        std::printf(
            "\noptimizer: %s: state for %zu parameters (%s) \xC2\xB7 %s elements \xC2\xB7 %s\n",
            o.path.c_str(), o.paramsWithState, keys.c_str(),
            core::withThousands(o.stateElements).c_str(), core::humanBytes(o.stateBytes).c_str());
        for (std::size_t i = 0; i < o.groups.size(); ++i) {
            std::string line = "  param group " + std::to_string(i) + ": "
                + std::to_string(o.groups[i].params) + " params";
            for (const auto& [key, value] : o.groups[i].settings)
                line += " \xC2\xB7 " + key + "=" + value;
            std::printf("%s\n", line.c_str());
        }
    }
}

} // namespace cli
