#pragma once

// numpy's dtype model, every kind: bool, ints, uints, floats (half to longdouble), complex
// (to clongdouble), datetime64 / timedelta64 with their unit, 'U' (UCS4), 'S', 'V', object and
// structured dtypes (nested, subarray fields, aligned or packed, either byte order).
//
// A dtype is a flat list of nodes (node 0 is the dtype itself; a field or subarray base is a
// later node), built without recursion from a pickled numpy.dtype object (REDUCE numpy.dtype +
// BUILD (3, '<', subarray, names, fields, elsize, alignment, flags[, metadata])), or from an
// .npy header's descr ('<f4', or a list of (name, format[, shape]) tuples).
//
// The element helpers decode one item's bytes as tolist() would give it: exact integers, floats
// to float64 (longdouble: to the precision a double holds), datetimes as
// numpy.datetime_as_string, UCS4 text as UTF-8, bytes with trailing NULs stripped.

#include "core/value/value_graph.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace core::numpy {

// 128-bit integers (exact sums of 64-bit elements, datetime arithmetic); GCC/Clang extension.
__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

inline constexpr std::uint32_t kNoNode = 0xFFFFFFFFu;
// A dtype description larger than this is refused (hostile nesting or cycles).
inline constexpr std::size_t kMaxDTypeNodes = 4096;

struct DTypeField {
    std::string name;
    std::uint32_t node = kNoNode;
    std::uint64_t offset = 0;
};

struct DTypeNode {
    char kind = 'V'; // numpy's dtype.kind: b i u f c M m U S V O
    char byteOrder = '|'; // '<', '>', '|'
    std::uint64_t itemSize = 0; // bytes
    // datetime64 / timedelta64: the base unit ("Y" "M" "W" "D" "h" "m" "s" "ms" "us" "ns" "ps"
    // "fs" "as"; empty: generic) and its multiple (10 in "10ms").
    std::string unit;
    std::int64_t unitCount = 1;
    // A subarray dtype: base node and shape (itemSize = base size x elements).
    std::uint32_t subBase = kNoNode;
    std::vector<std::int64_t> subShape;
    // A structured dtype: fields in numpy's order.
    std::vector<DTypeField> fields;
    bool alignedStruct = false; // NPY_ALIGNED_STRUCT: repr adds align=True
};

class NumpyDType {
public:
    std::vector<DTypeNode> nodes; // nodes[0] is the dtype itself

    const DTypeNode& node(std::uint32_t i = 0) const { return nodes[i]; }
    bool structured(std::uint32_t i = 0) const { return !nodes[i].fields.empty(); }

    // numpy's dtype.str: "<f4", "|b1", "<M8[10ms]", "<U5", "|S3", "|V48", "|O".
    std::string str(std::uint32_t i = 0) const;
    // numpy's dtype.name: "float32", "float128", "datetime64[ns]", "str160", "bytes24", "void384".
    std::string name(std::uint32_t i = 0) const;
    // Python's repr: dtype('float32'), dtype('>f4'), dtype('<U5'),
    // dtype([('name', '<U8'), ('pos', '<f4', (2,)), ('id', '<i8')]), dtype(('<f4', (2,))).
    std::string repr() const;
    // The torch-style element type of node i (Other for U/S/V/M/m/structured, clongdouble...).
    DType elementType(std::uint32_t i = 0) const;
};

// A pickled numpy.dtype object -> its description; nullopt when it is not one or does not decode.
std::optional<NumpyDType> dtypeFromValue(const ValueGraph& graph, ValueId dtypeValue);

// An .npy header's descr: a dtype string ('<f4', '|S3', '<M8[ns]', 'O') or a list of
// (name, format[, shape]) tuples (nested lists for nested structs), as Python literal text.
std::optional<NumpyDType> dtypeFromDescr(std::string_view descrLiteral);

// ---- one element -----------------------------------------------------------------------------

// Signed / unsigned integers of 1, 2, 4 or 8 bytes, read exactly.
std::int64_t readInt(const std::byte* p, std::uint64_t size, bool bigEndian);
std::uint64_t readUInt(const std::byte* p, std::uint64_t size, bool bigEndian);
// Floats of 2, 4, 8 or 16 (x87 long double) bytes as float64.
double readFloat(const std::byte* p, std::uint64_t size, bool bigEndian);
// A 16-byte numpy longdouble (x87 80-bit extended) in full precision where the platform's long
// double is that format, else rounded to double.
long double readLongDouble(const std::byte* p, bool bigEndian);

inline constexpr std::int64_t kNaT = INT64_MIN;
// numpy.datetime_as_string of one datetime64 value of the node's unit ("2021-01", "NaT").
std::string datetimeAsString(std::int64_t value, const DTypeNode& node);
// UCS4 code units (either order) as UTF-8 (WTF-8 for lone surrogates), trailing NULs dropped.
std::string ucs4ToUtf8(std::span<const std::byte> bytes, bool bigEndian);
// An 'S' item: trailing NULs dropped, as numpy does.
std::string_view stripNuls(std::string_view bytes);

} // namespace core::numpy
