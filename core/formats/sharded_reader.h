#pragma once

// Sharded checkpoints as one model: a Hugging Face `*.index.json` ({"metadata": {...},
// "weight_map": {tensor name: shard file}}) over .safetensors or torch.save (.bin) shards. Every
// shard is mapped and only its header (safetensors) or data.pkl (torch zip/legacy) is read; the
// root is a dict name -> tensor in the index's order, each tensor's storage naming its shard
// (StorageRecord::file), bytes read lazily from the shard's mapping. A missing or unreadable
// shard is a warning (its tensors show as None), never fatal.

#include "core/pickle/pickle_machine.h"
#include "core/result.h"
#include "core/value/document.h"

namespace core::formats {

// doc.source is the index file (its path locates the shards).
Result<void> loadShardedIndex(Document& doc, const LoadOptions& options, LoadObserver* observer);

} // namespace core::formats
