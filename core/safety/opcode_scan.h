#pragma once

// A walk over one pickle program's opcodes, independent of the unpickling machine: a simulated
// stack, mark stack and memo that only know "a string", "a global", "a call result" or "something
// else". Enough to resolve STACK_GLOBAL operands (also through the memo), to see which globals are
// called, and to notice tampering (extra PROTO, values left at STOP, discarded call results).
// Malformed input stops the walk with `error` set; what was seen before is kept.

#include "core/result.h"
#include "core/safety/safety_report.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace core::safety {

enum class GlobalOpcode : std::uint8_t { Global, StackGlobal, Inst, Ext };
std::string_view globalOpcodeName(GlobalOpcode op); // "GLOBAL", "STACK_GLOBAL", "INST", "EXT"

struct RawGlobal {
    std::string module; // as pickled
    std::string name;
    GlobalOpcode opcode = GlobalOpcode::Global;
    std::uint64_t offset = 0; // absolute offset of the opcode
    bool resolved = true; // false: STACK_GLOBAL operands were not both strings
    std::string unresolvedWhy; // what the operands were
    // Offsets of the opcodes that called or instantiated it (REDUCE, NEWOBJ, NEWOBJ_EX, OBJ,
    // BUILD, INST itself), first few only.
    std::vector<std::uint64_t> uses;
    // How often its value was put on the stack (the opcode itself, memo GETs, DUPs) and how many
    // of those were consumed by calls whose meaning is known statically: getattr(GLOBAL, 'attr')
    // (an attribute path, classified as such) and CPython's protocol 2-3 spelling of NEWOBJ_EX,
    // functools.partial(cls.__new__, cls, ...). When the two counts match, the global never
    // escapes into anything that could call it otherwise.
    std::size_t pushes = 0;
    std::size_t recognisedCalls = 0;
    std::vector<std::pair<std::string, std::string>>
        staticTargets; // (module, dotted name) as pickled
};

struct ScanNote {
    Verdict verdict = Verdict::Unknown; // for findings
    std::uint64_t offset = 0;
    std::string message;
};

struct OpcodeScan {
    std::vector<RawGlobal> globals;
    std::vector<ScanNote> findings; // security-relevant: computed callables, EXT codes, ...
    std::vector<ScanNote> anomalies; // tampering signs: PROTO, leftovers, discarded results
    // Opcodes torch's weights-only unpickler would refuse, first offset of each distinct one.
    std::vector<std::pair<std::uint8_t, std::uint64_t>> weightsOnlyRejected2; // torch 2.x
    std::vector<std::pair<std::uint8_t, std::uint64_t>> weightsOnlyRejected113; // torch 1.13
    int protocol = 0; // highest PROTO argument seen
    std::uint64_t endOffset = 0; // absolute offset just past STOP, or where the walk stopped
    bool stopped = false; // reached STOP
    std::optional<Error> error;
    std::size_t opcodeCount = 0;
    std::size_t memoWrites = 0;
    std::size_t memoUnread = 0; // memo entries never fetched by a GET
    std::size_t persistentIds = 0; // PERSID and BINPERSID opcodes walked (torch storages)
};

// Walks one program from bytes[0] (absolute offset `baseOffset`) up to and including STOP.
OpcodeScan scanOpcodes(std::span<const std::byte> bytes, std::uint64_t baseOffset = 0);

// Fast (the default): the common opcodes take a short path with the same effects as the general
// walk; General: every opcode through the general walk (the reference the fast path is tested
// against).
enum class ScanWalk : std::uint8_t { Fast, General };
OpcodeScan scanOpcodes(std::span<const std::byte> bytes, std::uint64_t baseOffset, ScanWalk walk);

// The programs of a whole plain pickle file scanned back to back from byte 0 (each one starting
// where the previous one's STOP ends, as scanBytes walks them), before or while the file is
// loaded: scan(doc, &prescan) then takes them instead of walking the bytes again. The walk never
// looks past STOP, so the scan of the bytes from a program's start to the end of the file equals
// the scan of the program's own bytes when it stops exactly at the program's end, or when the
// program runs to the end of the file; find() hands out only those.
struct Prescan {
    std::span<const std::byte> bytes; // what was scanned (the whole file)
    std::vector<std::pair<std::uint64_t, OpcodeScan>> scans; // by start offset, ascending

    // The scan equal to scanOpcodes(program, offset), or nullptr when there is none (`program`
    // must be the bytes at `offset` of `bytes`, checked).
    const OpcodeScan* find(std::span<const std::byte> program, std::uint64_t offset) const;
};

// At most `maxScans` programs (a file of a million one-byte pickles is scanned on demand).
Prescan prescanStacked(std::span<const std::byte> bytes, std::size_t maxScans = 256);

} // namespace core::safety
