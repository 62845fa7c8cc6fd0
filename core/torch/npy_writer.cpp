// TensorView's .npy export (numpy format 1.0, C order).

#include "core/torch/element_decode.h"
#include "core/torch/tensor_view.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace core::torch {

std::string TensorView::npyDescr() const
{
    switch (m_quantized ? DType::Float32 : m_dtype) {
    case DType::Bool:
        return "|b1";
    case DType::UInt8:
        return "|u1";
    case DType::Int8:
        return "|i1";
    case DType::Int16:
        return "<i2";
    case DType::Int32:
        return "<i4";
    case DType::Int64:
        return "<i8";
    case DType::UInt16:
        return "<u2";
    case DType::UInt32:
        return "<u4";
    case DType::UInt64:
        return "<u8";
    case DType::Float16:
        return "<f2";
    case DType::Float64:
        return "<f8";
    case DType::LongDouble:
        return "<f16";
    case DType::Complex64:
        return "<c8";
    case DType::Complex128:
        return "<c16";
    default:
        return "<f4"; // float32, bfloat16, float8, complex32 (real part), quantized
    }
}

Result<void> TensorView::writeNpy(const std::string& path) const
{
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr)
        return makeError(ErrorCode::Io, 0, "cannot write " + path);
    auto r = writeNpy(
        [f](const char* data, std::size_t size) { return std::fwrite(data, 1, size, f) == size; });
    const bool closed = std::fclose(f) == 0;
    if (!r)
        return makeError(r.error().code, 0, r.error().message + " on " + path);
    if (!closed)
        return makeError(ErrorCode::Io, 0, "write error on " + path);
    return {};
}

Result<void> TensorView::writeNpy(const NpySink& sink, LoadObserver* observer) const
{
    std::string header = "{'descr': '" + npyDescr() + "', 'fortran_order': False, 'shape': (";
    for (std::size_t k = 0; k < m_shape.size(); ++k)
        header += std::to_string(m_shape[k])
            + (m_shape.size() == 1 ? ",)" : (k + 1 == m_shape.size() ? ")" : ", "));
    if (m_shape.empty())
        header += ")";
    header += ", }";
    // magic(6) + version(2) + len(2) + header + '\n' is a multiple of 64
    const std::size_t total = 10 + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header += '\n';
    if (header.size() > 65535)
        return makeError(ErrorCode::LimitExceeded, 0, "npy header too long");

    std::string head = "\x93NUMPY";
    head += '\x01';
    head += '\x00';
    head += static_cast<char>(header.size() & 0xFF);
    head += static_cast<char>(header.size() >> 8);
    head += header;
    bool ok = sink(head.data(), head.size());

    const std::string descr = npyDescr();
    const bool floating = m_dtype == DType::Float16 || m_dtype == DType::Float32
        || m_dtype == DType::Float64 || m_dtype == DType::Complex64 || m_dtype == DType::Complex128;
    const bool complex = m_dtype == DType::Complex64 || m_dtype == DType::Complex128;
    // numpy-native dtypes are copied as stored (neg/conj bits applied by flipping sign bits)
    const bool raw = !m_quantized && m_perByte == 1 && (descr != "<f4" || m_dtype == DType::Float32)
        && (!m_negative || floating);
    const std::uint32_t unit = swapUnit(m_dtype);
    std::vector<std::byte> out;
    std::vector<double> vals;
    const std::size_t rank = m_shape.size();
    std::vector<std::uint64_t> coord(rank, 0);
    std::uint64_t pos = static_cast<std::uint64_t>(m_offset);
    for (std::uint64_t first = 0; ok && first < m_numel; first += kChunk) {
        if (observer) {
            if (observer->isCancelled())
                return makeError(ErrorCode::Cancelled, 0, "export cancelled");
            observer->progress(first, m_numel);
        }
        const std::size_t n
            = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, m_numel - first));
        if (raw) {
            out.resize(n * m_elemSize);
            for (std::size_t i = 0; i < n; ++i) {
                std::byte* dst = out.data() + i * m_elemSize;
                const auto lease = touch(m_bytes.data() + pos * m_elemSize, m_elemSize);
                std::memcpy(dst, m_bytes.data() + pos * m_elemSize, m_elemSize);
                if (m_swap && unit > 1)
                    for (std::uint32_t c = 0; c < m_elemSize; c += unit)
                        std::reverse(dst + c, dst + c + unit);
                if (m_negative)
                    for (std::uint32_t c = 0; c < m_elemSize; c += unit)
                        dst[c + unit - 1]
                            ^= std::byte { 0x80 }; // little-endian sign bit of each component
                if (m_conjugate && complex)
                    dst[m_elemSize - 1] ^= std::byte { 0x80 }; // the imaginary part's sign
                advance(coord, pos);
            }
        } else {
            vals.resize(n);
            read(first, n, vals.data());
            out.resize(n * 4);
            for (std::size_t i = 0; i < n; ++i) {
                const float v = static_cast<float>(vals[i]);
                std::memcpy(out.data() + 4 * i, &v, 4);
            }
        }
        ok = sink(reinterpret_cast<const char*>(out.data()), out.size());
    }
    if (!ok)
        return makeError(ErrorCode::Io, 0, "write error");
    if (observer)
        observer->progress(m_numel, m_numel);
    return {};
}

} // namespace core::torch
