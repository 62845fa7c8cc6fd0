#include "core/value/dtype.h"

#include "core/value/enum_name.h"

#include <array>
#include <cstddef>

namespace core {

namespace {

// By DType, in enumerator order.
constexpr std::array<std::string_view, 32> kNames { "unknown", "bool", "uint8", "int8", "int16",
    "int32", "int64", "uint16", "uint32", "uint64", "float16", "bfloat16", "float32", "float64",
    "longdouble", "complex32", "complex64", "complex128", "qint8", "quint8", "qint32", "quint4x2",
    "quint2x4", "float8_e5m2", "float8_e4m3fn", "float8_e5m2fnuz", "float8_e4m3fnuz", "bits8",
    "bits16", "uint8" /* UntypedByte */, "object", "other" };
// Bytes per element: packed sub-byte types 1; Object, Other and Unknown 0.
constexpr std::array<std::uint8_t, 32> kSizes { 0, 1, 1, 1, 2, 4, 8, 2, 4, 8, 2, 2, 4, 8, 16, 4, 8,
    16, 1, 1, 4, 1, 1, 1, 1, 1, 1, 1, 2, 1, 0, 0 };
static_assert(kNames.size() == std::size_t(DType::Other) + 1);

} // namespace

std::string_view dtypeName(DType type)
{
    return enumName(type, kNames, "unknown");
}

std::uint32_t dtypeSize(DType type)
{
    const auto at = static_cast<std::size_t>(type);
    return at < kSizes.size() ? kSizes[at] : 0;
}

} // namespace core
