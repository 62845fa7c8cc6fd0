#pragma once

// `picklescope-cli info FILE --modules [--depth N]`: the model view as text: the main state
// dict folded into its module tree (params, share, bytes, dtype mix per module; shape and dtype
// per parameter), the torchinfo-style summary line, and the optimizer state beside it.

#include "core/value/document.h"

#include <cstdint>

namespace cli {

void printModuleView(const core::Document& doc, std::uint64_t maxDepth);

} // namespace cli
