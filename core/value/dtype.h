#pragma once

// Element types of torch storages/tensors and numpy arrays.

#include <cstdint>
#include <string_view>

namespace core {

enum class DType : std::uint8_t {
    Unknown,
    Bool,
    UInt8,
    Int8,
    Int16,
    Int32,
    Int64,
    UInt16,
    UInt32,
    UInt64,
    Float16,
    BFloat16,
    Float32,
    Float64,
    LongDouble, // numpy float128 (x87 80-bit in 16 bytes on x86-64)
    Complex32, // complex half
    Complex64,
    Complex128,
    QInt8,
    QUInt8,
    QInt32,
    QUInt4x2,
    QUInt2x4,
    Float8E5M2,
    Float8E4M3Fn,
    Float8E5M2Fnuz,
    Float8E4M3Fnuz,
    Bits8, // opaque byte containers (bits1x8, bits2x4, bits4x2, bits8)
    Bits16,
    UntypedByte, // torch UntypedStorage: bytes
    Object, // numpy object arrays: elements are pickled values
    Other, // numpy structured/str/datetime...: shown as raw bytes of itemSize
};

// torch-style name: "float32", "bfloat16", "qint8", "complex64", ...
std::string_view dtypeName(DType type);
// Bytes per element (packed sub-byte types report 1; Object/Other/Unknown report 0).
std::uint32_t dtypeSize(DType type);

} // namespace core
