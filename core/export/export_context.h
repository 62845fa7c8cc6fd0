#pragma once

// What every part of the value export shares: the document, its graph, the JsonStream the text
// goes to, the options and the observer, and the scalar forms the typed and plain exports both
// write (ints, wide integers, bytes, complex pairs). The walk (json_writer.cpp), the
// tensor data writer, the numpy item writer and the pandas table writer each hold a reference.

#include "core/export/json_stream.h"
#include "core/export/json_writer.h"
#include "core/numpy/numpy_dtype.h"

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace core {

class ExportContext {
public:
    ExportContext(const std::shared_ptr<const Document>& document, JsonStream& stream,
        const JsonExportOptions& exportOptions, LoadObserver* loadObserver)
        : doc(document)
        , g(document->graph)
        , out(stream)
        , options(exportOptions)
        , observer(loadObserver)
    {
    }

    // An int value: a number when |N| < 2^53 (typed) / fits int64 (plain), else a decimal string.
    void intValue(ValueId id);
    // An exact integer: a number (typed form: a decimal string when |v| >= 2^53, as ints are).
    void wide(numpy::Int128 v);
    // bytes: {"type":"bytes","base64":…} (plain: "$type").
    void bytesValue(std::string_view bytes);
    // None, bool, int, float, str and bytes as plain JSON (null, true, 3, 1.5, "text",
    // {"$type":"bytes",…}); false (nothing written) for any other kind.
    bool plainScalar(ValueId id);
    // [re, im]
    void pair(double re, double im);
    // Whether the observer asked to stop.
    bool cancelled() const { return observer != nullptr && observer->isCancelled(); }

    const std::shared_ptr<const Document>& doc;
    const ValueGraph& g;
    JsonStream& out;
    const JsonExportOptions& options;
    LoadObserver* observer;
};

// The error of a cancelled export, and of a sink that refused bytes.
Error exportCancelled();
Error exportWriteFailed();

} // namespace core
