#pragma once

// PyTorch distributed checkpoints (torch.distributed.checkpoint, torch >= 2.0, FileSystemWriter):
// a folder holding ".metadata" — a pickle of Metadata(state_dict_metadata={fqn:
// TensorStorageMetadata(properties=TensorProperties(dtype, ...), size, chunks=[
// ChunkStorageMetadata(offsets, sizes)]) | BytesStorageMetadata()}, planner_data, storage_data=
// {MetadataIndex(fqn, offset, index): _StorageInfo(relative_path, offset, length)}) — and the
// "__R_N.distcp" files, where each tensor chunk is a whole torch.save archive at (offset,
// length) and each other value the bytes of torch.save(value).
//
// The root is a dict fqn -> tensor (shape and dtype from the metadata) in the metadata's order.
// A tensor written as one chunk reads its bytes lazily from the chunk archive's storage record
// in the .distcp mapping; a tensor split into several chunks (one per rank) is shown with its
// shape and dtype and no bytes, its chunks listed in an Info diagnostic. A non-tensor value is
// the bytes of its range. The .metadata pickle is the main program (scanned), and so is every
// chunk archive's data.pkl. A missing or unreadable .distcp is a warning, not fatal.

#include "core/pickle/pickle_machine.h"
#include "core/result.h"
#include "core/value/document.h"

namespace core::formats {

// doc.source is the .metadata file (its folder holds the .distcp files).
Result<void> loadDistributedCheckpoint(
    Document& doc, const LoadOptions& options, LoadObserver* observer);

} // namespace core::formats
