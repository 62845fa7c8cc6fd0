#pragma once

// What a model is made of: the state dicts of a document (dicts whose values are mostly tensors
// keyed by dotted names, wherever they sit: the root, ['state_dict'], ['model'], a sharded
// index's root; and whole pickled nn.Module objects, torch.save(model), whose entries come from
// their _parameters / _buffers / _modules in the order torch's state_dict() gives), each folded
// into its module tree (features ▸ 0 ▸ weight) with parameter counts, bytes, dtype mix and share
// of the total, in file order; and the optimizer state beside it (per-parameter state such as
// exp_avg / exp_avg_sq, and the param groups). Tied weights (one tensor, or the same view of one
// storage, under two keys) are counted once. Reads no tensor data; iterative.

#include "core/value/document.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace core::torch {

struct StateDictLocation {
    ValueId dict = kNullValue;
    std::string path; // access path: "$", "$['state_dict']", ...
    std::size_t tensors = 0; // tensor / ndarray values
    bool module = false; // a pickled nn.Module object (else a dict)
};

// Every state dict in the document, in walk order; the one with the most tensors is `main`.
struct StateDicts {
    std::vector<StateDictLocation> found;
    std::size_t main = 0; // index into found (when not empty)
};
StateDicts findStateDicts(const Document& doc);

struct ModuleNode {
    std::string name; // the last dotted segment: "features", "0", "weight"
    std::string fullName; // "features.0.weight" ("" for the root)
    std::size_t parent = SIZE_MAX;
    std::vector<std::size_t> children; // in file order
    int depth = 0; // root 0
    bool parameter = false; // a leaf: one state-dict entry
    ValueId tensor = kNullValue; // parameter: its value
    std::string dtype; // parameter: "float32"
    std::vector<std::int64_t> shape; // parameter
    std::uint64_t params = 0; // elements below (or of) this node
    std::uint64_t bytes = 0;
    std::map<std::string, std::uint64_t> dtypeParams; // dtype -> elements below
    std::size_t tensors = 0; // parameters below
    // parameter: the earlier key whose tensor this one is (tied weights); its elements and bytes
    // are shown on its row but not added to its modules or the totals
    std::string tiedTo;
};

struct ModuleTree {
    std::string path; // of the state dict
    std::vector<ModuleNode> nodes; // nodes[0] is the root; children in file order
    std::uint64_t totalParams = 0;
    std::uint64_t totalBytes = 0;
    std::map<std::string, std::uint64_t> dtypeParams;
    std::size_t tied = 0; // parameters tied to an earlier one

    double share(const ModuleNode& node) const
    {
        return totalParams == 0
            ? 0.0
            : static_cast<double>(node.params) / static_cast<double>(totalParams);
    }
    // "Total params: 1,235,496 · 4.7 MiB · float32 100 %" (dtypes by share of parameters, largest
    // first)
    std::string summaryLine() const;
    // "float32 100 %", "float16 98.5 % · float32 1.5 %" for one node
    std::string dtypeMix(const ModuleNode& node) const;
};

// Folds the str-keyed tensor entries of `dict` (a Dict value, or a pickled nn.Module object:
// its state_dict() entries) into modules by their dots.
ModuleTree moduleTree(const Document& doc, ValueId dict, const std::string& path);

struct OptimizerSummary {
    std::string path; // of the optimizer state dict ({'state': ..., 'param_groups': [...]})
    std::size_t paramsWithState = 0; // entries of 'state'
    std::map<std::string, std::size_t> stateKeys; // "exp_avg" -> how many parameters have it
    std::uint64_t stateElements = 0; // tensor elements in 'state'
    std::uint64_t stateBytes = 0;
    struct Group {
        std::size_t params = 0; // length of its 'params' list
        std::vector<std::pair<std::string, std::string>>
            settings; // "lr" -> "0.001" (Python reprs), file order
    };
    std::vector<Group> groups;
};

// Every optimizer state dict in the document (torch.optim's state_dict(): a dict with 'state'
// and 'param_groups'), in walk order.
std::vector<OptimizerSummary> findOptimizers(const Document& doc);

} // namespace core::torch
