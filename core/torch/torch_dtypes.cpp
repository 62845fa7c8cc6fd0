#include "core/torch/torch_dtypes.h"

#include <array>
#include <utility>

namespace core::torch {

DType dtypeFromStorageName(std::string_view name)
{
    static constexpr std::array<std::pair<std::string_view, DType>, 31> kStorages { {
        { "ByteStorage", DType::UInt8 },
        { "CharStorage", DType::Int8 },
        { "ShortStorage", DType::Int16 },
        { "IntStorage", DType::Int32 },
        { "LongStorage", DType::Int64 },
        { "HalfStorage", DType::Float16 },
        { "FloatStorage", DType::Float32 },
        { "DoubleStorage", DType::Float64 },
        { "ComplexHalfStorage", DType::Complex32 },
        { "ComplexFloatStorage", DType::Complex64 },
        { "ComplexDoubleStorage", DType::Complex128 },
        { "BoolStorage", DType::Bool },
        { "QInt8Storage", DType::QInt8 },
        { "QUInt8Storage", DType::QUInt8 },
        { "QInt32Storage", DType::QInt32 },
        { "BFloat16Storage", DType::BFloat16 },
        { "QUInt4x2Storage", DType::QUInt4x2 },
        { "QUInt2x4Storage", DType::QUInt2x4 },
        { "Bits1x8Storage", DType::Bits8 },
        { "Bits2x4Storage", DType::Bits8 },
        { "Bits4x2Storage", DType::Bits8 },
        { "Bits8Storage", DType::Bits8 },
        { "Bits16Storage", DType::Bits16 },
        { "Float8_e5m2Storage", DType::Float8E5M2 },
        { "Float8_e4m3fnStorage", DType::Float8E4M3Fn },
        { "Float8_e5m2fnuzStorage", DType::Float8E5M2Fnuz },
        { "Float8_e4m3fnuzStorage", DType::Float8E4M3Fnuz },
        { "UInt16Storage", DType::UInt16 },
        { "UInt32Storage", DType::UInt32 },
        { "UInt64Storage", DType::UInt64 },
        { "UntypedStorage", DType::UntypedByte },
    } };
    for (const auto& [n, t] : kStorages)
        if (n == name)
            return t;
    if (name == "TypedStorage" || name == "ByteStorageBase")
        return DType::Unknown;
    return DType::Unknown;
}

DType dtypeFromTorchName(std::string_view name)
{
    static constexpr std::array<std::pair<std::string_view, DType>, 38> kNames { {
        { "float32", DType::Float32 }, { "float", DType::Float32 },
        { "float64", DType::Float64 }, { "double", DType::Float64 },
        { "float16", DType::Float16 }, { "half", DType::Float16 },
        { "bfloat16", DType::BFloat16 },
        { "complex32", DType::Complex32 }, { "chalf", DType::Complex32 },
        { "complex64", DType::Complex64 }, { "cfloat", DType::Complex64 },
        { "complex128", DType::Complex128 }, { "cdouble", DType::Complex128 },
        { "uint8", DType::UInt8 }, { "int8", DType::Int8 },
        { "int16", DType::Int16 }, { "short", DType::Int16 },
        { "int32", DType::Int32 }, { "int", DType::Int32 },
        { "int64", DType::Int64 }, { "long", DType::Int64 },
        { "uint16", DType::UInt16 }, { "uint32", DType::UInt32 }, { "uint64", DType::UInt64 },
        { "bool", DType::Bool },
        { "qint8", DType::QInt8 }, { "quint8", DType::QUInt8 }, { "qint32", DType::QInt32 },
        { "quint4x2", DType::QUInt4x2 }, { "quint2x4", DType::QUInt2x4 },
        { "float8_e5m2", DType::Float8E5M2 }, { "float8_e4m3fn", DType::Float8E4M3Fn },
        { "float8_e5m2fnuz", DType::Float8E5M2Fnuz }, { "float8_e4m3fnuz", DType::Float8E4M3Fnuz },
        { "bits8", DType::Bits8 }, { "bits16", DType::Bits16 },
        { "bits1x8", DType::Bits8 }, { "bits4x2", DType::Bits8 },
    } };
    for (const auto& [n, t] : kNames)
        if (n == name)
            return t;
    if (name == "bits2x4")
        return DType::Bits8;
    return DType::Unknown;
}

} // namespace core::torch
