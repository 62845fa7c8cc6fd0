#pragma once

// Element comparison of tensor / ndarray pairs of the same shape, read from the mapped files.
// Work is split into blocks of elements run on all cores. Where both sides store the same
// plain dtype contiguously, raw bytes are compared first (equal bytes: the block is identical)
// and only blocks that differ are decoded to float64, in small chunks: memory stays flat.
// The tolerance rule is numpy's allclose: |a - b| <= atol + rtol * |b|, NaN equal to NaN,
// infinities equal only to themselves.

#include "core/result.h"
#include "core/value/document.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace core::compare {

struct Tolerance {
    double rtol = 1e-05;
    double atol = 1e-08;
};

struct TensorPair {
    ValueId a = kNullValue; // a Tensor or NdArray value of document a
    ValueId b = kNullValue;
};

struct TensorDifference {
    bool readable = false; // both sides decoded; otherwise `error` says why
    std::string error;
    bool identical = false; // bit-identical over the logical elements (same dtype)
    bool close = false; // every element within tolerance (NaN == NaN)
    double maxAbs = 0; // max |a - b| over elements where neither is NaN
    double maxRel = 0; // max |a - b| / |b| over those where b != 0
    std::uint64_t mismatched = 0; // elements outside the tolerance
    std::int64_t firstMismatch = -1; // row-major logical index of the first one
    std::uint64_t bytes = 0; // logical bytes read on both sides
};

// Compares each pair (same shapes; dtypes may differ: then values are compared as float64 and
// `identical` stays false). `threads` 0: one per core.
std::vector<TensorDifference> compareTensors(const std::shared_ptr<const Document>& a,
    const std::shared_ptr<const Document>& b, const std::vector<TensorPair>& pairs,
    const Tolerance& tolerance, unsigned threads = 0);

} // namespace core::compare
