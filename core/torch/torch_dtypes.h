#pragma once

// Names torch pickles use for element types: storage classes (torch.FloatStorage,
// torch.cuda.HalfStorage, TorchScript's Float8_e4m3fnStorage ...) and dtype globals
// (torch.float32 ...).

#include "core/value/dtype.h"

#include <string_view>

namespace core::torch {

// "FloatStorage" -> Float32; "UntypedStorage" -> UntypedByte; Unknown when not a storage name.
DType dtypeFromStorageName(std::string_view name);
// "float32" / "float" / "half" ... -> DType (the names of torch.<dtype> globals).
DType dtypeFromTorchName(std::string_view name);

} // namespace core::torch
