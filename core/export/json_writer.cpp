#include "core/export/json_writer.h"

#include "core/domain/pandas_decoder.h"
#include "core/numpy/numpy_dtype.h"
#include "core/torch/tensor_view.h"
#include "core/value/value_text.h"

#include <QIODevice>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <ostream>
#include <unordered_map>

namespace core {

namespace {

constexpr std::size_t kBufferSize = std::size_t(1) << 16;
constexpr std::uint32_t kPollEvery = 4096;
constexpr double kTwo53 = 9007199254740992.0;

// ---- export children (what the writer emits as VALUE)
// --------------------------------------------

bool isTuple(const ValueGraph& g, ValueId id)
{
    return g.valid(id) && g.kind(id) == ValueKind::Tuple;
}

bool isObjectArray(const ValueGraph& g, ValueId id)
{
    const NdArrayRecord& a = g.ndarray(id);
    return g.valid(a.data)
        && (g.kind(a.data) == ValueKind::List || g.kind(a.data) == ValueKind::Tuple);
}

template <typename Visit>
void forEachExportChild(const ValueGraph& g, ValueId id, bool plain, Visit&& visit)
{
    auto maybe = [&](ValueId child) {
        if (g.valid(child))
            visit(child);
    };
    const ValueKind k = g.kind(id);
    switch (k) {
    case ValueKind::List:
    case ValueKind::Tuple:
    case ValueKind::Set:
    case ValueKind::FrozenSet:
    case ValueKind::Dict:
        if (k == ValueKind::Dict && !plain)
            maybe(g.defaultFactory(id));
        for (ValueId child : g.items(id))
            visit(child);
        if (!plain)
            maybe(g.extraState(id));
        break;
    case ValueKind::Object: {
        const ObjectRecord& o = g.object(id);
        if (!plain || displayRepr(g, id).empty()) {
            if (!plain)
                maybe(o.callable);
            if (isTuple(g, o.args)) {
                for (ValueId child : g.items(o.args))
                    visit(child);
            } else {
                maybe(o.args);
            }
            maybe(o.kwargs);
            maybe(o.state);
            maybe(o.base);
            for (ValueId child : o.listItems)
                visit(child);
            for (ValueId child : o.dictItems)
                visit(child);
        }
        break;
    }
    case ValueKind::Persistent:
        maybe(g.persistentId(id));
        break;
    case ValueKind::Tensor: {
        const TensorRecord& t = g.tensor(id);
        maybe(t.scales);
        maybe(t.zeroPoints);
        maybe(t.components);
        break;
    }
    case ValueKind::NdArray:
        if (isObjectArray(g, id))
            for (ValueId child : g.items(g.ndarray(id).data))
                visit(child);
        break;
    default:
        break;
    }
}

std::vector<std::uint8_t> countRefs(const ValueGraph& g, ValueId root, bool plain)
{
    std::vector<std::uint8_t> counts(g.size(), 0);
    if (!g.valid(root))
        return counts;
    std::vector<ValueId> stack { root };
    while (!stack.empty()) {
        const ValueId id = stack.back();
        stack.pop_back();
        if (!g.valid(id))
            continue;
        if (isIdentityValue(g, id)) {
            std::uint8_t& c = counts[indexOf(id)];
            if (c >= 1) {
                c = 2;
                continue;
            }
            c = 1;
        }
        forEachExportChild(g, id, plain, [&](ValueId child) { stack.push_back(child); });
    }
    return counts;
}

// ---- the writer
// -----------------------------------------------------------------------------------

enum class FrameType : std::uint8_t { Value, Text, Seq };
// Which id vector a Seq frame walks.
enum class Source : std::uint8_t { Items, ArgsItems, ObjList, ObjDict, NdItems };
// How a Seq frame writes its entries.
enum class SeqMode : std::uint8_t { Values, Pairs, Members };

// Closing texts and member keys, by index (a Text frame stores the index).
enum TextId : std::uint32_t {
    TClose, // }
    TCloseArray, // ]
    TCloseArrayObject, // ]}
    TComma, // ,
    TCloseWrapped, // }  (end of {"$id":K,"$value":...})
    TState, // ,"state":
    TKwargs, // ,"kwargs":
    TBase, // ,"base":
    TListItemsOpen, // ,"listitems":[
    TDictItemsOpen, // ,"dictitems":[
    TPid, // ,"pid":
    TScales, // ,"q_per_channel_scales":
    TZeroPoints, // ,"q_per_channel_zero_points":
    TComponents, // ,"components":
    TArgsOpen, // ,"args":[
    TArgs, // ,"args":
    TCallable, // ,"callable":
    TItemsOpen, // ,"items":[
    TDefaultFactory, // ,"default_factory":
    TTensorTail, // a tensor's "data" (id = tensor value)
    TArgsEmpty, // ,"args":[]
    TOpenArray, // [
};

const std::string_view kTexts[] = {
    "}",
    "]",
    "]}",
    ",",
    "}",
    ",\"state\":",
    ",\"kwargs\":",
    ",\"base\":",
    ",\"listitems\":[",
    ",\"dictitems\":[",
    ",\"pid\":",
    ",\"q_per_channel_scales\":",
    ",\"q_per_channel_zero_points\":",
    ",\"components\":",
    ",\"args\":[",
    ",\"args\":",
    ",\"callable\":",
    ",\"items\":[",
    ",\"default_factory\":",
    "",
    ",\"args\":[]",
    "[",
};

struct Frame {
    std::uint64_t next = 0; // Seq: next index into the vector; Text: unused
    std::uint32_t id = 0; // Value/Seq: the value; Text: TextId
    std::uint32_t aux
        = 0; // Text TTensorTail: the tensor value; Seq: 1 = comma before the first entry
    FrameType type = FrameType::Value;
    Source source = Source::Items;
    SeqMode mode = SeqMode::Values;
};

class Writer {
public:
    Writer(const std::shared_ptr<const Document>& doc, JsonSink& sink,
        const JsonExportOptions& options, LoadObserver* observer)
        : m_doc(doc)
        , m_g(doc->graph)
        , m_sink(sink)
        , m_options(options)
        , m_observer(observer)
    {
        m_buffer.reserve(kBufferSize + 1024);
    }

    Result<void> run()
    {
        const Document& d = *m_doc;
        if (m_options.plain) { // the plain form is the root value alone
            if (m_g.valid(d.root)) {
                m_counts = countRefs(m_g, d.root, true);
                PS_TRY(walk(d.root));
            } else {
                put("null");
            }
            put('\n');
            return flush();
        }
        put("{\"picklescope\":1,\"file\":{\"name\":");
        putString(d.fileName);
        put(",\"size\":");
        putUnsigned(d.source ? d.source->size() : 0);
        put(",\"format\":\"");
        put(fileFormatName(d.format));
        put("\",\"protocol\":");
        putSigned(d.protocol);
        if (!d.fileMetadata.empty() || d.format == FileFormat::Safetensors) {
            put(",\"metadata\":{");
            for (std::size_t i = 0; i < d.fileMetadata.size(); ++i) {
                if (i > 0)
                    put(',');
                putString(d.fileMetadata[i].first);
                put(':');
                putString(d.fileMetadata[i].second);
            }
            put('}');
        }
        if (!d.shards.empty()) {
            put(",\"shards\":[");
            for (std::size_t i = 0; i < d.shards.size(); ++i) {
                const ShardFile& shard = d.shards[i];
                put(i == 0 ? "{\"name\":" : ",{\"name\":");
                putString(shard.name);
                put(",\"size\":");
                putUnsigned(shard.size);
                put(",\"found\":");
                put(shard.found ? "true" : "false");
                put(",\"tensors\":");
                putUnsigned(shard.tensors);
                if (!shard.error.empty()) {
                    put(",\"error\":");
                    putString(shard.error);
                }
                put('}');
            }
            put(']');
        }
        put("},\"root\":");
        if (m_g.valid(d.root)) {
            m_counts = countRefs(m_g, d.root, m_options.plain);
            PS_TRY(walk(d.root));
        } else {
            put("null");
        }
        if (d.format == FileFormat::TorchScript) {
            // Every pickle program of the archive beside the main one's root.
            put(",\"programs\":{");
            bool first = true;
            for (const PickleStream& stream : d.pickles) {
                if (!m_g.valid(stream.root))
                    continue;
                put(first ? "" : ",");
                first = false;
                putString(stream.name);
                put(':');
                m_counts = countRefs(m_g, stream.root, false);
                PS_TRY(walk(stream.root));
            }
            put('}');
        }
        put(",\"diagnostics\":[");
        for (std::size_t i = 0; i < d.diagnostics.size(); ++i) {
            const Diagnostic& diag = d.diagnostics[i];
            put(i == 0 ? "{\"severity\":\"" : ",{\"severity\":\"");
            put(severityName(diag.severity));
            put("\",\"offset\":");
            putUnsigned(diag.offset);
            put(",\"message\":");
            putString(diag.message);
            put("}");
        }
        put("]");
        if (d.error) {
            put(",\"error\":{\"code\":\"");
            put(errorCodeName(d.error->code));
            put("\",\"offset\":");
            putUnsigned(d.error->offset);
            put(",\"message\":");
            putString(d.error->message);
            put("}");
        }
        put("}\n");
        return flush();
    }

private:
    // ---- output ---------------------------------------------------------------------------------
    void put(std::string_view s)
    {
        m_buffer.append(s);
        if (m_buffer.size() >= kBufferSize)
            (void)flush();
    }
    void put(char c)
    {
        m_buffer.push_back(c);
        if (m_buffer.size() >= kBufferSize)
            (void)flush();
    }
    Result<void> flush()
    {
        if (m_failed)
            return makeError(ErrorCode::Io, 0, "could not write the JSON output");
        if (!m_buffer.empty()) {
            if (!writeOut(m_buffer)) {
                m_failed = true;
                return makeError(ErrorCode::Io, 0, "could not write the JSON output");
            }
            m_buffer.clear();
        }
        return {};
    }

    // Pretty-printing filter (indent > 0): newlines and indentation around structure, outside
    // strings; "[]" and "{}" stay together.
    bool writeOut(std::string_view text)
    {
        if (m_options.indent <= 0)
            return m_sink.write(text);
        m_pretty.clear();
        for (char c : text) {
            if (m_inString) {
                m_pretty.push_back(c);
                if (m_escape)
                    m_escape = false;
                else if (c == '\\')
                    m_escape = true;
                else if (c == '"')
                    m_inString = false;
                continue;
            }
            if (m_pendingOpen) {
                m_pendingOpen = false;
                if (c == ']' || c == '}') {
                    --m_level;
                    m_pretty.push_back(c);
                    continue;
                }
                newline();
            }
            switch (c) {
            case '"':
                m_inString = true;
                m_pretty.push_back(c);
                break;
            case '[':
            case '{':
                m_pretty.push_back(c);
                ++m_level;
                m_pendingOpen = true;
                break;
            case ']':
            case '}':
                --m_level;
                newline();
                m_pretty.push_back(c);
                break;
            case ',':
                m_pretty.push_back(c);
                newline();
                break;
            case ':':
                m_pretty += ": ";
                break;
            default:
                m_pretty.push_back(c);
            }
        }
        return m_sink.write(m_pretty);
    }
    void newline()
    {
        m_pretty.push_back('\n');
        const int levels = std::min(std::max(m_level, 0), kMaxIndentLevels);
        m_pretty.append(static_cast<std::size_t>(levels * m_options.indent), ' ');
    }

    void putUnsigned(std::uint64_t v)
    {
        char buf[24];
        const auto r = std::to_chars(buf, buf + sizeof buf, v);
        put(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
    }
    void putSigned(std::int64_t v)
    {
        char buf[24];
        const auto r = std::to_chars(buf, buf + sizeof buf, v);
        put(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
    }
    void putDouble(double v)
    {
        if (std::isnan(v))
            put("\"nan\"");
        else if (std::isinf(v))
            put(v > 0 ? "\"inf\"" : "\"-inf\"");
        else
            put(pyFloatRepr(v));
    }
    // An int: a number when |N| < 2^53 (typed) / fits int64 (plain), else a decimal string.
    void putInt(ValueId id)
    {
        if (m_g.kind(id) == ValueKind::Int) {
            const std::int64_t v = m_g.intValue(id);
            const bool small = v > -(std::int64_t(1) << 53) && v < (std::int64_t(1) << 53);
            if (small || m_options.plain) {
                putSigned(v);
                return;
            }
            put('"');
            putSigned(v);
            put('"');
            return;
        }
        put('"');
        put(m_g.intDecimal(id));
        put('"');
    }

    // JSON string of UTF-8 / WTF-8 text: lone surrogates as \udXXX.
    void putString(std::string_view s)
    {
        putJsonString([this](auto part) { put(part); }, s);
    }

    void putBase64(std::string_view data)
    {
        static constexpr char kB64[]
            = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        put('"');
        char chunk[4];
        std::size_t i = 0;
        for (; i + 3 <= data.size(); i += 3) {
            const std::uint32_t v = (std::uint32_t(static_cast<unsigned char>(data[i])) << 16)
                | (std::uint32_t(static_cast<unsigned char>(data[i + 1])) << 8)
                | static_cast<unsigned char>(data[i + 2]);
            chunk[0] = kB64[(v >> 18) & 63];
            chunk[1] = kB64[(v >> 12) & 63];
            chunk[2] = kB64[(v >> 6) & 63];
            chunk[3] = kB64[v & 63];
            m_buffer.append(chunk, 4);
            if (m_buffer.size() >= kBufferSize)
                (void)flush();
        }
        const std::size_t rest = data.size() - i;
        if (rest > 0) {
            std::uint32_t v = std::uint32_t(static_cast<unsigned char>(data[i])) << 16;
            if (rest == 2)
                v |= std::uint32_t(static_cast<unsigned char>(data[i + 1])) << 8;
            chunk[0] = kB64[(v >> 18) & 63];
            chunk[1] = kB64[(v >> 12) & 63];
            chunk[2] = rest == 2 ? kB64[(v >> 6) & 63] : '=';
            chunk[3] = '=';
            put(std::string_view(chunk, 4));
        }
        put('"');
    }

    void putShape(const std::vector<std::int64_t>& dims)
    {
        put('[');
        for (std::size_t i = 0; i < dims.size(); ++i) {
            if (i > 0)
                put(',');
            putSigned(dims[i]);
        }
        put(']');
    }

    // ---- the walk -------------------------------------------------------------------------------
    void pushText(TextId t, std::uint32_t aux = 0)
    {
        Frame f;
        f.type = FrameType::Text;
        f.id = t;
        f.aux = aux;
        m_stack.push_back(f);
    }
    void pushValue(ValueId id)
    {
        Frame f;
        f.type = FrameType::Value;
        f.id = indexOf(id);
        m_stack.push_back(f);
    }
    void pushSeq(ValueId id, Source source, SeqMode mode)
    {
        Frame f;
        f.type = FrameType::Seq;
        f.id = indexOf(id);
        f.source = source;
        f.mode = mode;
        m_stack.push_back(f);
    }
    // An object's members after its args, shared by the typed and plain forms; pushed in
    // reverse of the order they are written: base, state, kwargs, listitems, dictitems.
    void pushObjectMembers(ValueId id, const ObjectRecord& o)
    {
        if (!o.dictItems.empty()) {
            pushText(TCloseArray);
            pushSeq(id, Source::ObjDict, SeqMode::Pairs);
            pushText(TDictItemsOpen);
        }
        if (!o.listItems.empty()) {
            pushText(TCloseArray);
            pushSeq(id, Source::ObjList, SeqMode::Values);
            pushText(TListItemsOpen);
        }
        if (m_g.valid(o.base)) {
            pushValue(o.base);
            pushText(TBase);
        }
        if (m_g.valid(o.state)) {
            pushValue(o.state);
            pushText(TState);
        }
        if (m_g.valid(o.kwargs)) {
            pushValue(o.kwargs);
            pushText(TKwargs);
        }
    }

    const std::vector<ValueId>& sequence(const Frame& f) const
    {
        const auto id = static_cast<ValueId>(f.id);
        switch (f.source) {
        case Source::Items:
            return m_g.items(id);
        case Source::ArgsItems:
            return m_g.items(m_g.object(id).args);
        case Source::ObjList:
            return m_g.object(id).listItems;
        case Source::ObjDict:
            return m_g.object(id).dictItems;
        case Source::NdItems:
            return m_g.items(m_g.ndarray(id).data);
        }
        return m_g.items(id);
    }

    Result<void> walk(ValueId root)
    {
        pushValue(root);
        while (!m_stack.empty()) {
            const Frame f = m_stack.back();
            m_stack.pop_back();
            switch (f.type) {
            case FrameType::Text:
                if (f.id == TTensorTail)
                    PS_TRY(tensorData(static_cast<ValueId>(f.aux)));
                else
                    put(kTexts[f.id]);
                break;
            case FrameType::Seq:
                stepSeq(f);
                break;
            case FrameType::Value:
                if (++m_written % kPollEvery == 0) {
                    if (m_failed)
                        return flush();
                    if (m_observer != nullptr) {
                        if (m_observer->isCancelled())
                            return makeError(ErrorCode::Cancelled, 0, "export cancelled");
                        m_observer->progress(m_written, m_g.size());
                    }
                }
                PS_TRY(value(static_cast<ValueId>(f.id)));
                break;
            }
        }
        return m_failed ? flush() : Result<void>();
    }

    void stepSeq(Frame f)
    {
        const auto& items = sequence(f);
        const std::size_t step = f.mode == SeqMode::Values ? 1 : 2;
        if (f.next + step > items.size())
            return;
        const std::uint64_t i = f.next;
        if (i > 0 || f.aux != 0)
            put(',');
        Frame again = f;
        again.next = i + step;
        m_stack.push_back(again);
        switch (f.mode) {
        case SeqMode::Values:
            pushValue(items[i]);
            break;
        case SeqMode::Pairs:
            put('[');
            pushText(TCloseArray);
            pushValue(items[i + 1]);
            pushText(TComma);
            pushValue(items[i]);
            break;
        case SeqMode::Members:
            putString(m_g.text(items[i]));
            put(':');
            pushValue(items[i + 1]);
            break;
        }
    }

    // Handles "id"/ref for identity values; returns true when a ref was written.
    // On first occurrence of a shared value, `idText` receives the member/wrapper to add.
    bool refOrId(ValueId id, std::uint32_t& assigned)
    {
        assigned = 0;
        if (!isIdentityValue(m_g, id) || m_counts[indexOf(id)] < 2)
            return false;
        const auto it = m_ids.find(indexOf(id));
        if (it != m_ids.end()) {
            if (m_options.plain)
                put("{\"$ref\":");
            else
                put("{\"type\":\"ref\",\"id\":");
            putUnsigned(it->second);
            put('}');
            return true;
        }
        assigned = ++m_nextId;
        m_ids.emplace(indexOf(id), assigned);
        return false;
    }

    Result<void> value(ValueId id)
    {
        if (!m_g.valid(id)) {
            put("null");
            return {};
        }
        std::uint32_t assigned = 0;
        if (refOrId(id, assigned))
            return {};
        if (m_options.plain)
            return plainValue(id, assigned);
        return typedValue(id, assigned);
    }

    void openTyped(std::string_view type, std::uint32_t assigned)
    {
        put("{\"type\":\"");
        put(type);
        put('"');
        if (assigned != 0) {
            put(",\"id\":");
            putUnsigned(assigned);
        }
    }

    Result<void> typedValue(ValueId id, std::uint32_t assigned)
    {
        const ValueKind k = m_g.kind(id);
        switch (k) {
        case ValueKind::None:
            put("{\"type\":\"none\"}");
            return {};
        case ValueKind::Bool:
            put(m_g.boolValue(id) ? "{\"type\":\"bool\",\"value\":true}"
                                  : "{\"type\":\"bool\",\"value\":false}");
            return {};
        case ValueKind::Int:
        case ValueKind::BigInt:
            put("{\"type\":\"int\",\"value\":");
            putInt(id);
            put('}');
            return {};
        case ValueKind::Float:
            put("{\"type\":\"float\",\"value\":");
            putDouble(m_g.floatValue(id));
            put('}');
            return {};
        case ValueKind::Complex: {
            const auto [re, im] = m_g.complexValue(id);
            put("{\"type\":\"complex\",\"real\":");
            putDouble(re);
            put(",\"imag\":");
            putDouble(im);
            put('}');
            return {};
        }
        case ValueKind::Str:
            put("{\"type\":\"str\",\"value\":");
            putString(m_g.text(id));
            put('}');
            return {};
        case ValueKind::Bytes:
        case ValueKind::ByteArray:
            openTyped(k == ValueKind::Bytes ? "bytes" : "bytearray", assigned);
            put(",\"base64\":");
            putBase64(m_g.text(id));
            put('}');
            return {};
        case ValueKind::List:
        case ValueKind::Tuple:
        case ValueKind::Set:
        case ValueKind::FrozenSet:
        case ValueKind::Dict: {
            openTyped(valueKindName(k), assigned);
            const bool dict = k == ValueKind::Dict;
            if (dict && m_g.dictClass(id) != DictClass::Plain) {
                put(",\"class\":\"collections.");
                put(typeLabel(m_g, id));
                put('"');
            }
            const bool factory = dict && m_g.valid(m_g.defaultFactory(id));
            put(factory ? ",\"default_factory\":" : ",\"items\":[");
            // Pushed in reverse: [default_factory], items..., [state], close.
            pushText(TClose);
            if (m_g.valid(m_g.extraState(id))) {
                pushValue(m_g.extraState(id));
                pushText(TState);
            }
            pushText(TCloseArray);
            pushSeq(id, Source::Items, dict ? SeqMode::Pairs : SeqMode::Values);
            if (factory) {
                pushText(TItemsOpen);
                pushValue(m_g.defaultFactory(id));
            }
            return {};
        }
        case ValueKind::Global: {
            const GlobalRecord& gl = m_g.global(id);
            put("{\"type\":\"global\",\"module\":");
            putString(gl.module);
            put(",\"name\":");
            putString(gl.name);
            if (gl.pickledModule != gl.module || gl.pickledName != gl.name) {
                put(",\"pickled_module\":");
                putString(gl.pickledModule);
                put(",\"pickled_name\":");
                putString(gl.pickledName);
            }
            put('}');
            return {};
        }
        case ValueKind::Object:
            return typedObject(id, assigned);
        case ValueKind::Persistent:
            openTyped("persistent", assigned);
            put(",\"pid\":");
            pushText(TClose);
            pushValue(m_g.persistentId(id));
            return {};
        case ValueKind::Extension:
            put("{\"type\":\"extension\",\"code\":");
            putSigned(m_g.extensionCode(id));
            put('}');
            return {};
        case ValueKind::Buffer:
            put("{\"type\":\"buffer\",\"index\":");
            putSigned(m_g.bufferIndex(id));
            put((m_g.at(id).flags & FlagReadOnly) != 0 ? ",\"readonly\":true}"
                                                       : ",\"readonly\":false}");
            return {};
        case ValueKind::Storage:
            openTyped("storage", assigned);
            storageMembers(m_g.storage(id));
            put('}');
            return {};
        case ValueKind::Tensor:
            return typedTensor(id, assigned);
        case ValueKind::NdArray:
            return typedNdArray(id, assigned);
        }
        put("null");
        return {};
    }

    void storageMembers(const StorageRecord& s, bool leadingComma = true)
    {
        put(leadingComma ? ",\"key\":" : "\"key\":");
        putString(s.key);
        put(",\"dtype\":\"");
        put(dtypeName(s.dtype));
        put("\",\"numel\":");
        putUnsigned(s.numel);
        put(",\"location\":");
        putString(s.location);
        if (!s.typeName.empty()) {
            put(",\"storage_type\":");
            putString(s.typeName);
        }
        if (!s.file.empty()) {
            put(",\"file\":");
            putString(s.file);
        }
    }

    Result<void> typedObject(ValueId id, std::uint32_t assigned)
    {
        const ObjectRecord& o = m_g.object(id);
        openTyped("object", assigned);
        put(",\"via\":\"");
        put(objectViaName(o.via));
        put('"');
        const std::string display = displayRepr(m_g, id);
        if (!display.empty()) {
            put(",\"display\":");
            putString(display);
        }
        if (const auto table = domain::decodePandas(m_g, id)) {
            put(",\"table\":");
            putTable(*table);
        }
        if (const auto scalar = numpyScalar(id)) {
            put(",\"dtype\":");
            putString(scalarDTypeText(scalar->first));
            put(",\"value\":");
            putItem(scalar->first, 0, scalar->second);
        }
        // Reverse order of: callable, args, kwargs, state, base, listitems, dictitems.
        pushText(TClose);
        pushObjectMembers(id, o);
        if (isTuple(m_g, o.args)) {
            pushText(TCloseArray);
            pushSeq(id, Source::ArgsItems, SeqMode::Values);
            pushText(TArgsOpen);
        } else if (m_g.valid(o.args)) {
            pushValue(o.args);
            pushText(TArgs);
        } else {
            pushText(TArgsEmpty);
        }
        if (m_g.valid(o.callable)) {
            put(",\"callable\":");
            pushValue(o.callable);
        } else {
            put(",\"callable\":null");
        }
        return {};
    }

    Result<void> typedTensor(ValueId id, std::uint32_t assigned)
    {
        const TensorRecord& t = m_g.tensor(id);
        openTyped("tensor", assigned);
        put(t.cls == TensorClass::Parameter ? ",\"class\":\"torch.nn.Parameter\""
                                            : ",\"class\":\"torch.Tensor\"");
        put(",\"dtype\":\"");
        put(dtypeName(t.dtype));
        put("\",\"shape\":");
        putShape(t.shape);
        put(",\"stride\":");
        putShape(t.stride);
        put(",\"storage_offset\":");
        putSigned(t.storageOffset);
        put(t.requiresGrad ? ",\"requires_grad\":true" : ",\"requires_grad\":false");
        if (t.layout != TensorLayout::Strided) {
            static constexpr std::string_view kLayouts[]
                = { "strided", "sparse_coo", "sparse_csr", "meta", "quantized", "nested", "other" };
            put(",\"layout\":\"");
            put(kLayouts[static_cast<int>(t.layout)]);
            put('"');
        }
        if (t.layout == TensorLayout::Quantized && !m_g.valid(t.scales)) {
            put(",\"q_scale\":");
            putDouble(t.scale);
            put(",\"q_zero_point\":");
            putSigned(t.zeroPoint);
        }
        if (t.axis >= 0) {
            put(",\"q_axis\":");
            putSigned(t.axis);
        }
        put(",\"storage\":");
        if (m_g.valid(t.storage) && m_g.kind(t.storage) == ValueKind::Storage) {
            put('{');
            storageMembers(m_g.storage(t.storage), false);
            put('}');
        } else {
            put("null");
        }
        pushText(TClose);
        pushText(TTensorTail, indexOf(id));
        if (m_g.valid(t.components)) {
            pushValue(t.components);
            pushText(TComponents);
        }
        if (m_g.valid(t.zeroPoints)) {
            pushValue(t.zeroPoints);
            pushText(TZeroPoints);
        }
        if (m_g.valid(t.scales)) {
            pushValue(t.scales);
            pushText(TScales);
        }
        return {};
    }

    Result<void> typedNdArray(ValueId id, std::uint32_t assigned)
    {
        const NdArrayRecord& a = m_g.ndarray(id);
        openTyped("ndarray", assigned);
        ndarrayHeader(a);
        pushText(TClose);
        if (isObjectArray(m_g, id)) {
            pushText(TCloseArray);
            pushSeq(id, Source::NdItems, SeqMode::Values);
            pushText(TItemsOpen);
        } else {
            pushText(TTensorTail, indexOf(id));
        }
        return {};
    }

    void ndarrayHeader(const NdArrayRecord& a)
    {
        const auto d = numpy::dtypeFromValue(m_g, a.dtypeValue);
        const char kind = d ? d->node().kind : 0;
        put(",\"dtype\":");
        if (d && !d->structured() && (kind == 'b' || kind == 'i' || kind == 'u' || kind == 'f' || kind == 'c'))
            putString(d->name()); // numpy's name: float128, complex256 too
        else if (a.dtype == DType::Other || a.dtype == DType::Unknown)
            putString(a.dtypeText);
        else
            putString(dtypeName(a.dtype));
        put(",\"byteorder\":\"");
        put(a.byteOrder);
        put("\",\"shape\":");
        putShape(a.shape);
        put(a.fortranOrder ? ",\"fortran_order\":true" : ",\"fortran_order\":false");
        if (!a.dtypeText.empty()) {
            put(",\"descr\":");
            putString(a.dtypeText);
        }
        if (d && d->structured())
            putFields(*d);
        if (a.masked) {
            put(",\"class\":\"numpy.ma.MaskedArray\",\"fill_value\":");
            putFillValue(a.fillValue, d ? &*d : nullptr);
        }
    }

    // A masked array's fill value: numpy pickles None or a 0-d array; the latter as its element.
    void putFillValue(ValueId fill, const numpy::NumpyDType* dtype)
    {
        if (m_g.valid(fill) && m_g.kind(fill) == ValueKind::None && dtype != nullptr && !dtype->structured()) {
            // None: numpy.ma's default_fill_value for the dtype, as MaskedArray.fill_value gives it
            switch (dtype->node().kind) {
            case 'b': put("true"); return;
            case 'i':
            case 'u': put("999999"); return;
            case 'f': put("1e+20"); return;
            case 'c': put("[1e+20,0.0]"); return;
            case 'M':
            case 'm': put("\"NaT\""); return;
            case 'U': put("\"N/A\""); return;
            case 'S': putBytesValue("N/A"); return;
            default: break;
            }
        }
        if (m_g.valid(fill) && m_g.kind(fill) == ValueKind::NdArray) {
            const NdArrayRecord& f = m_g.ndarray(fill);
            const auto d = numpy::dtypeFromValue(m_g, f.dtypeValue);
            if (d && f.shape.empty() && m_g.valid(f.data)
                && (m_g.kind(f.data) == ValueKind::Bytes || m_g.kind(f.data) == ValueKind::ByteArray)
                && m_g.bytes(f.data).size() >= d->node().itemSize && d->node().kind != 'O') {
                putItem(*d, 0, m_g.bytes(f.data).data());
                return;
            }
        }
        if (m_g.valid(fill) && m_g.kind(fill) == ValueKind::Int) {
            putSigned(m_g.intValue(fill));
            return;
        }
        if (m_g.valid(fill) && m_g.kind(fill) == ValueKind::Float) {
            putDouble(m_g.floatValue(fill));
            return;
        }
        if (m_g.valid(fill) && m_g.kind(fill) == ValueKind::Str) {
            putString(m_g.text(fill));
            return;
        }
        put("null");
    }

    // ,"fields":[{"name":"pos","dtype":"<f4","offset":32,"shape":[2]},...] in numpy's order;
    // a nested struct field carries its own "fields". Iterative over the dtype's depth.
    void putFields(const numpy::NumpyDType& d)
    {
        struct Step {
            std::uint32_t node; // a struct node whose fields are written
            std::size_t next;
        };
        put(",\"fields\":[");
        std::vector<Step> stack { { 0, 0 } };
        while (!stack.empty()) {
            Step& top = stack.back();
            const numpy::DTypeNode& n = d.node(top.node);
            if (top.next >= n.fields.size()) {
                stack.pop_back();
                put(stack.empty() ? "]" : "]}");
                continue;
            }
            const numpy::DTypeField& f = n.fields[top.next];
            if (top.next++ > 0)
                put(',');
            std::uint32_t elem = f.node;
            const numpy::DTypeNode* fn = &d.node(elem);
            put("{\"name\":");
            putString(f.name);
            const std::vector<std::int64_t>* shape = nullptr;
            if (fn->subBase != numpy::kNoNode) {
                shape = &fn->subShape;
                elem = fn->subBase;
            }
            put(",\"dtype\":");
            putString(d.str(elem));
            put(",\"offset\":");
            putUnsigned(f.offset);
            if (shape != nullptr) {
                put(",\"shape\":");
                putShape(*shape);
            }
            if (d.structured(elem)) {
                put(",\"fields\":[");
                stack.push_back({ elem, 0 });
                continue;
            }
            put('}');
        }
    }

    // ",\"data\":{...}" for a tensor or numeric ndarray, per --tensor-data.
    Result<void> tensorData(ValueId id)
    {
        if (m_options.tensorData == TensorDataMode::None)
            return {};
        if (m_g.kind(id) == ValueKind::NdArray) {
            if (auto d = numpy::dtypeFromValue(m_g, m_g.ndarray(id).dtypeValue);
                d && (m_g.ndarray(id).masked || needsItemPath(*d, m_options.tensorData)))
                return ndarrayItems(id, *d);
        }
        auto view = torch::TensorView::open(m_doc, id);
        if (!view.ok()) {
            put(",\"data\":{\"error\":");
            putString(view.error().message);
            put('}');
            return {};
        }
        if (isExactInteger(view->dtype()))
            return integerData(*view);
        if (view->dtype() == DType::Complex32 || view->dtype() == DType::Complex64 || view->dtype() == DType::Complex128)
            return complexData(*view);
        if (m_options.tensorData == TensorDataMode::Summary) {
            auto stats = view->stats(m_observer);
            if (!stats.ok()) {
                if (stats.error().code == ErrorCode::Cancelled)
                    return stats.takeError();
                put(",\"data\":{\"error\":");
                putString(stats.error().message);
                put('}');
                return {};
            }
            const torch::TensorStats& s = *stats;
            const bool integral = isIntegral(view->dtype());
            put(",\"data\":{\"min\":");
            if (s.count == 0)
                put("null,\"max\":null");
            else {
                putElement(s.min, integral);
                put(",\"max\":");
                putElement(s.max, integral);
            }
            put(",\"sum\":");
            putElement(s.sum, integral);
            put(",\"mean\":");
            if (s.count == 0)
                put("null");
            else
                putDouble(s.mean);
            put(",\"nan\":");
            putUnsigned(s.nanCount);
            put(",\"inf\":");
            putUnsigned(s.infCount);
            put(",\"first\":[");
            for (std::size_t i = 0; i < s.first.size(); ++i) {
                if (i > 0)
                    put(',');
                putElement(s.first[i], integral);
            }
            put("]}");
            return {};
        }
        put(",\"data\":{\"values\":");
        PS_TRY(fullValues(*view));
        put('}');
        return {};
    }

    // ---- pandas tables ------------------------------------------------------------------------

    // Raw access to one ndarray's elements by coordinates (C or Fortran order).
    struct ArrayAccess {
        bool ok = false;
        std::optional<numpy::NumpyDType> dtype;
        std::span<const std::byte> bytes;
        const std::vector<ValueId>* objects = nullptr;
        std::vector<std::int64_t> shape;
        std::vector<std::uint64_t> strides; // in elements
        std::uint64_t numel = 0;
    };

    ArrayAccess arrayAccess(ValueId array) const
    {
        ArrayAccess acc;
        if (!m_g.valid(array) || m_g.kind(array) != ValueKind::NdArray)
            return acc;
        const NdArrayRecord& a = m_g.ndarray(array);
        acc.shape = a.shape;
        acc.strides.assign(a.shape.size(), 0);
        std::uint64_t step = 1;
        for (std::size_t k = 0; k < a.shape.size(); ++k) {
            const std::size_t axis = a.fortranOrder ? k : a.shape.size() - 1 - k;
            acc.strides[axis] = step;
            if (a.shape[axis] < 0 || __builtin_mul_overflow(step, static_cast<std::uint64_t>(std::max<std::int64_t>(a.shape[axis], 1)), &step))
                return acc;
        }
        acc.numel = 1;
        for (std::int64_t d : a.shape)
            acc.numel *= static_cast<std::uint64_t>(d);
        if (isObjectArray(m_g, array)) {
            acc.objects = &m_g.items(a.data);
            acc.ok = acc.objects->size() >= acc.numel;
            return acc;
        }
        acc.dtype = numpy::dtypeFromValue(m_g, a.dtypeValue);
        if (!acc.dtype || !m_g.valid(a.data) || (m_g.kind(a.data) != ValueKind::Bytes && m_g.kind(a.data) != ValueKind::ByteArray))
            return acc;
        acc.bytes = m_g.bytes(a.data);
        std::uint64_t need = 0;
        acc.ok = !__builtin_mul_overflow(acc.numel, acc.dtype->node().itemSize, &need) && need <= acc.bytes.size();
        return acc;
    }

    // The element index of (row, i) (row < 0: a 1-D array); numel when out of range.
    static std::uint64_t elementIndex(const ArrayAccess& acc, std::int64_t row, std::uint64_t i)
    {
        if (row >= 0) {
            if (acc.shape.size() != 2 || row >= acc.shape[0] || i >= static_cast<std::uint64_t>(acc.shape[1]))
                return acc.numel;
            return static_cast<std::uint64_t>(row) * acc.strides[0] + i * acc.strides[1];
        }
        if (acc.shape.size() != 1 || i >= static_cast<std::uint64_t>(acc.shape[0]))
            return acc.numel;
        return i * acc.strides[0];
    }

    void putObjectCell(ValueId v)
    {
        if (!m_g.valid(v)) {
            put("null");
            return;
        }
        switch (m_g.kind(v)) {
        case ValueKind::None: put("null"); return;
        case ValueKind::Bool: put(m_g.boolValue(v) ? "true" : "false"); return;
        case ValueKind::Int:
        case ValueKind::BigInt: putInt(v); return;
        case ValueKind::Float: putDouble(m_g.floatValue(v)); return;
        case ValueKind::Str: putString(m_g.text(v)); return;
        case ValueKind::Bytes: putBytesValue(m_g.text(v)); return;
        case ValueKind::Global: // pandas.NA
            if (m_g.global(v).name == "NA" || m_g.global(v).name == "NaT") {
                put("null");
                return;
            }
            break;
        case ValueKind::Object: {
            const std::string cls = className(m_g, v);
            if (cls.find("nattype") != std::string::npos || cls.find("__nat_unpickle") != std::string::npos) {
                put("null");
                return;
            }
            if (const auto scalar = numpyScalar(v)) {
                putItem(scalar->first, 0, scalar->second);
                return;
            }
            const std::string display = displayRepr(m_g, v);
            if (!display.empty()) {
                putString(display);
                return;
            }
            break;
        }
        default:
            break;
        }
        putString(summary(m_g, v));
    }

    void putArrayCell(const ArrayAccess& acc, std::int64_t row, std::uint64_t i)
    {
        const std::uint64_t e = elementIndex(acc, row, i);
        if (!acc.ok || e >= acc.numel) {
            put("null");
            return;
        }
        if (acc.objects != nullptr) {
            putObjectCell((*acc.objects)[static_cast<std::size_t>(e)]);
            return;
        }
        putItem(*acc.dtype, 0, acc.bytes.data() + e * acc.dtype->node().itemSize);
    }

    // One source prepared for cell access.
    struct Column {
        const domain::PandasSource* source = nullptr;
        ArrayAccess values, mask, categories;
    };

    Column column(const domain::PandasSource& s) const
    {
        Column c;
        c.source = &s;
        c.values = arrayAccess(s.array);
        if (s.kind == domain::PandasSource::Kind::Masked)
            c.mask = arrayAccess(s.mask);
        if (s.kind == domain::PandasSource::Kind::Categorical)
            c.categories = arrayAccess(s.categories);
        return c;
    }

    void putCell(const Column& c, std::uint64_t i)
    {
        const domain::PandasSource& s = *c.source;
        switch (s.kind) {
        case domain::PandasSource::Kind::Range:
            putSigned(s.start + static_cast<std::int64_t>(i) * s.step);
            return;
        case domain::PandasSource::Kind::Array:
            putArrayCell(c.values, s.row, i);
            return;
        case domain::PandasSource::Kind::Masked: {
            const std::uint64_t e = elementIndex(c.mask, -1, i);
            if (c.mask.ok && e < c.mask.numel && c.mask.objects == nullptr && c.mask.bytes[e] != std::byte { 0 }) {
                put("null");
                return;
            }
            putArrayCell(c.values, -1, i);
            return;
        }
        case domain::PandasSource::Kind::Categorical: {
            const std::uint64_t e = elementIndex(c.values, s.row, i);
            if (!c.values.ok || e >= c.values.numel || c.values.objects != nullptr || c.values.dtype->node().kind != 'i') {
                put("null");
                return;
            }
            const numpy::DTypeNode& n = c.values.dtype->node();
            const std::int64_t code = numpy::readInt(c.values.bytes.data() + e * n.itemSize, n.itemSize, n.byteOrder == '>');
            if (code < 0) {
                put("null"); // a missing value
                return;
            }
            putArrayCell(c.categories, -1, static_cast<std::uint64_t>(code));
            return;
        }
        }
    }

    void putCells(const Column& c, std::uint64_t count)
    {
        put('[');
        for (std::uint64_t i = 0; i < count; ++i) {
            if (i > 0)
                put(',');
            putCell(c, i);
        }
        put(']');
    }

    void putLabel(ValueId name)
    {
        if (m_g.valid(name))
            putObjectCell(name);
        else
            put("null");
    }

    // INDEX: {"$type":"pandas.RangeIndex","start","stop","step"} or
    // {"$type":"pandas.Index","dtype","name","values"} (MultiIndex: "levels", "codes", "names").
    void putIndex(const domain::PandasIndex& index, std::uint64_t limit)
    {
        if (index.kind == domain::PandasIndex::Kind::Range) {
            put("{\"$type\":\"pandas.RangeIndex\",\"start\":");
            putSigned(index.start);
            put(",\"stop\":");
            putSigned(index.stop);
            put(",\"step\":");
            putSigned(index.step);
            put(",\"name\":");
            putLabel(index.name);
            put('}');
            return;
        }
        put("{\"$type\":\"pandas.");
        put(index.cls);
        put('"');
        if (index.kind == domain::PandasIndex::Kind::Multi) {
            put(",\"names\":[");
            for (std::size_t k = 0; k < index.names.size(); ++k) {
                if (k > 0)
                    put(',');
                putLabel(index.names[k]);
            }
            put("],\"levels\":[");
            for (std::size_t k = 0; k < index.levels.size(); ++k) {
                if (k > 0)
                    put(',');
                putCells(column(index.levels[k]), domain::sourceLength(m_g, index.levels[k]));
            }
            put("],\"codes\":[");
            for (std::size_t k = 0; k < index.codes.size(); ++k) {
                if (k > 0)
                    put(',');
                putCells(column(index.codes[k]), std::min(limit, domain::sourceLength(m_g, index.codes[k])));
            }
            put("]}");
            return;
        }
        put(",\"dtype\":");
        putString(index.values.dtype);
        put(",\"name\":");
        putLabel(index.name);
        put(",\"values\":");
        putCells(column(index.values), std::min(limit, domain::sourceLength(m_g, index.values)));
        put('}');
    }

    void putTable(const domain::PandasTable& t)
    {
        put('{');
        putTableMembers(t);
        put('}');
    }

    // "$type", "shape" / "name", "columns", "dtypes" / "dtype", "index", "data" (full: every row;
    // summary: the first 16; none: no data).
    void putTableMembers(const domain::PandasTable& t)
    {
        const std::uint64_t limit = m_options.tensorData == TensorDataMode::Full ? t.rows : std::min<std::uint64_t>(t.rows, 16);
        if (t.series) {
            put("\"$type\":\"pandas.Series\",\"name\":");
            putLabel(t.name);
            put(",\"dtype\":");
            putString(t.columns[0].dtype);
            put(",\"index\":");
            putIndex(t.index, limit);
            if (m_options.tensorData != TensorDataMode::None) {
                put(",\"data\":");
                putCells(column(t.columns[0]), limit);
            }
            return;
        }
        put("\"$type\":\"pandas.DataFrame\",\"shape\":[");
        putUnsigned(t.rows);
        put(',');
        putUnsigned(t.columns.size());
        put("],\"columns\":");
        if (t.columnIndex.kind == domain::PandasIndex::Kind::Values)
            putCells(column(t.columnIndex.values), t.columns.size());
        else if (t.columnIndex.kind == domain::PandasIndex::Kind::Range) {
            domain::PandasSource range;
            range.kind = domain::PandasSource::Kind::Range;
            range.start = t.columnIndex.start;
            range.step = t.columnIndex.step;
            putCells(column(range), t.columns.size());
        } else {
            put("null");
        }
        put(",\"dtypes\":[");
        for (std::size_t k = 0; k < t.columns.size(); ++k) {
            if (k > 0)
                put(',');
            putString(t.columns[k].dtype);
        }
        put("],\"index\":");
        putIndex(t.index, limit);
        if (m_options.tensorData != TensorDataMode::None) {
            put(",\"data\":[");
            for (std::size_t k = 0; k < t.columns.size(); ++k) {
                if (k > 0)
                    put(',');
                putCells(column(t.columns[k]), limit);
            }
            put(']');
        }
    }

    // numpy.core.multiarray.scalar(dtype, bytes): the dtype and the item's bytes.
    std::optional<std::pair<numpy::NumpyDType, const std::byte*>> numpyScalar(ValueId id) const
    {
        const ObjectRecord& o = m_g.object(id);
        if (!m_g.valid(o.callable) || m_g.kind(o.callable) != ValueKind::Global)
            return std::nullopt;
        const GlobalRecord& c = m_g.global(o.callable);
        if (c.name != "scalar" || (c.module != "numpy.core.multiarray" && c.module != "numpy._core.multiarray"))
            return std::nullopt;
        if (!isTuple(m_g, o.args) || m_g.items(o.args).size() != 2)
            return std::nullopt;
        const ValueId data = m_g.items(o.args)[1];
        if (!m_g.valid(data) || (m_g.kind(data) != ValueKind::Bytes && m_g.kind(data) != ValueKind::ByteArray))
            return std::nullopt;
        auto d = numpy::dtypeFromValue(m_g, m_g.items(o.args)[0]);
        if (!d || d->node().kind == 'O' || m_g.bytes(data).size() != d->node().itemSize)
            return std::nullopt;
        return std::make_pair(std::move(*d), m_g.bytes(data).data());
    }

    // "float32", "int64", "complex256" for numbers; numpy's str ("<M8[D]", "<U5") otherwise.
    static std::string scalarDTypeText(const numpy::NumpyDType& d)
    {
        const char kind = d.node().kind;
        if (!d.structured() && (kind == 'b' || kind == 'i' || kind == 'u' || kind == 'f' || kind == 'c'))
            return d.name();
        return d.str();
    }

    // ---- exact integers, complex pairs, and numpy items of every dtype ------------------------

    static bool isExactInteger(DType t)
    {
        switch (t) {
        case DType::Int8:
        case DType::Int16:
        case DType::Int32:
        case DType::Int64:
        case DType::UInt8:
        case DType::UInt16:
        case DType::UInt32:
        case DType::UInt64:
            return true;
        default:
            return false;
        }
    }

    // An exact integer: a JSON number (typed form: a decimal string when |v| >= 2^53, as ints are).
    void putWide(numpy::Int128 v)
    {
        char buf[48];
        char* end = buf + sizeof buf;
        char* p = end;
        const bool negative = v < 0;
        numpy::UInt128 u = negative ? static_cast<numpy::UInt128>(0) - static_cast<numpy::UInt128>(v)
                                       : static_cast<numpy::UInt128>(v);
        do {
            *--p = static_cast<char>('0' + static_cast<int>(u % 10));
            u /= 10;
        } while (u != 0);
        if (negative)
            *--p = '-';
        const numpy::Int128 limit = numpy::Int128(1) << 53;
        const bool quote = !m_options.plain && (v >= limit || v <= -limit);
        if (quote)
            put('"');
        put(std::string_view(p, static_cast<std::size_t>(end - p)));
        if (quote)
            put('"');
    }

    static numpy::Int128 wideElement(const torch::TensorView& view, std::uint64_t i)
    {
        if (view.dtype() == DType::UInt64)
            return static_cast<numpy::Int128>(view.elementUInt64(i));
        return view.elementInt64(i);
    }

    Result<void> integerData(const torch::TensorView& view)
    {
        const std::uint64_t n = view.numel();
        if (m_options.tensorData == TensorDataMode::Summary) {
            numpy::Int128 lo = 0, hi = 0, sum = 0;
            for (std::uint64_t i = 0; i < n; ++i) {
                const numpy::Int128 v = wideElement(view, i);
                if (i == 0 || v < lo)
                    lo = v;
                if (i == 0 || v > hi)
                    hi = v;
                sum += v;
                if ((i & 0xFFFF) == 0xFFFF && m_observer != nullptr && m_observer->isCancelled())
                    return makeError(ErrorCode::Cancelled, 0, "export cancelled");
            }
            put(",\"data\":{\"min\":");
            if (n == 0) {
                put("null,\"max\":null");
            } else {
                putWide(lo);
                put(",\"max\":");
                putWide(hi);
            }
            put(",\"sum\":");
            putWide(sum);
            put(",\"mean\":");
            if (n == 0)
                put("null");
            else
                putDouble(static_cast<double>(sum) / static_cast<double>(n));
            put(",\"nan\":0,\"inf\":0,\"first\":[");
            for (std::uint64_t i = 0; i < std::min<std::uint64_t>(n, 16); ++i) {
                if (i > 0)
                    put(',');
                putWide(wideElement(view, i));
            }
            put("]}");
            return {};
        }
        put(",\"data\":{\"values\":");
        PS_TRY(nestedElements(view.shape(), [&](std::uint64_t i) { putWide(wideElement(view, i)); }));
        put('}');
        return {};
    }

    void putPair(double re, double im)
    {
        put('[');
        putDouble(re);
        put(',');
        putDouble(im);
        put(']');
    }

    Result<void> complexData(const torch::TensorView& view)
    {
        const std::uint64_t n = view.numel();
        if (m_options.tensorData == TensorDataMode::Summary) {
            double sre = 0, sim = 0;
            std::uint64_t nan = 0, inf = 0;
            for (std::uint64_t i = 0; i < n; ++i) {
                const auto [re, im] = view.elementComplex(i);
                sre += re;
                sim += im;
                nan += (std::isnan(re) || std::isnan(im)) ? 1 : 0;
                inf += (std::isinf(re) || std::isinf(im)) ? 1 : 0;
                if ((i & 0xFFFF) == 0xFFFF && m_observer != nullptr && m_observer->isCancelled())
                    return makeError(ErrorCode::Cancelled, 0, "export cancelled");
            }
            put(",\"data\":{\"min\":null,\"max\":null,\"sum\":");
            putPair(sre, sim);
            put(",\"mean\":");
            if (n == 0)
                put("null");
            else
                putPair(sre / static_cast<double>(n), sim / static_cast<double>(n));
            put(",\"nan\":");
            putUnsigned(nan);
            put(",\"inf\":");
            putUnsigned(inf);
            put(",\"first\":[");
            for (std::uint64_t i = 0; i < std::min<std::uint64_t>(n, 16); ++i) {
                if (i > 0)
                    put(',');
                const auto [re, im] = view.elementComplex(i);
                putPair(re, im);
            }
            put("]}");
            return {};
        }
        put(",\"data\":{\"values\":");
        PS_TRY(nestedElements(view.shape(), [&](std::uint64_t i) {
            const auto [re, im] = view.elementComplex(i);
            putPair(re, im);
        }));
        put('}');
        return {};
    }

    // Nested lists over `shape`, row-major; putLeaf(i) writes logical element i.
    template <typename PutLeaf>
    Result<void> nestedElements(const std::vector<std::int64_t>& shape, PutLeaf&& putLeaf)
    {
        if (shape.empty()) {
            putLeaf(0);
            return {};
        }
        std::size_t dims = shape.size();
        for (std::size_t i = 0; i < shape.size(); ++i)
            if (shape[i] <= 0) {
                dims = i + 1;
                break;
            }
        const bool empty = dims < shape.size() || shape[dims - 1] <= 0;
        std::uint64_t leaves = 1;
        for (std::size_t i = 0; i + (empty ? 1 : 0) < dims; ++i)
            leaves *= static_cast<std::uint64_t>(shape[i]);
        const std::size_t listDims = empty ? dims - 1 : dims;
        std::vector<std::int64_t> index(listDims, 0);
        for (std::size_t i = 0; i < listDims; ++i)
            put('[');
        for (std::uint64_t n = 0; n < leaves; ++n) {
            if (n > 0) {
                std::size_t wrapped = 0;
                for (std::size_t d = listDims; d-- > 0;) {
                    if (++index[d] < shape[d])
                        break;
                    index[d] = 0;
                    ++wrapped;
                }
                for (std::size_t w = 0; w < wrapped; ++w)
                    put(']');
                put(',');
                for (std::size_t w = 0; w < wrapped; ++w)
                    put('[');
            }
            if (empty) {
                put("[]");
                continue;
            }
            putLeaf(n);
            if ((n & 0x3FFF) == 0x3FFF) {
                if (m_observer != nullptr && m_observer->isCancelled())
                    return makeError(ErrorCode::Cancelled, 0, "export cancelled");
                if (m_failed)
                    return flush();
            }
        }
        for (std::size_t i = 0; i < listDims; ++i)
            put(']');
        return {};
    }

    // numpy dtypes the float64 view cannot show: structured, subarray, complex, datetime,
    // timedelta, str, bytes, void, longdouble (either byte order).
    static bool needsItemPath(const numpy::NumpyDType& d, TensorDataMode mode)
    {
        const numpy::DTypeNode& n = d.node();
        if (!n.fields.empty() || n.subBase != numpy::kNoNode)
            return true;
        switch (n.kind) {
        case 'b': // full: true / false, as tolist() gives them (summary keeps its statistics)
            return mode == TensorDataMode::Full;
        case 'c':
        case 'M':
        case 'm':
        case 'U':
        case 'S':
        case 'V':
            return true;
        case 'f':
            return n.itemSize == 16;
        default:
            return false;
        }
    }

    void putBytesValue(std::string_view bytes)
    {
        put(m_options.plain ? "{\"$type\":\"bytes\",\"base64\":" : "{\"type\":\"bytes\",\"base64\":");
        putBase64(bytes);
        put('}');
    }

    // One scalar (no fields, no subarray) item of node n at p, as tolist() gives it.
    void putScalarItem(const numpy::DTypeNode& n, const std::byte* p)
    {
        const bool big = n.byteOrder == '>';
        switch (n.kind) {
        case 'b':
            put(p[0] != std::byte { 0 } ? "true" : "false");
            return;
        case 'i':
            putWide(numpy::readInt(p, n.itemSize, big));
            return;
        case 'u':
            putWide(static_cast<numpy::Int128>(numpy::readUInt(p, n.itemSize, big)));
            return;
        case 'f':
            putDouble(numpy::readFloat(p, n.itemSize, big));
            return;
        case 'c':
            putPair(numpy::readFloat(p, n.itemSize / 2, big), numpy::readFloat(p + n.itemSize / 2, n.itemSize / 2, big));
            return;
        case 'M':
            putString(numpy::datetimeAsString(numpy::readInt(p, 8, big), n));
            return;
        case 'm': {
            const std::int64_t v = numpy::readInt(p, 8, big);
            if (v == numpy::kNaT)
                put("\"NaT\"");
            else
                putWide(v);
            return;
        }
        case 'U':
            putString(numpy::ucs4ToUtf8(std::span<const std::byte>(p, static_cast<std::size_t>(n.itemSize)), big));
            return;
        case 'S':
            putBytesValue(numpy::stripNuls(std::string_view(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n.itemSize))));
            return;
        case 'V':
            putBytesValue(std::string_view(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n.itemSize)));
            return;
        default:
            put("null"); // object fields hold pointers: nothing to show
            return;
        }
    }

    // One item of any node: structured items as objects keyed by field, subarrays as nested
    // lists. An explicit stack of pieces, no recursion on the dtype's depth.
    void putItem(const numpy::NumpyDType& d, std::uint32_t node, const std::byte* p)
    {
        using Piece = ItemPiece;
        std::vector<Piece>& stack = m_itemStack;
        std::vector<Piece>& forward = m_itemForward;
        stack.clear();
        stack.push_back({ node, p, {}, false });
        while (!stack.empty()) {
            const Piece piece = stack.back();
            stack.pop_back();
            if (piece.node == numpy::kNoNode) {
                if (piece.key) {
                    putString(piece.text);
                    put(':');
                } else {
                    put(piece.text);
                }
                continue;
            }
            const numpy::DTypeNode& n = d.node(piece.node);
            if (!n.fields.empty()) {
                put('{');
                stack.push_back({ numpy::kNoNode, nullptr, "}", false });
                for (std::size_t k = n.fields.size(); k-- > 0;) {
                    const numpy::DTypeField& f = n.fields[k];
                    stack.push_back({ f.node, piece.p + f.offset, {}, false });
                    stack.push_back({ numpy::kNoNode, nullptr, f.name, true });
                    if (k > 0)
                        stack.push_back({ numpy::kNoNode, nullptr, ",", false });
                }
                continue;
            }
            if (n.subBase != numpy::kNoNode) {
                // nested lists over subShape, written forward then pushed reversed
                const std::uint64_t size = d.node(n.subBase).itemSize;
                const auto& shape = n.subShape;
                forward.clear();
                std::uint64_t count = 1;
                for (std::int64_t dim : shape)
                    count *= static_cast<std::uint64_t>(dim);
                for (std::size_t i = 0; i < shape.size(); ++i)
                    forward.push_back({ numpy::kNoNode, nullptr, "[", false });
                if (count == 0) {
                    for (std::size_t i = 0; i < shape.size(); ++i)
                        forward.push_back({ numpy::kNoNode, nullptr, "]", false });
                } else {
                    std::vector<std::int64_t> index(shape.size(), 0);
                    for (std::uint64_t e = 0; e < count; ++e) {
                        if (e > 0) {
                            std::size_t wrapped = 0;
                            for (std::size_t k = shape.size(); k-- > 0;) {
                                if (++index[k] < shape[k])
                                    break;
                                index[k] = 0;
                                ++wrapped;
                            }
                            for (std::size_t w = 0; w < wrapped; ++w)
                                forward.push_back({ numpy::kNoNode, nullptr, "]", false });
                            forward.push_back({ numpy::kNoNode, nullptr, ",", false });
                            for (std::size_t w = 0; w < wrapped; ++w)
                                forward.push_back({ numpy::kNoNode, nullptr, "[", false });
                        }
                        forward.push_back({ n.subBase, piece.p + e * size, {}, false });
                    }
                    for (std::size_t i = 0; i < shape.size(); ++i)
                        forward.push_back({ numpy::kNoNode, nullptr, "]", false });
                }
                stack.insert(stack.end(), forward.rbegin(), forward.rend());
                continue;
            }
            putScalarItem(n, piece.p);
        }
    }

    // ",\"data\":{...}" of an ndarray whose items are not plain real numbers.
    Result<void> ndarrayItems(ValueId id, const numpy::NumpyDType& d)
    {
        const NdArrayRecord& a = m_g.ndarray(id);
        auto fail = [&](std::string_view message) {
            put(",\"data\":{\"error\":");
            putString(message);
            put('}');
            return Result<void>();
        };
        if (!m_g.valid(a.data) || (m_g.kind(a.data) != ValueKind::Bytes && m_g.kind(a.data) != ValueKind::ByteArray))
            return fail("array has no raw data");
        const auto bytes = m_g.bytes(a.data);
        const std::uint64_t itemSize = d.node().itemSize;
        std::uint64_t numel = 1;
        for (std::int64_t dim : a.shape) {
            if (dim < 0 || __builtin_mul_overflow(numel, static_cast<std::uint64_t>(dim), &numel))
                return fail("array shape is negative or overflows");
        }
        std::uint64_t need = 0;
        if (__builtin_mul_overflow(numel, itemSize, &need) || need > bytes.size())
            return fail("array data holds " + std::to_string(bytes.size()) + " bytes, its shape and dtype need "
                + std::to_string(need));
        // byte strides of the logical (row-major) index, C or Fortran order
        std::vector<std::uint64_t> strides(a.shape.size(), 0);
        std::uint64_t step = itemSize;
        for (std::size_t k = 0; k < a.shape.size(); ++k) {
            const std::size_t axis = a.fortranOrder ? k : a.shape.size() - 1 - k;
            strides[axis] = step;
            step *= static_cast<std::uint64_t>(std::max<std::int64_t>(a.shape[axis], 1));
        }
        auto itemAt = [&](std::uint64_t index) {
            std::uint64_t pos = 0;
            for (std::size_t k = a.shape.size(); k-- > 0;) {
                const auto size = static_cast<std::uint64_t>(a.shape[k]);
                pos += (index % size) * strides[k];
                index /= size;
            }
            return bytes.data() + pos;
        };
        // numpy.ma: masked elements are null, as MaskedArray.tolist() gives them
        std::span<const std::byte> maskBytes;
        std::uint64_t maskUnit = 0;
        if (a.masked && m_g.valid(a.mask) && (m_g.kind(a.mask) == ValueKind::Bytes || m_g.kind(a.mask) == ValueKind::ByteArray)) {
            maskBytes = m_g.bytes(a.mask);
            if (numel > 0 && itemSize > 0 && maskBytes.size() % numel == 0)
                maskUnit = maskBytes.size() / numel;
        }
        auto isMasked = [&](std::uint64_t i) {
            if (maskUnit == 0)
                return false;
            const auto phys = static_cast<std::uint64_t>(itemAt(i) - bytes.data()) / itemSize;
            for (std::uint64_t k = 0; k < maskUnit; ++k)
                if (maskBytes[phys * maskUnit + k] == std::byte { 0 })
                    return false;
            return true;
        };
        auto putMaybe = [&](std::uint64_t i) {
            if (isMasked(i))
                put("null");
            else
                putItem(d, 0, itemAt(i));
        };
        const numpy::DTypeNode& root = d.node();
        const bool scalarKind = root.fields.empty() && root.subBase == numpy::kNoNode;
        if (m_options.tensorData == TensorDataMode::Summary) {
            put(",\"data\":{");
            if (scalarKind && (root.kind == 'M' || root.kind == 'm')) {
                // min / max as numpy gives them: NaT when any element is NaT
                const bool big = root.byteOrder == '>';
                bool nat = false;
                std::int64_t lo = 0, hi = 0;
                std::uint64_t seen = 0;
                for (std::uint64_t i = 0; i < numel; ++i) {
                    if (isMasked(i))
                        continue;
                    const std::int64_t v = numpy::readInt(itemAt(i), 8, big);
                    nat = nat || v == numpy::kNaT;
                    lo = seen == 0 || v < lo ? v : lo;
                    hi = seen == 0 || v > hi ? v : hi;
                    ++seen;
                }
                auto putTime = [&](std::int64_t v) {
                    if (nat)
                        put("\"NaT\"");
                    else if (root.kind == 'M')
                        putString(numpy::datetimeAsString(v, root));
                    else
                        putWide(v);
                };
                put("\"min\":");
                if (seen == 0)
                    put("null");
                else
                    putTime(lo);
                put(",\"max\":");
                if (seen == 0)
                    put("null");
                else
                    putTime(hi);
                put(',');
            } else if (scalarKind && (root.kind == 'c' || root.kind == 'f')) {
                const bool big = root.byteOrder == '>';
                const std::uint64_t part = root.kind == 'c' ? root.itemSize / 2 : root.itemSize;
                double sre = 0, sim = 0, lo = 0, hi = 0;
                std::uint64_t nan = 0, inf = 0, seen = 0, counted = 0;
                for (std::uint64_t i = 0; i < numel; ++i) {
                    if (isMasked(i))
                        continue;
                    ++counted;
                    const std::byte* p = itemAt(i);
                    const double re = numpy::readFloat(p, part, big);
                    const double im = root.kind == 'c' ? numpy::readFloat(p + part, part, big) : 0.0;
                    sre += re;
                    sim += im;
                    nan += (std::isnan(re) || std::isnan(im)) ? 1 : 0;
                    inf += (std::isinf(re) || std::isinf(im)) ? 1 : 0;
                    // over the non-NaN elements, as the float64 statistics do
                    if (!std::isnan(re)) {
                        lo = seen == 0 || re < lo ? re : lo;
                        hi = seen == 0 || re > hi ? re : hi;
                        ++seen;
                    }
                }
                const auto count = static_cast<double>(counted);
                if (root.kind == 'c') {
                    put("\"min\":null,\"max\":null,\"sum\":");
                    putPair(sre, sim);
                    put(",\"mean\":");
                    if (counted == 0)
                        put("null");
                    else
                        putPair(sre / count, sim / count);
                } else {
                    put("\"min\":");
                    if (seen == 0)
                        put("null,\"max\":null");
                    else {
                        putDouble(lo);
                        put(",\"max\":");
                        putDouble(hi);
                    }
                    put(",\"sum\":");
                    putDouble(sre);
                    put(",\"mean\":");
                    if (counted == 0)
                        put("null");
                    else
                        putDouble(sre / count);
                }
                put(",\"nan\":");
                putUnsigned(nan);
                put(",\"inf\":");
                putUnsigned(inf);
                put(',');
            } else if (scalarKind && (root.kind == 'b' || root.kind == 'i' || root.kind == 'u')) {
                // exact: 128-bit sum over the unmasked elements
                const bool big = root.byteOrder == '>';
                numpy::Int128 lo = 0, hi = 0, sum = 0;
                std::uint64_t counted = 0;
                for (std::uint64_t i = 0; i < numel; ++i) {
                    if (isMasked(i))
                        continue;
                    const std::byte* p = itemAt(i);
                    const numpy::Int128 v = root.kind == 'i' ? numpy::Int128(numpy::readInt(p, root.itemSize, big))
                        : root.kind == 'u'                   ? numpy::Int128(numpy::readUInt(p, root.itemSize, big))
                                                             : numpy::Int128(p[0] != std::byte { 0 } ? 1 : 0);
                    lo = counted == 0 || v < lo ? v : lo;
                    hi = counted == 0 || v > hi ? v : hi;
                    sum += v;
                    ++counted;
                }
                put("\"min\":");
                if (counted == 0) {
                    put("null,\"max\":null");
                } else {
                    putWide(lo);
                    put(",\"max\":");
                    putWide(hi);
                }
                put(",\"sum\":");
                putWide(sum);
                put(",\"mean\":");
                if (counted == 0)
                    put("null");
                else
                    putDouble(static_cast<double>(sum) / static_cast<double>(counted));
                put(",\"nan\":0,\"inf\":0,");
            }
            put("\"first\":[");
            for (std::uint64_t i = 0; i < std::min<std::uint64_t>(numel, 16); ++i) {
                if (i > 0)
                    put(',');
                putMaybe(i);
            }
            put("]}");
            return {};
        }
        put(",\"data\":{\"values\":");
        PS_TRY(nestedElements(a.shape, putMaybe));
        if (maskUnit > 0) {
            put(",\"mask\":");
            PS_TRY(nestedElements(a.shape, [&](std::uint64_t i) { put(isMasked(i) ? "true" : "false"); }));
        }
        put('}');
        return {};
    }

    static bool isIntegral(DType t)
    {
        switch (t) {
        case DType::Bool:
        case DType::UInt8:
        case DType::Int8:
        case DType::Int16:
        case DType::Int32:
        case DType::Int64:
        case DType::UInt16:
        case DType::UInt32:
        case DType::UInt64:
        case DType::UntypedByte:
        case DType::Bits8:
        case DType::Bits16:
            return true;
        default:
            return false;
        }
    }

    void putElement(double v, bool integral)
    {
        if (integral && std::isfinite(v) && std::fabs(v) < kTwo53 && v == std::floor(v)) {
            putSigned(static_cast<std::int64_t>(v));
            return;
        }
        putDouble(v);
    }

    // Nested lists, row-major, read in chunks.
    Result<void> fullValues(const torch::TensorView& view)
    {
        const auto& shape = view.shape();
        const bool integral = isIntegral(view.dtype());
        if (shape.empty()) {
            double v = 0;
            view.read(0, 1, &v);
            putElement(v, integral);
            return {};
        }
        // Dimensions up to the first zero-length one are lists; below it, empty lists.
        std::size_t dims = shape.size();
        for (std::size_t i = 0; i < shape.size(); ++i)
            if (shape[i] <= 0) {
                dims = i + 1;
                break;
            }
        const bool empty = dims < shape.size() || shape[dims - 1] <= 0;
        std::uint64_t leaves = 1;
        for (std::size_t i = 0; i + (empty ? 1 : 0) < dims; ++i)
            leaves *= static_cast<std::uint64_t>(shape[i]);
        const std::size_t listDims = empty ? dims - 1 : dims;
        std::vector<std::int64_t> index(listDims, 0);
        for (std::size_t i = 0; i < listDims; ++i)
            put('[');
        std::vector<double> chunk;
        constexpr std::size_t kChunk = 8192;
        for (std::uint64_t n = 0; n < leaves; ++n) {
            if (n > 0) {
                // Advance the index; close and reopen the dimensions that wrapped.
                std::size_t wrapped = 0;
                for (std::size_t d = listDims; d-- > 0;) {
                    if (++index[d] < shape[d])
                        break;
                    index[d] = 0;
                    ++wrapped;
                }
                for (std::size_t w = 0; w < wrapped; ++w)
                    put(']');
                put(',');
                for (std::size_t w = 0; w < wrapped; ++w)
                    put('[');
            }
            if (empty) {
                put("[]");
                continue;
            }
            const std::uint64_t at = n % kChunk;
            if (at == 0) {
                const std::size_t count
                    = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, leaves - n));
                chunk.resize(count);
                view.read(n, count, chunk.data());
                if (m_observer != nullptr && m_observer->isCancelled())
                    return makeError(ErrorCode::Cancelled, 0, "export cancelled");
                if (m_failed)
                    return flush();
            }
            putElement(chunk[static_cast<std::size_t>(at)], integral);
        }
        for (std::size_t i = 0; i < listDims; ++i)
            put(']');
        return {};
    }

    // ---- plain form -----------------------------------------------------------------------------
    Result<void> plainValue(ValueId id, std::uint32_t assigned)
    {
        // A shared value: "$id" as the first member of its JSON object, or a {"$id","$value"}
        // wrapper around an array.
        auto open = [&](std::string_view rest) {
            put('{');
            if (assigned != 0) {
                put("\"$id\":");
                putUnsigned(assigned);
                put(',');
            }
            put(rest);
        };
        auto wrap = [&] {
            if (assigned != 0) {
                put("{\"$id\":");
                putUnsigned(assigned);
                put(",\"$value\":");
                pushText(TCloseWrapped);
            }
        };
        const ValueKind k = m_g.kind(id);
        switch (k) {
        case ValueKind::None:
            put("null");
            return {};
        case ValueKind::Bool:
            put(m_g.boolValue(id) ? "true" : "false");
            return {};
        case ValueKind::Int:
        case ValueKind::BigInt:
            putInt(id);
            return {};
        case ValueKind::Float:
            putDouble(m_g.floatValue(id));
            return {};
        case ValueKind::Complex: {
            const auto [re, im] = m_g.complexValue(id);
            open("\"$type\":\"complex\",\"real\":");
            putDouble(re);
            put(",\"imag\":");
            putDouble(im);
            put('}');
            return {};
        }
        case ValueKind::Str:
            putString(m_g.text(id));
            return {};
        case ValueKind::Bytes:
        case ValueKind::ByteArray:
            open(k == ValueKind::Bytes ? "\"$type\":\"bytes\",\"base64\":"
                                       : "\"$type\":\"bytearray\",\"base64\":");
            putBase64(m_g.text(id));
            put('}');
            return {};
        case ValueKind::List:
        case ValueKind::Tuple:
        case ValueKind::Set:
        case ValueKind::FrozenSet:
            wrap();
            put('[');
            pushText(TCloseArray);
            pushSeq(id, Source::Items, SeqMode::Values);
            return {};
        case ValueKind::Dict: {
            bool strKeys = true;
            const auto& items = m_g.items(id);
            for (std::size_t i = 0; i + 1 < items.size() && strKeys; i += 2)
                strKeys = m_g.kind(items[i]) == ValueKind::Str;
            if (strKeys) {
                put('{');
                if (assigned != 0) {
                    put("\"$id\":");
                    putUnsigned(assigned);
                }
                pushText(TClose);
                pushSeq(id, Source::Items, SeqMode::Members);
                m_stack.back().aux = assigned != 0 ? 1 : 0; // members follow "$id"
            } else {
                wrap();
                put('[');
                pushText(TCloseArray);
                pushSeq(id, Source::Items, SeqMode::Pairs);
            }
            return {};
        }
        case ValueKind::Global:
            open("\"$type\":\"global\",\"name\":");
            putString(std::string(m_g.global(id).module) + "." + std::string(m_g.global(id).name));
            put('}');
            return {};
        case ValueKind::Object: {
            const ObjectRecord& o = m_g.object(id);
            if (const auto table = domain::decodePandas(m_g, id)) { // {"$type":"pandas.DataFrame",...}
                open("");
                putTableMembers(*table);
                put('}');
                return {};
            }
            open("\"$type\":");
            const std::string cls = className(m_g, id);
            if (const auto scalar = numpyScalar(id)) { // {"$type":"numpy.float32","value":1.5}
                putString(typeLabel(m_g, id));
                put(",\"value\":");
                putItem(scalar->first, 0, scalar->second);
                put('}');
                return {};
            }
            putString(cls.empty() ? std::string("object") : cls);
            const std::string display = displayRepr(m_g, id);
            if (!display.empty()) {
                put(",\"display\":");
                putString(display);
                put('}');
                return {};
            }
            pushText(TClose);
            pushObjectMembers(id, o);
            if (isTuple(m_g, o.args)) {
                if (!m_g.items(o.args).empty()) {
                    pushText(TCloseArray);
                    pushSeq(id, Source::ArgsItems, SeqMode::Values);
                    pushText(TArgsOpen);
                }
            } else if (m_g.valid(o.args)) {
                pushValue(o.args);
                pushText(TArgs);
            }
            return {};
        }
        case ValueKind::Persistent:
            open("\"$type\":\"persistent\",\"pid\":");
            pushText(TClose);
            pushValue(m_g.persistentId(id));
            return {};
        case ValueKind::Extension:
            open("\"$type\":\"extension\",\"code\":");
            putSigned(m_g.extensionCode(id));
            put('}');
            return {};
        case ValueKind::Buffer:
            open("\"$type\":\"buffer\",\"index\":");
            putSigned(m_g.bufferIndex(id));
            put('}');
            return {};
        case ValueKind::Storage:
            open("\"$type\":\"storage\"");
            storageMembers(m_g.storage(id));
            put('}');
            return {};
        case ValueKind::Tensor: {
            const TensorRecord& t = m_g.tensor(id);
            open(t.cls == TensorClass::Parameter ? "\"$type\":\"torch.nn.Parameter\",\"dtype\":\""
                                                 : "\"$type\":\"torch.Tensor\",\"dtype\":\"");
            put(dtypeName(t.dtype));
            put("\",\"shape\":");
            putShape(t.shape);
            pushText(TClose);
            pushText(TTensorTail, indexOf(id));
            return {};
        }
        case ValueKind::NdArray: {
            open("\"$type\":\"numpy.ndarray\"");
            ndarrayHeader(m_g.ndarray(id));
            pushText(TClose);
            if (isObjectArray(m_g, id) && m_options.tensorData == TensorDataMode::Full && pushObjectValues(id))
                return {};
            if (isObjectArray(m_g, id)) {
                pushText(TCloseArray);
                pushSeq(id, Source::NdItems, SeqMode::Values);
                pushText(TItemsOpen);
            } else {
                pushText(TTensorTail, indexOf(id));
            }
            return {};
        }
        }
        put("null");
        return {};
    }

    // Plain --tensor-data full: an object array's items as "data":{"values":…} nested in its
    // shape (row-major, as pickled), frames pushed in reverse. False when the items do not fill
    // the shape (then the flat "items" are written).
    bool pushObjectValues(ValueId id)
    {
        const NdArrayRecord& a = m_g.ndarray(id);
        const auto& items = m_g.items(a.data);
        std::uint64_t count = 1;
        for (std::int64_t dim : a.shape)
            if (dim <= 0 || __builtin_mul_overflow(count, static_cast<std::uint64_t>(dim), &count))
                return false;
        if (a.shape.empty() || count != items.size() || a.fortranOrder)
            return false;
        put(",\"data\":{\"values\":");
        pushText(TClose);
        const std::size_t rank = a.shape.size();
        // reverse order: closing brackets, then items from last to first with the brackets and
        // commas between them
        for (std::size_t k = 0; k < rank; ++k)
            pushText(TCloseArray);
        std::vector<std::int64_t> index(rank, 0);
        for (std::size_t k = 0; k < rank; ++k)
            index[k] = a.shape[k] - 1;
        for (std::uint64_t n = count; n-- > 0;) {
            pushValue(items[static_cast<std::size_t>(n)]);
            if (n == 0)
                break;
            // the opening brackets of the dimensions that start at n, a comma, the closing ones
            std::size_t wrapped = 0;
            for (std::size_t k = rank; k-- > 0;) {
                if (index[k] > 0) {
                    --index[k];
                    break;
                }
                index[k] = a.shape[k] - 1;
                ++wrapped;
            }
            for (std::size_t w = 0; w < wrapped; ++w)
                pushText(TOpenArray);
            pushText(TComma);
            for (std::size_t w = 0; w < wrapped; ++w)
                pushText(TCloseArray);
        }
        for (std::size_t k = 0; k < rank; ++k)
            pushText(TOpenArray);
        return true;
    }

    std::shared_ptr<const Document> m_doc;
    const ValueGraph& m_g;
    JsonSink& m_sink;
    JsonExportOptions m_options;
    LoadObserver* m_observer;
    std::string m_buffer;
    std::string m_pretty;
    bool m_failed = false;
    // pretty-printer state
    bool m_inString = false, m_escape = false, m_pendingOpen = false;
    int m_level = 0;
    std::vector<Frame> m_stack;
    std::vector<std::uint8_t> m_counts;
    std::unordered_map<std::uint32_t, std::uint32_t> m_ids;
    std::uint32_t m_nextId = 0;
    std::uint64_t m_written = 0;
    // putItem's worklist (kept to reuse its allocation)
    struct ItemPiece {
        std::uint32_t node; // numpy::kNoNode: text
        const std::byte* p;
        std::string_view text;
        bool key;
    };
    std::vector<ItemPiece> m_itemStack, m_itemForward;
};

} // namespace

std::vector<std::uint8_t> countReferences(const ValueGraph& graph, ValueId root)
{
    return countRefs(graph, root, false);
}

Result<void> writeJson(const std::shared_ptr<const Document>& doc, JsonSink& sink,
    const JsonExportOptions& options, LoadObserver* observer)
{
    if (!doc)
        return makeError(ErrorCode::BadValue, 0, "no document");
    try {
        Writer writer(doc, sink, options, observer);
        return writer.run();
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::LimitExceeded, 0, "out of memory while exporting");
    }
}

std::string toJson(const std::shared_ptr<const Document>& doc, const JsonExportOptions& options)
{
    StringJsonSink sink;
    (void)writeJson(doc, sink, options);
    return sink.take();
}

} // namespace core
