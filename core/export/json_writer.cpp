#include "core/export/json_writer.h"

#include "core/domain/pandas_decoder.h"
#include "core/export/export_children.h"
#include "core/export/export_context.h"
#include "core/export/nested_lists.h"
#include "core/export/numpy_item_writer.h"
#include "core/export/pandas_table_writer.h"
#include "core/export/tensor_data_writer.h"
#include "core/numpy/numpy_dtype.h"
#include "core/value/value_text.h"

#include <unordered_map>

namespace core {

namespace {

constexpr std::uint32_t kPollEvery = 4096;

// ---- the walk's frames
// ---------------------------------------------------------------------------------
// The walk writes a value's own members at once and pushes what follows them (child values,
// the keys between them, the closing brackets) as frames, in reverse of the order they are
// written; JsonStream places commas, newlines and indentation.

enum class FrameType : std::uint8_t {
    Value, // a value (id)
    Seq, // the next entry of an id vector (id: the value that holds it; next: the index)
    Key, // a member key (id: KeyId)
    KeyArray, // a member key and the array it opens (id: KeyId)
    Token, // a bracket (token)
    TensorData, // a tensor's or ndarray's "data" member (id: the value)
};
// Which id vector a Seq frame walks.
enum class Source : std::uint8_t { Items, ArgsItems, ObjList, ObjDict, NdItems };
// How a Seq frame writes its entries: values, [key, value] pairs, or "key": value members.
enum class SeqMode : std::uint8_t { Values, Pairs, Members };

// Member keys written from frames, by index.
enum KeyId : std::uint32_t {
    KState,
    KKwargs,
    KBase,
    KListItems,
    KDictItems,
    KScales,
    KZeroPoints,
    KComponents,
    KArgs,
    KItems,
};

constexpr std::string_view kKeys[] = {
    "state",
    "kwargs",
    "base",
    "listitems",
    "dictitems",
    "q_per_channel_scales",
    "q_per_channel_zero_points",
    "components",
    "args",
    "items",
};

struct Frame {
    std::uint64_t next = 0; // Seq: next index into the vector
    std::uint32_t id = 0; // Value/Seq/TensorData: the value; Key/KeyArray: KeyId
    FrameType type = FrameType::Value;
    JsonToken token = JsonToken::EndObject; // Token
    Source source = Source::Items;
    SeqMode mode = SeqMode::Values;
};

class Writer {
public:
    Writer(const std::shared_ptr<const Document>& doc, JsonSink& sink,
        const JsonExportOptions& options, LoadObserver* observer)
        : m_out(sink, { .indent = std::max(options.indent, 0), .indentLimit = kMaxIndentLevels })
        , m_ctx(doc, m_out, options, observer)
        , m_g(doc->graph)
        , m_options(options)
        , m_items(m_ctx)
        , m_data(m_ctx, m_items)
        , m_tables(m_ctx, m_items)
    {
    }

    Result<void> run()
    {
        const Document& d = *m_ctx.doc;
        if (m_options.plain) { // the plain form is the root value alone
            PS_TRY(rootValue(d.root));
            return m_out.finish();
        }
        m_out.beginObject().member("picklescope", 1).key("file").beginObject();
        m_out.member("name", d.fileName)
            .member("size", d.source ? d.source->size() : 0)
            .member("format", fileFormatName(d.format))
            .member("protocol", d.protocol);
        if (!d.fileMetadata.empty() || d.format == FileFormat::Safetensors) {
            m_out.key("metadata").beginObject();
            for (const auto& [key, text] : d.fileMetadata)
                m_out.member(key, text);
            m_out.endObject();
        }
        if (!d.shards.empty()) {
            m_out.key("shards").beginArray();
            for (const ShardFile& shard : d.shards) {
                m_out.beginObject().member("name", shard.name).member("size", shard.size);
                m_out.key("found").boolean(shard.found).member("tensors", shard.tensors);
                if (!shard.error.empty())
                    m_out.member("error", shard.error);
                m_out.endObject();
            }
            m_out.endArray();
        }
        m_out.endObject().key("root");
        PS_TRY(rootValue(d.root));
        if (d.format == FileFormat::TorchScript) {
            // Every pickle program of the archive beside the main one's root.
            m_out.key("programs").beginObject();
            for (const PickleStream& stream : d.pickles) {
                if (!m_g.valid(stream.root))
                    continue;
                m_out.key(stream.name);
                m_counts = exportCounts(stream.root, false);
                PS_TRY(walk(stream.root));
            }
            m_out.endObject();
        }
        m_out.key("diagnostics").beginArray();
        for (const Diagnostic& diag : d.diagnostics) {
            m_out.beginObject()
                .member("severity", severityName(diag.severity))
                .member("offset", diag.offset)
                .member("message", diag.message)
                .endObject();
        }
        m_out.endArray();
        if (d.error) {
            m_out.key("error")
                .beginObject()
                .member("code", errorCodeName(d.error->code))
                .member("offset", d.error->offset)
                .member("message", d.error->message)
                .endObject();
        }
        m_out.endObject();
        return m_out.finish();
    }

private:
    Result<void> rootValue(ValueId root)
    {
        if (!m_g.valid(root)) {
            m_out.null();
            return {};
        }
        m_counts = exportCounts(root, m_options.plain);
        return walk(root);
    }

    // How often each value appears below `root` in what the export writes: a shared identity
    // value (2 or more) gets "id" where it is first written and is a ref everywhere else.
    std::vector<std::uint8_t> exportCounts(ValueId root, bool plain) const
    {
        return referenceCounts(m_g, root, exportChildSet(plain), CountMode::AppearancesOnly)
            .appearances;
    }

    // ---- the walk -------------------------------------------------------------------------------
    void push(FrameType type, std::uint32_t id = 0)
    {
        Frame f;
        f.type = type;
        f.id = id;
        m_stack.push_back(f);
    }
    void pushValue(ValueId id) { push(FrameType::Value, indexOf(id)); }
    void pushToken(JsonToken token)
    {
        Frame f;
        f.type = FrameType::Token;
        f.token = token;
        m_stack.push_back(f);
    }
    void pushKey(KeyId key) { push(FrameType::Key, key); }
    // key: [ entries of `source` ]
    void pushArrayMember(KeyId key, ValueId id, Source source, SeqMode mode)
    {
        pushToken(JsonToken::EndArray);
        pushSeq(id, source, mode);
        push(FrameType::KeyArray, key);
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
    void pushMember(KeyId key, ValueId value)
    {
        if (m_g.valid(value)) {
            pushValue(value);
            pushKey(key);
        }
    }
    // An object's members after its args, shared by the typed and plain forms; pushed in
    // reverse of the order they are written: kwargs, state, base, listitems, dictitems.
    void pushObjectMembers(ValueId id, const ObjectRecord& o)
    {
        if (!o.dictItems.empty())
            pushArrayMember(KDictItems, id, Source::ObjDict, SeqMode::Pairs);
        if (!o.listItems.empty())
            pushArrayMember(KListItems, id, Source::ObjList, SeqMode::Values);
        pushMember(KBase, o.base);
        pushMember(KState, o.state);
        pushMember(KKwargs, o.kwargs);
    }

    std::span<const ValueId> sequence(const Frame& f) const
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
            case FrameType::Key:
                m_out.key(kKeys[f.id]);
                break;
            case FrameType::KeyArray:
                m_out.key(kKeys[f.id]).beginArray();
                break;
            case FrameType::Token:
                m_out.token(f.token);
                break;
            case FrameType::TensorData:
                PS_TRY(m_data.write(static_cast<ValueId>(f.id)));
                break;
            case FrameType::Seq:
                stepSeq(f);
                break;
            case FrameType::Value:
                if (++m_written % kPollEvery == 0) {
                    if (m_out.failed())
                        return exportWriteFailed();
                    if (m_ctx.observer != nullptr) {
                        if (m_ctx.observer->isCancelled())
                            return exportCancelled();
                        m_ctx.observer->progress(m_written, m_g.size());
                    }
                }
                value(static_cast<ValueId>(f.id));
                break;
            }
        }
        if (m_out.failed())
            return exportWriteFailed();
        return {};
    }

    void stepSeq(Frame f)
    {
        const auto& items = sequence(f);
        const std::size_t step = f.mode == SeqMode::Values ? 1 : 2;
        if (f.next >= items.size() || items.size() - f.next < step)
            return;
        const std::uint64_t i = f.next;
        Frame again = f;
        again.next = i + step;
        m_stack.push_back(again);
        switch (f.mode) {
        case SeqMode::Values:
            pushValue(items[i]);
            break;
        case SeqMode::Pairs:
            m_out.beginArray();
            pushToken(JsonToken::EndArray);
            pushValue(items[i + 1]);
            pushValue(items[i]);
            break;
        case SeqMode::Members:
            m_out.key(m_g.text(items[i]));
            pushValue(items[i + 1]);
            break;
        }
    }

    // Handles "id"/ref for identity values; returns true when a ref was written.
    // On the first occurrence of a shared value, `assigned` receives its id (else 0).
    bool refOrId(ValueId id, std::uint32_t& assigned)
    {
        assigned = 0;
        if (!isIdentityValue(m_g, id) || m_counts[indexOf(id)] < 2)
            return false;
        const auto it = m_ids.find(indexOf(id));
        if (it != m_ids.end()) {
            m_out.beginObject();
            if (m_options.plain)
                m_out.member("$ref", it->second);
            else
                m_out.member("type", "ref").member("id", it->second);
            m_out.endObject();
            return true;
        }
        assigned = ++m_nextId;
        m_ids.emplace(indexOf(id), assigned);
        return false;
    }

    void value(ValueId id)
    {
        if (!m_g.valid(id)) {
            m_out.null();
            return;
        }
        std::uint32_t assigned = 0;
        if (refOrId(id, assigned))
            return;
        formValue(id, assigned);
    }

    // ---- typed form -----------------------------------------------------------------------------
    JsonStream& openTyped(std::string_view type, std::uint32_t assigned = 0)
    {
        m_out.beginObject().member("type", type);
        if (assigned != 0)
            m_out.member("id", assigned);
        return m_out;
    }

    // {"type":T (plain: "$type":T), plus "id" ("$id") on the first appearance of a shared value.
    void open(std::string_view type, std::uint32_t assigned)
    {
        if (m_options.plain)
            openPlain(type, assigned);
        else
            openTyped(type, assigned);
    }

    // One value, typed or plain; what follows its own members is pushed as frames.
    void formValue(ValueId id, std::uint32_t assigned)
    {
        if (m_options.plain && m_ctx.plainScalar(id))
            return;
        const ValueKind k = m_g.kind(id);
        switch (k) {
        case ValueKind::None:
            openTyped("none").endObject();
            return;
        case ValueKind::Bool:
            openTyped("bool").key("value").boolean(m_g.boolValue(id)).endObject();
            return;
        case ValueKind::Int:
        case ValueKind::BigInt:
            openTyped("int").key("value");
            m_ctx.intValue(id);
            m_out.endObject();
            return;
        case ValueKind::Float:
            openTyped("float").member("value", m_g.floatValue(id)).endObject();
            return;
        case ValueKind::Str:
            openTyped("str").member("value", m_g.text(id)).endObject();
            return;
        case ValueKind::Complex: {
            const auto [re, im] = m_g.complexValue(id);
            open("complex", assigned);
            m_out.member("real", re).member("imag", im).endObject();
            return;
        }
        case ValueKind::Bytes:
        case ValueKind::ByteArray:
            open(k == ValueKind::Bytes ? "bytes" : "bytearray", assigned);
            m_out.key("base64").base64(m_g.text(id)).endObject();
            return;
        case ValueKind::List:
        case ValueKind::Tuple:
        case ValueKind::Set:
        case ValueKind::FrozenSet:
        case ValueKind::Dict:
            if (m_options.plain)
                plainContainer(id, assigned);
            else
                typedContainer(id, assigned);
            return;
        case ValueKind::Global:
            if (m_options.plain) {
                const GlobalRecord& gl = m_g.global(id);
                open("global", assigned);
                m_out.member("name", std::string(gl.module) + "." + std::string(gl.name));
            } else {
                typedGlobal(m_g.global(id));
            }
            m_out.endObject();
            return;
        case ValueKind::Object:
            if (m_options.plain)
                plainObject(id, assigned);
            else
                typedObject(id, assigned);
            return;
        case ValueKind::Persistent:
            open("persistent", assigned);
            m_out.key("pid");
            pushToken(JsonToken::EndObject);
            pushValue(m_g.persistentId(id));
            return;
        case ValueKind::Extension:
            open("extension", assigned);
            m_out.member("code", m_g.extensionCode(id)).endObject();
            return;
        case ValueKind::Buffer:
            open("buffer", assigned);
            m_out.member("index", m_g.bufferIndex(id));
            if (!m_options.plain)
                m_out.key("readonly").boolean((m_g.at(id).flags & FlagReadOnly) != 0);
            m_out.endObject();
            return;
        case ValueKind::Storage:
            open("storage", assigned);
            storageMembers(m_g.storage(id));
            m_out.endObject();
            return;
        case ValueKind::Tensor:
            if (m_options.plain)
                plainTensor(id, assigned);
            else
                typedTensor(id, assigned);
            return;
        case ValueKind::NdArray:
            open(m_options.plain ? "numpy.ndarray" : "ndarray", assigned);
            if (m_options.plain && isObjectArray(m_g, id)
                && m_options.tensorData == TensorDataMode::Full && pushObjectValues(id))
                return;
            ndarrayTail(id);
            return;
        }
        m_out.null();
    }

    void typedContainer(ValueId id, std::uint32_t assigned)
    {
        const ValueKind k = m_g.kind(id);
        openTyped(valueKindName(k), assigned);
        const bool dict = k == ValueKind::Dict;
        if (dict && m_g.dictClass(id) != DictClass::Plain)
            m_out.member("class", "collections." + typeLabel(m_g, id));
        const bool factory = dict && m_g.valid(m_g.defaultFactory(id));
        if (factory)
            m_out.key("default_factory");
        else
            m_out.key("items").beginArray();
        // Pushed in reverse: [default_factory], items..., [state], close.
        pushToken(JsonToken::EndObject);
        pushMember(KState, m_g.extraState(id));
        pushToken(JsonToken::EndArray);
        pushSeq(id, Source::Items, dict ? SeqMode::Pairs : SeqMode::Values);
        if (factory) {
            push(FrameType::KeyArray, KItems);
            pushValue(m_g.defaultFactory(id));
        }
    }

    void typedGlobal(const GlobalRecord& gl)
    {
        openTyped("global");
        m_out.member("module", gl.module).member("name", gl.name);
        if (gl.pickledModule != gl.module || gl.pickledName != gl.name)
            m_out.member("pickled_module", gl.pickledModule).member("pickled_name", gl.pickledName);
    }

    void storageMembers(const StorageRecord& s)
    {
        m_out.member("key", s.key)
            .member("dtype", dtypeName(s.dtype))
            .member("numel", s.numel)
            .member("location", s.location);
        if (!s.typeName.empty())
            m_out.member("storage_type", s.typeName);
        if (!s.file.empty())
            m_out.member("file", s.file);
    }

    void typedObject(ValueId id, std::uint32_t assigned)
    {
        const ObjectRecord& o = m_g.object(id);
        openTyped("object", assigned);
        m_out.member("via", objectViaName(o.via));
        const std::string display = displayRepr(m_g, id);
        if (!display.empty())
            m_out.member("display", display);
        if (const auto table = domain::decodePandas(m_g, id)) {
            m_out.key("table");
            m_tables.table(*table);
        }
        if (const auto scalar = numpyScalar(m_g, id)) {
            m_out.member("dtype", numpyDTypeText(scalar->first)).key("value");
            m_items.item(scalar->first, 0, scalar->second);
        }
        // Reverse order of: callable, args, kwargs, state, base, listitems, dictitems.
        pushToken(JsonToken::EndObject);
        pushObjectMembers(id, o);
        if (isTuple(m_g, o.args)) {
            pushArrayMember(KArgs, id, Source::ArgsItems, SeqMode::Values);
        } else if (m_g.valid(o.args)) {
            pushMember(KArgs, o.args);
        } else {
            pushToken(JsonToken::EndArray);
            push(FrameType::KeyArray, KArgs);
        }
        m_out.key("callable");
        if (m_g.valid(o.callable))
            pushValue(o.callable);
        else
            m_out.null();
    }

    void typedTensor(ValueId id, std::uint32_t assigned)
    {
        const TensorRecord& t = m_g.tensor(id);
        openTyped("tensor", assigned);
        m_out.member(
            "class", t.cls == TensorClass::Parameter ? "torch.nn.Parameter" : "torch.Tensor");
        m_out.member("dtype", dtypeName(t.dtype)).key("shape").array(t.shape);
        m_out.key("stride").array(t.stride);
        m_out.member("storage_offset", t.storageOffset)
            .key("requires_grad")
            .boolean(t.requiresGrad);
        if (t.layout != TensorLayout::Strided) {
            static constexpr std::string_view kLayouts[]
                = { "strided", "sparse_coo", "sparse_csr", "meta", "quantized", "nested", "other" };
            m_out.member("layout", kLayouts[static_cast<int>(t.layout)]);
        }
        if (t.layout == TensorLayout::Quantized && !m_g.valid(t.scales))
            m_out.member("q_scale", t.scale).member("q_zero_point", t.zeroPoint);
        if (t.axis >= 0)
            m_out.member("q_axis", t.axis);
        m_out.key("storage");
        if (m_g.valid(t.storage) && m_g.kind(t.storage) == ValueKind::Storage) {
            m_out.beginObject();
            storageMembers(m_g.storage(t.storage));
            m_out.endObject();
        } else {
            m_out.null();
        }
        pushToken(JsonToken::EndObject);
        push(FrameType::TensorData, indexOf(id));
        pushMember(KComponents, t.components);
        pushMember(KZeroPoints, t.zeroPoints);
        pushMember(KScales, t.scales);
    }

    // An ndarray after its "type": the header, then its items (object arrays) or its data.
    void ndarrayTail(ValueId id)
    {
        ndarrayHeader(m_g.ndarray(id));
        pushToken(JsonToken::EndObject);
        if (isObjectArray(m_g, id))
            pushArrayMember(KItems, id, Source::NdItems, SeqMode::Values);
        else
            push(FrameType::TensorData, indexOf(id));
    }

    void ndarrayHeader(const NdArrayRecord& a)
    {
        const auto d = numpy::dtypeFromValue(m_g, a.dtypeValue);
        const char kind = d ? d->node().kind : 0;
        if (d && !d->structured()
            && (kind == 'b' || kind == 'i' || kind == 'u' || kind == 'f' || kind == 'c'))
            m_out.member("dtype", d->name()); // numpy's name: float128, complex256 too
        else if (a.dtype == DType::Other || a.dtype == DType::Unknown)
            m_out.member("dtype", a.dtypeText);
        else
            m_out.member("dtype", dtypeName(a.dtype));
        m_out.member("byteorder", std::string_view(&a.byteOrder, 1)).key("shape").array(a.shape);
        m_out.key("fortran_order").boolean(a.fortranOrder);
        if (!a.dtypeText.empty())
            m_out.member("descr", a.dtypeText);
        if (d && d->structured())
            fields(*d);
        if (a.masked) {
            m_out.member("class", "numpy.ma.MaskedArray").key("fill_value");
            fillValue(a.fillValue, d ? &*d : nullptr);
        }
    }

    // A masked array's fill value: numpy pickles None or a 0-d array; the latter as its element.
    void fillValue(ValueId fill, const numpy::NumpyDType* dtype)
    {
        const ValueKind k = m_g.valid(fill) ? m_g.kind(fill) : ValueKind::None;
        if (m_g.valid(fill) && k == ValueKind::None && dtype != nullptr && !dtype->structured()) {
            // None: numpy.ma's default_fill_value for the dtype, as MaskedArray.fill_value gives it
            switch (dtype->node().kind) {
            case 'b':
                m_out.boolean(true);
                return;
            case 'i':
            case 'u':
                m_out.raw("999999");
                return;
            case 'f':
                m_out.raw("1e+20");
                return;
            case 'c':
                m_out.beginArray().raw("1e+20").raw("0.0").endArray();
                return;
            case 'M':
            case 'm':
                m_out.value("NaT");
                return;
            case 'U':
                m_out.value("N/A");
                return;
            case 'S':
                m_ctx.bytesValue("N/A");
                return;
            default:
                break;
            }
        }
        if (m_g.valid(fill) && k == ValueKind::NdArray) {
            const NdArrayRecord& f = m_g.ndarray(fill);
            const auto d = numpy::dtypeFromValue(m_g, f.dtypeValue);
            if (d && f.shape.empty() && m_g.valid(f.data)
                && (m_g.kind(f.data) == ValueKind::Bytes
                    || m_g.kind(f.data) == ValueKind::ByteArray)
                && m_g.bytes(f.data).size() >= d->node().itemSize && d->node().kind != 'O') {
                m_items.item(*d, 0, m_g.bytes(f.data).data());
                return;
            }
        }
        if (!m_g.valid(fill))
            m_out.null();
        else if (k == ValueKind::Int)
            m_out.value(m_g.intValue(fill));
        else if (k == ValueKind::Float)
            m_out.value(m_g.floatValue(fill));
        else if (k == ValueKind::Str)
            m_out.value(m_g.text(fill));
        else
            m_out.null();
    }

    // "fields":[{"name":"pos","dtype":"<f4","offset":32,"shape":[2]},...] in numpy's order;
    // a nested struct field carries its own "fields". Iterative over the dtype's depth.
    void fields(const numpy::NumpyDType& d)
    {
        struct Step {
            std::uint32_t node; // a struct node whose fields are written
            std::size_t next;
        };
        m_out.key("fields").beginArray();
        std::vector<Step> stack { { 0, 0 } };
        while (!stack.empty()) {
            Step& top = stack.back();
            const numpy::DTypeNode& n = d.node(top.node);
            if (top.next >= n.fields.size()) {
                stack.pop_back();
                m_out.endArray();
                if (!stack.empty())
                    m_out.endObject();
                continue;
            }
            const numpy::DTypeField& f = n.fields[top.next++];
            std::uint32_t elem = f.node;
            const numpy::DTypeNode* fn = &d.node(elem);
            m_out.beginObject().member("name", f.name);
            const std::vector<std::int64_t>* shape = nullptr;
            if (fn->subBase != numpy::kNoNode) {
                shape = &fn->subShape;
                elem = fn->subBase;
            }
            m_out.member("dtype", d.str(elem)).member("offset", f.offset);
            if (shape != nullptr)
                m_out.key("shape").array(*shape);
            if (d.structured(elem)) {
                m_out.key("fields").beginArray();
                stack.push_back({ elem, 0 });
                continue;
            }
            m_out.endObject();
        }
    }

    // ---- plain form -----------------------------------------------------------------------------
    // A shared value: "$id" as the first member of its JSON object.
    void openPlain(std::uint32_t assigned)
    {
        m_out.beginObject();
        if (assigned != 0)
            m_out.member("$id", assigned);
    }
    void openPlain(std::string_view type, std::uint32_t assigned)
    {
        openPlain(assigned);
        m_out.member("$type", type);
    }
    // A shared array: a {"$id","$value"} wrapper around it.
    void wrapPlain(std::uint32_t assigned)
    {
        if (assigned != 0) {
            m_out.beginObject().member("$id", assigned).key("$value");
            pushToken(JsonToken::EndObject);
        }
    }

    void plainContainer(ValueId id, std::uint32_t assigned)
    {
        const auto& items = m_g.items(id);
        bool strKeys = m_g.kind(id) == ValueKind::Dict;
        for (std::size_t i = 0; i + 1 < items.size() && strKeys; i += 2)
            strKeys = m_g.kind(items[i]) == ValueKind::Str;
        if (strKeys) { // a dict of str keys: an object
            openPlain(assigned);
            pushToken(JsonToken::EndObject);
            pushSeq(id, Source::Items, SeqMode::Members);
            return;
        }
        wrapPlain(assigned);
        m_out.beginArray();
        pushToken(JsonToken::EndArray);
        pushSeq(
            id, Source::Items, m_g.kind(id) == ValueKind::Dict ? SeqMode::Pairs : SeqMode::Values);
    }

    void plainTensor(ValueId id, std::uint32_t assigned)
    {
        const TensorRecord& t = m_g.tensor(id);
        openPlain(
            t.cls == TensorClass::Parameter ? "torch.nn.Parameter" : "torch.Tensor", assigned);
        m_out.member("dtype", dtypeName(t.dtype)).key("shape").array(t.shape);
        pushToken(JsonToken::EndObject);
        push(FrameType::TensorData, indexOf(id));
    }

    void plainObject(ValueId id, std::uint32_t assigned)
    {
        const ObjectRecord& o = m_g.object(id);
        if (const auto table = domain::decodePandas(m_g, id)) { // {"$type":"pandas.DataFrame",...}
            openPlain(assigned);
            m_tables.members(*table);
            m_out.endObject();
            return;
        }
        openPlain(assigned);
        m_out.key("$type");
        if (const auto scalar = numpyScalar(m_g, id)) { // {"$type":"numpy.float32","value":1.5}
            m_out.value(typeLabel(m_g, id)).key("value");
            m_items.item(scalar->first, 0, scalar->second);
            m_out.endObject();
            return;
        }
        const std::string cls = className(m_g, id);
        m_out.value(cls.empty() ? std::string("object") : cls);
        const std::string display = displayRepr(m_g, id);
        if (!display.empty()) {
            m_out.member("display", display).endObject();
            return;
        }
        pushToken(JsonToken::EndObject);
        pushObjectMembers(id, o);
        if (isTuple(m_g, o.args)) {
            if (!m_g.items(o.args).empty())
                pushArrayMember(KArgs, id, Source::ArgsItems, SeqMode::Values);
        } else {
            pushMember(KArgs, o.args);
        }
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
        ndarrayHeader(a);
        m_out.key("data").beginObject().key("values");
        pushToken(JsonToken::EndObject); // the array
        pushToken(JsonToken::EndObject); // "data"
        m_forward.clear();
        forEachNested(
            a.shape,
            [&] {
                m_forward.push_back({ 0, 0, FrameType::Token, JsonToken::BeginArray });
            },
            [&] {
                m_forward.push_back({ 0, 0, FrameType::Token, JsonToken::EndArray });
            },
            [&](std::uint64_t n) {
                m_forward.push_back({ 0, indexOf(items[static_cast<std::size_t>(n)]) });
                return true;
            });
        m_stack.insert(m_stack.end(), m_forward.rbegin(), m_forward.rend());
        return true;
    }

    JsonStream m_out;
    ExportContext m_ctx;
    const ValueGraph& m_g;
    const JsonExportOptions& m_options;
    NumpyItemWriter m_items;
    TensorDataWriter m_data;
    PandasTableWriter m_tables;
    std::vector<Frame> m_stack, m_forward;
    std::vector<std::uint8_t> m_counts;
    std::unordered_map<std::uint32_t, std::uint32_t> m_ids;
    std::uint32_t m_nextId = 0;
    std::uint64_t m_written = 0;
};

} // namespace

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
