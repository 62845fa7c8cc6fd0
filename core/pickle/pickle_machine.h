#pragma once

// The unpickling machine: mirrors CPython's _Unpickler for protocols 0-5, but never imports or
// calls anything. Globals become symbols; REDUCE/NEWOBJ/BUILD on them become inert objects that
// keep callable, args, kwargs, state and items. Known reconstructors (OrderedDict, set,
// _codecs.encode, copyreg._reconstructor, ...) become typed values. One flat loop, one switch,
// every stack access through one checking helper.

#include "core/result.h"
#include "core/value/value_graph.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace core {

// How Python 2 str payloads (STRING, BINSTRING, SHORT_BINSTRING) are decoded, as
// pickle.load(encoding=...) does: ASCII (default), latin1, or kept as bytes.
// Codec: any other codec Python knows, by LoadOptions::codec (through glibc's iconv).
enum class Py2Encoding : std::uint8_t { Ascii, Latin1, Bytes, Utf8, Codec };

struct LoadLimits {
    std::size_t maxStackDepth = std::size_t(1) << 26; // items on the stack + marks
    std::size_t maxMemoEntries = std::size_t(1) << 26;
    std::size_t maxValues = std::size_t(1) << 30; // values in the graph (all pickles)
    std::uint64_t maxMaterializedBytes = std::uint64_t(8) << 30; // decoded text/bytes copied
};

struct LoadOptions {
    Py2Encoding encoding = Py2Encoding::Ascii;
    bool fixImports = true;
    LoadLimits limits;
    std::string codec; // Py2Encoding::Codec: the iconv name (see iconvCodecName)
    // Not user-facing: false runs every opcode through the machine's general step (the tests
    // and the fuzzer pin the dispatch fast path to it: same graph, same errors).
    bool dispatchFastPath = true;
};

// pickle.load(encoding=NAME) for any codec name Python accepts ("ASCII", "latin-1", "bytes",
// "utf-8", "cp1252", "shift_jis", "iso-8859-15", ...): sets encoding (and codec); false when
// neither Python's aliases nor iconv know the name.
bool setEncodingByName(LoadOptions& options, std::string_view pythonName);

// Polled every few thousand opcodes by long-running loads.
class LoadObserver {
public:
    virtual ~LoadObserver() = default;
    virtual bool isCancelled() const = 0;
    virtual void progress(std::uint64_t done, std::uint64_t total) = 0;
};

// Extension points, as gopickle's Unpickler has them. Each may be empty: the default keeps an
// inert symbol (Global / Persistent / Extension / Buffer value) so that nothing is lost.
struct MachineHooks {
    // GLOBAL, STACK_GLOBAL, INST: module and name after fix_imports. Return kNullValue to get
    // the default Global value.
    std::function<Result<ValueId>(std::string_view module, std::string_view name, std::uint64_t offset)>
        findClass;
    std::function<Result<ValueId>(ValueId pid, std::uint64_t offset)> persistentLoad;
    std::function<Result<ValueId>(std::int64_t code, std::uint64_t offset)> getExtension;
    std::function<Result<ValueId>(std::uint64_t offset)> nextBuffer;
    std::function<Result<ValueId>(ValueId obj, std::uint64_t offset)> makeReadOnly;
    // REDUCE / NEWOBJ / NEWOBJ_EX with a Global callable the core does not know: return a typed
    // value (tensor, ndarray, ...) or kNullValue to get the default Object.
    std::function<Result<ValueId>(const GlobalRecord& callable, ValueId callableId, ValueId args,
        ValueId kwargs, ObjectVia via, std::uint64_t offset)>
        reduce;
    // BUILD on a typed value (tensor, ndarray, ...): return true when handled.
    std::function<Result<bool>(ValueId target, ValueId state, std::uint64_t offset)> build;
    // After BUILD (joblib writes an array's bytes right after its wrapper's BUILD): `rest` is the
    // input from the next byte on (absolute offset restOffset). Returns how many bytes of it the
    // hook consumed (0: none) and may set `replacement` to a value that replaces the stack top.
    std::function<Result<std::uint64_t>(ValueId target, std::span<const std::byte> rest,
        std::uint64_t restOffset, ValueId& replacement)>
        afterBuild;
};

class PickleMachine {
public:
    PickleMachine(ValueGraph& graph, LoadOptions options = {});
    ~PickleMachine();

    MachineHooks& hooks() { return m_hooks; }
    void setObserver(LoadObserver* observer) { m_observer = observer; }

    // Runs one pickle program from `data` (whose first byte is at absolute file offset
    // `baseOffset`) until STOP. On success `consumed` is the number of bytes read, STOP included.
    // The memo is kept across calls (as CPython's load() does); stack, marks and proto are reset.
    Result<ValueId> load(std::span<const std::byte> data, std::uint64_t baseOffset = 0);

    std::size_t consumed() const { return m_consumed; }
    int protocol() const { return m_proto; } // last PROTO seen (0 if none)
    int highestProtocol() const { return m_highestProto; }
    // Values left on the stack under the result at STOP (CPython ignores them).
    std::size_t leftoverItems() const { return m_leftover; }
    // After a failed load: what was on the stack when it failed (bottom first), for showing a
    // partial result.
    const std::vector<ValueId>& stackAtError() const { return m_stackAtError; }

private:
    struct Impl;
    ValueGraph& m_graph;
    LoadOptions m_options;
    MachineHooks m_hooks;
    LoadObserver* m_observer = nullptr;
    // The memo: dense for the small indices pickles use (MEMOIZE counts up from 0), a hash map
    // for sparse large ones (LONG_BINPUT 0xffffffff must not allocate 2^32 slots).
    std::vector<ValueId> m_memoDense;
    std::unordered_map<std::uint64_t, ValueId> m_memoSparse;
    std::size_t m_memoCount = 0;
    std::size_t m_consumed = 0;
    int m_proto = 0;
    int m_highestProto = 0;
    std::size_t m_leftover = 0;
    std::vector<ValueId> m_stackAtError;
    std::uint64_t m_materialized = 0;
};

// Python 2 module/name renames (CPython's _compat_pickle NAME_MAPPING and IMPORT_MAPPING).
// Returns false when nothing applies.
bool fixImportName(std::string_view module, std::string_view name, std::string& outModule,
    std::string& outName);

} // namespace core
