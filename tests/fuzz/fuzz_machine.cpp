// libFuzzer target: the whole loading path from bytes: format detection, then the pickle machine
// or the torch readers, then the walks every consumer does (children of every value, the safety
// report with its value paths). Then the pickle machine alone, with its dispatch fast path and
// without (tests/pickle/machine_equivalence.h): any difference in the graphs or the errors aborts.

#include "core/loader.h"
#include "core/safety/safety_report.h"
#include "core/value/byte_source.h"
#include "tests/pickle/machine_equivalence.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
    {
        core::LoadOptions options; // small limits on some inputs: the fast path's fallbacks
        if (size > 0 && (data[0] & 3) == 3) {
            options.limits.maxValues = 1 + data[size - 1] % 64;
            options.limits.maxStackDepth = 1 + data[size / 2] % 32;
            options.limits.maxMemoEntries = 1 + data[size / 3] % 16;
        }
        const std::string diff = core::testing::fastPathDifference(bytes, options);
        if (!diff.empty()) {
            std::fprintf(stderr, "fast path and general step differ: %s\n", diff.c_str());
            std::abort();
        }
    }
    auto loaded = core::loadSource(core::ByteSource::fromBytes(bytes, "fuzz.pt"));
    if (!loaded.ok())
        return 0;
    const core::Document& doc = *loaded.value();
    std::size_t edges = 0;
    for (std::size_t i = 0; i < doc.graph.size(); ++i)
        doc.graph.forEachChild(
            core::ValueId { static_cast<std::uint32_t>(i) }, [&](core::ValueId) { ++edges; });
    const core::safety::SafetyReport report = core::safety::scan(doc);
    return edges + report.globals.size() == SIZE_MAX ? 1 : 0;
}
