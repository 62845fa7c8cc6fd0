#pragma once

// The tensor table of a loaded document, as `picklescope-cli info` and the GUI list it: every
// tensor and ndarray reachable from the root, with the path of its first appearance
// ($['model']['conv1.weight'], $._modules['0']._parameters['weight'], $[3]), dtype, shape,
// elements, bytes, storage key and which other tensor it shares its storage with. Reads no
// tensor data. A tensor reached under several paths (tied weights) has a row per path.
// Iterative walk (no recursion on input depth).

#include "core/value/document.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace core::torch {

struct TensorRow {
    ValueId id = kNullValue;
    std::string path;
    std::string dtype; // "float32", numpy arrays: "<f4"
    std::vector<std::int64_t> shape;
    std::uint64_t elements = 0;
    std::uint64_t bytes = 0; // elements * element size (packed types rounded up)
    std::string storageKey; // "" for ndarrays and storage-less tensors
    ValueId storage = kNullValue;
    std::string sharedWith; // path of the first other row on the same storage, or ""
    bool parameter = false;
    bool ndarray = false;
    bool bytesUnknown = false; // object arrays: their elements are Python objects
};

struct TensorTable {
    std::vector<TensorRow> rows;
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>>
        perDtype; // dtype -> (elements, bytes)
    std::uint64_t totalElements = 0; // the "parameter count" of a state dict
    std::uint64_t totalBytes = 0;
    std::uint64_t storageBytes = 0; // distinct storages' bytes (shared storages counted once)
    // torch tensors, numpy arrays and pandas frames (DataFrame / Series, not walked into) apart
    std::uint64_t tensorCount = 0, arrayCount = 0, frameCount = 0;
    std::uint64_t tensorElements = 0, tensorBytes = 0; // torch tensors only: the parameter count
    std::uint64_t arrayElements = 0, arrayBytes = 0; // numpy arrays (object arrays: no bytes)
};

TensorTable tensorTable(const Document& doc);

} // namespace core::torch
