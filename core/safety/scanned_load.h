#pragma once

// Loading and safety-scanning a file in one go. The opcode scan of a plain pickle needs only the
// bytes, so it runs on a second thread while this one builds the value graph; the report is then
// assembled from the finished scan (it equals core::safety::scan(*doc) exactly). Torch archives
// are loaded first and scanned after (their pickles are small, some are inflated on the way).

#include "core/pickle/pickle_machine.h"
#include "core/result.h"
#include "core/safety/safety_report.h"
#include "core/value/document.h"

#include <memory>
#include <string>

namespace core::safety {

struct ScannedDocument {
    std::shared_ptr<Document> doc;
    SafetyReport report;
};

// Maps `path`, starts the opcode scan of a plain pickle on a second thread, loads with
// core::loadSource on this one, then builds the report from the finished scan. Fails as
// core::loadFile does (an unreadable file, a container that cannot be opened, a cancelled load);
// a document that failed half-way is returned with its error set and its report.
Result<ScannedDocument> loadAndScan(
    const std::string& path, const LoadOptions& options = {}, LoadObserver* observer = nullptr);

// The same from a source already opened.
Result<ScannedDocument> loadAndScan(std::shared_ptr<ByteSource> source,
    const LoadOptions& options = {}, LoadObserver* observer = nullptr);

} // namespace core::safety
