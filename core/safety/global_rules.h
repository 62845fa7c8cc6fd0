#pragma once

// The classification tables: which (module, name) globals are safe (torch's weights_only
// allowlist, plain data types, reconstructors the core knows), which are dangerous (gathered
// from picklescan's, fickling's and modelscan's lists) and, by default, unknown. Also what
// torch.load(weights_only=True) accepts, in torch 2.x and in torch 1.13.

#include "core/safety/safety_report.h"

#include "core/value/value_graph.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace core::safety {

struct Classification {
    Verdict verdict = Verdict::Unknown;
    std::string reason; // "executes shell commands", "torch weights_only allowlist", ...
    std::string finding; // non-empty for dunder / private / deep attribute names
};

// Classifies a global by its module and name as Python would resolve them (already normalised
// from Python 2 names). Dotted names (protocol 4 attribute paths) are checked segment by
// segment: "torch" + "os.system" is dangerous, a dunder segment is dangerous unless listed.
Classification classifyGlobal(std::string_view module, std::string_view name);

// Python 2 -> 3 renames (CPython's _compat_pickle, through core::fixImportName). Returns the
// names unchanged when no rename applies.
void normaliseGlobal(
    std::string_view module, std::string_view name, std::string& outModule, std::string& outName);

enum class TorchVersion : std::uint8_t { V2, V1_13 };

// Whether torch.load(weights_only=True) resolves GLOBAL "module.name". For V2 pass the names
// after Python 2 normalisation (2.x applies the mapping); for V1_13 the names as pickled.
bool weightsOnlyAllows(std::string_view module, std::string_view name, TorchVersion version);

// Whether the weights-only unpickler of that version implements the opcode.
bool weightsOnlyAcceptsOpcode(std::uint8_t opcode, TorchVersion version);

// How torch names the global in add_safe_globals / its error message ("slice" for builtins).
std::string torchQualifiedName(std::string_view module, std::string_view name);

// functools.partial, functools.partialmethod, _functools.partial: call wrappers. Pickled, a
// partial is REDUCE(partial, (func,)) then BUILD((func, args, kwargs, dict)): it runs nothing while
// loading, and is as dangerous as what it wraps.
bool isCallWrapper(std::string_view module, std::string_view name);

// The classification of the call wrapper built as `wrapper` (the object its REDUCE / NEWOBJ made,
// BUILD state included) by every global its arguments and state reach: the worst of theirs, safe
// when all are safe, naming what it wraps. nullopt when `wrapper` is not such an object.
std::optional<Classification> classifyCallWrapper(const ValueGraph& graph, ValueId wrapper);

// Applies classifyCallWrapper to every call-wrapper use of `report` whose value the graph holds
// (GlobalUse::value), and recomputes the report's verdict. Counts are left to the caller.
void reclassifyCallWrappers(SafetyReport& report, const ValueGraph& graph);

} // namespace core::safety
