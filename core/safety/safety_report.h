#pragma once

// Classifies every global a file references (GLOBAL, STACK_GLOBAL, INST, OBJ) as safe, unknown
// or dangerous, after Python 2 name normalisation; lists what torch.load(weights_only=True)
// would refuse. Works from the opcode stream (with a simulated stack for STACK_GLOBAL operands)
// and the value graph (for the path of the value each global builds).

#include "core/value/document.h"

#include <cstdint>
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
    std::string path; // access path of the value it builds, when known ("['model'].__args__")
    bool calledOrInstantiated = false; // used by REDUCE/NEWOBJ/INST/OBJ/BUILD
    bool weightsOnlyAllowed = false; // torch.load(weights_only=True) would accept it
};

struct SafetyReport {
    std::vector<GlobalUse> globals;
    std::vector<std::string> findings; // non-string STACK_GLOBAL operands, dunder names, ...
    Verdict verdict = Verdict::Safe; // worst of all globals and findings
    std::vector<std::string> weightsOnlyBlockers; // "module.name" torch would refuse
    std::string addSafeGlobalsLine; // torch.serialization.add_safe_globals([...]) for safe blockers
};

SafetyReport scan(const Document& doc);

// Whether a value (by id) is built by a dangerous global (for marking tree rows).
bool isDangerousValue(const Document& doc, const SafetyReport& report, ValueId id);

} // namespace core::safety
