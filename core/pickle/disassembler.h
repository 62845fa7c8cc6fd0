#pragma once

// Walks a pickle program opcode by opcode without building objects: one OpRecord per opcode.
// Drives `picklescope-cli dis` (text byte-identical to `python3 -m pickletools FILE`) and the
// GUI's opcode trace pane.
//
// The walk mirrors pickletools.dis(): it decodes every argument the way pickletools' readers do
// (so protocol-0 text forms are checked: quotes, escapes, int()/float() syntax), emulates its
// stack of "any object"/MARK and its memo, and stops where pickletools raises. No frame
// enforcement (pickletools has none); the machine enforces frames.
//
// Costs: a record is ~100 bytes plus its argText, which is pickletools' repr of the argument (up
// to 4x a bytes payload). The text of a line grows with its MARK depth (4 spaces per open MARK),
// so a whole rendering can be quadratic in hostile input, exactly like pickletools' output: stream
// it (the sink overload + writePickletoolsLine) rather than renderPickletools() on large input.

#include "core/pickle/opcodes.h"
#include "core/result.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace core {

// OpRecord::markAt when the opcode needed a MARK and none was open (pickletools prints
// "no MARK exists on stack" on that line, then fails).
inline constexpr std::int64_t kMarkMissing = -2;

struct OpRecord {
    std::uint64_t offset = 0; // absolute file offset of the opcode byte
    std::uint32_t length = 0; // opcode + argument bytes
    const OpcodeInfo* info = nullptr;
    std::int32_t stackDepth = 0; // items on the (simulated) stack before the opcode, marks excluded
    std::int32_t markDepth = 0; // open marks before the opcode (pickletools' indent level)
    std::int64_t memoIndex = -1; // PUT/GET/MEMOIZE slot, else -1 (also -1 for slots beyond int64)
    std::int64_t markAt = -1; // for ops that pop to a mark: offset of that MARK; kMarkMissing
    // Argument, decoded for display (pickletools' repr of it) and raw where useful.
    std::string argText; // what pickletools prints after the name ("'abc'", "4", "'torch FloatStorage'")
    std::uint64_t argOffset = 0; // absolute offset of the argument's payload (strings/bytes)
    std::uint64_t argLength = 0;

    bool hasArg() const { return info != nullptr && info->arg != ArgKind::None; }
};

struct Disassembly {
    std::vector<OpRecord> records;
    int highestProtocol = -1; // max OpcodeInfo::proto over the records (pickletools' maxproto)
    bool stopped = false; // STOP was reached: the "highest protocol" line is part of the text
    std::optional<Error> error; // set when the program is malformed: records hold what came before
    std::uint64_t endOffset = 0; // absolute offset just past STOP (or where it failed)
    // pickletools had already printed this opcode's "%5d: " prefix when it failed (its own
    // IndexError on a MARK consumed as an item, or repr() of an int over 4300 digits): the
    // text ends with that prefix and no newline.
    std::optional<std::uint64_t> danglingOffset;
};

// Disassembles one pickle program starting at bytes[0] (absolute offset `baseOffset`). Reads
// through the first STOP; bytes after it are ignored (as pickletools does).
Disassembly disassemble(std::span<const std::byte> bytes, std::uint64_t baseOffset = 0);

// Streaming form for large programs: each record goes to `sink` (valid only during the call)
// instead of being stored, so memory stays flat; the returned Disassembly has no records.
using OpRecordSink = std::function<void(const OpRecord&)>;
Disassembly disassemble(std::span<const std::byte> bytes, std::uint64_t baseOffset, const OpRecordSink& sink);

struct DisassembleOptions {
    // Display use (the GUI trace): a bytes/str/bytearray payload longer than this is shown by its
    // first maxArgPayload bytes and " ... (N bytes)" instead of its full repr (up to 4x its size).
    // The whole payload is still checked (UTF-8). pickletools text needs the default.
    std::size_t maxArgPayload = SIZE_MAX;
};
Disassembly disassemble(std::span<const std::byte> bytes, std::uint64_t baseOffset, const OpRecordSink& sink,
    const DisassembleOptions& options);

// pickletools.dis text: one line per opcode, indentation under MARK, "(MARK at N)", MEMOIZE
// "(as N)", then "highest protocol among opcodes = N". Offsets printed relative to baseOffset
// (as pickletools does for a stream). On error the text holds the lines printed before it.
std::string renderPickletools(const Disassembly& dis, std::uint64_t baseOffset = 0);
// Appends one record's line (with its '\n') to `out`.
void appendPickletoolsLine(std::string& out, const OpRecord& record, std::uint64_t baseOffset = 0);
// The same line written at `dest`, which has room for pickletoolsLineBound(record) bytes; returns
// the end of what was written.
std::size_t pickletoolsLineBound(const OpRecord& record);
char* writePickletoolsLine(char* dest, const OpRecord& record, std::uint64_t baseOffset = 0);
// Appends what pickletools prints after the last record: the dangling "%5d: " of a failed opcode
// and/or the "highest protocol among opcodes = N" line.
void appendPickletoolsTrailer(std::string& out, const Disassembly& dis, std::uint64_t baseOffset = 0);

// Python's repr() of a float (shortest round trip: "1.0", "1e+16", "inf", "nan", "-0.0").
std::string pythonFloatRepr(double value);

} // namespace core
