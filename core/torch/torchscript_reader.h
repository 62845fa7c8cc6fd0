#pragma once

// TorchScript archives (torch.jit.save, and the lite interpreter's .ptl): beyond data.pkl and
// constants.pkl (read by torch_reader), the debug pickles of code/ (*.debug_pkl) and the lite
// bytecode.pkl are read as further pickle programs of the document, so that the tree, the JSON
// "programs" and scan see them; any member (code/*.py sources, extra/ files, version) can be
// read back by name.

#include "core/pickle/pickle_machine.h"
#include "core/result.h"
#include "core/value/document.h"

#include <cstddef>
#include <string_view>
#include <vector>

namespace core::torch {

// Runs bytecode.pkl and every code/**.debug_pkl of the TorchScript zip in doc as extra pickle
// streams (named like the member without the archive folder: "code/__torch__.py.debug_pkl").
// A pickle that fails becomes a warning; only cancelling is an Error.
Result<void> loadTorchScriptPrograms(
    Document& doc, const LoadOptions& options, LoadObserver* observer);

// The bytes of an archive member of doc's zip (TorchScript or torch.save), by its full name or
// its name under the archive folder ("code/__torch__.py", "version"), inflated when needed, at
// most maxBytes.
Result<std::vector<std::byte>> readArchiveMember(
    const Document& doc, std::string_view name, std::uint64_t maxBytes);

// A member's name without the archive folder ("archive/code/x.py" -> "code/x.py").
std::string_view memberShortName(std::string_view name);

} // namespace core::torch
