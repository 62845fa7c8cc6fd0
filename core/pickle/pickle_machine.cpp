#include "core/pickle/pickle_machine.h"

#include "core/pickle/byte_reader.h"
#include "core/pickle/opcode_argument.h"
#include "core/pickle/opcodes.h"
#include "core/pickle/reconstructors.h"
#include "core/pickle/text_decoding.h"
#include "core/value/huge_pages.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <span>

namespace core {

namespace {

constexpr std::uint32_t kPollEvery = 4096;
constexpr std::size_t kDictIndexThreshold = 16;
constexpr std::size_t kMaxContainerItems = 0xFFFFFFFFu; // a container's item count is 32-bit

// Python's equality for hashable scalars, so repeated dict keys and set members collapse as
// they do in CPython ({1: 'a', 1.0: 'b', True: 'c'} is {1: 'c'}). Kinds compared by identity
// (tuples, objects, globals) hash by id.
struct KeyOf {
    std::uint64_t hash = 0;
    std::uint8_t cls = 0; // 0 numeric, 1 str, 2 bytes, 3 none, 4 identity
};

} // namespace

struct PickleMachine::Impl {
    PickleMachine& m;
    ValueGraph& g;
    ByteReader r;
    std::vector<ValueId> stack;
    std::vector<std::uint32_t> marks; // stack positions (the depth limit keeps them under 2^32)
    // The stack depth limit (items + marks), read once; below 2^32 so marks fit 32 bits.
    const std::size_t depthLimit;
    std::uint64_t opOffset = 0; // absolute offset of the current opcode
    const OpcodeInfo* opInfo = nullptr; // the opcode being run (for error messages)
    const char* opName() const { return opInfo != nullptr ? opInfo->name.data() : ""; }
    std::int64_t bufferCount = 0;
    // Per-container key index for large dicts/sets (dedupe on insert), dropped after load.
    std::unordered_map<std::uint32_t, std::unordered_multimap<std::uint64_t, std::uint32_t>>
        keyIndex;
    // The keys of the last SETITEMS batch found distinct and hashable, while no value was retyped
    // since: a pickle of records writes every dict with the same memoized keys, so the next
    // batch's check is a comparison of ids.
    std::array<ValueId, kDictIndexThreshold> distinctKeys {};
    std::size_t distinctKeyCount = 0;
    std::uint64_t distinctKeysRetypes = 0;

    Impl(PickleMachine& machine, std::span<const std::byte> data, std::uint64_t base)
        : m(machine)
        , g(machine.m_graph)
        , r(data, base)
        , depthLimit(std::min<std::size_t>(
              machine.m_options.limits.maxStackDepth, std::numeric_limits<std::uint32_t>::max()))
    {
        // Address space for the stack and the marks as deep as the input could make them (up to
        // 4 Mi entries each), so that deep nesting does not regrow them entry by entry.
        const std::size_t deepest
            = std::min<std::size_t>({ data.size() / 2, depthLimit, std::size_t(1) << 22 });
        stack.reserve(deepest);
        marks.reserve(deepest);
    }

    // ---- errors ------------------------------------------------------------------------------
    Error fail(ErrorCode code, std::string message) const
    {
        return makeError(code, opOffset, std::string(opName()) + ": " + std::move(message));
    }

    // ---- the one checking helper for the stack -------------------------------------------------
    std::size_t fence() const { return marks.empty() ? 0 : marks.back(); }

    Error underflow() const
    {
        return marks.empty() || marks.back() != stack.size()
            ? fail(ErrorCode::StackUnderflow, "unpickling stack underflow")
            : fail(ErrorCode::MarkError, "unexpected MARK found");
    }

    // Requires n items above the fence.
    Result<void> need(std::size_t n) const
    {
        if (stack.size() < fence() + n)
            return underflow();
        return {};
    }

    // Every growth of the stack (items and MARKs) goes through here: one depth limit.
    static constexpr ValueId kMarkTag = kNullValue;
    Result<void> push(ValueId id)
    {
        if (stack.size() + marks.size() >= depthLimit) [[unlikely]]
            return depthFailure();
        if (id == kMarkTag) [[unlikely]]
            marks.push_back(static_cast<std::uint32_t>(stack.size()));
        else
            appendGrowing(stack, id);
        return {};
    }
    [[gnu::noinline]] Error depthFailure() const
    {
        return fail(ErrorCode::LimitExceeded,
            "stack deeper than the limit of " + std::to_string(depthLimit));
    }

    // A value made by a step that may fail.
    Result<void> push(Result<ValueId>&& made)
    {
        if (!made.ok()) [[unlikely]]
            return made.takeError();
        return push(made.value());
    }

    // The item on top, above the fence.
    Result<ValueId> top() const
    {
        PS_TRY(need(1));
        return stack.back();
    }

    // Replaces the item on top (a hook's typed value for it).
    Result<void> replaceTop(ValueId id)
    {
        PS_TRY(need(1));
        stack.back() = id;
        return {};
    }

    // Pops the N items above the fence, bottom first.
    template <std::size_t N> Result<std::array<ValueId, N>> popN()
    {
        PS_TRY(need(N));
        std::array<ValueId, N> out;
        std::copy(stack.end() - N, stack.end(), out.begin());
        stack.resize(stack.size() - N);
        return out;
    }

    Result<std::size_t> popMark()
    {
        if (marks.empty())
            return fail(ErrorCode::MarkError, "could not find MARK");
        const std::size_t begin = marks.back();
        marks.pop_back();
        return begin;
    }

    // The items from a popped MARK's position up (begin <= size: marks never sit above the top):
    // a view into the stack, valid until the stack changes.
    std::span<const ValueId> above(std::size_t begin) const
    {
        return std::span<const ValueId>(stack).subspan(begin);
    }
    // The same items as a copy, dropped from the stack.
    std::vector<ValueId> takeFrom(std::size_t begin)
    {
        std::vector<ValueId> items(stack.begin() + static_cast<std::ptrdiff_t>(begin), stack.end());
        dropFrom(begin);
        return items;
    }
    void dropFrom(std::size_t begin) { stack.resize(std::min(begin, stack.size())); }

    Result<void> checkValueLimit() const
    {
        if (g.size() >= m.m_options.limits.maxValues)
            return fail(ErrorCode::LimitExceeded,
                "more values than the limit of " + std::to_string(m.m_options.limits.maxValues));
        return {};
    }

    Result<void> materialize(std::uint64_t n)
    {
        m.m_materialized += n;
        if (m.m_materialized > m.m_options.limits.maxMaterializedBytes)
            return fail(ErrorCode::LimitExceeded,
                "decoded text beyond the limit of "
                    + std::to_string(m.m_options.limits.maxMaterializedBytes) + " bytes");
        return {};
    }

    // ---- the argument of the current opcode, through the one front end ------------------------
    Error argumentFailure() const { return argumentError(r, *opInfo, opOffset); }

    // The parts of an argument, read through the front end (small Results: the hot cases stay
    // as cheap as a direct read).
    template <ArgKind K> Result<std::uint64_t> numberArg()
    {
        RawArg a;
        if (!readArgumentInto<K>(r, a)) [[unlikely]]
            return argumentFailure();
        return a.value;
    }
    // EXT1 / EXT2 / EXT4: a code in copyreg's extension registry.
    Result<void> loadExtension(std::int64_t codeValue)
    {
        if (codeValue <= 0)
            return fail(ErrorCode::BadArgument, "EXT specifies code <= 0");
        return pushHooked(
            m.m_hooks.getExtension, [&] { return g.addExtension(codeValue, opOffset); }, codeValue);
    }

    // What a hook makes of the opcode (hook(args..., offset)), or the inert default when there
    // is no hook or it returns kNullValue.
    template <typename Hook, typename Default, typename... Args>
    Result<void> pushHooked(const Hook& hook, const Default& makeDefault, Args... args)
    {
        if (hook) {
            PS_ASSIGN(const ValueId id, hook(args..., opOffset));
            if (!isNull(id))
                return push(id);
        }
        return push(makeDefault());
    }

    // PERSID / BINPERSID: the persistent id resolved by the hook, or kept as a Persistent value.
    Result<void> persistent(ValueId pid)
    {
        return pushHooked(
            m.m_hooks.persistentLoad, [&] { return g.addPersistent(pid, opOffset); }, pid);
    }

    static ValueKind emptyContainerKind(Op op)
    {
        return op == Op::EmptyList ? ValueKind::List
            : op == Op::EmptyTuple ? ValueKind::Tuple
            : op == Op::EmptyDict  ? ValueKind::Dict
                                   : ValueKind::Set;
    }

    // ---- keys, hashing and dedupe --------------------------------------------------------------
    KeyOf keyOf(ValueId id) const
    {
        const Value& v = g.at(id);
        switch (v.kind) {
        case ValueKind::Int:
        case ValueKind::Bool:
            return { static_cast<std::uint64_t>(v.num.i), 0 };
        case ValueKind::Float: {
            const double f = v.num.f;
            if (std::isfinite(f) && f == std::floor(f) && std::fabs(f) < 9.2e18)
                return { static_cast<std::uint64_t>(static_cast<std::int64_t>(f)), 0 };
            return { std::bit_cast<std::uint64_t>(f == 0.0 ? 0.0 : f) ^ 0x9e3779b97f4a7c15ull, 0 };
        }
        case ValueKind::BigInt:
        case ValueKind::Str:
        case ValueKind::Bytes: {
            std::uint64_t h = 1469598103934665603ull;
            for (std::byte b : g.bytes(id))
                h = (h ^ static_cast<std::uint8_t>(b)) * 1099511628211ull;
            return { h,
                static_cast<std::uint8_t>(v.kind == ValueKind::Str ? 1
                        : v.kind == ValueKind::Bytes               ? 2
                                                                   : 5) };
        }
        case ValueKind::None:
            return { 0, 3 };
        default:
            return { indexOf(id), 4 };
        }
    }

    bool keysEqual(ValueId a, ValueId b) const
    {
        if (a == b)
            return true;
        const Value& va = g.at(a);
        const Value& vb = g.at(b);
        if (va.kind == vb.kind && (va.kind == ValueKind::Str || va.kind == ValueKind::Bytes)) {
            // Lengths first (inline payloads: sub is the length, or kLongPayload for both), then
            // the same bytes, then their contents.
            if (va.sub != vb.sub)
                return false;
            const auto x = g.bytes(a), y = g.bytes(b);
            return x.size() == y.size()
                && (x.data() == y.data() || x.empty()
                    || std::memcmp(x.data(), y.data(), x.size()) == 0);
        }
        auto numeric = [](ValueKind k) {
            return k == ValueKind::Int || k == ValueKind::Bool || k == ValueKind::Float;
        };
        if (numeric(va.kind) && numeric(vb.kind)) {
            if (va.kind == ValueKind::Float || vb.kind == ValueKind::Float) {
                const double x
                    = va.kind == ValueKind::Float ? va.num.f : static_cast<double>(va.num.i);
                const double y
                    = vb.kind == ValueKind::Float ? vb.num.f : static_cast<double>(vb.num.i);
                if (va.kind != ValueKind::Float && static_cast<std::int64_t>(x) != va.num.i)
                    return false;
                if (vb.kind != ValueKind::Float && static_cast<std::int64_t>(y) != vb.num.i)
                    return false;
                return x == y;
            }
            return va.num.i == vb.num.i;
        }
        if (va.kind != vb.kind)
            return false;
        switch (va.kind) {
        case ValueKind::Str:
        case ValueKind::Bytes:
        case ValueKind::BigInt: {
            const auto x = g.bytes(a), y = g.bytes(b);
            return x.size() == y.size()
                && (x.empty() || std::memcmp(x.data(), y.data(), x.size()) == 0);
        }
        case ValueKind::None:
            return true;
        default:
            return false;
        }
    }

    // CPython refuses unhashable keys and set members (TypeError: unhashable type).
    Result<void> checkHashable(ValueId id) const
    {
        const ValueKind first = g.kind(id);
        if (first != ValueKind::Tuple && first != ValueKind::List && first != ValueKind::Dict
            && first != ValueKind::Set && first != ValueKind::ByteArray)
            return {};
        std::vector<ValueId> work { id };
        std::size_t budget = 100000; // tuples nest; bounded walk
        while (!work.empty() && budget-- > 0) {
            const ValueId cur = work.back();
            work.pop_back();
            const ValueKind k = g.kind(cur);
            if (k == ValueKind::List || k == ValueKind::Dict || k == ValueKind::Set
                || k == ValueKind::ByteArray)
                return fail(ErrorCode::BadValue,
                    std::string("unhashable type: '") + std::string(valueKindName(k)) + "'");
            if (k == ValueKind::Tuple)
                for (ValueId child : g.items(cur))
                    work.push_back(child);
        }
        return {};
    }

    // Finds an equal key among a dict's keys (stride 2) or a set's members (stride 1).
    std::int64_t findKey(ValueId container, ValueId key, std::size_t stride)
    {
        const auto& items = g.items(container);
        const std::size_t count = items.size() / stride;
        if (count < kDictIndexThreshold) {
            for (std::size_t i = 0; i < count; ++i)
                if (keysEqual(items[i * stride], key))
                    return static_cast<std::int64_t>(i);
            return -1;
        }
        const KeyOf k = keyOf(key);
        auto& index = keyIndex[indexOf(container)];
        if (index.size() != count) {
            index.clear();
            index.reserve(count * 2);
            for (std::size_t i = 0; i < count; ++i)
                index.emplace(keyOf(items[i * stride]).hash, static_cast<std::uint32_t>(i));
        }
        const auto range = index.equal_range(k.hash);
        for (auto it = range.first; it != range.second; ++it) {
            const ValueId other = items[it->second * stride];
            if (keyOf(other).cls == k.cls && keysEqual(other, key))
                return it->second;
        }
        return -1;
    }

    void noteInserted(ValueId container, ValueId key, std::size_t position)
    {
        const auto it = keyIndex.find(indexOf(container));
        if (it != keyIndex.end())
            it->second.emplace(keyOf(key).hash, static_cast<std::uint32_t>(position));
    }

    Result<void> dictSet(ValueId dict, ValueId key, ValueId value)
    {
        PS_TRY(checkHashable(key));
        const std::int64_t found = findKey(dict, key, 2);
        if (found >= 0) {
            g.setItem(dict, static_cast<std::size_t>(found) * 2 + 1, value);
            return {};
        }
        const std::array<ValueId, 2> pair { key, value };
        g.appendItems(dict, pair);
        noteInserted(dict, key, g.items(dict).size() / 2 - 1);
        return {};
    }

    Result<void> setAdd(ValueId set, ValueId item)
    {
        PS_TRY(checkHashable(item));
        if (findKey(set, item, 1) >= 0)
            return {};
        g.appendItem(set, item);
        noteInserted(set, item, g.items(set).size() - 1);
        return {};
    }

    // The items of a batch added to a set (ADDITEMS) or to an inert object's listItems.
    Result<void> addItems(ValueId target, std::span<const ValueId> items)
    {
        if (g.kind(target) != ValueKind::Set)
            return addToObject(target, items, &ObjectRecord::listItems, "cannot add items to a ");
        for (ValueId item : items)
            PS_TRY(setAdd(target, item));
        return {};
    }

    // ---- globals -------------------------------------------------------------------------------
    Result<ValueId> makeGlobal(std::string_view module, std::string_view name)
    {
        std::string fixedModule, fixedName;
        std::string_view useModule = module, useName = name;
        if (m.m_options.fixImports && m.m_proto < 3
            && fixImportName(module, name, fixedModule, fixedName)) {
            useModule = g.intern(fixedModule);
            useName = g.intern(fixedName);
        }
        if (m.m_hooks.findClass) {
            PS_ASSIGN(const ValueId found, m.m_hooks.findClass(useModule, useName, opOffset));
            if (!isNull(found))
                return found;
        }
        return g.addGlobal(useModule, useName, module, name, opOffset);
    }

    // ---- typed reconstructors (REDUCE/NEWOBJ with a known global) ------------------------------
    static bool is(const GlobalRecord& gl, std::string_view module, std::string_view name)
    {
        return gl.module == module && gl.name == name;
    }

    // Items of a list/tuple argument, or nullopt. A view into the graph's item pool: valid
    // until the next change to any container's items.
    std::optional<std::span<const ValueId>> sequenceItems(ValueId id) const
    {
        const ValueKind k = g.kind(id);
        if (k == ValueKind::List || k == ValueKind::Tuple)
            return g.items(id);
        return std::nullopt;
    }

    // collections.OrderedDict / Counter / defaultdict: a typed dict of the initial items.
    Result<ValueId> dictCall(const GlobalRecord& gl, DictClass cls, const std::vector<ValueId>& a)
    {
        const std::size_t n = a.size();
        ValueId factory = kNullValue;
        ValueId initial = kNullValue;
        if (cls == DictClass::DefaultDict) {
            if (n > 2)
                return kNullValue;
            if (n >= 1)
                factory = a[0];
            if (n == 2)
                initial = a[1];
        } else {
            if (n > 1)
                return kNullValue;
            if (n == 1)
                initial = a[0];
        }
        const ValueId dict = g.addDict(cls, opOffset);
        if (!isNull(factory))
            g.setDefaultFactory(dict, factory);
        if (isNull(initial))
            return dict;
        // Copies: dictSet adds to the item pool, which may move it.
        if (g.kind(initial) == ValueKind::Dict) {
            const auto view = g.items(initial);
            const std::vector<ValueId> items(view.begin(), view.end());
            for (std::size_t i = 0; i + 1 < items.size(); i += 2)
                PS_TRY(dictSet(dict, items[i], items[i + 1]));
        } else if (const auto pairs = sequenceItems(initial)) {
            const std::vector<ValueId> copy(pairs->begin(), pairs->end());
            for (ValueId pair : copy) {
                const auto kv = sequenceItems(pair);
                if (!kv || kv->size() != 2)
                    return fail(ErrorCode::BadValue,
                        std::string(gl.name) + " argument items must be pairs");
                const ValueId key = (*kv)[0], value = (*kv)[1];
                PS_TRY(dictSet(dict, key, value));
            }
        } else {
            return kNullValue;
        }
        return dict;
    }

    // builtins.set / frozenset of a list, tuple or set.
    Result<ValueId> setCall(ValueKind kind, const std::vector<ValueId>& a)
    {
        if (a.size() > 1)
            return kNullValue;
        const ValueId set = g.addContainer(kind, opOffset);
        if (a.size() == 1) {
            auto items = sequenceItems(a[0]);
            if (!items) {
                if (g.kind(a[0]) != ValueKind::Set && g.kind(a[0]) != ValueKind::FrozenSet)
                    return kNullValue;
                items = g.items(a[0]);
            }
            // A copy: setAdd adds to the item pool, which may move it.
            const std::vector<ValueId> copy(items->begin(), items->end());
            for (ValueId item : copy)
                PS_TRY(setAdd(set, item));
        }
        return set;
    }

    // builtins.bytes / bytearray of nothing, of bytes, of (str, encoding) or of a list of ints.
    ValueId bytesCall(ValueKind kind, const std::vector<ValueId>& a)
    {
        const std::size_t n = a.size();
        if (n == 0)
            return g.addBytesCopy({}, kind, opOffset);
        const ValueId first = a[0];
        const ValueKind fk = g.kind(first);
        if (n == 1 && (fk == ValueKind::Bytes || fk == ValueKind::ByteArray))
            return g.addBytesView(g.bytes(first), kind, opOffset);
        if (n == 2 && fk == ValueKind::Str && g.kind(a[1]) == ValueKind::Str)
            return encodeCall(kind, g.text(first), g.text(a[1]));
        if (n == 1 && fk == ValueKind::List) {
            std::string out;
            for (ValueId item : g.items(first)) {
                if (g.kind(item) != ValueKind::Int || g.intValue(item) < 0
                    || g.intValue(item) > 255)
                    return kNullValue;
                out.push_back(static_cast<char>(g.intValue(item)));
            }
            return g.addBytesCopy(out, kind, opOffset);
        }
        return kNullValue;
    }

    // str.encode(encoding) for the encodings that map code points to bytes one to one.
    ValueId encodeCall(ValueKind kind, std::string_view text, std::string_view encoding)
    {
        std::string out;
        if (!encodeLatin1(text, encoding, out))
            return kNullValue;
        return g.addBytesCopy(out, kind, opOffset);
    }

    ValueId complexCall(const std::vector<ValueId>& a)
    {
        auto number = [&](ValueId id, double& out) {
            const ValueKind k = g.kind(id);
            if (k == ValueKind::Float)
                out = g.floatValue(id);
            else if (k == ValueKind::Int || k == ValueKind::Bool)
                out = static_cast<double>(g.intValue(id));
            else
                return false;
            return true;
        };
        const std::size_t n = a.size();
        double re = 0, im = 0;
        if (n >= 1 && n <= 2 && number(a[0], re) && (n == 1 || number(a[1], im)))
            return g.addComplex(re, im, opOffset);
        return kNullValue;
    }

    // copyreg._reconstructor(cls, base, state): object.__new__(cls) when base is object, else
    // base.__new__(cls, state).
    ValueId reconstructorCall(const std::vector<ValueId>& a)
    {
        const ValueId base = a[1];
        const bool plainObject
            = g.kind(base) == ValueKind::Global && is(g.global(base), "builtins", "object");
        std::vector<ValueId> ctor;
        if (!plainObject && g.kind(a[2]) != ValueKind::None)
            ctor.push_back(a[2]);
        const ValueId args = g.addContainer(ValueKind::Tuple, opOffset, std::move(ctor));
        return g.addCall(
            ObjectVia::NewObj, a[0], args, opOffset, kNullValue, plainObject ? kNullValue : base);
    }

    // The typed value of a REDUCE the reconstructor table names; kNullValue when the call is not
    // one the core types (wrong arity, argument kinds it does not read).
    Result<ValueId> reconstruct(
        Reconstructor kind, const GlobalRecord& gl, const std::vector<ValueId>& a)
    {
        const std::size_t n = a.size();
        switch (kind) {
        case Reconstructor::None:
            return kNullValue;
        case Reconstructor::OrderedDict:
            return dictCall(gl, DictClass::OrderedDict, a);
        case Reconstructor::Counter:
            return dictCall(gl, DictClass::Counter, a);
        case Reconstructor::DefaultDict:
            return dictCall(gl, DictClass::DefaultDict, a);
        case Reconstructor::Set:
            return setCall(ValueKind::Set, a);
        case Reconstructor::FrozenSet:
            return setCall(ValueKind::FrozenSet, a);
        case Reconstructor::Bytes:
            return bytesCall(ValueKind::Bytes, a);
        case Reconstructor::ByteArray:
            return bytesCall(ValueKind::ByteArray, a);
        case Reconstructor::Encode:
        case Reconstructor::CodecsEncode:
            if ((n == 1 || n == 2) && g.kind(a[0]) == ValueKind::Str
                && (n == 1 || g.kind(a[1]) == ValueKind::Str))
                return encodeCall(ValueKind::Bytes, g.text(a[0]),
                    n == 2 ? g.text(a[1]) : std::string_view("utf-8"));
            return kNullValue;
        case Reconstructor::Complex:
            return complexCall(a);
        case Reconstructor::CopyregReconstructor:
            return n == 3 ? reconstructorCall(a) : kNullValue;
        case Reconstructor::CopyregNewObj:
            if (n < 1)
                return kNullValue;
            return g.addCall(ObjectVia::NewObj, a[0],
                g.addContainer(
                    ValueKind::Tuple, opOffset, std::vector<ValueId>(a.begin() + 1, a.end())),
                opOffset);
        case Reconstructor::CopyregNewObjEx:
            return n == 3 ? g.addCall(ObjectVia::NewObjEx, a[0], a[1], opOffset, a[2]) : kNullValue;
        }
        return kNullValue;
    }

    // Returns kNullValue when the call is not one the core types.
    Result<ValueId> typedCall(ValueId callable, ValueId args, ValueId kwargs, ObjectVia via)
    {
        if (g.kind(callable) != ValueKind::Global)
            return kNullValue;
        const GlobalRecord gl = g.global(callable);
        if (via == ObjectVia::Reduce && g.kind(args) == ValueKind::Tuple) {
            if (const Reconstructor kind = reconstructorOf(gl.module, gl.name);
                kind != Reconstructor::None) {
                // A copy: adding containers below may move the graph's item lists.
                const auto view = g.items(args);
                const std::vector<ValueId> argv(view.begin(), view.end());
                return reconstruct(kind, gl, argv);
            }
        }
        if (m.m_hooks.reduce) {
            PS_ASSIGN(
                const ValueId typed, m.m_hooks.reduce(gl, callable, args, kwargs, via, opOffset));
            return typed;
        }
        return kNullValue;
    }

    Result<ValueId> call(ValueId callable, ValueId args, ValueId kwargs, ObjectVia via)
    {
        // CPython's own checks: call arguments must be a tuple, NEWOBJ_EX keywords a dict.
        if (g.kind(args) != ValueKind::Tuple)
            return fail(ErrorCode::BadValue,
                std::string(via == ObjectVia::Reduce ? "argument list must be a tuple"
                                                     : "args argument must be a tuple")
                    + ", not " + std::string(valueKindName(g.kind(args))));
        if (via == ObjectVia::NewObjEx && g.kind(kwargs) != ValueKind::Dict)
            return fail(ErrorCode::BadValue,
                "NEWOBJ_EX kwargs argument must be a dict, not "
                    + std::string(valueKindName(g.kind(kwargs))));
        PS_ASSIGN(const ValueId typed, typedCall(callable, args, kwargs, via));
        if (!isNull(typed))
            return typed;
        return g.addCall(via, callable, args, opOffset, kwargs);
    }

    // ---- text decoding -------------------------------------------------------------------------
    Result<ValueId> py2String(std::span<const std::byte> raw, std::uint64_t offset, bool copy)
    {
        const std::string_view bytes(reinterpret_cast<const char*>(raw.data()), raw.size());
        switch (m.m_options.encoding) {
        case Py2Encoding::Bytes:
            return copy ? g.addBytesCopy(bytes, ValueKind::Bytes, offset, FlagPy2String)
                        : g.addBytesView(raw, ValueKind::Bytes, offset, FlagPy2String);
        case Py2Encoding::Ascii:
            for (std::size_t i = 0; i < bytes.size(); ++i)
                if (static_cast<unsigned char>(bytes[i]) >= 0x80)
                    return fail(ErrorCode::BadArgument,
                        "'ascii' codec can't decode byte "
                            + hexByteText(static_cast<std::uint8_t>(bytes[i])) + " in position "
                            + std::to_string(i)
                            + ": ordinal not in range(128) (load with encoding latin1 or bytes)");
            return copy ? g.addStrCopy(bytes, offset, FlagPy2String)
                        : g.addStrView(bytes, offset, FlagPy2String);
        case Py2Encoding::Latin1: {
            std::string out;
            decodeLatin1(bytes, out);
            PS_TRY(materialize(out.size()));
            return g.addStrCopy(out, offset, FlagPy2String);
        }
        case Py2Encoding::Utf8: {
            bool surrogates = false;
            std::size_t bad = 0;
            if (!validateUtf8(bytes, false, surrogates, bad))
                return utf8Failure(bytes, false);
            return copy ? g.addStrCopy(bytes, offset, FlagPy2String)
                        : g.addStrView(bytes, offset, FlagPy2String);
        }
        case Py2Encoding::Codec: {
            std::string out;
            std::string problem;
            if (!decodeWithCodec(bytes, m.m_options.codec, out, problem))
                return fail(ErrorCode::BadArgument, problem);
            PS_TRY(materialize(out.size()));
            return g.addStrCopy(out, offset, FlagPy2String);
        }
        }
        return kNullValue;
    }

    // Python's words for text that is not UTF-8 (decoded again to phrase it: failures only).
    Error utf8Failure(std::string_view text, bool surrogatePass) const
    {
        std::string problem;
        decodeUtf8(text, surrogatePass, nullptr, problem);
        return fail(ErrorCode::BadArgument, problem);
    }

    Result<ValueId> utf8String(std::span<const std::byte> raw, std::uint64_t offset)
    {
        const std::string_view text(reinterpret_cast<const char*>(raw.data()), raw.size());
        bool surrogates = false;
        std::size_t bad = 0;
        if (!validateUtf8(text, true, surrogates, bad)) [[unlikely]]
            return utf8Failure(text, true);
        return g.addStrView(text, offset, surrogates ? FlagLoneSurrogate : 0);
    }

    // ---- opcodes with some logic ---------------------------------------------------------------
    Result<void> loadInt(std::string_view text, bool isLong)
    {
        if (!isLong && text == "00")
            return push(g.addBool(false, opOffset));
        if (!isLong && text == "01")
            return push(g.addBool(true, opOffset));
        std::string_view digits = text;
        if (isLong && !digits.empty() && digits.back() == 'L')
            digits.remove_suffix(1);
        if (digits.find('\0') != std::string_view::npos)
            return fail(ErrorCode::BadArgument, "NUL byte in an integer literal");
        // CPython refuses decimal text over 4300 digits (int_max_str_digits); decimal parsing is
        // quadratic, so the same bound keeps a hostile LONG from hanging the load.
        if (digits.size() > 4300 + 8)
            return fail(ErrorCode::LimitExceeded,
                "Exceeds the limit (4300 digits) for integer string conversion: value has "
                    + std::to_string(digits.size()) + " characters");
        const ValueId id = g.addIntFromDecimal(digits, opOffset);
        if (isNull(id))
            return fail(ErrorCode::BadArgument,
                "invalid literal for int() with base 10: '" + printable(text) + "'");
        return push(id);
    }

    Result<void> loadFloat(std::string_view text)
    {
        double value = 0;
        if (!parsePythonFloat(text, value))
            return fail(ErrorCode::BadArgument,
                "could not convert string to float: '" + printable(text) + "'");
        return push(g.addFloat(value, opOffset));
    }

    // GET / PUT's text index, as int(text) reads it (whitespace, a sign, single '_' between
    // digits); it must fit a Py_ssize_t and not be negative.
    Result<std::uint64_t> decimalIndex(std::string_view text, const char* what)
    {
        bool negative = false;
        const std::optional<std::uint64_t> magnitude = parseDecimalIndex(text, negative);
        const std::uint64_t limit
            = std::uint64_t(std::numeric_limits<std::int64_t>::max()) + (negative ? 1 : 0);
        if (!magnitude || *magnitude > limit)
            return fail(ErrorCode::BadArgument,
                std::string("invalid ") + what + " index '" + printable(text) + "'");
        if (negative && *magnitude != 0)
            return fail(ErrorCode::BadArgument, std::string("negative ") + what + " argument");
        return *magnitude;
    }

    ValueId* memoSlot(std::uint64_t index)
    {
        if (index < m.m_memoDense.size())
            return isNull(m.m_memoDense[index]) ? nullptr : &m.m_memoDense[index];
        const auto it = m.m_memoSparse.find(index);
        return it == m.m_memoSparse.end() ? nullptr : &it->second;
    }

    Result<void> memoPut(std::uint64_t index)
    {
        PS_ASSIGN(const ValueId item, top());
        if (ValueId* slot = memoSlot(index)) {
            *slot = item;
            return {};
        }
        if (m.m_memoCount >= m.m_options.limits.maxMemoEntries)
            return fail(ErrorCode::LimitExceeded,
                "memo larger than the limit of "
                    + std::to_string(m.m_options.limits.maxMemoEntries));
        ++m.m_memoCount;
        // Dense while the index stays near the filled part (bounded by entries, not by the index).
        if (index < m.m_memoDense.size() + 4096 && index < 2 * m.m_memoCount + 4096) {
            if (index >= m.m_memoDense.size())
                m.m_memoDense.resize(static_cast<std::size_t>(index) + 1, kNullValue);
            m.m_memoDense[index] = item;
        } else {
            m.m_memoSparse[index] = item;
        }
        return {};
    }

    Result<void> memoGet(std::uint64_t index)
    {
        const ValueId* slot = memoSlot(index);
        if (slot == nullptr)
            return fail(
                ErrorCode::MemoMiss, "Memo value not found at index " + std::to_string(index));
        return push(*slot);
    }

    Result<void> appendItems(ValueId target, std::span<const ValueId> items)
    {
        const ValueKind k = g.kind(target);
        if (k == ValueKind::List) {
            if (items.size() > kMaxContainerItems - g.items(target).size())
                return fail(ErrorCode::LimitExceeded,
                    "a list of more than " + std::to_string(kMaxContainerItems) + " items");
            g.appendItems(target, items); // into the pool: in place when the list is its last
            return {};
        }
        return addToObject(target, items, &ObjectRecord::listItems, "cannot append to a ");
    }

    // Items an opcode adds to an inert object (to its listItems or dictItems); any other target
    // fails: "<what><kind>".
    Result<void> addToObject(ValueId target, std::span<const ValueId> items,
        std::vector<ValueId> ObjectRecord::*field, const char* what)
    {
        const ValueKind k = g.kind(target);
        if (k != ValueKind::Object)
            return fail(ErrorCode::BadValue, what + std::string(valueKindName(k)));
        auto& list = g.object(target).*field;
        list.insert(list.end(), items.begin(), items.end());
        return {};
    }

    // Whether a small batch's keys (k, v, k, v, ...) are hashable and distinct; fails on the first
    // unhashable key, as dictSet would.
    Result<bool> distinctHashableKeys(std::span<const ValueId> items)
    {
        const std::size_t pairs = items.size() / 2;
        Q_ASSERT(pairs <= kDictIndexThreshold);
        if (pairs == distinctKeyCount && g.retypeCount() == distinctKeysRetypes) {
            bool same = true;
            for (std::size_t i = 0; i < pairs && same; ++i)
                same = items[2 * i] == distinctKeys[i];
            if (same)
                return true;
        }
        for (std::size_t i = 0; i < pairs; ++i) {
            const ValueId key = items[2 * i];
            PS_TRY(checkHashable(key));
            for (std::size_t j = 0; j < i; ++j)
                if (keysEqual(items[2 * j], key))
                    return false;
        }
        for (std::size_t i = 0; i < pairs; ++i)
            distinctKeys[i] = items[2 * i];
        distinctKeyCount = pairs;
        distinctKeysRetypes = g.retypeCount();
        return true;
    }

    // SETITEMS / SETITEM / DICT: `items` (k, v, k, v, ...) may be a view into the stack (not into
    // the item pool).
    Result<void> setItems(ValueId target, std::span<const ValueId> items)
    {
        if (items.size() % 2 != 0)
            return fail(ErrorCode::BadValue, std::string("odd number of items for ") + opName());
        const ValueKind k = g.kind(target);
        if (k != ValueKind::Dict)
            return addToObject(target, items, &ObjectRecord::dictItems, "cannot set items on a ");
        if (items.empty())
            return {};
        if (g.items(target).empty() && items.size() <= 2 * kDictIndexThreshold) {
            // The common case: one batch into a new dict, straight into the pool when its keys
            // are distinct. Otherwise collapsed here first: a repeated key keeps its first place
            // and takes the last value, as CPython's dict does.
            PS_ASSIGN(const bool distinct, distinctHashableKeys(items));
            if (distinct) {
                g.appendItems(target, items);
                return {};
            }
            std::array<ValueId, 2 * kDictIndexThreshold> merged;
            std::size_t n = 0;
            for (std::size_t i = 0; i < items.size(); i += 2) {
                PS_TRY(checkHashable(items[i]));
                std::size_t j = 0;
                while (j < n && !keysEqual(merged[j], items[i]))
                    j += 2;
                if (j == n) {
                    merged[n] = items[i];
                    n += 2;
                }
                merged[j + 1] = items[i + 1];
            }
            g.appendItems(target, std::span<const ValueId>(merged.data(), n));
            return {};
        }
        for (std::size_t i = 0; i < items.size(); i += 2)
            PS_TRY(dictSet(target, items[i], items[i + 1]));
        return {};
    }

    Result<void> build()
    {
        PS_TRY(need(2));
        PS_ASSIGN(const auto popped, popN<1>());
        const ValueId state = popped[0];
        PS_ASSIGN(const ValueId target, top());
        if (m.m_hooks.build) {
            PS_ASSIGN(const bool handled, m.m_hooks.build(target, state, opOffset));
            if (handled)
                return {};
        }
        if (g.kind(target) == ValueKind::Object) {
            ObjectRecord& o = g.object(target);
            o.state = state;
            return {};
        }
        g.setExtraState(target, state);
        return {};
    }

    // ---- the dispatch fast path ----------------------------------------------------------------
    // Runs the hot opcodes straight from the bytes while the current frame (or the unframed
    // input) has at least kFastSlack bytes left, no limit is near and no poll is due. It never
    // fails: an opcode it does not take exactly as the general step would (any other opcode, an
    // argument that reaches the frame's end, text that is not UTF-8, a memo entry that is new
    // or missing, too few items) it leaves unread to the general step, which runs it or phrases
    // its error. Off with LoadOptions::dispatchFastPath (the tests compare both).
    static constexpr std::size_t kFastSlack = 16; // > the longest fixed opcode (BINFLOAT, 9)
    void fastRun(std::uint32_t& untilPoll);
    bool fastMemoPut(std::uint64_t index, ValueId item);

    Result<ValueId> run();
};

namespace {

template <typename T> [[gnu::always_inline]] inline T loadLittle(const std::byte* p)
{
    T v;
    std::memcpy(&v, p, sizeof(T));
    if constexpr (std::endian::native == std::endian::big) {
        auto u = static_cast<std::make_unsigned_t<T>>(v);
        std::make_unsigned_t<T> out = 0;
        for (std::size_t i = 0; i < sizeof(T); ++i, u >>= 8)
            out = static_cast<std::make_unsigned_t<T>>((out << 8) | (u & 0xff));
        v = static_cast<T>(out);
    }
    return v;
}

[[gnu::always_inline]] inline double loadFloat64BigEndian(const std::byte* p)
{
    std::uint64_t bits = 0;
    std::memcpy(&bits, p, 8);
    if constexpr (std::endian::native == std::endian::little)
        bits = __builtin_bswap64(bits);
    return std::bit_cast<double>(bits);
}

template <Op O> constexpr int kProtoOf = opcodeInfo(O).proto;

// The opcodes fastRun() takes (a general step that is followed by another opcode leaves at once).
constexpr std::array<bool, 256> kFastOpcodes = [] {
    std::array<bool, 256> table {};
    for (Op op :
        { Op::BinFloat, Op::BinInt, Op::BinInt1, Op::BinInt2, Op::None, Op::NewTrue, Op::NewFalse,
            Op::ShortBinUnicode, Op::BinUnicode, Op::ShortBinBytes, Op::Mark, Op::Memoize,
            Op::BinPut, Op::LongBinPut, Op::BinGet, Op::LongBinGet, Op::EmptyList, Op::EmptyDict,
            Op::EmptyTuple, Op::Tuple1, Op::Tuple2, Op::Tuple3, Op::Append, Op::Appends })
        table[static_cast<std::uint8_t>(op)] = true;
    return table;
}();

// fastRun() is flattened (its appends, ValueGraph::push included, inlined); calls that are not
// worth inlining go through here.
template <typename F> [[gnu::noinline]] auto outOfLine(const F& f)
{
    return f();
}
// The fast path notes one protocol for opcodes that share a case.
static_assert(kProtoOf<Op::NewTrue> == kProtoOf<Op::NewFalse>);
static_assert(
    kProtoOf<
        Op::EmptyList> == kProtoOf<Op::EmptyDict> && kProtoOf<Op::EmptyList> == kProtoOf<Op::EmptyTuple>);
static_assert(
    kProtoOf<Op::Tuple1> == kProtoOf<Op::Tuple2> && kProtoOf<Op::Tuple1> == kProtoOf<Op::Tuple3>);
static_assert(std::uint8_t(Op::Tuple2) == std::uint8_t(Op::Tuple1) + 1
    && std::uint8_t(Op::Tuple3) == std::uint8_t(Op::Tuple1) + 2);

} // namespace

// MEMOIZE / BINPUT / LONG_BINPUT of `item` where memoPut() would neither fail nor go sparse: an
// existing dense entry, or the next dense one. False: leave it to memoPut().
bool PickleMachine::Impl::fastMemoPut(std::uint64_t index, ValueId item)
{
    auto& dense = m.m_memoDense;
    if (index < dense.size()) {
        if (isNull(dense[index]))
            return false;
        dense[index] = item;
        return true;
    }
    if (index != dense.size() || !m.m_memoSparse.empty()
        || m.m_memoCount >= m.m_options.limits.maxMemoEntries
        || index >= 2 * (m.m_memoCount + 1) + 4096)
        return false;
    ++m.m_memoCount;
    appendGrowing(dense, item);
    return true;
}

[[gnu::flatten]] void PickleMachine::Impl::fastRun(std::uint32_t& untilPoll)
{
    const std::size_t start = r.pos();
    const std::size_t frameEnd = r.frameEnd();
    const std::size_t limit = (frameEnd != 0 && start < frameEnd) ? frameEnd : r.size();
    if (limit - start < kFastSlack || untilPoll <= 1 || !r.ok()
        || !kFastOpcodes[static_cast<std::uint8_t>(r.data()[start])])
        return;
    // Every opcode adds at most one value and one stack entry, and the general step checks
    // the value and depth limits before each: this many opcodes cannot reach either limit.
    const std::size_t values = g.size();
    const std::size_t depth = stack.size() + marks.size();
    const std::size_t maxValues = m.m_options.limits.maxValues;
    if (values >= maxValues || depth >= depthLimit)
        return;
    const std::size_t budget = std::min<std::size_t>(
        { std::size_t(untilPoll) - 1, maxValues - values, depthLimit - depth });

    const std::byte* const data = r.data().data();
    const std::uint64_t base = r.baseOffset();
    const std::size_t last = limit - kFastSlack; // an opcode from here on has >= 16 bytes
    std::size_t pos = start;
    std::size_t done = 0;
    int highest = m.m_highestProto;
    auto note = [&highest](int proto) { highest = std::max(highest, proto); };
    for (; done < budget && pos <= last; ++done) {
        const std::byte* const p = data + pos;
        const std::uint64_t at = base + pos;
        switch (static_cast<Op>(p[0])) {
        case Op::BinFloat:
            appendGrowing(stack, g.addFloat(loadFloat64BigEndian(p + 1), at));
            note(kProtoOf<Op::BinFloat>);
            pos += 9;
            break;
        case Op::BinInt:
            appendGrowing(stack, g.addInt(loadLittle<std::int32_t>(p + 1), at));
            note(kProtoOf<Op::BinInt>);
            pos += 5;
            break;
        case Op::BinInt1:
            appendGrowing(stack, g.addInt(static_cast<std::uint8_t>(p[1]), at));
            note(kProtoOf<Op::BinInt1>);
            pos += 2;
            break;
        case Op::BinInt2:
            appendGrowing(stack, g.addInt(loadLittle<std::uint16_t>(p + 1), at));
            note(kProtoOf<Op::BinInt2>);
            pos += 3;
            break;
        case Op::None:
            appendGrowing(stack, g.addNone(at));
            note(kProtoOf<Op::None>);
            pos += 1;
            break;
        case Op::NewTrue:
        case Op::NewFalse:
            appendGrowing(stack, g.addBool(static_cast<Op>(p[0]) == Op::NewTrue, at));
            note(kProtoOf<Op::NewTrue>);
            pos += 1;
            break;
        case Op::ShortBinUnicode:
        case Op::BinUnicode: {
            const bool isShort = static_cast<Op>(p[0]) == Op::ShortBinUnicode;
            const std::size_t head = isShort ? 2 : 5;
            const std::size_t n
                = isShort ? static_cast<std::uint8_t>(p[1]) : loadLittle<std::uint32_t>(p + 1);
            if (n > limit - pos - head)
                goto leave;
            const std::string_view text(reinterpret_cast<const char*>(p + head), n);
            bool surrogates = false;
            std::size_t bad = 0;
            if (!outOfLine([&] { return validateUtf8(text, true, surrogates, bad); })) [[unlikely]]
                goto leave;
            appendGrowing(stack, outOfLine([&] {
                return g.addStrView(text, at, surrogates ? FlagLoneSurrogate : 0);
            }));
            note(isShort ? kProtoOf<Op::ShortBinUnicode> : kProtoOf<Op::BinUnicode>);
            pos += head + n;
            break;
        }
        case Op::ShortBinBytes: {
            const std::size_t n = static_cast<std::uint8_t>(p[1]);
            if (n > limit - pos - 2)
                goto leave;
            appendGrowing(stack, outOfLine([&] {
                return g.addBytesView({ p + 2, n }, ValueKind::Bytes, at);
            }));
            note(kProtoOf<Op::ShortBinBytes>);
            pos += 2 + n;
            break;
        }
        case Op::Mark:
            appendGrowing(marks, static_cast<std::uint32_t>(stack.size()));
            note(kProtoOf<Op::Mark>);
            pos += 1;
            break;
        case Op::Memoize:
            if (stack.size() <= fence() || !fastMemoPut(m.m_memoCount, stack.back()))
                goto leave;
            note(kProtoOf<Op::Memoize>);
            pos += 1;
            break;
        case Op::BinPut:
            if (stack.size() <= fence()
                || !fastMemoPut(static_cast<std::uint8_t>(p[1]), stack.back()))
                goto leave;
            note(kProtoOf<Op::BinPut>);
            pos += 2;
            break;
        case Op::LongBinPut:
            if (stack.size() <= fence()
                || !fastMemoPut(loadLittle<std::uint32_t>(p + 1), stack.back()))
                goto leave;
            note(kProtoOf<Op::LongBinPut>);
            pos += 5;
            break;
        case Op::BinGet:
        case Op::LongBinGet: {
            const bool isShort = static_cast<Op>(p[0]) == Op::BinGet;
            const std::uint64_t index
                = isShort ? static_cast<std::uint8_t>(p[1]) : loadLittle<std::uint32_t>(p + 1);
            if (index >= m.m_memoDense.size() || isNull(m.m_memoDense[index]))
                goto leave;
            appendGrowing(stack, m.m_memoDense[index]);
            note(isShort ? kProtoOf<Op::BinGet> : kProtoOf<Op::LongBinGet>);
            pos += isShort ? 2 : 5;
            break;
        }
        case Op::EmptyList:
        case Op::EmptyDict:
        case Op::EmptyTuple: {
            const Op op = static_cast<Op>(p[0]);
            appendGrowing(
                stack, outOfLine([&] { return g.addContainer(emptyContainerKind(op), at); }));
            note(kProtoOf<Op::EmptyList>); // all three: protocol 1
            pos += 1;
            break;
        }
        case Op::Tuple1:
        case Op::Tuple2:
        case Op::Tuple3: {
            const std::size_t n
                = static_cast<std::uint8_t>(p[0]) - static_cast<std::uint8_t>(Op::Tuple1) + 1;
            if (stack.size() < fence() + n)
                goto leave;
            appendGrowing(stack, outOfLine([&] {
                auto items = takeFrom(stack.size() - n);
                return g.addContainer(ValueKind::Tuple, at, std::move(items));
            }));
            note(kProtoOf<Op::Tuple1>); // all three: protocol 2
            pos += 1;
            break;
        }
        case Op::Append: // onto a list (an object's listItems: the general step)
            if (stack.size() < fence() + 2 || g.kind(stack[stack.size() - 2]) != ValueKind::List
                || g.items(stack[stack.size() - 2]).size() >= kMaxContainerItems)
                goto leave;
            outOfLine([&] { g.appendItem(stack[stack.size() - 2], stack.back()); });
            stack.pop_back();
            note(kProtoOf<Op::Append>);
            pos += 1;
            break;
        case Op::Appends: { // the items above the last MARK onto the list below it
            if (marks.empty())
                goto leave;
            const std::size_t begin = marks.back();
            const std::size_t below = marks.size() >= 2 ? marks[marks.size() - 2] : 0;
            if (begin <= below || g.kind(stack[begin - 1]) != ValueKind::List
                || stack.size() - begin > kMaxContainerItems - g.items(stack[begin - 1]).size())
                goto leave;
            outOfLine([&] {
                g.appendItems(stack[begin - 1], std::span<const ValueId>(stack).subspan(begin));
            });
            stack.resize(begin);
            marks.pop_back();
            note(kProtoOf<Op::Appends>);
            pos += 1;
            break;
        }
        default:
            goto leave;
        }
    }
leave:
    r.seek(pos);
    m.m_highestProto = highest;
    untilPoll -= static_cast<std::uint32_t>(done);
}

Result<ValueId> PickleMachine::Impl::run()
{
    std::uint32_t untilPoll = kPollEvery;
    const bool fast = m.m_options.dispatchFastPath;
    for (;;) {
        if (fast)
            fastRun(untilPoll);
        if (--untilPoll == 0) {
            untilPoll = kPollEvery;
            if (m.m_observer != nullptr) {
                if (m.m_observer->isCancelled())
                    return makeError(
                        ErrorCode::Cancelled, r.absolute(r.pos()), "loading cancelled");
                m.m_observer->progress(r.pos(), r.size());
            }
        }
        opOffset = r.absolute(r.pos());
        std::uint8_t code = 0;
        {
            const ReadStatus s = r.u8(code);
            if (s == ReadStatus::Truncated) {
                opInfo = nullptr;
                return makeError(ErrorCode::EndOfInput, opOffset,
                    r.size() == 0 ? "empty input: no pickle opcode (Ran out of input)"
                                  : "ran out of input before STOP");
            }
            if (s != ReadStatus::Ok) {
                opInfo = nullptr;
                return makeError(
                    ErrorCode::Truncated, opOffset, "opcode runs past the end of its frame");
            }
        }
        const OpcodeInfo* info = opcodeInfo(code);
        if (info == nullptr) {
            opInfo = nullptr;
            const char c = static_cast<char>(code);
            std::string shown = (code >= 0x20 && code < 0x7f && c != '\'' && c != '\\')
                ? std::string(1, c)
                : "\\x" + hexByteText(code).substr(2);
            return makeError(ErrorCode::UnknownOpcode, opOffset,
                "invalid load key, '" + shown + "' (unknown opcode " + hexByteText(code) + ")");
        }
        opInfo = info;
        m.m_highestProto = std::max<int>(m.m_highestProto, info->proto);
        PS_TRY(checkValueLimit());

        const Op op = static_cast<Op>(code);
        // Every argument is read here, as the opcode table lays it out (INST and FRAME read
        // theirs after their own checks, as CPython does).
        RawArg a;
        if (op != Op::Inst && op != Op::Frame && !readArgumentInto(r, *info, a)) [[unlikely]]
            return argumentFailure();
        switch (op) {
        case Op::Mark:
            PS_TRY(push(kMarkTag));
            break;
        case Op::Stop: {
            PS_ASSIGN(const auto popped, popN<1>());
            const ValueId result = popped[0];
            m.m_leftover = stack.size();
            m.m_consumed = r.pos();
            return result;
        }
        case Op::Pop:
            if (!marks.empty() && marks.back() == stack.size()) {
                marks.pop_back();
            } else {
                PS_TRY(popN<1>());
            }
            break;
        case Op::PopMark: {
            PS_ASSIGN(const std::size_t begin, popMark());
            dropFrom(begin);
            break;
        }
        case Op::Dup: {
            PS_ASSIGN(const ValueId item, top());
            PS_TRY(push(item));
            break;
        }

        // ---- numbers
        case Op::Int:
        case Op::Long:
            if (a.line.empty())
                return fail(ErrorCode::BadArgument, "empty integer literal");
            PS_TRY(loadInt(a.line, op == Op::Long));
            break;
        case Op::BinInt: // int4 (sign-extended by the reader), uint1, uint2
        case Op::BinInt1:
        case Op::BinInt2:
            PS_TRY(push(g.addInt(a.asSigned(), opOffset)));
            break;
        case Op::Long1:
        case Op::Long4:
            PS_TRY(materialize(op == Op::Long4 ? a.payload.size() : 0));
            PS_TRY(push(g.addLong(a.payload, opOffset)));
            break;
        case Op::Float:
            PS_TRY(loadFloat(a.line));
            break;
        case Op::BinFloat:
            PS_TRY(push(g.addFloat(a.asDouble(), opOffset)));
            break;
        case Op::None:
        case Op::NewTrue:
        case Op::NewFalse:
            PS_TRY(push(
                op == Op::None ? g.addNone(opOffset) : g.addBool(op == Op::NewTrue, opOffset)));
            break;

        // ---- strings and bytes
        case Op::String: {
            std::string decoded;
            std::string problem;
            if (!decodeStringLiteral(a.line, decoded, problem))
                return fail(ErrorCode::BadArgument, problem);
            PS_TRY(materialize(decoded.size()));
            const auto raw = std::span<const std::byte>(
                reinterpret_cast<const std::byte*>(decoded.data()), decoded.size());
            PS_TRY(push(py2String(raw, opOffset, true)));
            break;
        }
        case Op::BinString:
        case Op::ShortBinString: {
            PS_TRY(push(py2String(a.payload, opOffset, false)));
            break;
        }
        case Op::BinBytes:
        case Op::ShortBinBytes:
        case Op::BinBytes8:
        case Op::ByteArray8:
            PS_TRY(push(g.addBytesView(a.payload,
                op == Op::ByteArray8 ? ValueKind::ByteArray : ValueKind::Bytes, opOffset)));
            break;
        case Op::Unicode: {
            std::string decoded;
            std::string problem;
            bool surrogates = false;
            if (!decodeRawUnicodeEscape(a.line, decoded, surrogates, problem))
                return fail(ErrorCode::BadArgument, problem);
            PS_TRY(materialize(decoded.size()));
            PS_TRY(push(g.addStrCopy(decoded, opOffset, surrogates ? FlagLoneSurrogate : 0)));
            break;
        }
        case Op::ShortBinUnicode:
        case Op::BinUnicode:
        case Op::BinUnicode8: {
            PS_TRY(push(utf8String(a.payload, opOffset)));
            break;
        }

        // ---- containers
        case Op::EmptyList:
        case Op::EmptyTuple:
        case Op::EmptyDict:
        case Op::EmptySet:
            PS_TRY(push(g.addContainer(emptyContainerKind(op), opOffset)));
            break;
        case Op::List:
        case Op::Tuple: {
            PS_ASSIGN(const std::size_t begin, popMark());
            const ValueId made = g.addContainer(
                op == Op::List ? ValueKind::List : ValueKind::Tuple, opOffset, above(begin));
            dropFrom(begin);
            PS_TRY(push(made));
            break;
        }
        case Op::Tuple1:
        case Op::Tuple2:
        case Op::Tuple3: {
            const std::size_t n = op == Op::Tuple1 ? 1 : op == Op::Tuple2 ? 2 : 3;
            PS_TRY(need(n));
            const std::size_t begin = stack.size() - n; // checked by need(n)
            const ValueId made = g.addContainer(ValueKind::Tuple, opOffset, above(begin));
            dropFrom(begin);
            PS_TRY(push(made));
            break;
        }
        case Op::Dict: {
            PS_ASSIGN(const std::size_t begin, popMark());
            if ((stack.size() - begin) % 2 != 0) {
                dropFrom(begin);
                return fail(ErrorCode::BadValue, "odd number of items for DICT");
            }
            const ValueId dict = g.addContainer(ValueKind::Dict, opOffset);
            auto set = setItems(dict, above(begin));
            dropFrom(begin);
            PS_TRY(set);
            PS_TRY(push(dict));
            break;
        }
        case Op::FrozenSet: {
            PS_ASSIGN(const std::size_t begin, popMark());
            const ValueId set = g.addContainer(ValueKind::FrozenSet, opOffset);
            auto added = Result<void>();
            for (std::size_t i = begin; i < stack.size() && added.ok(); ++i)
                added = setAdd(set, stack[i]);
            dropFrom(begin);
            PS_TRY(added);
            PS_TRY(push(set));
            break;
        }
        case Op::Append: {
            PS_TRY(need(2));
            PS_ASSIGN(const auto popped, popN<1>());
            PS_ASSIGN(const ValueId target, top());
            PS_TRY(appendItems(target, std::span<const ValueId>(popped)));
            break;
        }
        case Op::Appends: {
            PS_ASSIGN(const std::size_t begin, popMark());
            if (begin <= fence()) { // nothing below the MARK to append to
                dropFrom(begin);
                return underflow();
            }
            // Straight from the stack into the target (no batch copy).
            auto appended
                = appendItems(stack[begin - 1], std::span<const ValueId>(stack).subspan(begin));
            dropFrom(begin);
            PS_TRY(appended);
            break;
        }
        case Op::SetItems:
        case Op::AddItems: {
            PS_ASSIGN(const std::size_t begin, popMark());
            if (begin <= fence()) { // nothing below the MARK to add to
                dropFrom(begin);
                return underflow();
            }
            // Straight from the stack into the target (no batch copy).
            const ValueId target = stack[begin - 1];
            auto added = op == Op::SetItems ? setItems(target, above(begin))
                                            : addItems(target, above(begin));
            dropFrom(begin);
            PS_TRY(added);
            break;
        }
        case Op::SetItem: {
            PS_TRY(need(3));
            PS_ASSIGN(const auto kv, popN<2>());
            PS_ASSIGN(const ValueId target, top());
            PS_TRY(setItems(target, kv));
            break;
        }

        // ---- memo
        case Op::Get:
        case Op::BinGet:
        case Op::LongBinGet:
        case Op::Put:
        case Op::BinPut:
        case Op::LongBinPut: {
            const bool text = op == Op::Get || op == Op::Put;
            const bool get = op == Op::Get || op == Op::BinGet || op == Op::LongBinGet;
            PS_ASSIGN(const std::uint64_t index,
                text ? decimalIndex(a.line, opName()) : Result<std::uint64_t>(a.value));
            PS_TRY(get ? memoGet(index) : memoPut(index));
            break;
        }
        case Op::Memoize:
            PS_TRY(memoPut(m.m_memoCount));
            break;

        // ---- globals, calls, objects
        case Op::Global: {
            const std::string_view module = a.line, name = a.line2;
            if (module.empty() || name.empty())
                return fail(ErrorCode::BadArgument, "empty module or attribute name");
            bool s1 = false, s2 = false;
            std::size_t bad = 0;
            if (!validateUtf8(module, false, s1, bad) || !validateUtf8(name, false, s2, bad))
                return fail(ErrorCode::BadArgument, "GLOBAL names are not valid UTF-8");
            PS_TRY(push(makeGlobal(module, name)));
            break;
        }
        case Op::StackGlobal: {
            PS_ASSIGN(const auto names, popN<2>());
            const ValueId moduleId = names[0], nameId = names[1];
            if (g.kind(nameId) != ValueKind::Str || g.kind(moduleId) != ValueKind::Str)
                return fail(ErrorCode::BadValue, "STACK_GLOBAL requires str");
            if (g.text(moduleId).empty())
                return fail(ErrorCode::BadValue, "Empty module name");
            PS_TRY(push(makeGlobal(g.text(moduleId), g.text(nameId))));
            break;
        }
        case Op::Reduce:
        case Op::NewObj: {
            PS_ASSIGN(const auto parts, popN<2>());
            const ValueId callable = parts[0], args = parts[1]; // NEWOBJ: the class
            PS_ASSIGN(const ValueId id,
                call(callable, args, kNullValue,
                    op == Op::Reduce ? ObjectVia::Reduce : ObjectVia::NewObj));
            PS_TRY(push(id));
            break;
        }
        case Op::NewObjEx: {
            PS_ASSIGN(const auto parts, popN<3>());
            PS_TRY(push(call(parts[0], parts[1], parts[2], ObjectVia::NewObjEx)));
            break;
        }
        case Op::Build:
            PS_TRY(build());
            if (m.m_hooks.afterBuild && !r.inFrame()) {
                ValueId replacement = kNullValue;
                const std::size_t at = r.pos();
                PS_ASSIGN(const ValueId built, top());
                PS_ASSIGN(const std::uint64_t skip,
                    m.m_hooks.afterBuild(built, r.data().subspan(at), r.absolute(at), replacement));
                if (skip > r.remaining())
                    return fail(
                        ErrorCode::Truncated, "data after BUILD runs past the end of the input");
                r.seek(at + static_cast<std::size_t>(skip));
                if (!isNull(replacement))
                    PS_TRY(replaceTop(replacement));
            }
            break;
        case Op::Inst: {
            PS_ASSIGN(const std::size_t begin, popMark());
            if (!readArgumentInto<ArgKind::StringnlNoescapePair>(r, a)) [[unlikely]]
                return argumentFailure();
            const std::string_view module = a.line, name = a.line2;
            if (module.empty() || name.empty())
                return fail(ErrorCode::BadArgument, "empty module or class name");
            auto items = takeFrom(begin);
            PS_ASSIGN(const ValueId cls, makeGlobal(module, name));
            const ValueId args = g.addContainer(ValueKind::Tuple, opOffset, std::move(items));
            PS_TRY(push(call(cls, args, kNullValue, ObjectVia::Inst)));
            break;
        }
        case Op::Obj: {
            PS_ASSIGN(const std::size_t begin, popMark());
            auto items = takeFrom(begin);
            if (items.empty())
                return fail(ErrorCode::StackUnderflow, "OBJ needs a class after the MARK");
            const ValueId cls = items.front();
            const ValueId args = g.addContainer(
                ValueKind::Tuple, opOffset, std::vector<ValueId>(items.begin() + 1, items.end()));
            PS_TRY(push(call(cls, args, kNullValue, ObjectVia::Obj)));
            break;
        }

        // ---- persistent ids, extensions, buffers
        case Op::PersId: {
            const std::string_view line = a.line;
            for (char c : line)
                if (static_cast<unsigned char>(c) >= 0x80)
                    return fail(ErrorCode::BadArgument,
                        "persistent IDs in protocol 0 must be ASCII strings");
            PS_TRY(persistent(g.addStrView(line, opOffset)));
            break;
        }
        case Op::BinPersId: {
            PS_ASSIGN(const auto popped, popN<1>());
            PS_TRY(persistent(popped[0]));
            break;
        }
        case Op::Ext1:
        case Op::Ext2:
        case Op::Ext4:
            PS_TRY(loadExtension(a.asSigned()));
            break;
        case Op::NextBuffer: {
            const std::int64_t index = bufferCount++;
            PS_TRY(pushHooked(m.m_hooks.nextBuffer, [&] { return g.addBuffer(index, opOffset); }));
            break;
        }
        case Op::ReadOnlyBuffer: {
            PS_ASSIGN(const ValueId buffer, top());
            if (m.m_hooks.makeReadOnly) {
                PS_ASSIGN(const ValueId id, m.m_hooks.makeReadOnly(buffer, opOffset));
                if (!isNull(id))
                    PS_TRY(replaceTop(id));
            } else {
                const ValueKind k = g.kind(buffer);
                if (k == ValueKind::Buffer || k == ValueKind::ByteArray)
                    g.setReadOnly(buffer);
                else if (k != ValueKind::Bytes)
                    return fail(ErrorCode::BadValue, "memoryview: a bytes-like object is required");
            }
            break;
        }

        // ---- protocol and framing
        case Op::Proto: {
            const auto proto = static_cast<std::uint8_t>(a.value);
            if (proto > 5)
                return fail(ErrorCode::Unsupported,
                    "unsupported pickle protocol: " + std::to_string(proto));
            m.m_proto = proto;
            if (m.m_highestProto < proto)
                m.m_highestProto = proto;
            break;
        }
        case Op::Frame: {
            if (r.inFrame())
                return fail(
                    ErrorCode::BadArgument, "beginning of a new frame before end of current frame");
            PS_ASSIGN(const std::uint64_t number, numberArg<ArgKind::Uint8>());
            const std::uint64_t length = number;
            if (length > r.remaining())
                return fail(ErrorCode::Truncated,
                    "frame of " + std::to_string(length) + " bytes runs past the end of the data, "
                        + std::to_string(r.remaining())
                        + " bytes left (pickle data was truncated)");
            r.beginFrame(static_cast<std::size_t>(length));
            break;
        }
        }
    }
}

PickleMachine::PickleMachine(ValueGraph& graph, LoadOptions options)
    : m_graph(graph)
    , m_options(options)
{
}

PickleMachine::~PickleMachine() = default;

Result<ValueId> PickleMachine::load(std::span<const std::byte> data, std::uint64_t baseOffset)
{
    m_proto = 0;
    m_leftover = 0;
    m_consumed = 0;
    // A value, a container and a stack entry each take an opcode of at least one byte, and
    // dense pickles make one value per 2-6 bytes (one container per 3 in deep nesting): reserve
    // one of each per 2 bytes, so that the arena, the run table and the stack do not regrow
    // (a copy, and fresh pages for the old and the new block) while loading. It is address space
    // only: pages never touched are never resident. Capped (4 Mi values, 64 MiB) so that a huge
    // file of a few big payloads does not ask for tens of GiB up front; past that they grow.
    constexpr std::size_t kMaxReservedValues = std::size_t(1) << 22;
    const std::size_t values = std::min<std::size_t>(
        { data.size() / 2, kMaxReservedValues, m_options.limits.maxValues });
    m_graph.reserve(
        m_graph.size() + values, std::min<std::size_t>(data.size() / 2, kMaxReservedValues / 4));
    Impl impl(*this, data, baseOffset);
    m_stackAtError.clear();
    auto result = impl.run();
    if (!result.ok()) {
        m_consumed = impl.r.pos();
        m_stackAtError = std::move(impl.stack);
    }
    return result;
}

bool setEncodingByName(LoadOptions& options, std::string_view pythonName)
{
    if (pythonName == "bytes") {
        options.encoding = Py2Encoding::Bytes;
        return true;
    }
    const std::string n = normalizeCodecName(pythonName);
    if (n == "ascii" || n == "us_ascii" || n == "646") {
        options.encoding = Py2Encoding::Ascii;
    } else if (n == "latin_1" || n == "latin1" || n == "iso8859_1" || n == "iso_8859_1" || n == "l1"
        || n == "latin" || n == "8859" || n == "cp819") {
        options.encoding = Py2Encoding::Latin1;
    } else if (n == "utf_8" || n == "utf8" || n == "u8" || n == "utf") {
        options.encoding = Py2Encoding::Utf8;
    } else {
        std::string codec = iconvCodecName(pythonName);
        if (codec.empty())
            return false;
        options.encoding = Py2Encoding::Codec;
        options.codec = std::move(codec);
    }
    return true;
}

} // namespace core
