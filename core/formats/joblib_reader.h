#pragma once

// joblib.dump files: a pickle in which every numpy array is a NumpyArrayWrapper object (state:
// subclass, shape, order, dtype, allow_mmap, numpy_array_alignment_bytes) whose BUILD is followed
// in the stream by the array itself: joblib >= 1.2 writes one padding-length byte and that many
// 0xFF bytes (so the data starts on a 16-byte boundary of the stream), then the raw elements in
// the wrapper's order; object arrays are a nested protocol-2 pickle instead. The whole stream
// may be compressed (zlib, gzip, bz2, xz, lzma, lz4: chosen by magic bytes). Each wrapper is
// replaced by a typed NdArray over the bytes in place, as joblib's unpickler replaces it by the
// array; the wrapper object stays reachable as the array's rebuild record.

#include "core/pickle/pickle_machine.h"
#include "core/result.h"
#include "core/value/document.h"

namespace core::formats {

// Fills doc from a joblib file (plain or compressed). Decompression is capped by
// options.limits.maxMaterializedBytes.
Result<void> loadJoblib(Document& doc, const LoadOptions& options, LoadObserver* observer);

} // namespace core::formats
