#pragma once

// Walks a pickle program opcode by opcode without building objects: one OpRecord per opcode.
// Drives `picklescope-cli dis` (text byte-identical to `python3 -m pickletools FILE`) and the
// GUI's opcode trace pane.

#include "core/pickle/opcodes.h"
#include "core/result.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace core {

struct OpRecord {
    std::uint64_t offset = 0; // absolute file offset of the opcode byte
    std::uint32_t length = 0; // opcode + argument bytes
    const OpcodeInfo* info = nullptr;
    std::int32_t stackDepth = 0; // items on the (simulated) stack before the opcode, marks excluded
    std::int32_t markDepth = 0; // open marks before the opcode
    std::int64_t memoIndex = -1; // PUT/GET/MEMOIZE slot, else -1
    std::int64_t markAt = -1; // for ops that pop to a mark: offset of that MARK
    // Argument, decoded for display (pickletools' repr of it) and raw where useful.
    std::string argText; // what pickletools prints after the name ("'abc'", "4", "'torch FloatStorage'")
    std::uint64_t argOffset = 0; // absolute offset of the argument's payload (strings/bytes)
    std::uint64_t argLength = 0;
};

struct Disassembly {
    std::vector<OpRecord> records;
    int highestProtocol = 0;
    std::optional<Error> error; // set when the program is malformed: records hold what came before
    std::uint64_t endOffset = 0; // absolute offset just past STOP (or where it failed)
};

// Disassembles one pickle program starting at bytes[0] (absolute offset `baseOffset`).
Disassembly disassemble(std::span<const std::byte> bytes, std::uint64_t baseOffset = 0);

// pickletools.dis text: one line per opcode, indentation under MARK, "(MARK at N)", MEMOIZE
// "(as N)", then "highest protocol among opcodes = N". Offsets printed relative to baseOffset
// (as pickletools does for a stream). On error the text holds the lines printed before it.
std::string renderPickletools(const Disassembly& dis, std::uint64_t baseOffset = 0);

} // namespace core
