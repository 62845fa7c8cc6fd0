#pragma once

// numpy's own files. An .npy file is the magic "\x93NUMPY", a version (1.0: a 2-byte
// little-endian header length; 2.0 and 3.0: 4 bytes; 3.0's header is UTF-8), a header that is a
// Python dict literal {'descr': ..., 'fortran_order': ..., 'shape': (...), } padded with spaces,
// then the data: count x itemsize raw bytes in C or Fortran order, or, for object arrays ('|O'),
// a pickle of the whole array. The header is read by a small literal parser (strings, ints,
// True/False/None, tuples, lists): nothing is evaluated.
//
// An .npz file is a zip of .npy members ("name.npy"), stored or deflated (np.savez_compressed).
//
// Numeric arrays become NdArray values over the mapped bytes (no copy; a deflated member is
// inflated once and kept by the ByteSource). An object array's pickle is run as a program of the
// document, so it is shown in the opcode trace and scanned.

#include "core/loader.h"
#include "core/numpy/numpy_dtype.h"
#include "core/result.h"
#include "core/value/document.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace core::formats {

// A header longer than this is refused (numpy's own reader stops at 10,000 bytes by default;
// a structured dtype of the 4096 dtype nodes dtypeFromDescr accepts fits well within it).
inline constexpr std::uint64_t kMaxNpyHeader = std::uint64_t(1) << 20;

struct NpyHeader {
    int major = 0;
    int minor = 0;
    std::uint64_t headerOffset = 0; // of the dict literal, relative to the .npy's first byte
    std::uint64_t headerLength = 0;
    std::uint64_t dataOffset = 0; // relative to the .npy's first byte
    std::string descr; // the descr value's literal text: "'<f4'", "[('a', '<i4')]"
    numpy::NumpyDType dtype;
    bool fortranOrder = false;
    std::vector<std::int64_t> shape;
    std::uint64_t count = 0; // elements (the product of shape)
    std::uint64_t dataBytes = 0; // count x itemsize (0 for object arrays)
};

// Parses and checks the header of the .npy bytes `npy`; error offsets are `base` + the offset
// in `npy`. Refuses: a bad magic or version, a header length past the end or over
// kMaxNpyHeader, a header that is not a dict literal with descr / fortran_order / shape, a descr
// numpy would not read, negative dimensions, and an element count or byte size that overflows.
Result<NpyHeader> parseNpyHeader(std::span<const std::byte> npy, std::uint64_t base = 0);

// One .npy (a whole file, or an .npz member) as a value of doc.graph: an NdArray over its bytes,
// or what its object pickle gives. `base` is its first byte's file offset (for an inflated
// member: the member's data offset, and `inflated` set). A data section shorter than dtype x
// shape is refused (as safetensors refuses it); bytes after it are a warning.
Result<ValueId> readNpy(Document& doc, std::span<const std::byte> npy, std::uint64_t base,
    bool inflated, const std::string& name, const LoadOptions& options, LoadObserver* observer);

// Fills doc from an .npy file: root = the array.
Result<void> loadNpy(Document& doc, const LoadOptions& options, LoadObserver* observer);
// Fills doc from an .npz file: root = dict name -> array, in the archive's order (as
// numpy.load(...).files gives it: the member name without ".npy").
Result<void> loadNpz(Document& doc, const LoadOptions& options, LoadObserver* observer);

} // namespace core::formats
