#pragma once

// A compact opcode trace of one pickle program for the GUI: ~32 bytes per opcode (a plain
// core::OpRecord with its argument text is ~100), built with the disassembler's streaming walk.
// Argument text is decoded again on demand for the rows being painted.

#include "core/pickle/disassembler.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace core {
class LoadObserver;
}

namespace ui {

class OpcodeTrace {
public:
    // Longer str/bytes arguments are shown by their first bytes and their length.
    static constexpr std::size_t kMaxArgPayload = 512;

    // 24 bytes an opcode (8.7 M opcodes of a 24 MB pickle: 209 MB). An opcode's length is where
    // the next one starts (the walk leaves no gaps), so it is not stored.
    struct Row {
        std::uint64_t offset : 56 = 0; // absolute offset of the opcode byte
        std::uint64_t op : 8 = 0;
        std::uint32_t markDistance = 0; // offset - markAt for ops that pop to a MARK, else 0
        std::int32_t stackDepth = 0;
        std::int32_t markDepth = 0;
        std::int32_t memoIndex = -1;
    };

    // Walks `bytes` (absolute offset of bytes[0]: `base`). Null when the observer cancels.
    static std::shared_ptr<OpcodeTrace> build(std::span<const std::byte> bytes, std::uint64_t base,
        const core::LoadObserver* observer = nullptr);

    std::size_t size() const { return m_rows.size(); }
    const Row& row(std::size_t i) const { return m_rows[i]; }
    const core::OpcodeInfo* info(std::size_t i) const { return core::opcodeInfo(std::uint8_t(m_rows[i].op)); }
    // Opcode + argument bytes of row i.
    std::uint32_t length(std::size_t i) const
    {
        return i + 1 < m_rows.size() ? std::uint32_t(m_rows[i + 1].offset - m_rows[i].offset) : m_lastLength;
    }
    std::int64_t markAt(std::size_t i) const;
    // pickletools' text of the argument ("'abc'", "4", ...), decoded from the bytes again.
    std::string argText(std::size_t i) const;

    // The row covering an absolute offset (the last opcode starting at or before it), or -1.
    int rowAt(std::uint64_t offset) const;

    int highestProtocol() const { return m_highestProtocol; }
    const std::optional<core::Error>& error() const { return m_error; }
    std::size_t memoryUsage() const;

private:
    std::span<const std::byte> m_bytes;
    std::uint64_t m_base = 0;
    std::vector<Row> m_rows;
    std::uint32_t m_lastLength = 0; // the last row's length
    std::unordered_map<std::uint32_t, std::string> m_storedArgs; // rows whose text needs context
    int m_highestProtocol = 0;
    std::optional<core::Error> m_error;
};

} // namespace ui
