#include "core/numpy/ndarray_reconstruct.h"

#include "core/numpy/numpy_dtype.h"
#include "core/torch/element_decode.h"
#include "core/value/value_access.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace core::numpy {

namespace {

bool isNumpyModule(std::string_view module, std::string_view leaf)
{
    // numpy.core.<leaf>, numpy._core.<leaf>
    return module == std::string("numpy.core.") + std::string(leaf) || module == std::string("numpy._core.") + std::string(leaf);
}

} // namespace

std::optional<DTypeInfo> dtypeInfo(const ValueGraph& g, ValueId id)
{
    const auto d = dtypeFromValue(g, id);
    if (!d)
        return std::nullopt;
    DTypeInfo info;
    info.type = d->elementType();
    info.byteOrder = d->node().byteOrder;
    if (d->structured() || d->node().subBase != kNoNode)
        info.byteOrder = '|';
    info.itemSize = static_cast<std::uint32_t>(std::min<std::uint64_t>(d->node().itemSize, 0xFFFFFFFFu));
    info.text = d->str();
    return info;
}

namespace {

// Fills rec from (shape, dtype, fortran, data); false when the pieces do not fit.
bool fillArray(const ValueGraph& g, NdArrayRecord& rec, ValueId shape, ValueId dtype, bool fortran, ValueId data)
{
    const auto info = dtypeInfo(g, dtype);
    if (!info)
        return false;
    std::vector<std::int64_t> dims;
    if (!intListOf(g, shape, dims)) {
        const auto one = intOf(g, shape); // a bare int shape
        if (!one)
            return false;
        dims = { *one };
    }
    rec.dtype = info->type;
    rec.byteOrder = info->byteOrder;
    rec.itemSize = info->itemSize;
    rec.shape = std::move(dims);
    rec.fortranOrder = fortran;
    rec.data = data;
    rec.dtypeValue = dtype;
    return true;
}

} // namespace

Result<ValueId> reduce(ValueGraph& g, const GlobalRecord& callable, ValueId callableId, ValueId args, ValueId kwargs,
    ObjectVia via, std::uint64_t offset)
{
    const bool masked = (callable.module == "numpy.ma.core" && callable.name == "_mareconstruct");
    // The original call, kept as an object (lossless).
    auto addRebuild = [&] { return g.addCall(via, callableId, args, offset, kwargs); };
    if ((isNumpyModule(callable.module, "multiarray") && callable.name == "_reconstruct")
        || masked) {
        // The array is empty until BUILD fills it.
        NdArrayRecord rec;
        rec.masked = masked;
        rec.rebuild = addRebuild();
        rec.dtypeText = g.intern("?");
        return g.addNdArray(std::move(rec), offset);
    }
    if (isNumpyModule(callable.module, "numeric") && callable.name == "_frombuffer") {
        const auto a = seqOf(g, args);
        if (a == nullptr || a->size() < 3)
            return kNullValue;
        bool fortran = false;
        if (a->size() > 3) {
            if (const auto order = textOf(g, (*a)[3]))
                fortran = *order == "F";
        }
        NdArrayRecord rec;
        if (!fillArray(g, rec, (*a)[2], (*a)[1], fortran, (*a)[0]))
            return kNullValue;
        if (const auto info = dtypeInfo(g, (*a)[1]))
            rec.dtypeText = g.intern(info->text);
        rec.rebuild = addRebuild();
        return g.addNdArray(std::move(rec), offset);
    }
    return kNullValue;
}

Result<bool> build(ValueGraph& g, ValueId target, ValueId state, std::uint64_t /*offset*/)
{
    if (!g.valid(target) || g.kind(target) != ValueKind::NdArray)
        return false;
    NdArrayRecord& rec = g.ndarray(target);
    if (!isNull(rec.rebuild) && g.kind(rec.rebuild) == ValueKind::Object)
        g.object(rec.rebuild).state = state; // lossless: the state as pickled
    const auto st = seqOf(g, state);
    if (st == nullptr)
        return true;
    // (version, shape, dtype, is_fortran, data) or the old 4-tuple without version; a masked
    // array: (version, shape, dtype, is_fortran, data, mask, fill_value)
    if (rec.masked && st->size() == 7) {
        NdArrayRecord filled = rec;
        const auto fortran = boolOf(g, (*st)[3]);
        if (fillArray(g, filled, (*st)[1], (*st)[2], fortran.value_or(false), (*st)[4])) {
            if (const auto info = dtypeInfo(g, (*st)[2]))
                filled.dtypeText = g.intern(info->text);
            filled.mask = (*st)[5];
            filled.fillValue = (*st)[6];
            rec = std::move(filled);
        }
        return true;
    }
    std::size_t base = st->size() == 5 ? 1 : 0;
    if (st->size() != 4 && st->size() != 5)
        return true;
    const auto fortran = boolOf(g, (*st)[base + 2]);
    NdArrayRecord filled = rec;
    if (fillArray(g, filled, (*st)[base], (*st)[base + 1], fortran.value_or(false), (*st)[base + 3])) {
        if (const auto info = dtypeInfo(g, (*st)[base + 1]))
            filled.dtypeText = g.intern(info->text);
        rec = std::move(filled);
    }
    return true;
}

std::optional<double> scalarValue(const ValueGraph& g, ValueId id)
{
    const GlobalRecord* c = objectCallable(g, id);
    if (c == nullptr || !isNumpyModule(c->module, "multiarray") || c->name != "scalar")
        return std::nullopt;
    const auto a = seqOf(g, g.object(id).args);
    if (a == nullptr || a->size() < 2)
        return std::nullopt;
    const auto info = dtypeInfo(g, (*a)[0]);
    if (!info || info->type == DType::Object || info->type == DType::Other)
        return std::nullopt;
    const ValueId data = (*a)[1];
    if (!g.valid(data) || (g.kind(data) != ValueKind::Bytes && g.kind(data) != ValueKind::ByteArray))
        return std::nullopt;
    const auto bytes = g.bytes(data);
    if (bytes.size() != info->itemSize || info->itemSize == 0)
        return std::nullopt;
    return core::torch::decodeElement(info->type, bytes.data(), info->byteOrder == '>');
}

std::optional<std::string> describeScalar(const ValueGraph& g, ValueId id)
{
    const auto v = scalarValue(g, id);
    if (!v)
        return std::nullopt;
    const auto a = seqOf(g, g.object(id).args);
    const auto info = dtypeInfo(g, (*a)[0]);
    const DType t = info->type;
    if (t == DType::Bool)
        return std::string(*v != 0 ? "True" : "False");
    if (t == DType::Float16 || t == DType::Float32 || t == DType::Float64 || t == DType::LongDouble
        || t == DType::Complex64 || t == DType::Complex128) {
        if (std::isnan(*v))
            return std::string("nan");
        if (std::isinf(*v))
            return std::string(*v > 0 ? "inf" : "-inf");
        char buf[64];
        // shortest round-trip text for the value's own precision
        const auto res = t == DType::Float32 ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(*v))
                                             : std::to_chars(buf, buf + sizeof buf, *v);
        std::string s(buf, res.ptr);
        if (s.find_first_of(".eEn") == std::string::npos)
            s += ".0";
        return s;
    }
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(*v));
    return std::string(buf, res.ptr);
}

} // namespace core::numpy
