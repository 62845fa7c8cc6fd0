// Typing torch and numpy values in any pickle: the _rebuild_* functions become Tensor values,
// numpy _reconstruct/_frombuffer become NdArray values, torch.storage._load_from_bytes blobs
// are parsed as legacy checkpoints. Whatever does not fit stays a generic object.

#include "core/torch/torch_reader.h"

#include "core/numpy/ndarray_reconstruct.h"
#include "core/torch/legacy_reader.h"
#include "core/torch/torch_dtypes.h"
#include "core/value/value_access.h"

namespace core::torch {

namespace {

// Nesting of _load_from_bytes blobs inside blobs (each level is a full legacy stream).
thread_local int t_blobDepth = 0;
constexpr int kMaxBlobDepth = 4;
constexpr int kMaxRebuildDepth = 8; // _rebuild_from_type_v2 wrapping another rebuild call

bool isRebuildModule(std::string_view module)
{
    return module == "torch._utils" || module == "torch._tensor" || module == "torch.tensor";
}

DType dtypeOfGlobal(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id) || g.kind(id) != ValueKind::Global)
        return DType::Unknown;
    const GlobalRecord& r = g.global(id);
    if (r.module != "torch")
        return DType::Unknown;
    return dtypeFromTorchName(r.name);
}

bool isTensor(const ValueGraph& g, ValueId id)
{
    return g.valid(id) && g.kind(id) == ValueKind::Tensor;
}

// (storage, offset, size, stride) common to v1/v2/v3/qtensor.
bool stridedPart(const ValueGraph& g, const std::vector<ValueId>& a, TensorRecord& t)
{
    if (a.size() < 4 || !g.valid(a[0]) || g.kind(a[0]) != ValueKind::Storage)
        return false;
    const auto offset = intOf(g, a[1]);
    if (!offset || !intListOf(g, a[2], t.shape) || !intListOf(g, a[3], t.stride))
        return false;
    t.storage = a[0];
    t.storageOffset = *offset;
    t.dtype = g.storage(a[0]).dtype;
    return true;
}

struct Call {
    std::string_view name;
    ValueId callable;
    ValueId args;
    ValueId kwargs;
    ObjectVia via;
    std::uint64_t offset;
};

Result<ValueId> rebuild(Document& doc, const Call& c, int depth);

// _rebuild_from_type_v2(func, new_type, args, state): evaluate func's rebuild on args.
Result<ValueId> rebuildFromType(Document& doc, const Call& c, const std::vector<ValueId>& a, int depth)
{
    ValueGraph& g = doc.graph;
    if (a.size() < 3 || depth >= kMaxRebuildDepth || !g.valid(a[0]) || g.kind(a[0]) != ValueKind::Global)
        return kNullValue;
    const GlobalRecord& fn = g.global(a[0]);
    ValueId inner = kNullValue;
    if (isRebuildModule(fn.module)) {
        PS_ASSIGN(inner, rebuild(doc, Call { fn.name, a[0], a[2], kNullValue, ObjectVia::Reduce, c.offset }, depth + 1));
    }
    if (!isTensor(g, inner))
        return kNullValue;
    TensorRecord t = g.tensor(inner);
    if (isGlobal(g, a[1], "torch.nn.parameter", "Parameter"))
        t.cls = TensorClass::Parameter;
    t.rebuild = g.addCall(c.via, c.callable, c.args, c.offset, c.kwargs);
    const ValueId id = g.addTensor(std::move(t), c.offset);
    if (a.size() > 3 && g.valid(a[3]) && g.kind(a[3]) != ValueKind::None)
        g.setExtraState(id, a[3]);
    return id;
}

Result<ValueId> rebuild(Document& doc, const Call& c, int depth)
{
    ValueGraph& g = doc.graph;
    const auto ap = seqOf(g, c.args);
    if (ap == nullptr)
        return kNullValue;
    const std::vector<ValueId> a(ap->begin(), ap->end()); // copy: adding values may grow the lists
    TensorRecord t;
    const std::string_view n = c.name;
    auto finish = [&](TensorRecord rec) -> ValueId {
        rec.rebuild = g.addCall(c.via, c.callable, c.args, c.offset, c.kwargs);
        return g.addTensor(std::move(rec), c.offset);
    };
    // A tensor without storage: dtype at a[dtypeAt], size and stride at a[shapeAt] and the next,
    // requires_grad at a[gradAt] when given.
    auto storageless = [&](std::size_t minArgs, std::size_t dtypeAt, std::size_t shapeAt,
                           std::size_t gradAt, TensorLayout layout) {
        if (a.size() < minArgs || !intListOf(g, a[shapeAt], t.shape)
            || !intListOf(g, a[shapeAt + 1], t.stride))
            return false;
        t.dtype = dtypeOfGlobal(g, a[dtypeAt]);
        t.layout = layout;
        t.requiresGrad = a.size() > gradAt && boolOf(g, a[gradAt]).value_or(false);
        return true;
    };
    if (n == "_rebuild_tensor") {
        if (a.size() != 4 || !stridedPart(g, a, t))
            return kNullValue;
        return finish(std::move(t));
    }
    if (n == "_rebuild_tensor_v2" || n == "_rebuild_tensor_v3") {
        const std::size_t base = n == "_rebuild_tensor_v2" ? 6 : 7;
        if ((a.size() != base && a.size() != base + 1) || !stridedPart(g, a, t))
            return kNullValue;
        t.requiresGrad = boolOf(g, a[4]).value_or(false);
        if (n == "_rebuild_tensor_v3") {
            const DType d = dtypeOfGlobal(g, a[6]);
            if (d == DType::Unknown)
                return kNullValue;
            t.dtype = d;
        }
        if (a.size() == base + 1) {
            t.negative = boolOf(g, dictGet(g, a[base], "neg")).value_or(false);
            t.conjugate = boolOf(g, dictGet(g, a[base], "conj")).value_or(false);
        }
        return finish(std::move(t));
    }
    if (n == "_rebuild_qtensor") {
        if (a.size() < 6 || !stridedPart(g, a, t))
            return kNullValue;
        t.layout = TensorLayout::Quantized;
        t.requiresGrad = boolOf(g, a[5]).value_or(false);
        const auto q = seqOf(g, a[4]);
        if (q == nullptr || q->empty() || !g.valid((*q)[0]) || g.kind((*q)[0]) != ValueKind::Global)
            return kNullValue;
        const std::string_view scheme = g.global((*q)[0]).name;
        if ((scheme == "per_tensor_affine" || scheme == "per_tensor_symmetric") && q->size() >= 3) {
            const auto scale = floatOf(g, (*q)[1]);
            const auto zp = intOf(g, (*q)[2]);
            if (!scale || !zp)
                return kNullValue;
            t.scale = *scale;
            t.zeroPoint = *zp;
        } else if (scheme.rfind("per_channel", 0) == 0 && q->size() >= 4) {
            const auto axis = intOf(g, (*q)[3]);
            if (!axis || !isTensor(g, (*q)[1]))
                return kNullValue;
            t.scales = (*q)[1];
            t.zeroPoints = isTensor(g, (*q)[2]) ? (*q)[2] : kNullValue;
            t.axis = *axis;
        } else {
            return kNullValue;
        }
        return finish(std::move(t));
    }
    if (n == "_rebuild_parameter" || n == "_rebuild_parameter_with_state") {
        if (a.size() < 2 || !isTensor(g, a[0]))
            return kNullValue;
        t = g.tensor(a[0]);
        t.cls = TensorClass::Parameter;
        t.requiresGrad = boolOf(g, a[1]).value_or(false);
        const ValueId id = finish(std::move(t));
        if (n == "_rebuild_parameter_with_state" && a.size() > 3 && g.kind(a[3]) != ValueKind::None)
            g.setExtraState(id, a[3]);
        return id;
    }
    if (n == "_rebuild_from_type_v2" || n == "_rebuild_from_type")
        return rebuildFromType(doc, c, a, depth);
    if (n == "_rebuild_sparse_tensor" || n == "_rebuild_sparse_csr_tensor") {
        // python: (layout, (parts..., size[, coalesced])); TorchScript: (layout:int, size, requires_grad, parts..., hooks)
        if (a.size() < 2)
            return kNullValue;
        TensorLayout layout = n == "_rebuild_sparse_csr_tensor" ? TensorLayout::SparseCsr : TensorLayout::SparseCoo;
        if (const GlobalRecord* lg = objectCallable(g, a[0]); lg != nullptr && lg->name == "_get_layout") {
            const auto la = seqOf(g, g.object(a[0]).args);
            const auto name = la != nullptr && !la->empty() ? textOf(g, (*la)[0]) : std::nullopt;
            if (name == std::string_view("torch.sparse_coo"))
                layout = TensorLayout::SparseCoo;
            else if (name)
                layout = TensorLayout::SparseCsr; // csr / csc / bsr / bsc: compressed layouts
        } else if (const auto li = intOf(g, a[0])) {
            layout = *li == 1 ? TensorLayout::SparseCoo : TensorLayout::SparseCsr;
            // TorchScript's flattened form
            if (a.size() >= 5 && intListOf(g, a[1], t.shape)) {
                t.layout = layout;
                t.requiresGrad = boolOf(g, a[2]).value_or(false);
                const ValueId values = a[a.size() - 2];
                if (isTensor(g, values))
                    t.dtype = g.tensor(values).dtype;
                t.components = c.args;
                return finish(std::move(t));
            }
        }
        const auto parts = seqOf(g, a[1]);
        if (parts == nullptr || parts->size() < 3)
            return kNullValue;
        // size is the last item, or the one before a trailing bool (is_coalesced)
        std::size_t sizeAt = parts->size() - 1;
        if (g.kind((*parts)[sizeAt]) == ValueKind::Bool)
            --sizeAt;
        if (!intListOf(g, (*parts)[sizeAt], t.shape) || sizeAt == 0)
            return kNullValue;
        const ValueId values = (*parts)[sizeAt - 1];
        if (isTensor(g, values))
            t.dtype = g.tensor(values).dtype;
        t.layout = layout;
        t.components = a[1];
        return finish(std::move(t));
    }
    if (n == "_rebuild_meta_tensor_no_storage") // (dtype, size, stride, requires_grad)
        return storageless(3, 0, 1, 3, TensorLayout::Meta) ? finish(std::move(t)) : kNullValue;
    if (n == "_rebuild_device_tensor_from_numpy" || n == "_rebuild_xla_tensor" || n == "_rebuild_device_tensor_from_cpu_tensor") {
        if (a.size() < 2)
            return kNullValue;
        t.dtype = dtypeOfGlobal(g, a[1]);
        t.layout = TensorLayout::Other;
        t.requiresGrad = a.size() > 3 && boolOf(g, a[3]).value_or(false);
        if (g.valid(a[0]) && g.kind(a[0]) == ValueKind::NdArray)
            t.shape = g.ndarray(a[0]).shape;
        else if (isTensor(g, a[0]))
            t.shape = g.tensor(a[0]).shape;
        t.components = a[0];
        return finish(std::move(t));
    }
    if (n == "_rebuild_wrapper_subclass") {
        // (cls, dtype, size, stride, storage_offset, layout, device, requires_grad)
        if (!storageless(5, 1, 2, 7, TensorLayout::Other))
            return kNullValue;
        t.storageOffset = intOf(g, a[4]).value_or(0);
        return finish(std::move(t));
    }
    if (n == "_rebuild_nested_tensor") {
        // (buffer, sizes, strides, storage_offsets): the shape is per component
        if (a.size() < 4 || !isTensor(g, a[0]))
            return kNullValue;
        t.dtype = g.tensor(a[0]).dtype;
        t.layout = TensorLayout::Nested;
        if (isTensor(g, a[1]) && !g.tensor(a[1]).shape.empty())
            t.shape = { g.tensor(a[1]).shape[0] };
        t.components = c.args;
        return finish(std::move(t));
    }
    return kNullValue;
}

// torch.storage._load_from_bytes(b): a complete legacy torch.save blob of one storage.
Result<ValueId> loadFromBytes(Document& doc, ValueId args)
{
    ValueGraph& g = doc.graph;
    const auto a = seqOf(g, args);
    if (a == nullptr || a->size() != 1 || t_blobDepth >= kMaxBlobDepth || !doc.source)
        return kNullValue;
    const ValueId blob = (*a)[0];
    if (!g.valid(blob) || (g.kind(blob) != ValueKind::Bytes && g.kind(blob) != ValueKind::ByteArray))
        return kNullValue;
    std::span<const std::byte> bytes = g.bytes(blob);
    Placement where;
    const auto file = doc.source->bytes();
    const auto* fileBegin = file.data();
    if (!file.empty() && bytes.data() >= fileBegin && bytes.data() + bytes.size() <= fileBegin + file.size()) {
        where.base = static_cast<std::uint64_t>(bytes.data() - fileBegin);
    } else {
        bytes = doc.source->keep(std::vector<std::byte>(bytes.begin(), bytes.end()));
        where.kept = static_cast<std::int32_t>(doc.source->keptCount() - 1);
    }
    if (!startsWithLegacyMagic(bytes))
        return kNullValue;
    ++t_blobDepth;
    auto result = loadLegacyStream(doc, bytes, where, LoadOptions {}, nullptr, nullptr);
    --t_blobDepth;
    if (!result.ok()) {
        doc.diagnostics.push_back({ Severity::Warning, g.offset(blob),
            "torch.storage._load_from_bytes: embedded checkpoint not decoded: " + result.error().message });
        return kNullValue;
    }
    return result.value();
}

// The hooks as named functors, so that installing them twice on one machine (runPickle does it
// for every program) does not stack a second copy.
struct ValueReduceHook {
    Document* doc;
    std::function<Result<ValueId>(const GlobalRecord&, ValueId, ValueId, ValueId, ObjectVia, std::uint64_t)> previous;

    Result<ValueId> operator()(const GlobalRecord& callable, ValueId callableId, ValueId args, ValueId kwargs, ObjectVia via,
        std::uint64_t offset) const
    {
        ValueId typed = kNullValue;
        if (isRebuildModule(callable.module)) {
            PS_ASSIGN(typed, rebuild(*doc, Call { callable.name, callableId, args, kwargs, via, offset }, 0));
        } else if (callable.module == "torch.storage" && callable.name == "_load_from_bytes") {
            PS_ASSIGN(typed, loadFromBytes(*doc, args));
        } else if (callable.module.rfind("numpy", 0) == 0) {
            PS_ASSIGN(typed, numpy::reduce(doc->graph, callable, callableId, args, kwargs, via, offset));
        }
        if (!isNull(typed) || !previous)
            return typed;
        return previous(callable, callableId, args, kwargs, via, offset);
    }
};

struct ValueBuildHook {
    Document* doc;
    std::function<Result<bool>(ValueId, ValueId, std::uint64_t)> previous;

    Result<bool> operator()(ValueId target, ValueId state, std::uint64_t offset) const
    {
        ValueGraph& g = doc->graph;
        if (g.valid(target)) {
            if (g.kind(target) == ValueKind::NdArray)
                return numpy::build(g, target, state, offset);
            if (g.kind(target) == ValueKind::Tensor || g.kind(target) == ValueKind::Storage) {
                g.setExtraState(target, state); // e.g. a Parameter's or legacy tensor's state
                return true;
            }
        }
        return previous ? previous(target, state, offset) : Result<bool>(false);
    }
};

} // namespace

void installValueHooks(MachineHooks& hooks, Document& doc)
{
    if (const auto* installed = hooks.reduce.target<ValueReduceHook>(); installed == nullptr || installed->doc != &doc)
        hooks.reduce = ValueReduceHook { &doc, hooks.reduce };
    if (const auto* installed = hooks.build.target<ValueBuildHook>(); installed == nullptr || installed->doc != &doc)
        hooks.build = ValueBuildHook { &doc, hooks.build };
}

} // namespace core::torch
