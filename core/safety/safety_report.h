#pragma once

// Classifies every global a file references (GLOBAL, STACK_GLOBAL, INST, OBJ) as safe, unknown
// or dangerous, after Python 2 name normalisation; lists what torch.load(weights_only=True)
// would refuse. Works from the opcode stream (with a simulated stack for STACK_GLOBAL operands)
// and the value graph (for the path of the value each global builds).

#include "core/value/document.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace core::safety {

enum class Verdict : std::uint8_t { Safe, Unknown, Dangerous };
std::string_view verdictName(Verdict verdict); // "safe", "unknown", "dangerous"

struct GlobalUse {
    std::string module; // normalised (py2 -> py3)
    std::string name;
    Verdict verdict = Verdict::Unknown;
    std::string reason; // "executes shell commands", "torch weights_only allowlist", ...
    std::string pickle; // which pickle stream ("data.pkl")
    std::uint64_t offset = 0; // absolute offset of the GLOBAL/STACK_GLOBAL/INST/OBJ opcode
    // Access path of the value it builds when that value is reachable from its pickle's result
    // ("$" the result itself, "$['model'].__args__[0]": the syntax of `picklescope-cli info`);
    // empty when the value is not reachable (consumed while loading).
    std::string path;
    bool calledOrInstantiated = false; // used by REDUCE/NEWOBJ/INST/OBJ/BUILD
    bool weightsOnlyAllowed = false; // torch.load(weights_only=True) would accept it

    std::string pickledModule; // as written in the pickle
    std::string pickledName;
    std::string opcode; // "GLOBAL", "STACK_GLOBAL", "INST", "EXT"
    std::vector<std::uint64_t>
        useOffsets; // REDUCE/NEWOBJ/NEWOBJ_EX/OBJ/BUILD/INST offsets (first few)
    bool weightsOnly113Allowed = false; // torch 1.13's weights-only unpickler would accept it
    ValueId value = kNullValue; // the value it builds (call result, else the global symbol)
    bool reachable = false; // that value is reachable from the pickle's result
};

struct Finding {
    Verdict verdict = Verdict::Unknown;
    std::string pickle;
    std::uint64_t offset = 0;
    std::string message;
};

struct SafetyReport {
    std::vector<GlobalUse> globals;
    std::vector<std::string> findings; // non-string STACK_GLOBAL operands, dunder names, ...
    Verdict verdict = Verdict::Safe; // worst of all globals and findings
    std::vector<std::string> weightsOnlyBlockers; // "module.name" torch would refuse
    std::string addSafeGlobalsLine; // torch.serialization.add_safe_globals([...]) for safe blockers

    // findings[i] formatted; findingDetails[i] structured.
    std::vector<Finding> findingDetails;
    // Tampering signs and structural warnings (values left at STOP, bytes after STOP, duplicate
    // or misplaced PROTO, discarded call results, unreferenced memo entries, zip entries no
    // pickle references, storages shorter than declared). Messages name the pickle.
    std::vector<Diagnostic> anomalies;
    // Opcode- and format-level reasons torch.load(weights_only=True) would refuse the file, and
    // the differences of torch 1.13.
    std::vector<std::string> weightsOnlyNotes;
    std::vector<std::string> weightsOnlyBlockers113; // "module.name" torch 1.13 would refuse
    // Pickle streams that could not be walked to STOP ("data.pkl: at byte 12: ...").
    std::vector<std::string> errors;
    std::size_t safeCount = 0, unknownCount = 0, dangerousCount = 0; // over `globals`
    std::size_t picklesScanned = 0;
};

// The report of a loaded document: every stream of doc.pickles (data.pkl, constants.pkl, the
// legacy pickles, ...), plus trailing pickles after the main one of a plain pickle file.
SafetyReport scan(const Document& doc);
// The same report, taking the opcode scans of a plain pickle file from `prescan` (made over
// doc.source's bytes, core/safety/opcode_scan.h) where they equal what scan(doc) would compute;
// null: as scan(doc). See also core/safety/scanned_load.h.
struct Prescan;
SafetyReport scan(const Document& doc, const Prescan* prescan);

// The report of raw bytes taken as a plain pickle file (no value graph: no paths), stacked
// pickles included. Works on anything, malformed included.
SafetyReport scanBytes(std::span<const std::byte> bytes, const std::string& name = "pickle");

// Whether a value (by id) is built by a dangerous global (for marking tree rows).
bool isDangerousValue(const Document& doc, const SafetyReport& report, ValueId id);

} // namespace core::safety
