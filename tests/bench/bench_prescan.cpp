// picklescope-bench-prescan: the safety scanner alone, as `picklescope-cli info` runs it on its
// second thread (core::safety::prescanStacked over a mapped plain pickle). Not a ctest.
//   picklescope-bench-prescan FILE [--general] [--repeat N]
// prints what the scan found (programs, opcodes, globals, memo writes) and the scanner's own
// heap: peak bytes live during the scan (global operator new counted here) and minor page
// faults. Count its instructions with
//   perf stat -e instructions:u,page-faults -r 5 picklescope-bench-prescan FILE
// (the file is read once before the scan starts, so its page-cache faults are not the scan's).
// --general walks every opcode through the general walk (the reference the fast path is tested
// against; scanOpcodes(..., ScanWalk::General)).

#include "core/safety/opcode_scan.h"
#include "core/value/byte_source.h"

#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <malloc.h>
#include <new>
#include <string>

namespace {

std::atomic<std::size_t> g_live { 0 };
std::atomic<std::size_t> g_peak { 0 };

void* counted(std::size_t n)
{
    void* p = std::malloc(n == 0 ? 1 : n);
    if (p == nullptr)
        throw std::bad_alloc();
    const std::size_t live = g_live += malloc_usable_size(p);
    std::size_t peak = g_peak.load();
    while (live > peak && !g_peak.compare_exchange_weak(peak, live)) { }
    return p;
}

void uncounted(void* p)
{
    if (p == nullptr)
        return;
    g_live -= malloc_usable_size(p);
    std::free(p);
}

long minorFaults()
{
    rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt;
}

} // namespace

void* operator new(std::size_t n)
{
    return counted(n);
}
void* operator new[](std::size_t n)
{
    return counted(n);
}
void operator delete(void* p) noexcept
{
    uncounted(p);
}
void operator delete[](void* p) noexcept
{
    uncounted(p);
}
void operator delete(void* p, std::size_t) noexcept
{
    uncounted(p);
}
void operator delete[](void* p, std::size_t) noexcept
{
    uncounted(p);
}

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s FILE [--general] [--repeat N]\n", argv[0]);
        return 2;
    }
    bool general = false;
    int repeat = 1;
    for (int i = 2; i < argc; ++i) {
        if (std::strcmp(argv[i], "--general") == 0)
            general = true;
        else if (std::strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = std::atoi(argv[++i]);
    }
    auto source = core::ByteSource::mapFile(argv[1]);
    if (!source.ok()) {
        std::fprintf(stderr, "%s\n", source.error().toString().c_str());
        return 1;
    }
    const std::span<const std::byte> bytes = source.value()->bytes();
    unsigned sum = 0; // touch the file first: its faults are not the scan's
    for (std::size_t i = 0; i < bytes.size(); i += 4096)
        sum += static_cast<unsigned>(bytes[i]);

    const std::size_t liveBefore = g_live.load();
    g_peak.store(liveBefore);
    const long faultsBefore = minorFaults();
    std::size_t programs = 0, opcodes = 0, globals = 0, memoWrites = 0;
    for (int r = 0; r < repeat; ++r) {
        if (general) {
            const core::safety::OpcodeScan scan
                = core::safety::scanOpcodes(bytes, 0, core::safety::ScanWalk::General);
            programs = 1;
            opcodes = scan.opcodeCount;
            globals = scan.globals.size();
            memoWrites = scan.memoWrites;
        } else {
            const core::safety::Prescan prescan = core::safety::prescanStacked(bytes);
            programs = prescan.scans.size();
            opcodes = globals = memoWrites = 0;
            for (const auto& [offset, scan] : prescan.scans) {
                opcodes += scan.opcodeCount;
                globals += scan.globals.size();
                memoWrites += scan.memoWrites;
            }
        }
    }
    const long faults = minorFaults() - faultsBefore;
    std::printf("%s walk: %zu program(s), %zu opcodes, %zu globals, %zu memo writes\n",
        general ? "general" : "fast", programs, opcodes, globals, memoWrites);
    std::printf("scanner heap peak %.2f MB, %ld minor page faults (%d run(s))%s\n",
        static_cast<double>(g_peak.load() - liveBefore) / (1024.0 * 1024.0), faults, repeat,
        sum == 0xFFFFFFFFu ? " " : "");
    return 0;
}
