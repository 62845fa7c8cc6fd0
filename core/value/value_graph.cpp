#include "core/value/value_graph.h"

#include "core/value/huge_pages.h"
#include "core/value/value_children.h"

#include <algorithm>
#include <cstring>

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

const std::vector<ValueId>& emptyItems()
{
    static const std::vector<ValueId> empty;
    return empty;
}

bool isContainer(ValueKind kind)
{
    return kind == ValueKind::List || kind == ValueKind::Tuple || kind == ValueKind::Dict
        || kind == ValueKind::Set || kind == ValueKind::FrozenSet;
}

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

ValueId ValueGraph::push(Value v, std::uint64_t offset)
{
    if (m_values.size() == m_values.capacity()) [[unlikely]]
        reserveWithHugePages(m_values, m_values.size() + 1);
    const auto index = static_cast<std::uint32_t>(m_values.size());
    std::uint64_t base = m_offsetBases.back().second;
    if (offset < base || offset - base > 0xFFFFFFFFu) [[unlikely]] {
        base = offset;
        if (m_offsetBases.back().first == index)
            m_offsetBases.back().second = base;
        else
            m_offsetBases.emplace_back(index, base);
    }
    v.where = static_cast<std::uint32_t>(offset - base);
    m_values.push_back(v);
    return static_cast<ValueId>(index);
}

std::uint64_t ValueGraph::offsetBase(std::uint32_t index) const
{
    // The last segment that starts at or before `index`.
    auto it = std::upper_bound(m_offsetBases.begin(), m_offsetBases.end(), index,
        [](std::uint32_t i, const std::pair<std::uint32_t, std::uint64_t>& seg) { return i < seg.first; });
    return std::prev(it)->second;
}

ValueId ValueGraph::addNone(std::uint64_t offset)
{
    Value v;
    v.kind = ValueKind::None;
    return push(v, offset);
}

ValueId ValueGraph::addBool(bool b, std::uint64_t offset)
{
    Value v;
    v.kind = ValueKind::Bool;
    v.num.i = b ? 1 : 0;
    return push(v, offset);
}

ValueId ValueGraph::addInt(std::int64_t i, std::uint64_t offset)
{
    Value v;
    v.kind = ValueKind::Int;
    v.num.i = i;
    return push(v, offset);
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

ValueId ValueGraph::addFloat(double f, std::uint64_t offset)
{
    Value v;
    v.kind = ValueKind::Float;
    v.num.f = f;
    return push(v, offset);
}

ValueId ValueGraph::addComplex(double real, double imag, std::uint64_t offset)
{
    m_complexes.emplace_back(real, imag);
    Value v;
    v.kind = ValueKind::Complex;
    v.num.ref = static_cast<std::uint32_t>(m_complexes.size() - 1);
    return push(v, offset);
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

ValueId ValueGraph::addContainer(ValueKind kind, std::uint64_t offset, std::vector<ValueId> items)
{
    m_lists.push_back(std::move(items));
    Value v;
    v.kind = kind;
    v.num.ref = static_cast<std::uint32_t>(m_lists.size() - 1);
    return push(v, offset);
}

ValueId ValueGraph::addGlobal(std::string_view module, std::string_view name, std::string_view pickledModule,
    std::string_view pickledName, std::uint64_t offset)
{
    m_globals.push_back({ module, name, pickledModule, pickledName });
    Value v;
    v.kind = ValueKind::Global;
    v.num.ref = static_cast<std::uint32_t>(m_globals.size() - 1);
    return push(v, offset);
}

ValueId ValueGraph::addObject(ObjectRecord record, std::uint64_t offset)
{
    m_objects.push_back(std::move(record));
    Value v;
    v.kind = ValueKind::Object;
    v.sub = static_cast<std::uint16_t>(m_objects.back().via);
    v.num.ref = static_cast<std::uint32_t>(m_objects.size() - 1);
    return push(v, offset);
}

ValueId ValueGraph::addPersistent(ValueId pid, std::uint64_t offset)
{
    Value v;
    v.kind = ValueKind::Persistent;
    v.num.u = indexOf(pid);
    return push(v, offset);
}

ValueId ValueGraph::addExtension(std::int64_t code, std::uint64_t offset)
{
    Value v;
    v.kind = ValueKind::Extension;
    v.num.i = code;
    return push(v, offset);
}

ValueId ValueGraph::addBuffer(std::int64_t index, std::uint64_t offset)
{
    Value v;
    v.kind = ValueKind::Buffer;
    v.num.i = index;
    return push(v, offset);
}

ValueId ValueGraph::addStorage(StorageRecord record, std::uint64_t offset)
{
    m_storages.push_back(std::move(record));
    Value v;
    v.kind = ValueKind::Storage;
    v.num.ref = static_cast<std::uint32_t>(m_storages.size() - 1);
    return push(v, offset);
}

ValueId ValueGraph::addTensor(TensorRecord record, std::uint64_t offset)
{
    m_tensors.push_back(std::move(record));
    Value v;
    v.kind = ValueKind::Tensor;
    v.num.ref = static_cast<std::uint32_t>(m_tensors.size() - 1);
    return push(v, offset);
}

ValueId ValueGraph::addNdArray(NdArrayRecord record, std::uint64_t offset)
{
    m_ndarrays.push_back(std::move(record));
    Value v;
    v.kind = ValueKind::NdArray;
    v.num.ref = static_cast<std::uint32_t>(m_ndarrays.size() - 1);
    return push(v, offset);
}

void ValueGraph::reserve(std::size_t values, std::size_t containers)
{
    reserveWithHugePages(m_values, values);
    reserveWithHugePages(m_lists, containers);
}

void ValueGraph::retypeAsTensor(ValueId id, TensorRecord record)
{
    m_tensors.push_back(std::move(record));
    Value& v = at(id);
    v.kind = ValueKind::Tensor;
    v.sub = 0;
    v.num.ref = static_cast<std::uint32_t>(m_tensors.size() - 1);
}

void ValueGraph::retypeAsNdArray(ValueId id, NdArrayRecord record)
{
    m_ndarrays.push_back(std::move(record));
    Value& v = at(id);
    v.kind = ValueKind::NdArray;
    v.sub = 0;
    v.num.ref = static_cast<std::uint32_t>(m_ndarrays.size() - 1);
}

void ValueGraph::retypeAsDict(ValueId id, DictClass cls, std::vector<ValueId> items)
{
    retypeAsContainer(id, ValueKind::Dict, std::move(items));
    at(id).sub = static_cast<std::uint16_t>(cls);
}

void ValueGraph::retypeAsContainer(ValueId id, ValueKind kind, std::vector<ValueId> items)
{
    Value& v = at(id);
    if (isContainer(v.kind)) {
        m_lists[v.num.ref] = std::move(items);
    } else {
        m_lists.push_back(std::move(items));
        v.num.ref = static_cast<std::uint32_t>(m_lists.size() - 1);
    }
    v.kind = kind;
    v.sub = 0;
}

void ValueGraph::retypeAsBytes(ValueId id, ValueKind kind, std::string_view bytes)
{
    const std::string_view kept = intern(bytes);
    Value& v = at(id);
    v.kind = kind;
    v.sub = 0;
    v.flags = 0;
    setBlob(v, { reinterpret_cast<const std::byte*>(kept.data()), kept.size() });
}

void ValueGraph::retypeAsComplex(ValueId id, double real, double imag)
{
    m_complexes.emplace_back(real, imag);
    Value& v = at(id);
    v.kind = ValueKind::Complex;
    v.sub = 0;
    v.num.ref = static_cast<std::uint32_t>(m_complexes.size() - 1);
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

const std::vector<ValueId>& ValueGraph::items(ValueId id) const
{
    const Value& v = at(id);
    return isContainer(v.kind) ? m_lists[v.num.ref] : emptyItems();
}

std::vector<ValueId>& ValueGraph::mutableItems(ValueId id) { return m_lists[at(id).num.ref]; }

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
    std::size_t total = m_values.capacity() * sizeof(Value) + m_lists.capacity() * sizeof(std::vector<ValueId>)
        + m_blobs.capacity() * sizeof(std::span<const std::byte>) + m_globals.capacity() * sizeof(GlobalRecord)
        + m_objects.capacity() * sizeof(ObjectRecord) + m_arena->total;
    for (const auto& list : m_lists)
        total += list.capacity() * sizeof(ValueId);
    return total;
}

std::string_view valueKindName(ValueKind kind)
{
    switch (kind) {
    case ValueKind::None: return "none";
    case ValueKind::Bool: return "bool";
    case ValueKind::Int:
    case ValueKind::BigInt: return "int";
    case ValueKind::Float: return "float";
    case ValueKind::Complex: return "complex";
    case ValueKind::Str: return "str";
    case ValueKind::Bytes: return "bytes";
    case ValueKind::ByteArray: return "bytearray";
    case ValueKind::List: return "list";
    case ValueKind::Tuple: return "tuple";
    case ValueKind::Dict: return "dict";
    case ValueKind::Set: return "set";
    case ValueKind::FrozenSet: return "frozenset";
    case ValueKind::Global: return "global";
    case ValueKind::Object: return "object";
    case ValueKind::Persistent: return "persistent";
    case ValueKind::Extension: return "extension";
    case ValueKind::Buffer: return "buffer";
    case ValueKind::Storage: return "storage";
    case ValueKind::Tensor: return "tensor";
    case ValueKind::NdArray: return "ndarray";
    }
    return "object";
}

std::string_view objectViaName(ObjectVia via)
{
    switch (via) {
    case ObjectVia::Reduce: return "reduce";
    case ObjectVia::NewObj: return "newobj";
    case ObjectVia::NewObjEx: return "newobj_ex";
    case ObjectVia::Inst: return "inst";
    case ObjectVia::Obj: return "obj";
    }
    return "reduce";
}

} // namespace core
