// libFuzzer target: the safety report's opcode walk over arbitrary bytes (stacked pickles,
// STACK_GLOBAL resolution, classification of whatever names it finds). Also differential: the
// scanner's fast loop must give exactly the general walk's OpcodeScan (ScanWalk::General, the
// reference), at offset 0 and at a base offset past 1 TiB (where binary strings leave the packed
// stack for its side table); a difference aborts.

#include "core/safety/opcode_scan.h"
#include "core/safety/safety_report.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

namespace {

// Everything an OpcodeScan holds (offsets relative to `base`; messages as they are: both walks
// compared are at the same base).
std::string scanText(const core::safety::OpcodeScan& scan, std::uint64_t base)
{
    std::string out;
    auto at = [&](std::uint64_t offset) { out += ' ' + std::to_string(offset - base); };
    for (const core::safety::RawGlobal& g : scan.globals) {
        out += g.module + '\n' + g.name + '\n' + g.unresolvedWhy;
        at(g.offset);
        out += ' ' + std::to_string(static_cast<int>(g.opcode)) + (g.resolved ? " r " : " u ")
            + std::to_string(g.pushes) + ' ' + std::to_string(g.recognisedCalls);
        for (std::uint64_t use : g.uses)
            at(use);
        for (const auto& [module, name] : g.staticTargets)
            out += ' ' + module + '.' + name;
        out += '\n';
    }
    for (const auto* notes : { &scan.findings, &scan.anomalies })
        for (const core::safety::ScanNote& n : *notes) {
            out += std::to_string(static_cast<int>(n.verdict));
            at(n.offset);
            out += ' ' + n.message + '\n';
        }
    for (const auto* list : { &scan.weightsOnlyRejected2, &scan.weightsOnlyRejected113 })
        for (const auto& [op, offset] : *list) {
            out += std::to_string(op);
            at(offset);
        }
    out += " p" + std::to_string(scan.protocol);
    at(scan.endOffset);
    out += (scan.stopped ? " s " : " n ") + std::to_string(scan.opcodeCount) + ' '
        + std::to_string(scan.memoWrites) + ' ' + std::to_string(scan.memoUnread) + ' '
        + std::to_string(scan.persistentIds);
    if (scan.error)
        out += ' ' + scan.error->toString();
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
    const core::safety::SafetyReport report = core::safety::scanBytes(bytes);
    // Touch the results so that nothing is optimised away.
    std::size_t total = report.globals.size() + report.findings.size() + report.anomalies.size();
    for (const auto& use : report.globals)
        total += use.path.size() + use.reason.size();

    using core::safety::ScanWalk;
    for (const std::uint64_t base : { std::uint64_t(0), (std::uint64_t(1) << 40) - 64 }) {
        const std::string fast
            = scanText(core::safety::scanOpcodes(bytes, base, ScanWalk::Fast), base);
        const std::string general
            = scanText(core::safety::scanOpcodes(bytes, base, ScanWalk::General), base);
        if (fast != general)
            std::abort(); // the fast loop differs from the general walk
        total += fast.size();
    }
    return total == SIZE_MAX ? 1 : 0;
}
