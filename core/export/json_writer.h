#pragma once

// JSON export of a Document: the typed form of DESIGN.md (schema version 1, lossless) and the
// plain form (--plain, for people and jq). See docs/json-schema.md.
//
// The writer streams: output goes through a small buffer into a JsonSink, the walk over the
// value graph uses an explicit stack (never recursion), and the only per-value memory is one
// byte of reference counting. Shared and cyclic values get "id" at their first occurrence and
// {"type":"ref","id":K} afterwards. Safe to run on a worker thread: the Document is immutable;
// the observer is polled every few thousand values for cancel and progress.

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

// Where the text goes. write() returns false on an I/O error (the export stops with Error::Io).
class JsonSink {
public:
    virtual ~JsonSink() = default;
    virtual bool write(std::string_view text) = 0;
};

class FileJsonSink : public JsonSink {
public:
    explicit FileJsonSink(std::FILE* file)
        : m_file(file)
    {
    }
    bool write(std::string_view text) override;

private:
    std::FILE* m_file;
};

class StreamJsonSink : public JsonSink {
public:
    explicit StreamJsonSink(std::ostream& stream)
        : m_stream(stream)
    {
    }
    bool write(std::string_view text) override;

private:
    std::ostream& m_stream;
};

class IoDeviceJsonSink : public JsonSink {
public:
    explicit IoDeviceJsonSink(QIODevice& device)
        : m_device(device)
    {
    }
    bool write(std::string_view text) override;

private:
    QIODevice& m_device;
};

class StringJsonSink : public JsonSink {
public:
    bool write(std::string_view text) override
    {
        m_text.append(text);
        return true;
    }
    const std::string& text() const { return m_text; }
    std::string take() { return std::move(m_text); }

private:
    std::string m_text;
};

// Writes `doc` as JSON. Tensor "data" (summary/full) is read through core::torch::TensorView.
// Errors: Cancelled (observer), Io (the sink refused bytes).
Result<void> writeJson(const std::shared_ptr<const Document>& doc, JsonSink& sink,
    const JsonExportOptions& options = {}, LoadObserver* observer = nullptr);

// Convenience for tests and small documents.
std::string toJson(
    const std::shared_ptr<const Document>& doc, const JsonExportOptions& options = {});

// Reference counts from `root` over the values an export writes as VALUE (iterative): 0 not
// reached, 1 once, 2 more than once. Only identity values (isIdentityValue) are counted.
// Shared with the tree printer so both mark the same values.
std::vector<std::uint8_t> countReferences(const ValueGraph& graph, ValueId root);

// For other JSON outputs (diff): a JSON string of UTF-8 / WTF-8 text (quoted; lone surrogates
// as \udXXX), and a double as the export writes it (shortest round trip; "nan", "inf", "-inf").
void appendJsonString(std::string& out, std::string_view utf8);
void appendJsonDouble(std::string& out, double value);

} // namespace core
