// TEMPORARY placeholder so core links before the PyTorch reader lands.
// The torch helper: DELETE THIS FILE (git rm) when your own files define these functions.

#include "core/torch/torch_reader.h"

namespace core::torch {

std::optional<FileFormat> detectFormat(std::span<const std::byte>) { return std::nullopt; }

Result<void> loadArchive(Document&, FileFormat, const LoadOptions&, LoadObserver*)
{
    return makeError(ErrorCode::Unsupported, 0, "PyTorch archives are not supported yet");
}

void installValueHooks(MachineHooks&, Document&) { }

} // namespace core::torch
