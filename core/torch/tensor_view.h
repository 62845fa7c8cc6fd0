#pragma once

// Reads a tensor's (or ndarray's) logical elements from the document's bytes, lazily and in
// chunks: elements as float64 (complex: real part, see elementComplex), statistics streamed with
// progress and cancel, 2-D slices for the preview pane, export to .npy.
//
// tensor_view.cpp holds the view (open, shape/strides, element reading), tensor_stats.cpp the
// statistics (its kernel in tensor_stats.h), npy_writer.cpp the .npy export.

#include "core/pickle/pickle_machine.h"
#include "core/result.h"
#include "core/torch/tensor_stats.h"
#include "core/value/document.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace core::torch {

// Asks the kernel to map [p, p+n) ahead of a sequential scan: one call instead of a page fault
// per 4 KiB (MADV_POPULATE_READ, Linux 5.14+; harmless elsewhere and on heap buffers).
void prefetchRange(const std::byte* p, std::size_t n);

// The bytes of a storage record inside doc (mapped in place, or an inflated zip entry kept by
// the source). Error when the range is missing or outside the file.
Result<std::span<const std::byte>> storageBytes(const Document& doc, const StorageRecord& storage);

class TensorView {
public:
    // For a Tensor or NdArray value of `doc`. Errors: not a tensor, storage missing, bytes short,
    // strides pointing past the storage, element count overflow.
    static Result<TensorView> open(std::shared_ptr<const Document> doc, ValueId id);

    DType dtype() const { return m_dtype; }
    const std::vector<std::int64_t>& shape() const { return m_shape; }
    const std::vector<std::int64_t>& stride() const { return m_stride; }
    std::uint64_t numel() const { return m_numel; }

    // Element at a row-major logical index (0 <= i < numel()), as float64 (bool -> 0/1,
    // quantized -> dequantized, complex -> real part).
    double element(std::uint64_t index) const;
    // Element at N-D coordinates.
    double elementAt(std::span<const std::int64_t> coords) const;
    // Reads `count` elements starting at logical index `first` into out (fast path for chunks).
    void read(std::uint64_t first, std::size_t count, double* out) const;
    // Integer dtypes (int8..int64, uint8..uint64): the exact element at a row-major logical
    // index; elementUInt64 for uint64 above INT64_MAX.
    std::int64_t elementInt64(std::uint64_t index) const;
    std::uint64_t elementUInt64(std::uint64_t index) const;
    // Complex dtypes: (real, imag) of an element; others: (element, 0).
    std::pair<double, double> elementComplex(std::uint64_t index) const;
    // A 2-D window for the preview pane: rows along `rowAxis`, columns along `colAxis` (may be
    // equal for 1-D: then one row), every other axis fixed at `coords` (size rank; the entries
    // for rowAxis/colAxis are ignored). Row-major rows x cols values; out-of-range -> Error.
    Result<std::vector<double>> slice2D(std::span<const std::int64_t> coords, std::size_t rowAxis, std::size_t colAxis,
        std::int64_t rowStart, std::int64_t rows, std::int64_t colStart, std::int64_t cols) const;

    // Streamed statistics; polls the observer every chunk. Cancelled -> Error{Cancelled}.
    Result<TensorStats> stats(LoadObserver* observer = nullptr) const;

    // Complex dtypes: streamed statistics of the real parts, the imaginary parts and the
    // magnitudes |z| (one pass; polls the observer like stats()). Other dtypes: imag is all zeros.
    struct ComplexStats {
        TensorStats real, imag, abs;
    };
    Result<ComplexStats> complexStats(LoadObserver* observer = nullptr) const;

    // Writes the logical tensor as a C-order .npy file (numpy format 1.0). Numeric dtypes keep
    // their type (little-endian); bfloat16/float8/quantized are written as float32 values.
    Result<void> writeNpy(const std::string& path) const;
    // The same bytes handed to `sink` in chunks (false from it: a write error). Polls `observer`
    // (may be null) every kChunk elements: progress(elements written, numel); a cancel stops
    // with ErrorCode::Cancelled. Lets a caller write through a QSaveFile.
    using NpySink = std::function<bool(const char* data, std::size_t size)>;
    Result<void> writeNpy(const NpySink& sink, LoadObserver* observer = nullptr) const;
    // The numpy descr writeNpy uses: "<f4", "|b1", "<c8", ...
    std::string npyDescr() const;

    // Logical elements per chunk in stats() and writeNpy().
    static constexpr std::size_t kChunk = 1u << 14;
    // Elements mapped ahead at once by stats() on large contiguous tensors (a multiple of kChunk).
    static constexpr std::size_t kPrefetch = 1u << 22;

private:
    // Storage element position (offset + sum i_k * stride_k) of a row-major logical index.
    std::uint64_t position(std::uint64_t index) const;
    // Steps `coord` (one per axis) and the storage position `pos` to the next row-major element.
    void advance(std::vector<std::uint64_t>& coord, std::uint64_t& pos) const;
    double decodeAt(std::uint64_t position, std::uint64_t index) const;
    // A remote file: fetch [p, p + n) of the storage and pin it while the returned lease lives
    // (a failed fetch leaves zeros; stats() reports it). Local files and inflated records: an
    // empty lease.
    [[nodiscard]] ByteSource::Lease touch(const std::byte* p, std::uint64_t n) const
    {
        if (m_remote == nullptr)
            return {};
        auto lease = m_remote->lease(static_cast<std::uint64_t>(p - m_remote->bytes().data()), n);
        return lease.ok() ? std::move(lease.value()) : ByteSource::Lease {};
    }
    // Quantization: scale/zero point of the element at `index` (per channel: along m_axis).
    double dequantize(double q, std::uint64_t index) const;

    std::shared_ptr<const Document> m_doc;
    DType m_dtype = DType::Unknown;
    std::vector<std::int64_t> m_shape, m_stride;
    std::int64_t m_offset = 0;
    std::uint64_t m_numel = 0;
    std::span<const std::byte> m_bytes; // the storage's bytes
    const ByteSource* m_remote
        = nullptr; // the document's source, when remote and m_bytes lie in it
    bool m_swap = false; // big-endian data
    double m_scale = 1.0;
    std::int64_t m_zeroPoint = 0;
    bool m_quantized = false;
    std::int64_t m_axis = -1;
    std::vector<double> m_scales, m_zeroPoints; // per channel
    std::uint32_t m_elemSize = 0; // bytes per stored element (packed: 1)
    std::uint32_t m_perByte = 1; // packed elements per byte (quint4x2: 2, quint2x4: 4)
    bool m_contiguous = false; // row-major contiguous
    bool m_negative = false; // torch 2.x neg bit: values are -data
    bool m_conjugate = false; // torch 2.x conj bit: imaginary parts negated
};

} // namespace core::torch
