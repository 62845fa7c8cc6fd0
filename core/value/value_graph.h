#pragma once

// The value graph: an arena of values addressed by 32-bit ValueIds. Containers hold child ids;
// shared references and cycles are repeated ids. Strings and bytes are views: into the mapped
// file when the bytes are final, into the graph's own text arena otherwise. No value owns
// another, so building, walking and destroying never recurse.

#include "core/value/dtype.h"

#include <QtGlobal>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace core {

enum class ValueId : std::uint32_t {};
inline constexpr ValueId kNullValue { 0xFFFFFFFFu };
inline constexpr std::uint32_t indexOf(ValueId id) { return static_cast<std::uint32_t>(id); }
inline constexpr bool isNull(ValueId id) { return id == kNullValue; }

enum class ValueKind : std::uint8_t {
    None,
    Bool,
    Int, // fits int64
    BigInt, // any size: little-endian two's complement bytes
    Float,
    Complex,
    Str,
    Bytes,
    ByteArray,
    List,
    Tuple,
    Dict,
    Set,
    FrozenSet,
    Global, // an unresolved module.name symbol: nothing is imported
    Object, // an instance or call result the loader does not type: ObjectRecord
    Persistent, // an unresolved persistent id
    Extension, // an unresolved extension code (EXT1/2/4)
    Buffer, // an out-of-band buffer (NEXT_BUFFER)
    Storage, // a torch storage: StorageRecord
    Tensor, // a torch tensor or Parameter: TensorRecord
    NdArray, // a numpy ndarray: NdArrayRecord
};

std::string_view valueKindName(ValueKind kind); // the JSON "type": "none", "int", "tensor", ...

// How an Object came to be (JSON "via").
enum class ObjectVia : std::uint8_t { Reduce, NewObj, NewObjEx, Inst, Obj };
std::string_view objectViaName(ObjectVia via);

// Value flags.
enum ValueFlag : std::uint8_t {
    FlagReadOnly = 1 << 0, // READONLY_BUFFER applied
    FlagPy2String = 1 << 1, // came from STRING/BINSTRING/SHORT_BINSTRING
    FlagLoneSurrogate = 1 << 2, // Str holds WTF-8 (surrogatepass): lone surrogates encoded as 3 bytes
};

// Dict subclasses the loader types (JSON "class").
enum class DictClass : std::uint8_t { Plain, OrderedDict, DefaultDict, Counter };

// 16 bytes a value: a file of 4 million numbers holds 64 MB of values, not 96.
struct Value {
    ValueKind kind = ValueKind::None;
    std::uint8_t flags = 0;
    // ObjectVia for Object, DictClass for Dict; Str/Bytes/ByteArray/BigInt: the payload length
    // (kLongPayload: the payload is in the blob table, num.u its index).
    std::uint16_t sub = 0;
    // The absolute file offset of the opcode that created the value, less its offset segment's
    // base (ValueGraph::offset adds it back; offsets under 4 GiB have base 0).
    std::uint32_t where = 0;
    union {
        std::int64_t i;
        double f;
        std::uint64_t u; // Str/Bytes/ByteArray/BigInt: payload address; Persistent: pid
        std::uint32_t ref; // index into the side table of this kind
    } num { 0 };
};
static_assert(sizeof(Value) == 16);

struct GlobalRecord {
    std::string_view module; // after fix_imports
    std::string_view name;
    std::string_view pickledModule; // as written in the pickle (differs when fix_imports renamed it)
    std::string_view pickledName;
};

struct ObjectRecord {
    ObjectVia via = ObjectVia::Reduce;
    ValueId callable = kNullValue; // usually a Global: the class or function
    ValueId args = kNullValue; // a Tuple (or whatever the pickle gave)
    ValueId kwargs = kNullValue; // NEWOBJ_EX
    ValueId state = kNullValue; // BUILD (a second BUILD replaces it: CPython would merge)
    ValueId base = kNullValue; // copyreg._reconstructor's base when it is not object
    std::vector<ValueId> listItems; // APPEND/APPENDS on the object
    std::vector<ValueId> dictItems; // SETITEM/SETITEMS on the object: k, v, k, v, ...
};

// Where the bytes of a torch storage or numpy array live in the file.
struct ByteRange {
    std::uint64_t offset = 0; // absolute file offset (stored zip entries are read in place)
    std::uint64_t length = 0;
    std::int32_t inflatedEntry = -1; // >= 0: a DEFLATE zip entry; offsets are into its inflated bytes
};

struct StorageRecord {
    std::string_view key; // "0", "1", ... (zip) or the legacy root key
    DType dtype = DType::Unknown;
    std::uint64_t numel = 0; // elements of dtype
    std::string_view location; // "cpu", "cuda:0", ...
    std::string_view typeName; // "FloatStorage", "UntypedStorage", ...
    ByteRange bytes; // length may be 0 when the record is missing
    bool bytesFound = false;
    bool bigEndian = false; // byteorder record / legacy sys_info
    std::string_view file; // the file the bytes are in when not the opened one (a shard's name)
};

enum class TensorClass : std::uint8_t { Tensor, Parameter };
enum class TensorLayout : std::uint8_t { Strided, SparseCoo, SparseCsr, Meta, Quantized, Nested, Other };

struct TensorRecord {
    TensorClass cls = TensorClass::Tensor;
    TensorLayout layout = TensorLayout::Strided;
    DType dtype = DType::Unknown;
    ValueId storage = kNullValue; // a Storage value (strided/quantized)
    std::int64_t storageOffset = 0; // in elements
    std::vector<std::int64_t> shape;
    std::vector<std::int64_t> stride;
    bool requiresGrad = false;
    ValueId rebuild = kNullValue; // the original call (lossless): an Object value
    // Quantization (per tensor: scale/zeroPoint; per channel: tensors).
    double scale = 0.0;
    std::int64_t zeroPoint = 0;
    ValueId scales = kNullValue, zeroPoints = kNullValue;
    std::int64_t axis = -1;
    ValueId components = kNullValue; // sparse: indices/values etc. as a Tuple
    // torch 2.x rebuild metadata {'neg': True, 'conj': True}: the logical value is -data / conj(data)
    bool negative = false;
    bool conjugate = false;
};

struct NdArrayRecord {
    DType dtype = DType::Unknown;
    char byteOrder = '<'; // '<', '>', '|' (not applicable)
    std::uint32_t itemSize = 0;
    std::vector<std::int64_t> shape;
    bool fortranOrder = false;
    ValueId data = kNullValue; // Bytes/ByteArray/Buffer value holding the raw data, or a List (object arrays)
    ValueId dtypeValue = kNullValue; // the numpy.dtype object as pickled
    ValueId rebuild = kNullValue; // the original call (lossless)
    std::string_view dtypeText; // numpy's str: "<f4", "|O", "<M8[ns]", ...
    // numpy.ma.MaskedArray (numpy.ma.core._mareconstruct + BUILD): the mask's raw bytes (one bool
    // per element, or a structured bool record) and the fill value as pickled (None or a 0-d array).
    bool masked = false;
    ValueId mask = kNullValue;
    ValueId fillValue = kNullValue;
};

class ValueGraph {
public:
    ValueGraph();
    ~ValueGraph();
    ValueGraph(const ValueGraph&) = delete;
    ValueGraph& operator=(const ValueGraph&) = delete;
    ValueGraph(ValueGraph&&) noexcept;
    ValueGraph& operator=(ValueGraph&&) noexcept;

    std::size_t size() const { return m_values.size(); }
    // Precondition (all accessors below): `id` is valid().
    const Value& at(ValueId id) const
    {
        Q_ASSERT(valid(id));
        return m_values[indexOf(id)];
    }
    ValueKind kind(ValueId id) const { return at(id).kind; }
    std::uint64_t offset(ValueId id) const
    {
        const Value& v = m_values[indexOf(id)];
        return m_offsetBases.size() == 1 ? v.where : offsetBase(indexOf(id)) + v.where;
    }
    bool valid(ValueId id) const { return indexOf(id) < m_values.size(); }

    // --- creation -------------------------------------------------------------------------
    ValueId addNone(std::uint64_t offset);
    ValueId addBool(bool v, std::uint64_t offset);
    ValueId addInt(std::int64_t v, std::uint64_t offset);
    // Little-endian two's complement bytes of any length; stored as Int when it fits.
    ValueId addLong(std::span<const std::byte> twosComplementLE, std::uint64_t offset);
    // Decimal text ("-123", "+5", "1_000"); nullopt-like kNullValue when it does not parse.
    ValueId addIntFromDecimal(std::string_view text, std::uint64_t offset);
    ValueId addFloat(double v, std::uint64_t offset);
    ValueId addComplex(double real, double imag, std::uint64_t offset);
    // Text that is final where it lies (a view into the mapped file): no copy.
    ValueId addStrView(std::string_view utf8, std::uint64_t offset, std::uint8_t flags = 0);
    ValueId addBytesView(std::span<const std::byte> bytes, ValueKind kind, std::uint64_t offset,
        std::uint8_t flags = 0);
    // Text that was decoded: copied into the arena.
    ValueId addStrCopy(std::string_view utf8, std::uint64_t offset, std::uint8_t flags = 0);
    ValueId addBytesCopy(std::string_view bytes, ValueKind kind, std::uint64_t offset,
        std::uint8_t flags = 0);
    ValueId addContainer(ValueKind kind, std::uint64_t offset, std::vector<ValueId> items = {});
    ValueId addDict(DictClass cls, std::uint64_t offset); // an empty dict of that class
    ValueId addGlobal(std::string_view module, std::string_view name, std::string_view pickledModule,
        std::string_view pickledName, std::uint64_t offset);
    ValueId addObject(ObjectRecord record, std::uint64_t offset);
    // A call the loader keeps inert (REDUCE / NEWOBJ / NEWOBJ_EX / INST / OBJ, a rebuild call):
    // an Object of those parts, no items, no state.
    ValueId addCall(ObjectVia via, ValueId callable, ValueId args, std::uint64_t offset,
        ValueId kwargs = kNullValue, ValueId base = kNullValue);
    ValueId addPersistent(ValueId pid, std::uint64_t offset);
    ValueId addExtension(std::int64_t code, std::uint64_t offset);
    ValueId addBuffer(std::int64_t index, std::uint64_t offset);
    ValueId addStorage(StorageRecord record, std::uint64_t offset);
    ValueId addTensor(TensorRecord record, std::uint64_t offset);
    ValueId addNdArray(NdArrayRecord record, std::uint64_t offset);

    // Turns an existing value into another kind in place (its id, and every edge to it, stay).
    void retypeAsTensor(ValueId id, TensorRecord record);
    void retypeAsNdArray(ValueId id, NdArrayRecord record);
    void retypeAsDict(ValueId id, DictClass cls, std::vector<ValueId> items);
    void retypeAsContainer(ValueId id, ValueKind kind, std::vector<ValueId> items);
    void retypeAsBytes(ValueId id, ValueKind kind, std::string_view bytes);
    void retypeAsComplex(ValueId id, double real, double imag);

    // READONLY_BUFFER on a Buffer or ByteArray.
    void setReadOnly(ValueId id);

    // Copies text into the arena; the view stays valid as long as the graph lives.
    std::string_view intern(std::string_view text);

    // --- access ---------------------------------------------------------------------------
    bool boolValue(ValueId id) const { return at(id).num.i != 0; }
    std::int64_t intValue(ValueId id) const { return at(id).num.i; }
    double floatValue(ValueId id) const { return at(id).num.f; }
    std::pair<double, double> complexValue(ValueId id) const;
    std::string_view text(ValueId id) const; // Str (UTF-8/WTF-8) and Bytes/ByteArray (raw)
    std::span<const std::byte> bytes(ValueId id) const;
    std::span<const std::byte> bigIntBytes(ValueId id) const; // BigInt: LE two's complement
    // Int or BigInt as decimal text; ints over 20,000 bytes (~48,000 digits) as exact "0x..." hex.
    std::string intDecimal(ValueId id) const;

    // List/Tuple/Set/FrozenSet items; Dict items flattened as k, v, k, v... (empty for any other
    // kind). mutableItems: precondition, `id` is a container.
    const std::vector<ValueId>& items(ValueId id) const;
    std::vector<ValueId>& mutableItems(ValueId id);
    std::size_t itemCount(ValueId id) const; // Dict: number of pairs

    DictClass dictClass(ValueId id) const { return static_cast<DictClass>(at(id).sub); }
    ValueId defaultFactory(ValueId dictId) const;
    void setDefaultFactory(ValueId dictId, ValueId factory);
    // BUILD state applied to a value that is not an Object (e.g. an OrderedDict's _metadata).
    ValueId extraState(ValueId id) const;
    void setExtraState(ValueId id, ValueId state);

    // The side record of a value: precondition, the value is of that kind (Global, Object, ...).
    const GlobalRecord& global(ValueId id) const { return m_globals[ref(id, ValueKind::Global)]; }
    const ObjectRecord& object(ValueId id) const { return m_objects[ref(id, ValueKind::Object)]; }
    ObjectRecord& object(ValueId id) { return m_objects[ref(id, ValueKind::Object)]; }
    ValueId persistentId(ValueId id) const { return static_cast<ValueId>(at(id).num.u); }
    std::int64_t extensionCode(ValueId id) const { return at(id).num.i; }
    std::int64_t bufferIndex(ValueId id) const { return at(id).num.i; }
    const StorageRecord& storage(ValueId id) const { return m_storages[ref(id, ValueKind::Storage)]; }
    StorageRecord& storage(ValueId id) { return m_storages[ref(id, ValueKind::Storage)]; }
    const TensorRecord& tensor(ValueId id) const { return m_tensors[ref(id, ValueKind::Tensor)]; }
    TensorRecord& tensor(ValueId id) { return m_tensors[ref(id, ValueKind::Tensor)]; }
    const NdArrayRecord& ndarray(ValueId id) const { return m_ndarrays[ref(id, ValueKind::NdArray)]; }
    NdArrayRecord& ndarray(ValueId id) { return m_ndarrays[ref(id, ValueKind::NdArray)]; }

    // Children in display order, for walkers (tree, export, search): container items, object
    // callable/args/kwargs/state/items, persistent pid, tensor storage, ... Order is stable.
    void forEachChild(ValueId id, const std::function<void(ValueId)>& visit) const;

    // How many tensor / ndarray records the graph holds (0: no walk for tensors is needed).
    std::size_t tensorCount() const { return m_tensors.size(); }
    std::size_t ndarrayCount() const { return m_ndarrays.size(); }

    // Approximate heap bytes used by the graph (for benchmarks and limits).
    std::size_t memoryUsage() const;

    // Capacity hints from the input size (avoids regrowth copies of the arena while loading).
    void reserve(std::size_t values, std::size_t containers);

private:
    Value& mutableAt(ValueId id)
    {
        Q_ASSERT(valid(id));
        return m_values[indexOf(id)];
    }
    std::uint32_t ref(ValueId id, [[maybe_unused]] ValueKind expected) const
    {
        Q_ASSERT(kind(id) == expected);
        return at(id).num.ref;
    }
    ValueId push(Value v, std::uint64_t offset);
    // A value of `kind` whose num.ref indexes the record just appended to `table`.
    template <typename Record>
    ValueId pushRecord(std::vector<Record>& table, Record record, ValueKind kind, std::uint64_t offset);
    // Points an existing value at the record just appended to `table` (retypeAs*).
    template <typename Record> void retypeRecord(ValueId id, std::vector<Record>& table, Record record, ValueKind kind);
    ValueId pushNumber(ValueKind kind, std::int64_t bits, std::uint64_t offset);
    std::uint64_t offsetBase(std::uint32_t index) const;
    void setBlob(Value& v, std::span<const std::byte> bytes);
    std::span<const std::byte> blobOf(const Value& v) const;

    std::vector<Value> m_values;
    // Offset segments: values from index first on have offsets base + where. One segment (base
    // 0) unless a file puts pickle opcodes past 4 GiB.
    std::vector<std::pair<std::uint32_t, std::uint64_t>> m_offsetBases { { 0, 0 } };
    std::vector<std::vector<ValueId>> m_lists; // containers' items
    std::vector<std::span<const std::byte>> m_blobs; // Str/Bytes/ByteArray/BigInt payloads
    std::vector<GlobalRecord> m_globals;
    std::vector<ObjectRecord> m_objects;
    std::vector<std::pair<double, double>> m_complexes;
    std::vector<StorageRecord> m_storages;
    std::vector<TensorRecord> m_tensors;
    std::vector<NdArrayRecord> m_ndarrays;
    std::unordered_map<std::uint32_t, ValueId> m_defaultFactories;
    std::unordered_map<std::uint32_t, ValueId> m_extraStates;
    struct Arena;
    std::unique_ptr<Arena> m_arena;
};

} // namespace core
