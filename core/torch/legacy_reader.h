#pragma once

// Internal: the legacy (0.4-1.5) torch.save stream parser, shared by loadArchive and the
// torch.storage._load_from_bytes hook (plain pickles of tensors embed such blobs).

#include "core/pickle/pickle_machine.h"
#include "core/result.h"
#include "core/value/document.h"

#include <cstdint>
#include <span>
#include <string_view>

namespace core::torch {

// Where a byte span lives: in the mapped file (kept < 0; absolute offset = base + position) or
// in a buffer kept by the source (kept >= 0; offsets relative to it).
struct Placement {
    std::int32_t kept = -1;
    std::uint64_t base = 0;
};

// Parses magic, protocol, sys_info, the object, the key list and the raw storages; returns the
// object. `mainIndex` receives the doc.pickles index of the object's pickle; `objectOut` the
// object as soon as its pickle is read (kept when the storages after it fail).
Result<ValueId> loadLegacyStream(Document& doc, std::span<const std::byte> bytes, Placement where,
    const LoadOptions& options, LoadObserver* observer, std::size_t* mainIndex, ValueId* objectOut = nullptr);

// The legacy magic number 0x1950a86a20f9469cfc6c in decimal (the first pickle of the stream).
inline constexpr std::string_view kLegacyMagicDecimal = "119547037146038801333356";

// True when `bytes` start with the legacy magic number pickle (any protocol).
bool startsWithLegacyMagic(std::span<const std::byte> bytes);

} // namespace core::torch
