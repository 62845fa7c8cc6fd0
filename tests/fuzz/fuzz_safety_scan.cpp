// libFuzzer target: the safety report's opcode walk over arbitrary bytes (stacked pickles,
// STACK_GLOBAL resolution, classification of whatever names it finds).

#include "core/safety/safety_report.h"

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
    const core::safety::SafetyReport report = core::safety::scanBytes(bytes);
    // Touch the results so that nothing is optimised away.
    std::size_t total = report.globals.size() + report.findings.size() + report.anomalies.size();
    for (const auto& use : report.globals)
        total += use.path.size() + use.reason.size();
    return total == SIZE_MAX ? 1 : 0;
}
