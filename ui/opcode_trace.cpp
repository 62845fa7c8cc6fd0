#include "ui/opcode_trace.h"

#include "core/pickle/pickle_machine.h"

#include <algorithm>

namespace ui {

namespace {

// Ops whose argument text cannot be decoded from their own bytes: INST pops to a MARK (memo
// indices of GET/BINGET/LONG_BINGET decode alone: a million BINGETs keep no text).
bool needsContext(core::Op op)
{
    return op == core::Op::Inst;
}

} // namespace

std::shared_ptr<OpcodeTrace> OpcodeTrace::build(
    std::span<const std::byte> bytes, std::uint64_t base, const core::LoadObserver* observer)
{
    auto trace = std::make_shared<OpcodeTrace>();
    trace->m_bytes = bytes;
    trace->m_base = base;
    // Pickles average 2.5-3 bytes an opcode (records: 24 MB, 8.7 M opcodes): reserve one row per
    // 2 bytes so the rows are never copied to a bigger buffer (untouched capacity is never
    // resident), up to 64 Mi rows; past that the vector grows.
    trace->m_rows.reserve(std::min<std::size_t>(bytes.size() / 2 + 16, std::size_t(1) << 26));
    bool cancelled = false;
    std::size_t n = 0;
    core::DisassembleOptions options;
    options.maxArgPayload = kMaxArgPayload;
    const core::Disassembly dis = core::disassemble(bytes, base, [&](const core::OpRecord& rec) {
        if (cancelled)
            return;
        if ((++n & 0xFFFF) == 0 && observer && observer->isCancelled()) {
            cancelled = true;
            return;
        }
        Row row;
        row.offset = rec.offset;
        row.stackDepth = rec.stackDepth;
        row.markDepth = rec.markDepth;
        row.memoIndex = rec.memoIndex >= 0 && rec.memoIndex <= INT32_MAX ? std::int32_t(rec.memoIndex) : -1;
        row.op = rec.info ? static_cast<std::uint8_t>(rec.info->op) : 0;
        if (rec.markAt >= 0 && std::uint64_t(rec.markAt) <= rec.offset && rec.offset - std::uint64_t(rec.markAt) <= UINT32_MAX)
            row.markDistance = std::uint32_t(rec.offset - std::uint64_t(rec.markAt));
        if (rec.info && needsContext(rec.info->op) && !rec.argText.empty())
            trace->m_storedArgs.emplace(std::uint32_t(trace->m_rows.size()), rec.argText);
        trace->m_rows.push_back(row);
        trace->m_lastLength = rec.length;
    }, options);
    if (cancelled)
        return nullptr;
    // No shrink_to_fit: it would copy every row (a second buffer at the peak); the reserved tail
    // past the last row is never touched, so it never becomes resident.
    trace->m_highestProtocol = dis.highestProtocol;
    trace->m_error = dis.error;
    return trace;
}

std::int64_t OpcodeTrace::markAt(std::size_t i) const
{
    const Row& r = m_rows[i];
    return r.markDistance ? std::int64_t(r.offset - r.markDistance) : -1;
}

std::string OpcodeTrace::argText(std::size_t i) const
{
    const Row& r = m_rows[i];
    const core::OpcodeInfo* op = core::opcodeInfo(std::uint8_t(r.op));
    if (!op || op->arg == core::ArgKind::None)
        return {};
    if (auto it = m_storedArgs.find(std::uint32_t(i)); it != m_storedArgs.end())
        return it->second;
    if (r.offset < m_base || r.offset - m_base >= m_bytes.size())
        return {};
    const std::size_t start = std::size_t(r.offset - m_base);
    const std::size_t len = std::min<std::size_t>(length(i), m_bytes.size() - start);
    std::string text;
    bool got = false;
    core::DisassembleOptions options;
    options.maxArgPayload = kMaxArgPayload;
    core::disassemble(m_bytes.subspan(start, len), r.offset, [&](const core::OpRecord& rec) {
        if (!got && rec.offset == r.offset) {
            text = rec.argText;
            got = true;
        }
    }, options);
    return text;
}

int OpcodeTrace::rowAt(std::uint64_t offset) const
{
    auto it = std::upper_bound(m_rows.begin(), m_rows.end(), offset,
        [](std::uint64_t off, const Row& r) { return off < r.offset; });
    if (it == m_rows.begin())
        return -1;
    --it;
    if (it + 1 == m_rows.end() && offset >= it->offset + std::max<std::uint32_t>(m_lastLength, 1))
        return -1;
    return int(it - m_rows.begin());
}

std::size_t OpcodeTrace::memoryUsage() const
{
    std::size_t total = m_rows.capacity() * sizeof(Row);
    for (const auto& [k, v] : m_storedArgs)
        total += sizeof(k) + v.capacity() + 32;
    return total;
}

} // namespace ui
