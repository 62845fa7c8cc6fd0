#pragma once

// What the panes need to link a loaded Document both ways, built once per document on the load
// worker: an offset -> value index (opcode -> the value it produced) and each value's first
// appearance in the tree (parent + display-child index), which gives the path to any value and
// tells shared appearances from first ones. The opcode traces are built after it, on another
// worker, and published on their own (LoadedFile::traces); nothing here changes once built.

#include "ui/opcode_trace.h"

#include "core/pickle/pickle_machine.h"
#include "core/safety/safety_report.h"
#include "core/value/document.h"

#include <QMetaType>
#include <QString>

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_set>
#include <vector>

namespace ui {

class DocumentIndex {
public:
    static constexpr std::uint32_t kNoParent = 0xFFFFFFFFu;
    struct Appearance {
        std::uint32_t parent = kNoParent; // ValueId index of the parent, kNoParent for the root
        std::uint32_t index = 0; // display-child index under the parent
    };

    // Builds the index; polls `observer` (may be null) and returns null when cancelled.
    static std::shared_ptr<const DocumentIndex> build(
        std::shared_ptr<const core::Document> doc, core::LoadObserver* observer = nullptr);
    using Traces = std::vector<std::shared_ptr<const OpcodeTrace>>;
    // The opcode trace of every pickle stream of `doc`; null when cancelled.
    static std::shared_ptr<const Traces> buildTraces(
        const core::Document& doc, const core::LoadObserver* observer = nullptr);

    int pickleCount() const { return static_cast<int>(m_pickleRanges.size()); }
    // The pickle stream that holds an absolute offset (preferring mapped streams), or -1.
    int pickleAt(std::uint64_t offset) const;
    // The value an opcode at `offset` produced (the last one created there), or kNullValue.
    core::ValueId valueAt(std::uint64_t offset) const;

    // First appearance of a value in the tree's pre-order walk from the document root.
    bool reachable(core::ValueId id) const;
    Appearance firstAppearance(core::ValueId id) const;
    bool isFirstAppearance(core::ValueId id, core::ValueId parent, std::size_t index) const;
    // Whether `ancestor` is `id` or one of its ancestors in the tree of first appearances (the
    // rows a tree expands): O(1), from the walk's enter/exit numbers.
    bool isAncestor(core::ValueId ancestor, core::ValueId id) const;
    // Display-child indices from the root down to `id` (empty when id is the root or unreachable;
    // check reachable()).
    std::vector<std::size_t> pathTo(core::ValueId id) const;

    std::size_t valueCount() const { return m_first.size(); }

private:
    std::shared_ptr<const core::Document> m_doc;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> m_pickleRanges; // [begin, end) or {1,0}
    std::vector<std::pair<std::uint64_t, std::uint32_t>> m_byOffset; // sorted (offset, value)
    std::vector<Appearance> m_first;
    std::vector<bool> m_reached;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> m_span; // pre-order [enter, exit) numbers
};

// What the load worker hands to the UI thread, published as shared_ptr<const LoadedFile>: once
// when the document and its index are ready (traces and safety null), then a second, new one
// with the traces and the safety report (LoadController::tracesReady). Never changed after.
struct LoadedFile {
    QString path;
    std::shared_ptr<const core::Document> doc;
    std::shared_ptr<const DocumentIndex> index;
    std::shared_ptr<const DocumentIndex::Traces> traces; // one per pickle stream; null until built
    std::shared_ptr<const core::safety::SafetyReport> safety;
    std::unordered_set<std::uint64_t> dangerousOffsets; // GLOBAL/STACK_GLOBAL/... offsets
    double loadMs = 0; // core::loadFile
    double indexMs = 0; // traces, offset index, first appearances
    double safetyMs = 0;
    std::size_t missingStorages
        = 0; // storages whose bytes the file does not hold (counted on the worker)

    bool hasTraces() const { return traces != nullptr; }
    // Null when the traces are not built yet or the pickle index is out of range.
    std::shared_ptr<const OpcodeTrace> trace(int pickle) const;
    // Row of the opcode covering `offset` in pickle's trace, or -1.
    int opcodeRowAt(int pickle, std::uint64_t offset) const;
    // Row of the opcode starting exactly at `offset`, or -1.
    int opcodeRowFor(int pickle, std::uint64_t offset) const;
};

} // namespace ui

Q_DECLARE_METATYPE(ui::LoadedFile)
Q_DECLARE_METATYPE(std::shared_ptr<const ui::LoadedFile>)
