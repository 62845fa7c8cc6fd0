#pragma once

// Finding values with the query language (core/compare/value_query.h) in the tree as the window
// and `picklescope-cli tree` show it: one pre-order walk over display children from the root,
// each identity value expanded at its first appearance only, paths built from the display
// segments with "$" for the root ($['model']['fc.weight']). Every appearance is tested, so a
// tensor shared by two keys matches twice. Iterative (no recursion on input depth).

#include "core/compare/value_query.h"
#include "core/value/value_graph.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace core::compare {

struct TreeStep {
    std::uint32_t row = 0; // display-child index under the previous step (the root for the first)
    ValueId id = kNullValue; // the value this step reaches
    std::uint32_t pathEnd = 0; // length of TreeMatch::path up to and including this step
};

struct TreeMatch {
    ValueId id = kNullValue;
    std::string path; // "$" for the root, else "$" + the display segments
    std::vector<TreeStep> steps; // root to the match; empty for the root itself
};

struct TreeFind {
    std::vector<TreeMatch> matches; // in tree order
    bool truncated = false; // stopped at the limit
    bool cancelled = false; // `cancelled` returned true: matches are partial
};

// Tests every appearance under `root` against `query`, in tree order, up to `limit` matches.
// `cancelled` (may be empty) is polled every few thousand values.
TreeFind findInTree(const ValueGraph& graph, ValueId root, const ValueQuery& query,
    std::size_t limit = 100000, const std::function<bool()>& cancelled = {});

// Whether each appearance's value (indexed by value id) is a match or on the way to one: what a
// tree of "only matches" keeps.
std::vector<bool> keptValues(const ValueGraph& graph, ValueId root, const TreeFind& found);

} // namespace core::compare
