#pragma once

// Pins the unpickling machine's dispatch fast path to its general step: the same bytes are
// loaded twice, with LoadOptions::dispatchFastPath on and off, and everything observable is
// compared: every value (kind, flags, length field, offset, payload bytes, number bits, items,
// children, global names), the result or the error (code, offset, message), the bytes consumed,
// the protocols, the leftover items, the stack at an error, and every poll of the observer
// (progress positions, and a cancel at a given poll). Several pickles in a row are loaded as
// CPython's load() would (the memo is kept). Used by tests/pickle/tst_machine_fast_path.cpp and
// the fuzz_machine fuzzer.

#include "core/pickle/pickle_machine.h"
#include "core/result.h"
#include "core/value/value_graph.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace core::testing {

// Records every poll; cancels at poll number cancelAt (1-based; 0: never).
class RecordingObserver final : public LoadObserver {
public:
    explicit RecordingObserver(std::size_t cancelAt = 0)
        : m_cancelAt(cancelAt)
    {
    }
    bool isCancelled() const override
    {
        ++m_polls;
        return m_cancelAt != 0 && m_polls >= m_cancelAt;
    }
    void progress(std::uint64_t done, std::uint64_t total) override
    {
        m_progress.emplace_back(done, total);
    }
    std::size_t polls() const { return m_polls; }
    const std::vector<std::pair<std::uint64_t, std::uint64_t>>& progressCalls() const
    {
        return m_progress;
    }

private:
    std::size_t m_cancelAt;
    mutable std::size_t m_polls = 0;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> m_progress;
};

struct MachineRun {
    ValueGraph graph;
    std::vector<std::string> outcomes; // per load: the result id or the error, and the state after
    std::vector<ValueId> stackAtError;
    std::size_t polls = 0;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> progress;
};

// Loads up to maxLoads pickles from `data` one after another (stopping at the first error or
// the end), as PickleMachine callers do.
inline void runMachine(MachineRun& run, std::span<const std::byte> data, LoadOptions options,
    bool fastPath, std::size_t cancelAt, std::size_t maxLoads, std::uint64_t baseOffset)
{
    options.dispatchFastPath = fastPath;
    PickleMachine machine(run.graph, options);
    RecordingObserver observer(cancelAt);
    machine.setObserver(&observer);
    std::size_t at = 0;
    for (std::size_t n = 0; n < maxLoads && at < data.size(); ++n) {
        auto result = machine.load(data.subspan(at), baseOffset + at);
        std::string outcome = result.ok()
            ? "value " + std::to_string(indexOf(result.value()))
            : "error " + std::string(errorCodeName(result.error().code)) + " at "
                + std::to_string(result.error().offset) + ": " + result.error().message;
        outcome += "; consumed " + std::to_string(machine.consumed()) + ", protocol "
            + std::to_string(machine.protocol()) + ", highest "
            + std::to_string(machine.highestProtocol()) + ", leftover "
            + std::to_string(machine.leftoverItems());
        run.outcomes.push_back(std::move(outcome));
        if (!result.ok()) {
            run.stackAtError = machine.stackAtError();
            break;
        }
        if (machine.consumed() == 0)
            break;
        at += machine.consumed();
    }
    run.polls = observer.polls();
    run.progress = observer.progressCalls();
}

inline bool isPayloadKind(ValueKind k)
{
    return k == ValueKind::Str || k == ValueKind::Bytes || k == ValueKind::ByteArray
        || k == ValueKind::BigInt;
}

inline bool isItemsKind(ValueKind k)
{
    return k == ValueKind::List || k == ValueKind::Tuple || k == ValueKind::Dict
        || k == ValueKind::Set || k == ValueKind::FrozenSet;
}

// The first difference between two graphs, or "".
inline std::string graphDifference(const ValueGraph& a, const ValueGraph& b)
{
    if (a.size() != b.size())
        return "value count " + std::to_string(a.size()) + " vs " + std::to_string(b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        const ValueId id { static_cast<std::uint32_t>(i) };
        const Value& x = a.at(id);
        const Value& y = b.at(id);
        const std::string where = "value " + std::to_string(i) + ": ";
        if (x.kind != y.kind)
            return where + "kind " + std::string(valueKindName(x.kind)) + " vs "
                + std::string(valueKindName(y.kind));
        if (x.flags != y.flags || x.sub != y.sub)
            return where + "flags or length field";
        if (a.offset(id) != b.offset(id))
            return where + "offset " + std::to_string(a.offset(id)) + " vs "
                + std::to_string(b.offset(id));
        if (isPayloadKind(x.kind)) {
            const auto p = a.bytes(id), q = b.bytes(id);
            if (p.size() != q.size() || !std::equal(p.begin(), p.end(), q.begin(), q.end()))
                return where + "payload";
        } else if (x.num.u != y.num.u) {
            return where + "number or record index";
        }
        if (isItemsKind(x.kind) && !std::ranges::equal(a.items(id), b.items(id)))
            return where + "items";
        if (x.kind == ValueKind::Global) {
            const GlobalRecord& g = a.global(id);
            const GlobalRecord& h = b.global(id);
            if (g.module != h.module || g.name != h.name || g.pickledModule != h.pickledModule
                || g.pickledName != h.pickledName)
                return where + "global name";
        }
        std::vector<ValueId> cx, cy;
        a.forEachChild(id, [&](ValueId c) { cx.push_back(c); });
        b.forEachChild(id, [&](ValueId c) { cy.push_back(c); });
        if (cx != cy)
            return where + "children";
    }
    return {};
}

// Loads `data` with the fast path and without: "" when everything observable is the same,
// else the first difference.
inline std::string fastPathDifference(std::span<const std::byte> data,
    const LoadOptions& options = {}, std::size_t cancelAt = 0, std::size_t maxLoads = 3,
    std::uint64_t baseOffset = 0)
{
    MachineRun fast, general;
    runMachine(fast, data, options, true, cancelAt, maxLoads, baseOffset);
    runMachine(general, data, options, false, cancelAt, maxLoads, baseOffset);
    if (fast.outcomes != general.outcomes) {
        std::string out = "outcomes differ:";
        for (std::size_t i = 0; i < fast.outcomes.size() || i < general.outcomes.size(); ++i)
            out += "\n  fast:    " + (i < fast.outcomes.size() ? fast.outcomes[i] : "-")
                + "\n  general: " + (i < general.outcomes.size() ? general.outcomes[i] : "-");
        return out;
    }
    if (fast.stackAtError != general.stackAtError)
        return "stack at the error differs";
    if (fast.polls != general.polls || fast.progress != general.progress)
        return "polls differ: " + std::to_string(fast.polls) + " vs "
            + std::to_string(general.polls);
    return graphDifference(fast.graph, general.graph);
}

} // namespace core::testing
