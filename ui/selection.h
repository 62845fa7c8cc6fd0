#pragma once

// The one selection every pane shares: a value, the opcode that created it (absolute byte offset)
// and which pickle stream of the document that opcode is in. Panes receive it with
// setSelection() and ask for a new one with selectionRequested(); MainWindow fans it out.

#include "core/value/value_graph.h"

#include <QMetaType>

#include <cstdint>
#include <limits>

namespace ui {

struct Selection {
    static constexpr std::uint64_t kNoOffset = std::numeric_limits<std::uint64_t>::max();

    core::ValueId value = core::kNullValue;
    std::uint64_t offset = kNoOffset; // absolute offset of the opcode (or the byte clicked)
    int pickle = -1; // index into Document::pickles

    bool hasValue() const { return !core::isNull(value); }
    bool hasOffset() const { return offset != kNoOffset; }
    bool operator==(const Selection&) const = default;
};

} // namespace ui

Q_DECLARE_METATYPE(ui::Selection)
