#pragma once

// Statistics of a tensor's logical elements (TensorView::stats, complexStats): what they are,
// and the kernel that computes them chunk by chunk and merges the chunks.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace core::torch {

struct TensorStats {
    std::uint64_t count = 0; // logical elements
    double min = 0, max = 0, sum = 0, mean = 0, stddev = 0;
    std::uint64_t nanCount = 0, infCount = 0, zeroCount = 0;
    std::vector<double> first; // up to 16 values, row-major
};

// Statistics of one chunk: NaNs are skipped for sum/min/max/m2 and counted; m2 is the sum of
// squared deviations from the chunk's own mean (combined across chunks with Chan's formula).
struct ChunkStats {
    double sum = 0, min = std::numeric_limits<double>::infinity(),
           max = -std::numeric_limits<double>::infinity();
    double m2 = 0;
    std::uint64_t nan = 0, inf = 0, zero = 0;
};

ChunkStats chunkStats(const float* p, std::size_t n);
ChunkStats chunkStats(const double* p, std::size_t n);

// Merges per-chunk statistics (Chan's parallel variance) into one TensorStats.
struct StatsMerger {
    double mn = std::numeric_limits<double>::infinity();
    double mx = -std::numeric_limits<double>::infinity();
    double total = 0, mean = 0, m2 = 0;
    std::uint64_t counted = 0, nan = 0, inf = 0, zero = 0;

    void add(const ChunkStats& c, std::size_t n);
    void finish(TensorStats& st, std::uint64_t count) const;
};

} // namespace core::torch
