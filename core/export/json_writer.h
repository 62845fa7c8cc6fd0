#pragma once

// JSON export of a Document: the typed form of DESIGN.md (schema version 1, lossless) and the
// plain form (--plain, for people and jq). See docs/json-schema.md.
//
// The writer streams: output goes through a small buffer into a JsonSink, the walk over the
// value graph uses an explicit stack (never recursion), and the only per-value memory is one
// byte of reference counting. Shared and cyclic values get "id" at their first occurrence and
// {"type":"ref","id":K} afterwards. Safe to run on a worker thread: the Document is immutable;
// the observer is polled every few thousand values for cancel and progress.

#include "core/export/json_stream.h"
#include "core/pickle/pickle_machine.h"
#include "core/result.h"
#include "core/value/document.h"

#include <cstdint>
#include <cstdio>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

class QIODevice;

namespace core {

enum class TensorDataMode : std::uint8_t { None, Summary, Full };

struct JsonExportOptions {
    bool plain = false;
    TensorDataMode tensorData = TensorDataMode::Summary;
    // Pretty-printing: spaces per level (0: compact, one line). Indentation stops growing after
    // kMaxIndentLevels levels so that deep graphs stay linear in size.
    int indent = 0;
};

inline constexpr int kMaxIndentLevels = 64;

// Writes `doc` as JSON. Tensor "data" (summary/full) is read through core::torch::TensorView.
// Errors: Cancelled (observer), Io (the sink refused bytes).
Result<void> writeJson(const std::shared_ptr<const Document>& doc, JsonSink& sink,
    const JsonExportOptions& options = {}, LoadObserver* observer = nullptr);

// Convenience for tests and small documents.
std::string toJson(
    const std::shared_ptr<const Document>& doc, const JsonExportOptions& options = {});

} // namespace core
