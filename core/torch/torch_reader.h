#pragma once

// PyTorch archives: zip (torch.save >= 1.6), legacy non-tar (0.4-1.5), legacy tar (<= 0.3) and
// TorchScript zips. Storages resolve to StorageRecords whose bytes are read lazily.

#include "core/pickle/pickle_machine.h"
#include "core/result.h"
#include "core/value/document.h"

#include <optional>
#include <span>

namespace core::torch {

// Fills doc (pickles, root, entries, storages, diagnostics) from an archive of `format`.
// doc.source is set. A hard failure returns an Error; a partial load sets doc.error.
Result<void> loadArchive(Document& doc, FileFormat format, const LoadOptions& options,
    LoadObserver* observer);

// Hooks that type torch and numpy values (rebuild functions, torch.Size/dtype/device,
// numpy _reconstruct/scalar/dtype) in any pickle. Chained into `hooks` (keeps what is set).
void installValueHooks(MachineHooks& hooks, Document& doc);

} // namespace core::torch
