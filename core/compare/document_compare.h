#pragma once

// Comparing two loaded documents: values are paired by access path ($['model']['fc.weight'],
// the paths `picklescope-cli info` prints), whatever format each came from. Tensors and
// ndarrays are compared element by element (tensor_compare.h: same, close, changed with the
// largest differences, dtype, shape), other values by their Python repr, containers by type;
// a path present on one side only is only_a / only_b (once, at the top of a missing sub-tree).
// Tensors that view the same storage the same way are compared once.

#include "core/compare/tensor_compare.h"
#include "core/result.h"
#include "core/value/document.h"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace core::compare {

enum class Status : std::uint8_t { Same, Close, Changed, DType, Shape, OnlyA, OnlyB };
inline constexpr std::size_t kStatusCount = 7;
std::string_view statusName(
    Status status); // "same", "close", "changed", "dtype", "shape", "only_a", "only_b"

enum class EntryKind : std::uint8_t { Tensor, NdArray, Value, Container };
std::string_view entryKindName(EntryKind kind); // "tensor", "ndarray", "value", "container"

struct EntrySide {
    ValueId id = kNullValue; // kNullValue: absent on this side
    std::string type; // tensors: dtype ("float32"); others: type label ("dict", "int",
                      // "torch.nn.Parameter")
    std::vector<std::int64_t> shape; // tensors and arrays
    std::string repr; // other values: Python repr / one-line summary (empty with ValuesMode::None)
};

struct Entry {
    std::string path;
    EntryKind kind = EntryKind::Value;
    Status status = Status::Same;
    EntrySide a, b;
    // Tensors compared element-wise (status same, close, changed or dtype):
    bool compared = false;
    double maxAbs = 0, maxRel = 0;
    std::uint64_t mismatched = 0;
    std::vector<std::int64_t> firstMismatch; // coordinates of the first element out of tolerance
    std::uint64_t bytes = 0; // tensor bytes read for this entry (0 when shared)
    std::string sharedWith; // path of the entry whose storages this one shares (compared once)
    std::string note; // why elements could not be compared
};

enum class ValuesMode : std::uint8_t { None, Summary, Full };

struct CompareOptions {
    Tolerance tolerance;
    std::string stripPrefix; // removed from the start of every str dict key on both sides
    std::string under; // compare the sub-tree at this access path (on each side that has it)
    ValuesMode values = ValuesMode::Summary; // reprs of other values: none, short, whole
    unsigned threads = 0; // 0: one per core
    // Only paths where the value on either side passes (e.g. a ValueQuery); empty: all paths.
    std::function<bool(const ValueGraph& graph, ValueId id, const std::string& path)> filter;
};

struct Comparison {
    std::vector<Entry> entries; // A's order, then B-only paths in B's order
    std::array<std::uint64_t, kStatusCount> counts {};
    std::uint64_t bytesCompared = 0; // tensor bytes read, both sides
    std::uint64_t tensorsCompared = 0; // tensor pairs compared element-wise
    double seconds = 0; // pairing + comparing

    std::uint64_t count(Status s) const { return counts[static_cast<std::size_t>(s)]; }
    // Whether anything is neither same nor close.
    bool hasDifferences() const;
};

// Errors: `under` names a path that neither document has.
Result<Comparison> compareDocuments(const std::shared_ptr<const Document>& a,
    const std::shared_ptr<const Document>& b, const CompareOptions& options = {});

// The JSON report of `picklescope-cli diff --json` (docs/user-guide.md):
// {"a":{"name","format"},"b":{...},"summary":{"same":N,...},"entries":[...]}.
std::string comparisonJson(const Comparison& comparison, const Document& a, const Document& b);

} // namespace core::compare
