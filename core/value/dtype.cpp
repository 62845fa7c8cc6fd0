#include "core/value/dtype.h"

namespace core {

std::string_view dtypeName(DType type)
{
    switch (type) {
    case DType::Unknown: return "unknown";
    case DType::Bool: return "bool";
    case DType::UInt8: return "uint8";
    case DType::Int8: return "int8";
    case DType::Int16: return "int16";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
    case DType::UInt16: return "uint16";
    case DType::UInt32: return "uint32";
    case DType::UInt64: return "uint64";
    case DType::Float16: return "float16";
    case DType::BFloat16: return "bfloat16";
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::LongDouble: return "longdouble";
    case DType::Complex32: return "complex32";
    case DType::Complex64: return "complex64";
    case DType::Complex128: return "complex128";
    case DType::QInt8: return "qint8";
    case DType::QUInt8: return "quint8";
    case DType::QInt32: return "qint32";
    case DType::QUInt4x2: return "quint4x2";
    case DType::QUInt2x4: return "quint2x4";
    case DType::Float8E5M2: return "float8_e5m2";
    case DType::Float8E4M3Fn: return "float8_e4m3fn";
    case DType::Float8E5M2Fnuz: return "float8_e5m2fnuz";
    case DType::Float8E4M3Fnuz: return "float8_e4m3fnuz";
    case DType::Bits8: return "bits8";
    case DType::Bits16: return "bits16";
    case DType::UntypedByte: return "uint8";
    case DType::Object: return "object";
    case DType::Other: return "other";
    }
    return "unknown";
}

std::uint32_t dtypeSize(DType type)
{
    switch (type) {
    case DType::Bool:
    case DType::UInt8:
    case DType::Int8:
    case DType::QInt8:
    case DType::QUInt8:
    case DType::QUInt4x2:
    case DType::QUInt2x4:
    case DType::Float8E5M2:
    case DType::Float8E4M3Fn:
    case DType::Float8E5M2Fnuz:
    case DType::Float8E4M3Fnuz:
    case DType::Bits8:
    case DType::UntypedByte:
        return 1;
    case DType::Int16:
    case DType::UInt16:
    case DType::Float16:
    case DType::BFloat16:
    case DType::Bits16:
        return 2;
    case DType::Int32:
    case DType::UInt32:
    case DType::Float32:
    case DType::QInt32:
    case DType::Complex32:
        return 4;
    case DType::Int64:
    case DType::UInt64:
    case DType::Float64:
    case DType::Complex64:
        return 8;
    case DType::LongDouble:
    case DType::Complex128:
        return 16;
    case DType::Unknown:
    case DType::Object:
    case DType::Other:
        return 0;
    }
    return 0;
}

} // namespace core
