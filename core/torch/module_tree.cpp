#include "core/torch/module_tree.h"

#include "core/value/access_path.h"
#include "core/value/number_text.h"
#include "core/value/value_text.h"

#include <algorithm>
#include <cstdio>
#include <unordered_map>
#include <unordered_set>

namespace core::torch {

namespace {

bool isTensorValue(const ValueGraph& g, ValueId id)
{
    return g.valid(id) && (g.kind(id) == ValueKind::Tensor || g.kind(id) == ValueKind::NdArray);
}

// A state dict: str keys, and at least half of the values tensors (buffers such as
// num_batches_tracked are tensors too; a few non-tensor extras such as _metadata are allowed).
std::size_t stateDictTensors(const ValueGraph& g, ValueId id)
{
    if (g.kind(id) != ValueKind::Dict)
        return 0;
    const auto& items = g.items(id);
    std::size_t pairs = items.size() / 2, tensors = 0, strKeys = 0;
    for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
        strKeys += g.kind(items[i]) == ValueKind::Str ? 1 : 0;
        tensors += isTensorValue(g, items[i + 1]) ? 1 : 0;
    }
    if (pairs == 0 || tensors == 0 || strKeys * 10 < pairs * 9 || tensors * 2 < pairs)
        return 0;
    return tensors;
}

ValueId dictValue(const ValueGraph& g, ValueId dict, std::string_view key)
{
    const auto& items = g.items(dict);
    for (std::size_t i = 0; i + 1 < items.size(); i += 2)
        if (g.kind(items[i]) == ValueKind::Str && g.text(items[i]) == key)
            return items[i + 1];
    return kNullValue;
}

// A pickled nn.Module: an object whose state (BUILD dict) holds the _parameters and _modules dicts.
bool isModuleObject(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id) || g.kind(id) != ValueKind::Object)
        return false;
    const ValueId state = g.object(id).state;
    if (!g.valid(state) || g.kind(state) != ValueKind::Dict)
        return false;
    const ValueId params = dictValue(g, state, "_parameters");
    const ValueId modules = dictValue(g, state, "_modules");
    return g.valid(params) && g.valid(modules) && g.kind(params) == ValueKind::Dict
        && g.kind(modules) == ValueKind::Dict;
}

// The entries torch's state_dict() gives for a pickled module, in its order: each module's
// parameters, then its persistent buffers, then its children's entries (prefix "child.").
// Iterative; a module already on its own ancestor chain (a cycle) is skipped, and the walk stops
// after as many module visits as the graph has values, or once the dotted names made so far
// reach kMaxNameBytes (a hostile chain of nested modules would make them grow quadratically).
constexpr std::size_t kMaxNameBytes = std::size_t(64) << 20;

std::vector<std::pair<std::string, ValueId>> moduleEntries(const ValueGraph& g, ValueId root)
{
    std::size_t nameBytes = 0;
    std::vector<std::pair<std::string, ValueId>> out;
    struct Frame {
        ValueId module;
        std::string prefix;
    };
    std::vector<Frame> frames { { root, "" } };
    std::vector<std::pair<std::size_t, bool>> stack { { 0, false } }; // (frame, leaving)
    std::vector<bool> onPath(g.size()); // modules between the root and the current one
    // each _non_persistent_buffers_set's names, read once
    std::unordered_map<std::uint32_t, std::unordered_set<std::string_view>> nonPersistent;
    std::size_t visits = 0;
    while (!stack.empty() && visits <= g.size()) {
        const auto [f, leaving] = stack.back();
        stack.pop_back();
        const ValueId module = frames[f].module;
        if (leaving) {
            onPath[indexOf(module)] = false;
            continue;
        }
        ++visits;
        onPath[indexOf(module)] = true;
        stack.emplace_back(f, true);
        const std::string prefix = frames[f].prefix;
        const ValueId state = g.object(module).state;
        const ValueId skip = dictValue(g, state, "_non_persistent_buffers_set");
        const std::unordered_set<std::string_view>* skipped = nullptr;
        if (g.valid(skip)
            && (g.kind(skip) == ValueKind::Set || g.kind(skip) == ValueKind::FrozenSet)) {
            auto [it, added] = nonPersistent.try_emplace(indexOf(skip));
            if (added)
                for (const ValueId item : g.items(skip))
                    if (g.kind(item) == ValueKind::Str)
                        it->second.insert(g.text(item));
            skipped = &it->second;
        }
        for (const char* group : { "_parameters", "_buffers" }) {
            const ValueId dict = dictValue(g, state, group);
            if (!g.valid(dict) || g.kind(dict) != ValueKind::Dict)
                continue;
            const bool buffers = std::string_view(group) == "_buffers";
            const auto& items = g.items(dict);
            for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
                if (g.kind(items[i]) != ValueKind::Str || !isTensorValue(g, items[i + 1]))
                    continue; // None (bias=False) and anything else
                const std::string_view name = g.text(items[i]);
                if (buffers && skipped && skipped->count(name) > 0)
                    continue;
                out.emplace_back(prefix + std::string(name), items[i + 1]);
                nameBytes += out.back().first.size();
                if (nameBytes > kMaxNameBytes)
                    return out;
            }
        }
        const ValueId children = dictValue(g, state, "_modules");
        const auto& items = g.items(children);
        const std::size_t firstChild = frames.size();
        for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
            const ValueId child = items[i + 1];
            if (g.kind(items[i]) != ValueKind::Str || !isModuleObject(g, child)
                || onPath[indexOf(child)])
                continue; // not a module, or a cycle
            frames.push_back({ child, prefix + std::string(g.text(items[i])) + "." });
            nameBytes += frames.back().prefix.size();
            if (nameBytes > kMaxNameBytes)
                return out;
        }
        for (std::size_t c = frames.size(); c-- > firstChild;)
            stack.emplace_back(c, false);
    }
    return out;
}

// What makes two entries the same weights: the same value, or the same view of one storage.
std::string tieKey(const ValueGraph& g, ValueId id)
{
    std::string key = std::to_string(indexOf(id));
    if (g.kind(id) != ValueKind::Tensor || !g.valid(g.tensor(id).storage))
        return key;
    const TensorRecord& t = g.tensor(id);
    key = "s" + std::to_string(indexOf(t.storage)) + ":" + std::to_string(t.storageOffset) + ":"
        + std::string(dtypeName(t.dtype));
    for (auto d : t.shape)
        key += "," + std::to_string(d);
    key += ";";
    for (auto s : t.stride)
        key += "," + std::to_string(s);
    return key;
}

// torch.optim's state_dict(): {'state': {index: {...}}, 'param_groups': [{...}]}
bool isOptimizerState(const ValueGraph& g, ValueId id)
{
    if (g.kind(id) != ValueKind::Dict)
        return false;
    const ValueId state = dictValue(g, id, "state");
    const ValueId groups = dictValue(g, id, "param_groups");
    return g.valid(state) && g.valid(groups) && g.kind(state) == ValueKind::Dict
        && (g.kind(groups) == ValueKind::List || g.kind(groups) == ValueKind::Tuple);
}

void elementsAndBytes(const ValueGraph& g, ValueId id, std::uint64_t& elements,
    std::uint64_t& bytes, std::string& dtype, std::vector<std::int64_t>& shape)
{
    std::uint32_t size = 0;
    if (g.kind(id) == ValueKind::Tensor) {
        const TensorRecord& t = g.tensor(id);
        shape = t.shape;
        dtype = std::string(dtypeName(t.dtype));
        size = dtypeSize(t.dtype);
    } else {
        const NdArrayRecord& a = g.ndarray(id);
        shape = a.shape;
        dtype = a.dtype == DType::Other || a.dtype == DType::Unknown
            ? std::string(a.dtypeText)
            : std::string(dtypeName(a.dtype));
        size = a.itemSize;
    }
    std::uint64_t n = 1;
    for (auto d : shape)
        n = d > 0 && !__builtin_mul_overflow(n, static_cast<std::uint64_t>(d), &n)
            ? n
            : (d == 0 ? 0 : n);
    elements = n;
    bytes = n * size;
}

std::string percent(double share)
{
    char buf[32];
    const double p = share * 100.0;
    std::snprintf(buf, sizeof buf, p >= 99.95 || p == 0 ? "%.0f %%" : "%.1f %%", p);
    return buf;
}

} // namespace

StateDicts findStateDicts(const Document& doc)
{
    StateDicts out;
    const ValueGraph& g = doc.graph;
    walkAccessPaths(g, doc.root, "$", [&](ValueId id, const std::string& path) {
        if (isOptimizerState(g, id))
            return false; // its per-parameter dicts of exp_avg / exp_avg_sq are not modules
        if (isModuleObject(g, id)) { // torch.save(model): its submodules are part of it
            const std::size_t tensors = moduleEntries(g, id).size();
            if (tensors > 0) {
                if (out.found.empty() || tensors > out.found[out.main].tensors)
                    out.main = out.found.size();
                out.found.push_back({ id, path, tensors, true });
            }
            return false;
        }
        const std::size_t tensors = stateDictTensors(g, id);
        if (tensors == 0)
            return true;
        if (out.found.empty() || tensors > out.found[out.main].tensors)
            out.main = out.found.size();
        out.found.push_back({ id, path, tensors, false });
        return false; // a state dict's tensors are not state dicts themselves
    });
    return out;
}

std::string ModuleTree::dtypeMix(const ModuleNode& node) const
{
    std::vector<std::pair<std::uint64_t, std::string>> parts;
    for (const auto& [dtype, n] : node.dtypeParams)
        parts.emplace_back(n, dtype);
    std::stable_sort(
        parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::string out;
    for (const auto& [n, dtype] : parts) {
        if (!out.empty())
            out += " \xC2\xB7 ";
        out += dtype + " "
            + percent(
                node.params == 0 ? 0.0 : static_cast<double>(n) / static_cast<double>(node.params));
    }
    return out;
}

std::string ModuleTree::summaryLine() const
{
    std::string out
        = "Total params: " + withThousands(totalParams) + " \xC2\xB7 " + humanBytes(totalBytes);
    if (!nodes.empty() && !nodes[0].dtypeParams.empty())
        out += " \xC2\xB7 " + dtypeMix(nodes[0]);
    if (tied > 0)
        out += " \xC2\xB7 " + std::to_string(tied) + (tied == 1 ? " tied tensor" : " tied tensors")
            + " counted once";
    return out;
}

ModuleTree moduleTree(const Document& doc, ValueId dict, const std::string& path)
{
    ModuleTree tree;
    tree.path = path;
    tree.nodes.push_back(ModuleNode {});
    const ValueGraph& g = doc.graph;
    std::vector<std::pair<std::string, ValueId>> entries;
    if (isModuleObject(g, dict)) {
        entries = moduleEntries(g, dict);
    } else if (g.valid(dict) && g.kind(dict) == ValueKind::Dict) {
        const auto& items = g.items(dict);
        for (std::size_t i = 0; i + 1 < items.size(); i += 2)
            if (g.kind(items[i]) == ValueKind::Str && isTensorValue(g, items[i + 1]))
                entries.emplace_back(std::string(g.text(items[i])), items[i + 1]);
    }
    std::unordered_map<std::string, std::size_t> firstOfTie; // tieKey -> node
    // (parent, segment) -> module node
    std::unordered_map<std::string, std::size_t> modules;
    for (const auto& [fullName, value] : entries) {
        const std::string_view name = fullName;
        std::size_t parent = 0, start = 0;
        for (;;) {
            const std::size_t dot = name.find('.', start);
            if (dot == std::string_view::npos)
                break;
            const std::string lookup
                = std::to_string(parent) + '\n' + std::string(name.substr(start, dot - start));
            auto it = modules.find(lookup);
            if (it == modules.end()) {
                ModuleNode m;
                m.name = std::string(name.substr(start, dot - start));
                m.fullName = std::string(name.substr(0, dot));
                m.parent = parent;
                m.depth = tree.nodes[parent].depth + 1;
                tree.nodes.push_back(std::move(m));
                tree.nodes[parent].children.push_back(tree.nodes.size() - 1);
                it = modules.emplace(lookup, tree.nodes.size() - 1).first;
            }
            parent = it->second;
            start = dot + 1;
        }
        ModuleNode leaf;
        leaf.name = std::string(name.substr(start));
        leaf.fullName = std::string(name);
        leaf.parent = parent;
        leaf.depth = tree.nodes[parent].depth + 1;
        leaf.parameter = true;
        leaf.tensor = value;
        std::uint64_t elements = 0, bytes = 0;
        elementsAndBytes(g, value, elements, bytes, leaf.dtype, leaf.shape);
        tree.nodes.push_back(std::move(leaf));
        const std::size_t index = tree.nodes.size() - 1;
        tree.nodes[parent].children.push_back(index);
        const std::string dtype = tree.nodes[index].dtype;
        const auto [tie, first] = firstOfTie.emplace(tieKey(g, value), index);
        if (!first) { // the same weights as an earlier key: shown, counted once
            ModuleNode& leafNode = tree.nodes[index];
            leafNode.tiedTo = tree.nodes[tie->second].fullName;
            leafNode.params = elements;
            leafNode.bytes = bytes;
            leafNode.dtypeParams[dtype] = elements;
            leafNode.tensors = 1;
            ++tree.tied;
            continue;
        }
        for (std::size_t n = index; n != SIZE_MAX; n = tree.nodes[n].parent) {
            ModuleNode& node = tree.nodes[n];
            node.params += elements;
            node.bytes += bytes;
            node.dtypeParams[dtype] += elements;
            ++node.tensors;
        }
    }
    tree.totalParams = tree.nodes[0].params;
    tree.totalBytes = tree.nodes[0].bytes;
    tree.dtypeParams = tree.nodes[0].dtypeParams;
    return tree;
}

std::vector<OptimizerSummary> findOptimizers(const Document& doc)
{
    std::vector<OptimizerSummary> out;
    const ValueGraph& g = doc.graph;
    walkAccessPaths(g, doc.root, "$", [&](ValueId id, const std::string& path) {
        if (!isOptimizerState(g, id))
            return true;
        const ValueId state = dictValue(g, id, "state");
        const ValueId groups = dictValue(g, id, "param_groups");
        OptimizerSummary s;
        s.path = path;
        const auto& entries = g.items(state);
        for (std::size_t i = 0; i + 1 < entries.size(); i += 2) {
            const ValueId per = entries[i + 1];
            ++s.paramsWithState;
            if (!g.valid(per) || g.kind(per) != ValueKind::Dict)
                continue;
            const auto& kv = g.items(per);
            for (std::size_t k = 0; k + 1 < kv.size(); k += 2) {
                if (g.kind(kv[k]) == ValueKind::Str)
                    ++s.stateKeys[std::string(g.text(kv[k]))];
                if (isTensorValue(g, kv[k + 1])) {
                    std::uint64_t elements = 0, bytes = 0;
                    std::string dtype;
                    std::vector<std::int64_t> shape;
                    elementsAndBytes(g, kv[k + 1], elements, bytes, dtype, shape);
                    s.stateElements += elements;
                    s.stateBytes += bytes;
                }
            }
        }
        for (const ValueId group : g.items(groups)) {
            OptimizerSummary::Group entry;
            if (!g.valid(group) || g.kind(group) != ValueKind::Dict) {
                s.groups.push_back(entry);
                continue;
            }
            const auto& kv = g.items(group);
            for (std::size_t k = 0; k + 1 < kv.size(); k += 2) {
                if (g.kind(kv[k]) != ValueKind::Str)
                    continue;
                const std::string key(g.text(kv[k]));
                const ValueId v = kv[k + 1];
                if (key == "params"
                    && (g.kind(v) == ValueKind::List || g.kind(v) == ValueKind::Tuple)) {
                    entry.params = g.items(v).size();
                    continue;
                }
                std::string repr = summary(g, v, 40);
                if (g.kind(v) == ValueKind::Tuple && g.items(v).size() <= 4) { // betas=(0.9, 0.999)
                    repr = "(";
                    for (std::size_t j = 0; j < g.items(v).size(); ++j)
                        repr += (j > 0 ? ", " : "") + summary(g, g.items(v)[j], 20);
                    repr += g.items(v).size() == 1 ? ",)" : ")";
                }
                entry.settings.emplace_back(key, repr);
            }
            s.groups.push_back(std::move(entry));
        }
        out.push_back(std::move(s));
        return false;
    });
    return out;
}

} // namespace core::torch
