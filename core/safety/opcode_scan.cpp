#include "core/safety/opcode_scan.h"

#include "core/pickle/byte_reader.h"
#include "core/pickle/opcode_argument.h"
#include "core/pickle/opcodes.h"
#include "core/pickle/text_decoding.h"
#include "core/safety/global_rules.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace core::safety {

std::string_view globalOpcodeName(GlobalOpcode op)
{
    static constexpr std::string_view kNames[] = { "GLOBAL", "STACK_GLOBAL", "INST", "EXT" };
    const auto index = static_cast<std::size_t>(op);
    return index < std::size(kNames) ? kNames[index] : kNames[0];
}

namespace {

constexpr std::size_t kMaxUsesKept = 16;
constexpr std::size_t kMaxNameBytes = 4096; // longer strings are kept truncated (never a real name)
constexpr std::size_t kMaxNotes = 256; // findings/anomalies kept per stream

enum class Kind : std::uint8_t { Other, Str, Global, Call, Tuple, Missing /* memo miss */ };

// Call items: ref 0 = an ordinary result; kNewAccessor + g = cls.__new__ of global g (from
// getattr); kKnownCall = a call whose meaning is known (the NEWOBJ_EX fallback partial).
constexpr std::uint32_t kKnownCall = 0xFFFFFFFFu;
constexpr std::uint32_t kNewAccessor = 1;

struct Item {
    Kind kind = Kind::Other;
    std::uint8_t op = 0; // opcode that made it
    // Tuple: number of items; Str from a binary string opcode: its length (at most
    // kMaxNameBytes), the text itself is read back from the scanned bytes.
    std::uint16_t count = 0;
    // Str: index into the decoded texts (UNICODE, STRING only); Global: index into globals;
    // Tuple: first of m_tupleItems; Call: see kKnownCall.
    std::uint32_t ref = 0;
    std::uint64_t offset = 0; // absolute offset of that opcode
};
static_assert(sizeof(Item) == 16);

// Header size (opcode + length) of the binary string opcodes, 0 for every other opcode.
constexpr std::size_t binaryStringHeader(std::uint8_t op)
{
    const auto o = static_cast<Op>(op);
    const bool text = o == Op::ShortBinUnicode || o == Op::ShortBinString || o == Op::BinUnicode
        || o == Op::BinString || o == Op::BinUnicode8;
    return text ? 1 + opcodeInfo(op)->fixedSize : 0;
}

// A vector in fixed pages: growing never copies (no doubled peak: a 200,000-deep pickle's stack
// and marks cost what they hold), indices stay valid. Shrinking keeps the pages.
template <typename T, std::size_t Bits = 8> class PagedVector {
public:
    std::size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }
    T& operator[](std::size_t i) { return m_pages[i >> Bits][i & (kPage - 1)]; }
    const T& operator[](std::size_t i) const { return m_pages[i >> Bits][i & (kPage - 1)]; }
    T& back() { return (*this)[m_size - 1]; }
    const T& back() const { return (*this)[m_size - 1]; }
    void pop_back() { --m_size; }
    void resize(std::size_t n) { m_size = n; } // shrinking only
    [[gnu::always_inline]] void push_back(const T& value)
    {
        if (m_size == m_capacity) [[unlikely]]
            grow();
        (*this)[m_size++] = value;
    }

private:
    static constexpr std::size_t kPage = std::size_t(1) << Bits;
    [[gnu::noinline]] void grow()
    {
        m_pages.push_back(std::make_unique_for_overwrite<T[]>(kPage));
        m_capacity += kPage;
    }
    std::vector<std::unique_ptr<T[]>> m_pages;
    std::size_t m_size = 0;
    std::size_t m_capacity = 0;
};

// An item in 8 bytes: kind (3 bits) and opcode (8 bits), then for an "other" value nothing (its
// offset is never looked at: the memo drops it too), for a binary string its length (13 bits,
// at most kMaxNameBytes) and offset (40 bits: its text is read back from the scanned bytes),
// and for anything else (globals, calls, tuples, decoded strings, a binary string past 1 TiB)
// kSideTag and the index of its full Item in a side table. Most of a pickle is "other" values and
// binary strings: the stack and the memo hold those in half the bytes.
using Packed = std::uint64_t;
static_assert(static_cast<int>(Kind::Missing) < 7);
constexpr unsigned kPackedOpShift = 3;
constexpr unsigned kPackedCountShift = 11;
constexpr unsigned kPackedOffsetShift = 24;
constexpr unsigned kPackedRefShift = 11;
constexpr Packed kSideTag = 7; // in the kind bits: the item is in a side table (index from bit 11)
constexpr std::uint64_t kMaxPackedOffset = (std::uint64_t(1) << (64 - kPackedOffsetShift)) - 1;
static_assert(kMaxNameBytes < (std::size_t(1) << (kPackedOffsetShift - kPackedCountShift)));

constexpr Packed packOther(std::uint8_t op)
{
    return static_cast<Packed>(Kind::Other) | (Packed(op) << kPackedOpShift);
}
constexpr Packed packString(std::uint8_t op, std::size_t count, std::uint64_t offset)
{
    return static_cast<Packed>(Kind::Str) | (Packed(op) << kPackedOpShift)
        | (Packed(count) << kPackedCountShift) | (Packed(offset) << kPackedOffsetShift);
}
// Whether `item` packs without a side entry.
constexpr std::array<bool, 256> kBinaryString = [] {
    std::array<bool, 256> table {};
    for (std::size_t op = 0; op < table.size(); ++op)
        table[op] = binaryStringHeader(static_cast<std::uint8_t>(op)) != 0;
    return table;
}();
constexpr bool packsInline(const Item& item)
{
    return item.kind == Kind::Other
        || (item.kind == Kind::Str && kBinaryString[item.op] && item.offset <= kMaxPackedOffset);
}
constexpr Packed packInline(const Item& item)
{
    return item.kind == Kind::Other ? packOther(item.op)
                                    : packString(item.op, item.count, item.offset);
}
constexpr Kind packedKind(Packed p)
{
    return static_cast<Kind>(p & 7);
}
constexpr std::uint8_t packedOp(Packed p)
{
    return static_cast<std::uint8_t>(p >> kPackedOpShift);
}
// The item of an inline-packed Other or Str.
constexpr Item unpackInline(Packed p)
{
    if (packedKind(p) == Kind::Other)
        return Item { Kind::Other, packedOp(p), 0, 0, 0 };
    return Item { Kind::Str, packedOp(p),
        static_cast<std::uint16_t>((p >> kPackedCountShift)
            & ((Packed(1) << (kPackedOffsetShift - kPackedCountShift)) - 1)),
        0, p >> kPackedOffsetShift };
}

// The simulated stack: packed items in pages, items that do not pack inline in a side stack
// (with the stack position each sits at, so that truncating the stack drops them too).
class ItemStack {
public:
    std::size_t size() const { return m_packed.size(); }
    bool empty() const { return m_packed.empty(); }
    Item operator[](std::size_t i) const { return unpack(m_packed[i]); }
    Item back() const { return unpack(m_packed.back()); }
    Packed backPacked() const { return m_packed.back(); }
    void pop_back() { resize(size() - 1); }
    void resize(std::size_t n) // shrinking only
    {
        m_packed.resize(n);
        while (!m_side.empty() && m_side.back().at >= n)
            m_side.pop_back();
    }
    // Items [from, size()) into `out`.
    void copyTo(std::size_t from, std::vector<Item>& out) const
    {
        out.clear();
        for (std::size_t i = from; i < size(); ++i)
            out.push_back((*this)[i]);
    }
    [[gnu::always_inline]] void pushPacked(Packed p) { m_packed.push_back(p); }
    [[gnu::always_inline]] void push(const Item& item)
    {
        if (packsInline(item)) [[likely]] {
            m_packed.push_back(packInline(item));
            return;
        }
        pushSide(item);
    }

private:
    struct Side {
        Item item;
        std::size_t at = 0; // its stack position
    };
    [[gnu::noinline]] void pushSide(const Item& item)
    {
        m_packed.push_back(kSideTag | (Packed(m_side.size()) << kPackedRefShift));
        m_side.push_back({ item, m_packed.size() - 1 });
    }
    Item unpack(Packed p) const
    {
        if ((p & 7) == kSideTag) [[unlikely]]
            return m_side[static_cast<std::size_t>(p >> kPackedRefShift)].item;
        return unpackInline(p);
    }

    PagedVector<Packed, 12> m_packed;
    PagedVector<Side, 10> m_side;
};

// The memo: a map from index to Item. Indices picklers use (0, 1, 2, ...) live in dense pages of
// 4-byte slots: two flag bits (present, read) and a payload that is the opcode of an "other"
// value (what most memo entries are), the index of a binary string packed inline (its opcode,
// length and offset: a GET never reads the file's bytes back) or the index of a full Item. Indices
// past the opcodes read so far (LONG_BINPUT 0xffffffff) go to a map, so that they cost one entry.
class Memo {
public:
    // The item at `index` (now read), or one of kind Missing.
    [[gnu::always_inline]] Item get(std::uint64_t index)
    {
        if (index < m_denseSize) {
            std::uint32_t& slot = denseSlot(index);
            if ((slot & kPresent) == 0)
                return Item { Kind::Missing };
            slot |= kRead;
            return decode(slot);
        }
        const auto it = m_sparse.find(index);
        if (it == m_sparse.end())
            return Item { Kind::Missing };
        it->second.read = true;
        return it->second.item;
    }
    // The same for an item packed inline (an "other" value or a binary string): false when
    // `index` is missing or holds an item that does not pack inline (nothing is marked read).
    [[gnu::always_inline]] bool getInline(std::uint64_t index, Packed& out)
    {
        if (index >= m_denseSize)
            return false;
        std::uint32_t& slot = denseSlot(index);
        const std::uint32_t payload = slot & kPayload;
        if ((slot & kPresent) == 0)
            return false;
        if ((payload & kStrFlag) != 0)
            out = m_strings[payload & (kStrFlag - 1)];
        else if (payload >= kOtherTag)
            out = packOther(static_cast<std::uint8_t>(payload - kOtherTag));
        else
            return false;
        slot |= kRead;
        return true;
    }
    // Stores `item` at `index` (unread). `bound`: indices up to it may grow the dense part (the
    // number of opcodes read so far).
    void put(std::uint64_t index, std::uint64_t bound, const Item& item)
    {
        if (packsInline(item)) {
            putInline(index, bound, packInline(item));
            return;
        }
        if (std::uint32_t* slot = claim(index, bound)) {
            *slot = kPresent | allocate(m_freeItems, m_items, item);
            return;
        }
        putSparse(index, item);
    }
    // The same for an item packed inline.
    [[gnu::always_inline]] void putInline(std::uint64_t index, std::uint64_t bound, Packed p)
    {
        if (std::uint32_t* slot = claim(index, bound)) {
            *slot = kPresent
                | (packedKind(p) == Kind::Other ? kOtherTag + packedOp(p)
                                                : kStrFlag | allocate(m_freeStrings, m_strings, p));
            return;
        }
        putSparse(index, unpackInline(p));
    }
    std::size_t size() const { return m_count; }
    std::size_t unreadCount() const
    {
        std::size_t unread = 0;
        for (std::uint64_t i = 0; i < m_denseUsed; ++i)
            unread
                += (m_pages[i >> kPageBits][i & (kPageSize - 1)] & (kPresent | kRead)) == kPresent
                ? 1
                : 0;
        for (const auto& [index, slot] : m_sparse)
            unread += slot.read ? 0 : 1;
        return unread;
    }

private:
    static constexpr std::uint32_t kPresent = 1u << 31;
    static constexpr std::uint32_t kRead = 1u << 30;
    static constexpr std::uint32_t kPayload = kRead - 1;
    static constexpr std::uint32_t kStrFlag = 1u << 29; // payload: index into m_strings
    static constexpr std::uint32_t kOtherTag = kStrFlag - 0x100; // payload - kOtherTag = opcode
    // Side indices (at most one live entry per dense slot) stay below kOtherTag.
    static constexpr std::uint64_t kMaxDense = kOtherTag - 0x10000;
    static constexpr std::size_t kPageBits = 8; // 1 KiB pages: a small pickle pays little
    static constexpr std::size_t kPageSize = std::size_t(1) << kPageBits;

    struct SparseSlot {
        Item item;
        bool read = false;
    };

    // The dense slot to store `index` in (its old side entry released, the count kept), or
    // nullptr when `index` goes to the map.
    [[gnu::always_inline]] std::uint32_t* claim(std::uint64_t index, std::uint64_t bound)
    {
        if (index >= m_denseSize) {
            if (index > bound || index >= kMaxDense)
                return nullptr;
            grow(index);
        }
        std::uint32_t& slot = denseSlot(index);
        if ((slot & kPresent) == 0)
            ++m_count;
        else
            release(slot & kPayload);
        m_denseUsed = std::max(m_denseUsed, index + 1);
        return &slot;
    }
    void putSparse(std::uint64_t index, const Item& item)
    {
        auto [it, fresh] = m_sparse.try_emplace(index);
        if (fresh)
            ++m_count;
        it->second.item = item;
        it->second.read = false;
    }
    std::uint32_t& denseSlot(std::uint64_t index)
    {
        return m_pages[static_cast<std::size_t>(index >> kPageBits)][index & (kPageSize - 1)];
    }
    Item decode(std::uint32_t slot) const
    {
        const std::uint32_t payload = slot & kPayload;
        if ((payload & kStrFlag) != 0)
            return unpackInline(m_strings[payload & (kStrFlag - 1)]);
        if (payload >= kOtherTag)
            return Item { Kind::Other, static_cast<std::uint8_t>(payload - kOtherTag), 0, 0, 0 };
        return m_items[payload];
    }
    template <typename T, std::size_t Bits>
    std::uint32_t allocate(
        std::vector<std::uint32_t>& free, PagedVector<T, Bits>& store, const T& value)
    {
        if (!free.empty()) {
            const std::uint32_t i = free.back();
            free.pop_back();
            store[i] = value;
            return i;
        }
        store.push_back(value);
        return static_cast<std::uint32_t>(store.size() - 1);
    }
    void release(std::uint32_t payload)
    {
        if ((payload & kStrFlag) != 0)
            m_freeStrings.push_back(payload & (kStrFlag - 1));
        else if (payload < kOtherTag)
            m_freeItems.push_back(payload);
    }
    // Adds zeroed pages up to the one holding `index`; entries of the map that now fall in the
    // dense range move there.
    void grow(std::uint64_t index)
    {
        const std::uint64_t from = m_denseSize;
        while (m_denseSize <= index) {
            m_pages.push_back(std::make_unique<std::uint32_t[]>(kPageSize));
            m_denseSize += kPageSize;
        }
        if (m_sparse.empty())
            return;
        std::vector<std::pair<std::uint64_t, SparseSlot>> moving;
        if (m_sparse.size() < m_denseSize - from) {
            for (const auto& entry : m_sparse)
                if (entry.first >= from && entry.first < m_denseSize)
                    moving.push_back(entry);
        } else {
            for (std::uint64_t i = from; i < m_denseSize; ++i)
                if (const auto it = m_sparse.find(i); it != m_sparse.end())
                    moving.push_back(*it);
        }
        for (const auto& [i, slot] : moving) {
            m_sparse.erase(i);
            --m_count; // counted again by put()
            put(i, 0, slot.item);
            if (slot.read)
                denseSlot(i) |= kRead;
        }
    }

    std::vector<std::unique_ptr<std::uint32_t[]>> m_pages;
    std::uint64_t m_denseSize = 0; // m_pages.size() * kPageSize
    std::uint64_t m_denseUsed = 0; // past the highest dense index stored
    PagedVector<Packed> m_strings; // binary strings, packed inline
    PagedVector<Item> m_items; // other memo entries that are not "other" values
    std::vector<std::uint32_t> m_freeStrings, m_freeItems; // released side entries
    std::unordered_map<std::uint64_t, SparseSlot> m_sparse;
    std::size_t m_count = 0;
};

constexpr std::string_view opName(std::uint8_t byte)
{
    return opcodeName(byte);
}

// GET / PUT's text argument as the machine reads it (text_decoding's parseDecimalIndex): a
// memo index that is not negative and fits a Py_ssize_t.
bool decimalMemoIndex(std::string_view line, std::uint64_t& index)
{
    bool negative = false;
    const std::optional<std::uint64_t> magnitude = parseDecimalIndex(line, negative);
    if (!magnitude || (negative && *magnitude != 0) || *magnitude > std::uint64_t(INT64_MAX))
        return false;
    index = *magnitude;
    return true;
}

// UNICODE's argument for a name: raw-unicode-escape decoded, or the line as it is when it does
// not decode (the machine refuses such a pickle; the scan still shows what it says).
std::string decodeUnicodeLine(std::string_view line)
{
    std::string out;
    std::string problem;
    bool surrogates = false;
    if (!decodeRawUnicodeEscape(line, out, surrogates, problem))
        decodeLatin1(line, out);
    return out;
}

std::string_view asText(std::span<const std::byte> bytes)
{
    return { reinterpret_cast<const char*>(bytes.data()), bytes.size() };
}

std::string quoteForMessage(std::string_view text)
{
    std::string out = "'";
    for (const char c : text.substr(0, 64)) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) {
            static const char* digits = "0123456789abcdef";
            out += "\\x";
            out.push_back(digits[u >> 4]);
            out.push_back(digits[u & 15]);
        } else {
            out.push_back(c);
        }
    }
    if (text.size() > 64)
        out += "...";
    out += "'";
    return out;
}

// Opcodes to note for the weights-only lists: bit 0 refused by torch 2.x, bit 1 by torch 1.13.
constexpr std::array<std::uint8_t, 256> kRefusedBy = [] {
    std::array<std::uint8_t, 256> table {};
    for (std::size_t op = 0; op < table.size(); ++op) {
        // through the index, not a pointer test: GCC's sanitizer builds do not fold
        // `&kOpcodes[i] != nullptr` in a constant expression
        const std::int8_t index = kOpcodeIndex[op];
        const std::uint8_t accepted
            = index < 0 ? 0 : kOpcodes[static_cast<std::size_t>(index)].weightsOnly;
        table[op] = static_cast<std::uint8_t>(((accepted & kWeightsOnlyV2) != 0 ? 0 : 1)
            | ((accepted & kWeightsOnlyV113) != 0 ? 0 : 2));
    }
    return table;
}();

// The size of each opcode's fixed argument part (an integer, or a counted payload's length).
constexpr std::array<std::uint8_t, 256> kFixedSize = [] {
    std::array<std::uint8_t, 256> table {};
    for (std::size_t op = 0; op < table.size(); ++op) {
        const std::int8_t index = kOpcodeIndex[op];
        table[op] = index < 0 ? 0 : kOpcodes[static_cast<std::size_t>(index)].fixedSize;
    }
    return table;
}();

class Scanner {
public:
    Scanner(std::span<const std::byte> bytes, std::uint64_t base)
        : m_reader(bytes, base)
    {
    }

    OpcodeScan run(ScanWalk walk);

private:
    std::size_t fastRun(std::size_t pos);
    // Notes `op` for the weights-only lists when a torch version refuses it and it was not seen.
    void noteWeightsOnly(std::uint8_t op, std::uint64_t offset)
    {
        if ((m_toNote[op] & 1) != 0)
            m_out.weightsOnlyRejected2.emplace_back(op, offset);
        if ((m_toNote[op] & 2) != 0)
            m_out.weightsOnlyRejected113.emplace_back(op, offset);
        m_toNote[op] = 0;
    }

    void fail(ErrorCode code, std::uint64_t offset, std::uint8_t op, std::string message)
    {
        if (m_out.error)
            return;
        std::string text = std::string(opName(op)) + ": " + message;
        m_out.error = makeError(code, offset, std::move(text));
    }
    void finding(std::uint64_t offset, std::string message, Verdict verdict = Verdict::Unknown)
    {
        if (m_out.findings.size() < kMaxNotes)
            m_out.findings.push_back({ verdict, offset, std::move(message) });
    }
    void anomaly(std::uint64_t offset, std::string message)
    {
        if (m_out.anomalies.size() < kMaxNotes)
            m_out.anomalies.push_back({ Verdict::Unknown, offset, std::move(message) });
    }

    std::size_t floor() const { return m_marks.empty() ? 0 : m_marks.back(); }
    bool pop(Item& out)
    {
        if (m_stack.size() <= floor())
            return false;
        out = m_stack.back();
        m_stack.pop_back();
        return true;
    }
    bool popMark(std::vector<Item>* items)
    {
        if (m_marks.empty())
            return false;
        const std::size_t mark = m_marks.back();
        m_marks.pop_back();
        if (items != nullptr)
            m_stack.copyTo(mark, *items);
        m_stack.resize(mark);
        return true;
    }
    [[gnu::always_inline]] void push(Kind kind, std::uint8_t op, std::uint64_t offset,
        std::uint32_t ref = 0, std::uint16_t count = 0)
    {
        if (kind == Kind::Global)
            ++m_out.globals[ref].pushes;
        m_stack.push(Item { kind, op, count, ref, offset });
    }
    void pushItem(const Item& item) { push(item.kind, item.op, item.offset, item.ref, item.count); }
    // A string's text: decoded ones are kept, binary ones are read back from the bytes.
    std::string_view textOf(const Item& item) const
    {
        const std::size_t header = binaryStringHeader(item.op);
        if (header == 0)
            return m_texts[item.ref];
        const auto at = static_cast<std::size_t>(item.offset - m_reader.baseOffset()) + header;
        return asText(m_reader.data().subspan(at, item.count));
    }
    bool isGlobal(const Item& item, std::initializer_list<std::string_view> modules,
        std::string_view name) const
    {
        if (item.kind != Kind::Global)
            return false;
        const RawGlobal& g = m_out.globals[item.ref];
        if (g.name != name)
            return false;
        for (std::string_view m : modules)
            if (g.module == m)
                return true;
        return false;
    }
    // A tuple is remembered only when small and holding what recognise() looks at.
    void pushTuple(const Item* items, std::size_t n, std::uint8_t op, std::uint64_t offset)
    {
        bool worth = n >= 1 && n <= 3;
        for (std::size_t i = 0; worth && i < n; ++i)
            worth = items[i].kind == Kind::Global || items[i].kind == Kind::Str
                || items[i].kind == Kind::Call;
        if (!worth) {
            push(Kind::Other, op, offset);
            return;
        }
        const auto start = static_cast<std::uint32_t>(m_tupleItems.size());
        m_tupleItems.insert(m_tupleItems.end(), items, items + n);
        push(Kind::Tuple, op, offset, start, static_cast<std::uint16_t>(n));
    }

    // REDUCE of a callable whose meaning is known from its arguments. Returns the ref of the
    // call result (see kKnownCall), or 0.
    std::uint32_t recognise(const Item& callable, const Item& args)
    {
        if (args.kind != Kind::Tuple)
            return 0;
        const std::span<const Item> t(m_tupleItems.data() + args.ref, args.count);
        if (isGlobal(callable, { "builtins", "__builtin__" }, "getattr") && t.size() == 2
            && t[0].kind == Kind::Global && t[1].kind == Kind::Str) {
            RawGlobal& g = m_out.globals[callable.ref];
            const RawGlobal& target = m_out.globals[t[0].ref];
            const std::string_view attr = textOf(t[1]);
            ++g.recognisedCalls;
            if (g.staticTargets.size() < kMaxUsesKept)
                g.staticTargets.emplace_back(target.module, target.name + "." + std::string(attr));
            return attr == "__new__" ? kNewAccessor + t[0].ref : 0;
        }
        if (isGlobal(callable, { "functools", "_functools" }, "partial") && t.size() == 1
            && t[0].kind == Kind::Call && t[0].ref != 0 && t[0].ref != kKnownCall) {
            RawGlobal& g = m_out.globals[callable.ref];
            ++g.recognisedCalls;
            if (g.staticTargets.size() < kMaxUsesKept)
                g.staticTargets.emplace_back("", "cls.__new__");
            return kKnownCall;
        }
        return 0;
    }
    std::uint32_t addText(std::string text)
    {
        if (text.size() > kMaxNameBytes)
            text.resize(kMaxNameBytes);
        m_texts.push_back(std::move(text));
        return static_cast<std::uint32_t>(m_texts.size() - 1);
    }
    void use(const Item& item, std::uint64_t offset)
    {
        if (item.kind != Kind::Global)
            return;
        auto& uses = m_out.globals[item.ref].uses;
        if (uses.size() < kMaxUsesKept)
            uses.push_back(offset);
    }
    // A callable that is not a global: something computed (getattr chains and the like).
    void callOn(const Item& callable, std::uint8_t op, std::uint64_t offset)
    {
        if (callable.kind == Kind::Global) {
            use(callable, offset);
            return;
        }
        if (callable.kind == Kind::Call && callable.ref != kKnownCall)
            finding(offset,
                std::string(opName(op)) + " calls a value computed by "
                    + std::string(opName(callable.op)) + " at byte "
                    + std::to_string(callable.offset) + " (a callable fetched at load time)");
        else if (callable.kind == Kind::Str)
            finding(
                offset, std::string(opName(op)) + " calls a string: the pickle would fail here");
    }
    void discard(const Item& item, std::uint64_t offset, std::string_view how)
    {
        if (item.kind == Kind::Call)
            anomaly(offset,
                "result of " + std::string(opName(item.op)) + " at byte "
                    + std::to_string(item.offset) + " is " + std::string(how)
                    + ": a call made only for its side effects (typical of injected payloads)");
    }
    void addGlobal(std::string module, std::string name, GlobalOpcode op, std::uint64_t offset,
        bool resolved, std::string why)
    {
        RawGlobal g;
        g.module = std::move(module);
        g.name = std::move(name);
        g.opcode = op;
        g.offset = offset;
        g.resolved = resolved;
        g.unresolvedWhy = std::move(why);
        m_out.globals.push_back(std::move(g));
    }
    std::string describe(const Item& item) const
    {
        switch (item.kind) {
        case Kind::Str:
            return "the string " + quoteForMessage(textOf(item));
        case Kind::Global: {
            const RawGlobal& g = m_out.globals[item.ref];
            return "the global " + g.module + "." + g.name;
        }
        case Kind::Call:
            return "a call result (" + std::string(opName(item.op)) + ")";
        case Kind::Other:
        case Kind::Tuple:
        case Kind::Missing:
            return "a " + std::string(opName(item.op)) + " value";
        }
        return "a value";
    }

    ByteReader m_reader;
    OpcodeScan m_out;
    ItemStack m_stack;
    PagedVector<std::size_t, 10> m_marks;
    std::vector<std::string> m_texts; // decoded UNICODE and STRING texts
    std::vector<Item> m_tupleItems; // items of the small tuples worth remembering, back to back
    std::vector<Item> m_items; // what a MARK popped, when it is looked at
    Memo m_memo;
    int m_protoCount = 0;
    std::array<std::uint8_t, 256> m_toNote = kRefusedBy; // what noteWeightsOnly() still notes
};

// The opcodes most of a real pickle is made of, walked from `pos` while their arguments are in
// bounds and nothing fails: the same effects as the general walk in run() (which handles
// everything else, errors included, and is the reference: tst_safety and tst_opcode_scan compare
// the two walks over every fixture, truncations and mutations of them). Argument sizes come from
// the opcode table. Returns the position of the first opcode left to the general walk (nothing
// of it done), or the end of the bytes.
std::size_t Scanner::fastRun(std::size_t pos)
{
    const std::byte* const data = m_reader.data().data();
    const std::size_t size = m_reader.size();
    const std::uint64_t base = m_reader.baseOffset();
    std::size_t count = m_out.opcodeCount;
    auto le = [](const std::byte* p, std::size_t width) {
        std::uint64_t value = 0;
        for (std::size_t i = width; i-- > 0;)
            value = (value << 8) | static_cast<std::uint8_t>(p[i]);
        return value;
    };
    while (pos < size) {
        const auto op = static_cast<std::uint8_t>(data[pos]);
        const std::byte* const arg = data + pos + 1;
        const std::size_t left = size - pos - 1; // bytes after the opcode
        std::size_t width = kFixedSize[op]; // of the fixed part of its argument
        if (width > left)
            break;
        switch (static_cast<Op>(op)) {
        case Op::BinGet:
        case Op::LongBinGet: {
            // A miss, or a global, call, tuple or decoded string: the general walk.
            Packed item = 0;
            if (!m_memo.getInline(le(arg, width), item))
                break;
            m_stack.pushPacked(item);
            goto done;
        }
        case Op::Memoize:
        case Op::BinPut:
        case Op::LongBinPut: {
            if (m_stack.size() <= floor())
                break;
            const Packed top = m_stack.backPacked();
            if ((top & 7) == kSideTag)
                break;
            m_memo.putInline(width == 0 ? m_memo.size() : le(arg, width), count + 1, top);
            ++m_out.memoWrites;
            goto done;
        }
        case Op::Mark:
            m_marks.push_back(m_stack.size());
            goto done;
        case Op::None:
        case Op::NewTrue:
        case Op::NewFalse:
        case Op::EmptyList:
        case Op::EmptyDict:
        case Op::EmptyTuple:
        case Op::EmptySet:
        case Op::BinInt1:
        case Op::BinInt2:
        case Op::BinInt:
        case Op::BinFloat:
            m_stack.pushPacked(packOther(op));
            goto done;
        case Op::ShortBinBytes:
        case Op::BinBytes:
        case Op::ShortBinUnicode:
        case Op::BinUnicode: {
            const std::uint64_t length = le(arg, width); // both unsigned
            if (length > left - width)
                break;
            if (!kBinaryString[op])
                m_stack.pushPacked(packOther(op));
            else if (base + pos <= kMaxPackedOffset)
                m_stack.pushPacked(
                    packString(op, std::min<std::uint64_t>(length, kMaxNameBytes), base + pos));
            else
                break;
            width += static_cast<std::size_t>(length);
            goto done;
        }
        case Op::Appends:
        case Op::SetItems: {
            // popMark() then "something below the mark to add to".
            const std::size_t n = m_marks.size();
            if (n == 0 || m_marks[n - 1] <= (n >= 2 ? m_marks[n - 2] : 0))
                break;
            popMark(nullptr);
            goto done;
        }
        case Op::Append:
        case Op::SetItem: {
            const std::size_t n = op == static_cast<std::uint8_t>(Op::Append) ? 1 : 2;
            if (m_stack.size() < floor() + n + 1)
                break;
            m_stack.resize(m_stack.size() - n);
            goto done;
        }
        case Op::Frame:
            goto done;
        default:
            break;
        }
        break; // left to the general walk
    done:
        ++count;
        if (m_toNote[op] != 0) [[unlikely]]
            noteWeightsOnly(op, base + pos);
        pos += 1 + width;
    }
    m_out.opcodeCount = count;
    return pos;
}

OpcodeScan Scanner::run(ScanWalk walk)
{
    const bool fast = walk == ScanWalk::Fast;
    while (!m_out.error) {
        std::size_t pos = m_reader.pos();
        if (fast) {
            pos = fastRun(pos);
            m_reader.seek(pos);
        }
        const std::uint64_t offset = m_reader.absolute(pos);
        std::uint8_t op = 0;
        if (m_reader.u8(op) != ReadStatus::Ok) {
            m_out.error = makeError(ErrorCode::EndOfInput, offset, "pickle ends without STOP");
            break;
        }
        const OpcodeInfo* info = opcodeInfo(op);
        if (info == nullptr) {
            m_out.error = makeError(ErrorCode::UnknownOpcode, offset,
                "unknown opcode 0x" + std::string(1, "0123456789abcdef"[op >> 4])
                    + std::string(1, "0123456789abcdef"[op & 15]));
            break;
        }
        ++m_out.opcodeCount;
        if (m_toNote[op] != 0) [[unlikely]]
            noteWeightsOnly(op, offset);

        // The argument, through the one front end.
        RawArg raw;
        if (!readArgumentInto(m_reader, *info, raw)) {
            m_out.error = argumentError(m_reader, *info, offset);
            break;
        }
        const std::string_view line = raw.line, line2 = raw.line2;
        const std::span<const std::byte> payload = raw.payload;
        const std::uint64_t number = raw.value;

        auto underflow = [&] { fail(ErrorCode::StackUnderflow, offset, op, "stack underflow"); };
        // popMark(), reporting a missing MARK.
        auto takeMark = [&](std::vector<Item>* into) {
            if (popMark(into))
                return true;
            fail(ErrorCode::MarkError, offset, op, "no MARK to pop to");
            return false;
        };
        Item a, b, c;
        std::vector<Item>& items = m_items; // filled by popMark() only

        switch (static_cast<Op>(op)) {
        case Op::Proto:
            ++m_protoCount;
            m_out.protocol = std::max(m_out.protocol, static_cast<int>(number));
            if (m_protoCount > 1)
                anomaly(offset,
                    "duplicate PROTO (PROTO " + std::to_string(number)
                        + "): the stream was edited");
            else if (pos != 0)
                anomaly(offset, "misplaced PROTO (not the first opcode): the stream was edited");
            break;
        case Op::Frame:
            break;
        case Op::Stop: {
            if (!m_marks.empty())
                anomaly(offset, std::to_string(m_marks.size()) + " MARK(s) still open at STOP");
            if (m_stack.empty()) {
                fail(ErrorCode::StackUnderflow, offset, op, "STOP with an empty stack");
                break;
            }
            if (m_stack.size() > 1) {
                anomaly(offset,
                    std::to_string(m_stack.size() - 1)
                        + " value(s) left on the stack under the result at STOP (Python ignores "
                          "them)");
                for (std::size_t i = 0; i + 1 < m_stack.size(); ++i)
                    discard(m_stack[i], offset, "left on the stack at STOP");
            }
            m_out.stopped = true;
            break;
        }
        case Op::Mark:
            m_marks.push_back(m_stack.size());
            break;
        case Op::Pop:
            if (m_stack.size() > floor()) {
                pop(a);
                discard(a, offset, "discarded by POP");
            } else if (!m_marks.empty()) {
                m_marks.pop_back();
            } else {
                underflow();
            }
            break;
        case Op::PopMark:
            items.clear();
            takeMark(&items);
            for (const Item& item : items)
                discard(item, offset, "discarded by POP_MARK");
            break;
        case Op::Dup:
            if (m_stack.size() <= floor())
                underflow();
            else
                pushItem(m_stack.back());
            break;
        // Strings (possible STACK_GLOBAL operands).
        case Op::ShortBinUnicode:
        case Op::BinUnicode:
        case Op::BinUnicode8:
        case Op::ShortBinString:
        case Op::BinString:
            // The text stays in the scanned bytes (see textOf()).
            push(Kind::Str, op, offset, 0,
                static_cast<std::uint16_t>(std::min<std::size_t>(payload.size(), kMaxNameBytes)));
            break;
        case Op::Unicode:
            push(Kind::Str, op, offset,
                addText(decodeUnicodeLine(line.substr(0, kMaxNameBytes * 2))));
            break;
        case Op::String: {
            std::string text;
            std::string problem;
            if (!decodeStringLiteral(line, text, problem)) {
                fail(ErrorCode::BadArgument, offset, op, problem);
                break;
            }
            push(Kind::Str, op, offset, addText(std::move(text)));
            break;
        }
        // Plain values.
        case Op::None:
        case Op::NewTrue:
        case Op::NewFalse:
        case Op::Int:
        case Op::BinInt:
        case Op::BinInt1:
        case Op::BinInt2:
        case Op::Long:
        case Op::Long1:
        case Op::Long4:
        case Op::Float:
        case Op::BinFloat:
        case Op::BinBytes:
        case Op::ShortBinBytes:
        case Op::BinBytes8:
        case Op::ByteArray8:
        case Op::EmptyTuple:
        case Op::EmptyList:
        case Op::EmptyDict:
        case Op::EmptySet:
        case Op::NextBuffer:
            push(Kind::Other, op, offset);
            break;
        case Op::PersId:
            ++m_out.persistentIds;
            push(Kind::Other, op, offset);
            break;
        case Op::Ext1:
        case Op::Ext2:
        case Op::Ext4:
            finding(offset,
                std::string(opName(op)) + " " + std::to_string(number)
                    + " imports whatever copyreg's extension registry maps the code to (not "
                      "visible in the file)");
            addGlobal("copyreg", "_extension_registry[" + std::to_string(number) + "]",
                GlobalOpcode::Ext, offset, false, "extension code " + std::to_string(number));
            push(Kind::Global, op, offset, static_cast<std::uint32_t>(m_out.globals.size() - 1));
            break;
        case Op::ReadOnlyBuffer:
            if (m_stack.size() <= floor())
                underflow();
            break;
        case Op::BinPersId:
            ++m_out.persistentIds;
            if (!pop(a))
                underflow();
            else
                push(Kind::Other, op, offset);
            break;
        // Containers.
        case Op::Tuple:
            if (takeMark(&items))
                pushTuple(items.data(), items.size(), op, offset);
            break;
        case Op::List:
        case Op::Dict:
        case Op::FrozenSet:
            if (takeMark(nullptr))
                push(Kind::Other, op, offset);
            break;
        case Op::Tuple1:
        case Op::Tuple2:
        case Op::Tuple3: {
            const std::size_t n = op == static_cast<std::uint8_t>(Op::Tuple1) ? 1
                : op == static_cast<std::uint8_t>(Op::Tuple2)                 ? 2
                                                                              : 3;
            if (m_stack.size() < floor() + n) {
                underflow();
                break;
            }
            Item tuple[3];
            for (std::size_t i = 0; i < n; ++i)
                tuple[i] = m_stack[m_stack.size() - n + i];
            m_stack.resize(m_stack.size() - n);
            pushTuple(tuple, n, op, offset);
            break;
        }
        case Op::Append:
            if (!pop(a) || m_stack.size() <= floor())
                underflow();
            break;
        case Op::SetItem:
            if (!pop(a) || !pop(b) || m_stack.size() <= floor())
                underflow();
            break;
        case Op::Appends:
        case Op::SetItems:
        case Op::AddItems:
            if (takeMark(nullptr) && m_stack.size() <= floor())
                underflow();
            break;
        // Memo.
        case Op::Put:
        case Op::BinPut:
        case Op::LongBinPut:
        case Op::Memoize: {
            if (m_stack.size() <= floor()) {
                underflow();
                break;
            }
            std::uint64_t index = number;
            if (static_cast<Op>(op) == Op::Put && !decimalMemoIndex(line, index)) {
                fail(ErrorCode::BadArgument, offset, op, "memo index is not a decimal number");
                break;
            }
            if (static_cast<Op>(op) == Op::Memoize)
                index = m_memo.size();
            m_memo.put(index, m_out.opcodeCount, m_stack.back());
            ++m_out.memoWrites;
            break;
        }
        case Op::Get:
        case Op::BinGet:
        case Op::LongBinGet: {
            std::uint64_t index = number;
            if (static_cast<Op>(op) == Op::Get && !decimalMemoIndex(line, index)) {
                fail(ErrorCode::BadArgument, offset, op, "memo index is not a decimal number");
                break;
            }
            a = m_memo.get(index);
            if (a.kind == Kind::Missing) {
                fail(ErrorCode::MemoMiss, offset, op,
                    "memo key " + std::to_string(index) + " was never stored");
                break;
            }
            pushItem(a);
            break;
        }
        // Globals and calls.
        case Op::Global: {
            const auto index = static_cast<std::uint32_t>(m_out.globals.size());
            addGlobal(
                std::string(line), std::string(line2), GlobalOpcode::Global, offset, true, {});
            push(Kind::Global, op, offset, index);
            break;
        }
        case Op::StackGlobal: {
            if (!pop(b) || !pop(a)) {
                underflow();
                break;
            }
            const auto index = static_cast<std::uint32_t>(m_out.globals.size());
            if (a.kind == Kind::Str && b.kind == Kind::Str) {
                addGlobal(std::string(textOf(a)), std::string(textOf(b)), GlobalOpcode::StackGlobal,
                    offset, true, {});
            } else {
                // A value whose type is only known at load time (a call result, a global, a
                // persistent id) may well be a str: the import target is hidden. A literal of
                // another type makes CPython refuse ("STACK_GLOBAL requires str").
                auto hidden = [](const Item& item) {
                    return item.kind == Kind::Call || item.kind == Kind::Global
                        || (item.kind == Kind::Other
                            && (item.op == static_cast<std::uint8_t>(Op::PersId)
                                || item.op == static_cast<std::uint8_t>(Op::BinPersId)));
                };
                const bool isHidden = hidden(a) || hidden(b);
                const std::string why = "module is " + describe(a) + ", name is " + describe(b);
                finding(offset,
                    "STACK_GLOBAL with operands that are not plain strings: " + why
                        + (isHidden ? " (the import target is computed at load time)"
                                    : " (CPython refuses this: STACK_GLOBAL requires str)"),
                    isHidden ? Verdict::Dangerous : Verdict::Unknown);
                addGlobal(a.kind == Kind::Str ? std::string(textOf(a)) : std::string("?"),
                    b.kind == Kind::Str ? std::string(textOf(b)) : std::string("?"),
                    GlobalOpcode::StackGlobal, offset, false,
                    isHidden ? why : "refused by CPython: " + why);
            }
            push(Kind::Global, op, offset, index);
            break;
        }
        case Op::Inst: {
            if (!takeMark(nullptr))
                break;
            addGlobal(std::string(line), std::string(line2), GlobalOpcode::Inst, offset, true, {});
            m_out.globals.back().uses.push_back(offset);
            push(Kind::Call, op, offset);
            break;
        }
        case Op::Obj: {
            if (!takeMark(&items))
                break;
            if (items.empty()) {
                fail(ErrorCode::StackUnderflow, offset, op, "OBJ with nothing after its MARK");
                break;
            }
            callOn(items.front(), op, offset);
            push(Kind::Call, op, offset);
            break;
        }
        case Op::Reduce: {
            if (!pop(b) || !pop(a)) {
                underflow();
                break;
            }
            callOn(a, op, offset);
            const std::uint32_t known = recognise(a, b);
            push(Kind::Call, op, offset, known);
            break;
        }
        case Op::NewObj: // cls, args
        case Op::NewObjEx: // cls, args, kwargs
            if ((static_cast<Op>(op) == Op::NewObjEx && !pop(c)) || !pop(b) || !pop(a)) {
                underflow();
                break;
            }
            callOn(a, op, offset);
            push(Kind::Call, op, offset);
            break;
        case Op::Build:
            if (!pop(a) || m_stack.size() <= floor()) {
                underflow();
                break;
            }
            if (m_stack.back().kind == Kind::Global) {
                use(m_stack.back(), offset);
                finding(offset,
                    "BUILD sets attributes directly on " + describe(m_stack.back())
                        + " (changes a class or module at load time)");
            }
            break;
        }
        if (m_out.stopped)
            break;
    }

    m_out.endOffset = m_reader.absolute(m_reader.pos());
    m_out.memoUnread = m_memo.unreadCount();
    return std::move(m_out);
}

} // namespace

OpcodeScan scanOpcodes(std::span<const std::byte> bytes, std::uint64_t baseOffset)
{
    return scanOpcodes(bytes, baseOffset, ScanWalk::Fast);
}

OpcodeScan scanOpcodes(std::span<const std::byte> bytes, std::uint64_t baseOffset, ScanWalk walk)
{
    Scanner scanner(bytes, baseOffset);
    return scanner.run(walk);
}

const OpcodeScan* Prescan::find(std::span<const std::byte> program, std::uint64_t offset) const
{
    if (offset > bytes.size() || program.size() > bytes.size() - offset
        || program.data() != bytes.data() + offset)
        return nullptr;
    const auto it = std::lower_bound(scans.begin(), scans.end(), offset,
        [](const auto& entry, std::uint64_t at) { return entry.first < at; });
    if (it == scans.end() || it->first != offset)
        return nullptr;
    const std::uint64_t end = offset + program.size();
    const OpcodeScan& scan = it->second;
    if (end == bytes.size() || (scan.stopped && scan.endOffset == end))
        return &scan;
    return nullptr;
}

Prescan prescanStacked(std::span<const std::byte> bytes, std::size_t maxScans)
{
    Prescan out;
    out.bytes = bytes;
    std::size_t pos = 0;
    while (pos < bytes.size() && out.scans.size() < maxScans) {
        OpcodeScan scan = scanOpcodes(bytes.subspan(pos), pos);
        const bool stopped = scan.stopped;
        const auto consumed = static_cast<std::size_t>(scan.endOffset - pos);
        out.scans.emplace_back(pos, std::move(scan));
        if (!stopped || consumed == 0)
            break;
        pos += consumed;
    }
    return out;
}

} // namespace core::safety
