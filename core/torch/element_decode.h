#pragma once

// Decoding one stored element of any dtype to float64: IEEE half (all 65,536 patterns exact),
// bfloat16, the float8 variants, integers, bool, x87 long double. Byte order is the caller's:
// `swap` means the element is stored big-endian.

#include "core/value/dtype.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

namespace core::torch {

// binary16 -> binary32 is exact; built once from the bit layout.
inline float halfToFloat(std::uint16_t h)
{
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t exp = (h >> 10) & 0x1Fu;
    const std::uint32_t mant = h & 0x3FFu;
    std::uint32_t bits;
    if (exp == 0) {
        // zero or subnormal: mant * 2^-24, exact in binary32
        const float v = static_cast<float>(mant) * 5.9604644775390625e-08f;
        bits = std::bit_cast<std::uint32_t>(v) | sign;
    } else if (exp == 31) {
        bits = sign | 0x7F800000u | (mant << 13); // inf, or NaN keeping its payload
    } else {
        bits = sign | ((exp + 112u) << 23) | (mant << 13);
    }
    return std::bit_cast<float>(bits);
}

inline const std::array<float, 65536>& halfTable()
{
    static const auto table = [] {
        std::array<float, 65536> t {};
        for (std::uint32_t i = 0; i < 65536; ++i)
            t[i] = halfToFloat(static_cast<std::uint16_t>(i));
        return t;
    }();
    return table;
}

inline float bfloat16ToFloat(std::uint16_t b)
{
    return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}

// A small float with `expBits` exponent bits, `mantBits` mantissa bits and bias; `fnuz`:
// 0x80 is the only NaN (no -0, no inf); otherwise `fn` (e4m3fn): all-ones is NaN, no inf;
// otherwise IEEE-like (e5m2).
inline double smallFloat(std::uint8_t v, int expBits, int mantBits, int bias, bool fn, bool fnuz)
{
    if (fnuz && v == 0x80)
        return std::numeric_limits<double>::quiet_NaN();
    const bool negative = (v & 0x80) != 0;
    const int exp = (v >> mantBits) & ((1 << expBits) - 1);
    const int mant = v & ((1 << mantBits) - 1);
    const int maxExp = (1 << expBits) - 1;
    double r;
    if (!fn && !fnuz && exp == maxExp) {
        r = mant ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
    } else if (fn && exp == maxExp && mant == (1 << mantBits) - 1) {
        r = std::numeric_limits<double>::quiet_NaN();
    } else if (exp == 0) {
        r = std::ldexp(static_cast<double>(mant), 1 - bias - mantBits);
    } else {
        r = std::ldexp(static_cast<double>((1 << mantBits) + mant), exp - bias - mantBits);
    }
    return negative ? -r : r;
}

template <typename T>
inline T loadAs(const std::byte* p, bool swap)
{
    std::array<std::byte, sizeof(T)> b;
    std::memcpy(b.data(), p, sizeof(T));
    if (swap) {
        for (std::size_t i = 0; i < sizeof(T) / 2; ++i)
            std::swap(b[i], b[sizeof(T) - 1 - i]);
    }
    return std::bit_cast<T>(b);
}

// The element at p as float64 (complex: real part; quantized: the integer representation;
// packed 4-bit/2-bit types are handled by the caller).
inline double decodeElement(DType type, const std::byte* p, bool swap)
{
    switch (type) {
    case DType::Bool: return p[0] != std::byte { 0 } ? 1.0 : 0.0;
    case DType::UInt8:
    case DType::QUInt8:
    case DType::Bits8:
    case DType::UntypedByte:
    case DType::QUInt4x2:
    case DType::QUInt2x4:
        return std::to_integer<unsigned>(p[0]);
    case DType::Int8:
    case DType::QInt8:
        return static_cast<std::int8_t>(std::to_integer<unsigned>(p[0]));
    case DType::Int16: return loadAs<std::int16_t>(p, swap);
    case DType::UInt16:
    case DType::Bits16:
        return loadAs<std::uint16_t>(p, swap);
    case DType::Int32:
    case DType::QInt32:
        return loadAs<std::int32_t>(p, swap);
    case DType::UInt32: return loadAs<std::uint32_t>(p, swap);
    case DType::Int64: return static_cast<double>(loadAs<std::int64_t>(p, swap));
    case DType::UInt64: return static_cast<double>(loadAs<std::uint64_t>(p, swap));
    case DType::Float16:
    case DType::Complex32:
        return halfTable()[loadAs<std::uint16_t>(p, swap)];
    case DType::BFloat16: return bfloat16ToFloat(loadAs<std::uint16_t>(p, swap));
    case DType::Float32:
    case DType::Complex64:
        return loadAs<float>(p, swap);
    case DType::Float64:
    case DType::Complex128:
        return loadAs<double>(p, swap);
    case DType::LongDouble: {
        // x87 extended precision in the low 10 bytes (little-endian data only).
        if (swap)
            return std::numeric_limits<double>::quiet_NaN();
        long double v = 0;
        static_assert(sizeof(long double) >= 10);
        std::memcpy(&v, p, 10);
        return static_cast<double>(v);
    }
    case DType::Float8E5M2: return smallFloat(std::to_integer<std::uint8_t>(p[0]), 5, 2, 15, false, false);
    case DType::Float8E4M3Fn: return smallFloat(std::to_integer<std::uint8_t>(p[0]), 4, 3, 7, true, false);
    case DType::Float8E5M2Fnuz: return smallFloat(std::to_integer<std::uint8_t>(p[0]), 5, 2, 16, false, true);
    case DType::Float8E4M3Fnuz: return smallFloat(std::to_integer<std::uint8_t>(p[0]), 4, 3, 8, false, true);
    case DType::Unknown:
    case DType::Object:
    case DType::Other:
        break;
    }
    return std::numeric_limits<double>::quiet_NaN();
}

// Bytes swapped per component for byte-order conversion (complex: per half; bool/bytes: 1).
inline std::uint32_t swapUnit(DType type)
{
    switch (type) {
    case DType::Complex32: return 2;
    case DType::Complex64: return 4;
    case DType::Complex128: return 8;
    case DType::LongDouble: return 1;
    default: return dtypeSize(type);
    }
}

} // namespace core::torch
