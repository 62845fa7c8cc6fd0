#pragma once

// Opening a file: detect the format by content, run the right reader, hand back a Document.
// A file that cannot be opened is an Error. A file that fails half-way still gives a Document,
// with `error` set and the partial graph kept.

#include "core/pickle/pickle_machine.h"
#include "core/result.h"
#include "core/value/document.h"

#include <memory>
#include <string>

namespace core {

Result<std::shared_ptr<Document>> loadFile(
    const std::string& path, const LoadOptions& options = {}, LoadObserver* observer = nullptr);
// A remote source (ByteSource::isRemote) fetches, before it is read, what format detection and
// the readers touch without asking: for a zip its end records, directory and local headers (the
// readers then ensure() the pickles they run and tensor views the bytes they read); for every
// other format the whole file, in 16 MiB steps with progress and cancel. Local: nothing to do.
// loadSource and loadAndScan call it; the fetched pages stay.
Result<void> prefetchForLoad(ByteSource& source, LoadObserver* observer = nullptr);

Result<std::shared_ptr<Document>> loadSource(std::shared_ptr<ByteSource> source,
    const LoadOptions& options = {}, LoadObserver* observer = nullptr);

// Runs one pickle program of `doc` (bytes at absolute `offset`) with the hooks every file gets
// (numpy and torch value typing) plus `extra` hooks set by the caller; records the stream in
// doc.pickles. Used by the plain-pickle path and the torch readers.
Result<ValueId> runPickle(Document& doc, PickleMachine& machine, std::string name,
    std::span<const std::byte> bytes, std::uint64_t offset, bool inflated = false);

// After `machine` failed on the main pickle of `doc` (doc.error set): makes what it had built,
// the values on its stack, the document's root (as a tuple) with a diagnostic saying so.
void keepPartialResult(Document& doc, const PickleMachine& machine);

} // namespace core
