#include "core/value/value_graph.h"

#include "core/value/huge_pages.h"
#include "core/value/value_children.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <iterator>

namespace core {

// Text and bytes the graph owns: bump-allocated blocks, never moved, freed all at once.
struct ValueGraph::Arena {
    static constexpr std::size_t kBlock = std::size_t(1) << 20;
    std::vector<std::unique_ptr<char[]>> blocks;
    char* cursor = nullptr;
    std::size_t left = 0;
    std::size_t total = 0;

    char* allocate(std::size_t n)
    {
        if (n == 0)
            return nullptr;
        total += n;
        if (n > kBlock / 4) {
            blocks.push_back(std::make_unique<char[]>(n));
            return blocks.back().get();
        }
        if (n > left) {
            blocks.push_back(std::make_unique<char[]>(kBlock));
            cursor = blocks.back().get();
            left = kBlock;
        }
        char* out = cursor;
        cursor += n;
        left -= n;
        return out;
    }
};

namespace {

bool isContainer(ValueKind kind)
{
    return ValueGraph::isContainerKind(kind);
}

// The pool is compacted when the runs abandoned by moves outgrow the rest (and are worth a pass).
constexpr std::size_t kCompactAtLeast = std::size_t(1) << 16;
constexpr std::size_t kMaxRunItems = 0xFFFFFFFFu;

bool isBlob(ValueKind kind)
{
    return kind == ValueKind::Str || kind == ValueKind::Bytes || kind == ValueKind::ByteArray
        || kind == ValueKind::BigInt;
}

// Magnitude limbs (base 2^32, little-endian) <-> two's complement bytes.
std::vector<std::uint32_t> limbsFromTwosComplement(std::span<const std::byte> bytes, bool& negative)
{
    negative = !bytes.empty() && (static_cast<std::uint8_t>(bytes.back()) & 0x80) != 0;
    std::vector<std::uint8_t> mag(bytes.size());
    for (std::size_t i = 0; i < bytes.size(); ++i)
        mag[i] = static_cast<std::uint8_t>(bytes[i]);
    if (negative) { // two's complement negate
        unsigned carry = 1;
        for (auto& b : mag) {
            const unsigned v = static_cast<std::uint8_t>(~b) + carry;
            b = static_cast<std::uint8_t>(v);
            carry = v >> 8;
        }
    }
    std::vector<std::uint32_t> limbs((mag.size() + 3) / 4, 0);
    for (std::size_t i = 0; i < mag.size(); ++i)
        limbs[i / 4] |= std::uint32_t(mag[i]) << (8 * (i % 4));
    while (!limbs.empty() && limbs.back() == 0)
        limbs.pop_back();
    return limbs;
}

std::string decimalFromLimbs(std::vector<std::uint32_t> limbs, bool negative)
{
    if (limbs.empty())
        return "0";
    std::string out;
    while (!limbs.empty()) {
        std::uint64_t rem = 0;
        for (std::size_t i = limbs.size(); i-- > 0;) {
            const std::uint64_t cur = (rem << 32) | limbs[i];
            limbs[i] = static_cast<std::uint32_t>(cur / 1000000000u);
            rem = cur % 1000000000u;
        }
        while (!limbs.empty() && limbs.back() == 0)
            limbs.pop_back();
        for (int d = 0; d < 9; ++d) {
            out.push_back(static_cast<char>('0' + rem % 10));
            rem /= 10;
            if (limbs.empty() && rem == 0)
                break;
        }
    }
    while (out.size() > 1 && out.back() == '0')
        out.pop_back();
    if (negative)
        out.push_back('-');
    std::reverse(out.begin(), out.end());
    return out;
}

// Str/Bytes/ByteArray/BigInt payloads live inline in the Value: pointer in num.u, length in
// sub. Payloads of 65,535 bytes or more go to the blob table (sub = kLongPayload, num.u = index).
constexpr std::uint16_t kLongPayload = 0xFFFFu;
constexpr std::size_t kMaxDecimalBytes = 20000;

} // namespace

void ValueGraph::setBlob(Value& v, std::span<const std::byte> bytes)
{
    if (bytes.size() < kLongPayload) {
        v.num.u = reinterpret_cast<std::uint64_t>(bytes.data());
        v.sub = static_cast<std::uint16_t>(bytes.size());
    } else {
        m_blobs.push_back(bytes);
        v.sub = kLongPayload;
        v.num.u = m_blobs.size() - 1;
    }
}

std::span<const std::byte> ValueGraph::blobOf(const Value& v) const
{
    if (v.sub == kLongPayload)
        return m_blobs[v.num.u];
    return { reinterpret_cast<const std::byte*>(v.num.u), v.sub };
}

ValueGraph::ValueGraph()
    : m_arena(std::make_unique<Arena>())
{
}
ValueGraph::~ValueGraph() = default;
ValueGraph::ValueGraph(ValueGraph&&) noexcept = default;
ValueGraph& ValueGraph::operator=(ValueGraph&&) noexcept = default;

std::uint64_t ValueGraph::offsetBase(std::uint32_t index) const
{
    // The last segment that starts at or before `index`.
    auto it = std::upper_bound(m_offsetBases.begin(), m_offsetBases.end(), index,
        [](std::uint32_t i, const std::pair<std::uint32_t, std::uint64_t>& seg) { return i < seg.first; });
    return std::prev(it)->second;
}

template <typename Record>
ValueId ValueGraph::pushRecord(std::vector<Record>& table, Record record, ValueKind kind, std::uint64_t offset)
{
    table.push_back(std::move(record));
    Value v;
    v.kind = kind;
    v.num.ref = static_cast<std::uint32_t>(table.size() - 1);
    return push(v, offset);
}

template <typename Record>
void ValueGraph::retypeRecord(ValueId id, std::vector<Record>& table, Record record, ValueKind kind)
{
    table.push_back(std::move(record));
    ++m_retypes;
    Value& v = mutableAt(id);
    v.kind = kind;
    v.sub = 0;
    v.num.ref = static_cast<std::uint32_t>(table.size() - 1);
}

ValueId ValueGraph::addLong(std::span<const std::byte> bytes, std::uint64_t offset)
{
    // Drop redundant sign-extension bytes, then store as Int when it fits in 8 bytes.
    std::size_t n = bytes.size();
    while (n > 1) {
        const auto top = static_cast<std::uint8_t>(bytes[n - 1]);
        const auto next = static_cast<std::uint8_t>(bytes[n - 2]);
        if ((top == 0x00 && (next & 0x80) == 0) || (top == 0xff && (next & 0x80) != 0))
            --n;
        else
            break;
    }
    if (n <= 8) {
        std::uint64_t u = 0;
        for (std::size_t i = 0; i < n; ++i)
            u |= std::uint64_t(static_cast<std::uint8_t>(bytes[i])) << (8 * i);
        if (n > 0 && n < 8 && (static_cast<std::uint8_t>(bytes[n - 1]) & 0x80) != 0)
            u |= ~std::uint64_t(0) << (8 * n);
        return addInt(static_cast<std::int64_t>(u), offset);
    }
    char* copy = m_arena->allocate(n);
    std::memcpy(copy, bytes.data(), n);
    Value v;
    v.kind = ValueKind::BigInt;
    setBlob(v, { reinterpret_cast<const std::byte*>(copy), n });
    return push(v, offset);
}

ValueId ValueGraph::addIntFromDecimal(std::string_view text, std::uint64_t offset)
{
    // Python int(text, 10): surrounding whitespace, a sign, digits with single '_' between them.
    auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
    while (!text.empty() && isSpace(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && isSpace(text.back()))
        text.remove_suffix(1);
    bool negative = false;
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
        negative = text.front() == '-';
        text.remove_prefix(1);
    }
    if (text.empty() || text.front() == '_' || text.back() == '_')
        return kNullValue;
    std::vector<std::uint32_t> limbs;
    char previous = 0;
    for (char c : text) {
        if (c == '_') {
            if (previous == '_')
                return kNullValue;
            previous = c;
            continue;
        }
        if (c < '0' || c > '9')
            return kNullValue;
        previous = c;
        std::uint64_t carry = static_cast<std::uint64_t>(c - '0');
        for (auto& limb : limbs) {
            const std::uint64_t cur = std::uint64_t(limb) * 10 + carry;
            limb = static_cast<std::uint32_t>(cur);
            carry = cur >> 32;
        }
        if (carry != 0)
            limbs.push_back(static_cast<std::uint32_t>(carry));
    }
    // limbs -> two's complement bytes with a sign byte of room.
    std::vector<std::byte> bytes(limbs.size() * 4 + 1, std::byte { 0 });
    for (std::size_t i = 0; i < limbs.size(); ++i)
        for (int b = 0; b < 4; ++b)
            bytes[i * 4 + static_cast<std::size_t>(b)] = static_cast<std::byte>((limbs[i] >> (8 * b)) & 0xff);
    if (negative) {
        unsigned carry = 1;
        for (auto& b : bytes) {
            const unsigned v = static_cast<std::uint8_t>(~static_cast<std::uint8_t>(b)) + carry;
            b = static_cast<std::byte>(v & 0xff);
            carry = v >> 8;
        }
    }
    return addLong(bytes, offset);
}

ValueId ValueGraph::addComplex(double real, double imag, std::uint64_t offset)
{
    return pushRecord(m_complexes, { real, imag }, ValueKind::Complex, offset);
}

ValueId ValueGraph::addStrView(std::string_view utf8, std::uint64_t offset, std::uint8_t flags)
{
    return addBytesView({ reinterpret_cast<const std::byte*>(utf8.data()), utf8.size() }, ValueKind::Str,
        offset, flags);
}

ValueId ValueGraph::addBytesView(
    std::span<const std::byte> bytes, ValueKind kind, std::uint64_t offset, std::uint8_t flags)
{
    Value v;
    v.kind = kind;
    v.flags = flags;
    setBlob(v, bytes);
    return push(v, offset);
}

ValueId ValueGraph::addStrCopy(std::string_view utf8, std::uint64_t offset, std::uint8_t flags)
{
    return addBytesCopy(utf8, ValueKind::Str, offset, flags);
}

ValueId ValueGraph::addBytesCopy(std::string_view bytes, ValueKind kind, std::uint64_t offset, std::uint8_t flags)
{
    const std::string_view kept = intern(bytes);
    return addBytesView({ reinterpret_cast<const std::byte*>(kept.data()), kept.size() }, kind, offset, flags);
}

std::string_view ValueGraph::intern(std::string_view text)
{
    char* copy = m_arena->allocate(text.size());
    if (!text.empty())
        std::memcpy(copy, text.data(), text.size());
    return { copy, text.size() };
}

ValueId ValueGraph::addContainer(
    ValueKind kind, std::uint64_t offset, std::span<const ValueId> items)
{
    Q_ASSERT(isContainer(kind));
    const ValueId id = pushRecord(m_runs, ItemRun { m_poolUsed, 0, 0 }, kind, offset);
    if (!items.empty())
        appendItems(id, items);
    return id;
}

void ValueGraph::reservePool(std::size_t slots)
{
    if (slots * sizeof(ValueId) > m_pool.capacity())
        m_pool.grow(slots * sizeof(ValueId), m_poolUsed * sizeof(ValueId));
}

void ValueGraph::growRun(ItemRun& run, std::size_t more)
{
    const std::size_t needed = std::size_t(run.size) + more;
    Q_ASSERT(needed <= kMaxRunItems);
    if (needed <= run.capacity)
        return;
    const auto atEnd = [&] { return run.capacity > 0 && run.begin + run.capacity == m_poolUsed; };
    if (run.capacity > 0 && !atEnd() && m_poolGarbage + run.capacity >= kCompactAtLeast
        && m_poolGarbage + run.capacity > m_poolUsed - m_poolGarbage - run.capacity)
        compactPool(); // the garbage would outgrow the rest: slide every run down first
    if (atEnd()) {
        // The last run grows in place.
        reservePool(run.begin + needed);
        m_poolUsed = run.begin + needed;
        run.capacity = static_cast<std::uint32_t>(needed);
        return;
    }
    if (run.capacity > 0) {
        // Moves to the end with doubled room; its old place is garbage.
        const std::size_t capacity
            = std::min(kMaxRunItems, std::max(needed, std::size_t(run.size) * 2));
        reservePool(m_poolUsed + capacity);
        std::memcpy(pool() + m_poolUsed, pool() + run.begin, run.size * sizeof(ValueId));
        m_poolGarbage += run.capacity;
        run.begin = m_poolUsed;
        run.capacity = static_cast<std::uint32_t>(capacity);
        m_poolUsed += capacity;
        return;
    }
    // An empty run: exactly the room asked for (most containers are filled in one batch).
    reservePool(m_poolUsed + needed);
    run.begin = m_poolUsed;
    run.capacity = static_cast<std::uint32_t>(needed);
    m_poolUsed += needed;
}

void ValueGraph::compactPool()
{
    // Slides every run down over the garbage, in pool order (each moves down or stays).
    std::vector<std::uint32_t> order;
    order.reserve(m_runs.size());
    for (std::uint32_t i = 0; i < m_runs.size(); ++i)
        if (m_runs[i].capacity > 0)
            order.push_back(i);
    std::sort(order.begin(), order.end(),
        [this](std::uint32_t a, std::uint32_t b) { return m_runs[a].begin < m_runs[b].begin; });
    std::size_t cursor = 0;
    for (const std::uint32_t i : order) {
        ItemRun& run = m_runs[i];
        if (run.size > 0 && run.begin != cursor)
            std::memmove(pool() + cursor, pool() + run.begin, run.size * sizeof(ValueId));
        run.begin = cursor;
        run.capacity = run.size;
        cursor += run.size;
    }
    m_poolUsed = cursor;
    m_poolGarbage = 0;
}

void ValueGraph::appendItems(ValueId id, std::span<const ValueId> items)
{
    Q_ASSERT(isContainer(kind(id)));
    if (items.empty())
        return;
    // Items from the pool itself (another container's) are copied out before the pool moves.
    std::vector<ValueId> copy;
    const ValueId* base = pool();
    if (base != nullptr && items.data() >= base && items.data() < base + m_poolUsed) {
        copy.assign(items.begin(), items.end());
        items = copy;
    }
    ItemRun& run = m_runs[at(id).num.ref];
    growRun(run, items.size());
    std::memcpy(pool() + run.begin + run.size, items.data(), items.size() * sizeof(ValueId));
    run.size += static_cast<std::uint32_t>(items.size());
}

void ValueGraph::setItem(ValueId id, std::size_t index, ValueId item)
{
    Q_ASSERT(isContainer(kind(id)));
    const ItemRun& run = m_runs[at(id).num.ref];
    Q_ASSERT(index < run.size);
    pool()[run.begin + index] = item;
}

void ValueGraph::replaceItems(ValueId id, std::span<const ValueId> items)
{
    Q_ASSERT(isContainer(kind(id)));
    std::vector<ValueId> copy;
    const ValueId* base = pool();
    if (base != nullptr && items.data() >= base && items.data() < base + m_poolUsed) {
        copy.assign(items.begin(), items.end());
        items = copy;
    }
    m_runs[at(id).num.ref].size = 0;
    appendItems(id, items);
}

ValueId ValueGraph::addDict(DictClass cls, std::uint64_t offset)
{
    const ValueId id = addContainer(ValueKind::Dict, offset);
    mutableAt(id).sub = static_cast<std::uint16_t>(cls);
    return id;
}

ValueId ValueGraph::addGlobal(std::string_view module, std::string_view name, std::string_view pickledModule,
    std::string_view pickledName, std::uint64_t offset)
{
    return pushRecord(m_globals, GlobalRecord { module, name, pickledModule, pickledName }, ValueKind::Global, offset);
}

ValueId ValueGraph::addObject(ObjectRecord record, std::uint64_t offset)
{
    const auto via = static_cast<std::uint16_t>(record.via);
    const ValueId id = pushRecord(m_objects, std::move(record), ValueKind::Object, offset);
    mutableAt(id).sub = via;
    return id;
}

ValueId ValueGraph::addCall(
    ObjectVia via, ValueId callable, ValueId args, std::uint64_t offset, ValueId kwargs, ValueId base)
{
    ObjectRecord record;
    record.via = via;
    record.callable = callable;
    record.args = args;
    record.kwargs = kwargs;
    record.base = base;
    return addObject(std::move(record), offset);
}

ValueId ValueGraph::addPersistent(ValueId pid, std::uint64_t offset)
{
    return pushNumber(ValueKind::Persistent, static_cast<std::int64_t>(indexOf(pid)), offset);
}

ValueId ValueGraph::addExtension(std::int64_t code, std::uint64_t offset)
{
    return pushNumber(ValueKind::Extension, code, offset);
}

ValueId ValueGraph::addBuffer(std::int64_t index, std::uint64_t offset)
{
    return pushNumber(ValueKind::Buffer, index, offset);
}

ValueId ValueGraph::addStorage(StorageRecord record, std::uint64_t offset)
{
    return pushRecord(m_storages, std::move(record), ValueKind::Storage, offset);
}

ValueId ValueGraph::addTensor(TensorRecord record, std::uint64_t offset)
{
    return pushRecord(m_tensors, std::move(record), ValueKind::Tensor, offset);
}

ValueId ValueGraph::addNdArray(NdArrayRecord record, std::uint64_t offset)
{
    return pushRecord(m_ndarrays, std::move(record), ValueKind::NdArray, offset);
}

void ValueGraph::setReadOnly(ValueId id)
{
    Q_ASSERT(kind(id) == ValueKind::Buffer || kind(id) == ValueKind::ByteArray);
    mutableAt(id).flags |= FlagReadOnly;
}

void ValueGraph::reserve(std::size_t values, std::size_t containers, std::size_t items)
{
    reserveWithHugePages(m_values, values);
    reserveWithHugePages(m_runs, containers);
    reservePool(items);
}

void ValueGraph::retypeAsTensor(ValueId id, TensorRecord record)
{
    retypeRecord(id, m_tensors, std::move(record), ValueKind::Tensor);
}

void ValueGraph::retypeAsNdArray(ValueId id, NdArrayRecord record)
{
    retypeRecord(id, m_ndarrays, std::move(record), ValueKind::NdArray);
}

void ValueGraph::retypeAsDict(ValueId id, DictClass cls, std::span<const ValueId> items)
{
    retypeAsContainer(id, ValueKind::Dict, items);
    mutableAt(id).sub = static_cast<std::uint16_t>(cls);
}

void ValueGraph::retypeAsContainer(ValueId id, ValueKind kind, std::span<const ValueId> items)
{
    Q_ASSERT(isContainer(kind));
    ++m_retypes;
    Value& v = mutableAt(id);
    if (isContainer(v.kind)) {
        v.kind = kind;
        v.sub = 0;
        replaceItems(id, items);
    } else {
        retypeRecord(id, m_runs, ItemRun { m_poolUsed, 0, 0 }, kind);
        appendItems(id, items);
    }
}

void ValueGraph::retypeAsBytes(ValueId id, ValueKind kind, std::string_view bytes)
{
    const std::string_view kept = intern(bytes);
    ++m_retypes;
    Value& v = mutableAt(id);
    v.kind = kind;
    v.sub = 0;
    v.flags = 0;
    setBlob(v, { reinterpret_cast<const std::byte*>(kept.data()), kept.size() });
}

void ValueGraph::retypeAsComplex(ValueId id, double real, double imag)
{
    retypeRecord(id, m_complexes, { real, imag }, ValueKind::Complex);
}

std::pair<double, double> ValueGraph::complexValue(ValueId id) const { return m_complexes[at(id).num.ref]; }

std::string_view ValueGraph::text(ValueId id) const
{
    const Value& v = at(id);
    if (!isBlob(v.kind))
        return {};
    const auto span = blobOf(v);
    return { reinterpret_cast<const char*>(span.data()), span.size() };
}

std::span<const std::byte> ValueGraph::bytes(ValueId id) const
{
    const Value& v = at(id);
    return isBlob(v.kind) ? blobOf(v) : std::span<const std::byte>();
}

std::span<const std::byte> ValueGraph::bigIntBytes(ValueId id) const { return bytes(id); }

std::string ValueGraph::intDecimal(ValueId id) const
{
    const Value& v = at(id);
    if (v.kind == ValueKind::Int || v.kind == ValueKind::Bool)
        return std::to_string(v.num.i);
    if (v.kind != ValueKind::BigInt)
        return {};
    bool negative = false;
    const auto payload = blobOf(v);
    // Decimal conversion is quadratic: beyond ~48,000 digits give exact hex instead.
    if (payload.size() > kMaxDecimalBytes) {
        std::vector<std::uint32_t> limbs = limbsFromTwosComplement(payload, negative);
        static const char* digits = "0123456789abcdef";
        std::string hex;
        for (std::size_t i = limbs.size(); i-- > 0;)
            for (int shift = 28; shift >= 0; shift -= 4)
                hex.push_back(digits[(limbs[i] >> shift) & 15]);
        const auto first = hex.find_first_not_of('0');
        return std::string(negative ? "-0x" : "0x") + (first == std::string::npos ? "0" : hex.substr(first));
    }
    auto limbs = limbsFromTwosComplement(payload, negative);
    return decimalFromLimbs(std::move(limbs), negative);
}

std::size_t ValueGraph::itemCount(ValueId id) const
{
    const std::size_t n = items(id).size();
    return kind(id) == ValueKind::Dict ? n / 2 : n;
}

ValueId ValueGraph::defaultFactory(ValueId dictId) const
{
    const auto it = m_defaultFactories.find(indexOf(dictId));
    return it == m_defaultFactories.end() ? kNullValue : it->second;
}

void ValueGraph::setDefaultFactory(ValueId dictId, ValueId factory) { m_defaultFactories[indexOf(dictId)] = factory; }

ValueId ValueGraph::extraState(ValueId id) const
{
    const auto it = m_extraStates.find(indexOf(id));
    return it == m_extraStates.end() ? kNullValue : it->second;
}

void ValueGraph::setExtraState(ValueId id, ValueId state) { m_extraStates[indexOf(id)] = state; }

void ValueGraph::forEachChild(ValueId id, const std::function<void(ValueId)>& visit) const
{
    core::forEachChild(*this, id, ChildSet::Graph, visit); // core/value/value_children.h
}

std::size_t ValueGraph::memoryUsage() const
{
    // The item pool: every slot handed out (live, spare and abandoned); a mapped pool's pages
    // past those are never touched, a heap block is counted whole.
    const std::size_t poolBytes
        = m_pool.mapped() ? m_poolUsed * sizeof(ValueId) : m_pool.capacity();
    return m_values.capacity() * sizeof(Value) + m_runs.capacity() * sizeof(ItemRun) + poolBytes
        + m_blobs.capacity() * sizeof(std::span<const std::byte>)
        + m_globals.capacity() * sizeof(GlobalRecord) + m_objects.capacity() * sizeof(ObjectRecord)
        + m_arena->total;
}

std::string_view valueKindName(ValueKind kind)
{
    // In ValueKind's order (Int and BigInt are both "int").
    static constexpr std::string_view kNames[] = { "none", "bool", "int", "int", "float", "complex", "str", "bytes",
        "bytearray", "list", "tuple", "dict", "set", "frozenset", "global", "object", "persistent", "extension",
        "buffer", "storage", "tensor", "ndarray" };
    static_assert(std::size(kNames) == std::size_t(ValueKind::NdArray) + 1);
    const auto index = static_cast<std::size_t>(kind);
    return index < std::size(kNames) ? kNames[index] : "object";
}

std::string_view objectViaName(ObjectVia via)
{
    static constexpr std::string_view kNames[] = { "reduce", "newobj", "newobj_ex", "inst", "obj" };
    static_assert(std::size(kNames) == std::size_t(ObjectVia::Obj) + 1);
    const auto index = static_cast<std::size_t>(via);
    return index < std::size(kNames) ? kNames[index] : "reduce";
}

} // namespace core
