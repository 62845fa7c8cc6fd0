#pragma once

// safetensors (Hugging Face): an 8-byte little-endian header length N, N bytes of UTF-8 JSON
// {"name": {"dtype": "F16", "shape": [..], "data_offsets": [begin, end]}, ...,
//  "__metadata__": {str: str}}, then the data; offsets count from the byte after the header.
// Every tensor becomes a Tensor value over a Storage whose bytes are the mapped range: nothing
// is read until a pane or export asks.

#include "core/result.h"
#include "core/value/document.h"

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace core::formats {

// A header over this is refused (the reference implementation's limit).
inline constexpr std::uint64_t kMaxSafetensorsHeader = 100'000'000;

struct SafetensorsEntry {
    std::string name;
    DType dtype = DType::Unknown;
    std::string dtypeText; // as written: "F16", "BF16", "F8_E4M3", ...
    std::vector<std::int64_t> shape;
    std::uint64_t numel = 0;
    std::uint64_t offset = 0; // absolute file offset of the first byte
    std::uint64_t length = 0;
};

struct SafetensorsHeader {
    std::uint64_t headerLength = 0;
    std::uint64_t dataStart = 0; // 8 + headerLength
    std::vector<SafetensorsEntry> tensors; // sorted by name (as safe_open(...).keys())
    std::vector<std::pair<std::string, std::string>> metadata;
    std::vector<Diagnostic> warnings; // gaps between tensors, trailing bytes, ...
};

// Parses and validates the header of a whole safetensors file. Refuses: a header length past
// the file or over kMaxSafetensorsHeader, JSON that is not UTF-8 or not an object, duplicate
// names, unknown dtypes, negative shapes, offsets out of order, overlapping or past the data,
// and sizes that disagree with dtype x shape.
Result<SafetensorsHeader> parseSafetensorsHeader(std::span<const std::byte> file);

// The element type of a safetensors dtype name; Unknown when the name is not one.
DType safetensorsDType(std::string_view name);

// Adds a Storage + Tensor for `entry` to `graph`: bytes at entry.offset in the opened file
// (kept < 0) or in the source's kept buffer `kept`; `file` names a shard (empty: this file).
ValueId addSafetensorsTensor(
    ValueGraph& graph, const SafetensorsEntry& entry, std::int32_t kept, std::string_view file);

// Fills doc from a safetensors file: root = dict name -> tensor, fileMetadata = __metadata__.
Result<void> loadSafetensors(Document& doc);

} // namespace core::formats
