#include "core/formats/joblib_reader.h"

#include "core/formats/decompress.h"
#include "core/formats/detect_format.h"
#include "core/loader.h"
#include "core/numpy/ndarray_reconstruct.h"
#include "core/torch/value_access.h"

#include <algorithm>

namespace core::formats {

namespace {

using torch::dictGet;
using torch::intOf;
using torch::seqOf;
using torch::textOf;

bool isWrapper(const ValueGraph& g, ValueId id, std::string_view name)
{
    if (!g.valid(id) || g.kind(id) != ValueKind::Object)
        return false;
    const ValueId callable = g.object(id).callable;
    if (!g.valid(callable) || g.kind(callable) != ValueKind::Global)
        return false;
    const GlobalRecord& global = g.global(callable);
    return global.name == name
        && (global.module == "joblib.numpy_pickle"
            || global.module == "sklearn.externals.joblib.numpy_pickle"
            || global.module == "joblib.numpy_pickle_compat"
            || global.module == "sklearn.externals.joblib.numpy_pickle_compat");
}

struct JoblibContext {
    Document& doc;
    const LoadOptions& options;
    LoadObserver* observer;
    std::uint64_t base = 0; // offset of the pickle's first byte
    bool inflated = false; // the stream was decompressed (offsets are into it, not the file)
    std::vector<std::pair<std::uint64_t, std::uint64_t>>
        skipped; // [begin, end) of the stream, relative
    std::size_t arrays = 0;
};

Result<std::uint64_t> afterBuild(JoblibContext& ctx, ValueId target,
    std::span<const std::byte> rest, std::uint64_t restOffset, ValueId& replacement)
{
    ValueGraph& g = ctx.doc.graph;
    if (isWrapper(g, target, "NDArrayWrapper") || isWrapper(g, target, "ZNDArrayWrapper")) {
        const ValueId state = g.object(target).state;
        const auto file = textOf(g, dictGet(g, state, "filename"));
        ctx.doc.diagnostics.push_back({ Severity::Warning, restOffset,
            "an array of joblib < 0.10 stored in a separate file"
                + (file ? " '" + std::string(*file) + "'" : std::string()) + ": not read" });
        return std::uint64_t(0);
    }
    if (!isWrapper(g, target, "NumpyArrayWrapper"))
        return std::uint64_t(0);
    const ValueId state = g.object(target).state;
    const ValueId dtypeValue = dictGet(g, state, "dtype");
    const auto info = numpy::dtypeInfo(g, dtypeValue);
    if (!info)
        return makeError(
            ErrorCode::BadValue, restOffset, "joblib: a NumpyArrayWrapper without a numpy dtype");
    const auto* shapeItems = seqOf(g, dictGet(g, state, "shape"));
    if (shapeItems == nullptr)
        return makeError(
            ErrorCode::BadValue, restOffset, "joblib: a NumpyArrayWrapper without a shape tuple");
    NdArrayRecord rec;
    rec.dtype = info->type;
    rec.byteOrder = info->byteOrder;
    rec.itemSize = info->itemSize;
    rec.dtypeValue = dtypeValue;
    rec.dtypeText = g.intern(info->text);
    rec.rebuild = target;
    std::uint64_t count = 1;
    for (ValueId d : *shapeItems) {
        const auto v = intOf(g, d);
        if (!v || *v < 0 || __builtin_mul_overflow(count, static_cast<std::uint64_t>(*v), &count))
            return makeError(ErrorCode::BadValue, restOffset,
                "joblib: a NumpyArrayWrapper shape that is not whole numbers >= 0");
        rec.shape.push_back(*v);
    }
    rec.fortranOrder
        = textOf(g, dictGet(g, state, "order")) == std::optional<std::string_view>("F");
    const std::uint64_t at = restOffset - ctx.base; // relative to the stream
    if (info->type == DType::Object) {
        // A nested protocol-2 pickle of the array: run as a program of its own (and scanned).
        PickleMachine machine(g, ctx.options);
        machine.setObserver(ctx.observer);
        PS_ASSIGN(const ValueId array,
            runPickle(ctx.doc, machine, "array pickle at " + std::to_string(restOffset), rest,
                restOffset, ctx.inflated));
        replacement = array;
        ctx.skipped.emplace_back(at, at + machine.consumed());
        ++ctx.arrays;
        return static_cast<std::uint64_t>(machine.consumed());
    }
    std::uint64_t pos = 0;
    const ValueId alignment = dictGet(g, state, "numpy_array_alignment_bytes");
    if (g.valid(alignment) && g.kind(alignment) != ValueKind::None) {
        if (rest.empty())
            return makeError(
                ErrorCode::Truncated, restOffset, "joblib: the array's padding byte is missing");
        const auto padding = std::to_integer<std::uint64_t>(rest[0]);
        if (padding > rest.size() - 1)
            return makeError(ErrorCode::Truncated, restOffset,
                "joblib: the array's padding runs past the end of the stream");
        pos = 1 + padding;
    }
    std::uint64_t bytes = 0;
    if (rec.itemSize == 0 || __builtin_mul_overflow(count, rec.itemSize, &bytes)
        || bytes > rest.size() - pos)
        return makeError(ErrorCode::Truncated, restOffset + pos,
            "joblib: the array of " + std::to_string(count) + " elements of " + info->text
                + " runs past the end of the stream");
    rec.data = g.addBytesView(rest.subspan(pos, bytes), ValueKind::Bytes, restOffset + pos);
    replacement = g.addNdArray(std::move(rec), restOffset);
    ctx.skipped.emplace_back(at, at + pos + bytes);
    ++ctx.arrays;
    return pos + bytes;
}

} // namespace

Result<void> loadJoblib(Document& doc, const LoadOptions& options, LoadObserver* observer)
{
    std::span<const std::byte> stream = doc.source->bytes();
    const std::string_view compression = joblibCompression(stream);
    bool inflated = false;
    if (!compression.empty()) {
        PS_ASSIGN(auto plain, decompress(stream, compression, options.limits.maxMaterializedBytes));
        stream = doc.source->keep(std::move(plain));
        inflated = true;
        doc.diagnostics.push_back({ Severity::Info, 0,
            "joblib file compressed with " + std::string(compression) + ": "
                + std::to_string(stream.size())
                + " bytes once decompressed; offsets are into the decompressed stream" });
    }
    JoblibContext ctx { doc, options, observer, 0, inflated, {}, 0 };
    PickleMachine machine(doc.graph, options);
    machine.setObserver(observer);
    machine.hooks().afterBuild = [&ctx](ValueId target, std::span<const std::byte> rest,
                                     std::uint64_t restOffset, ValueId& replacement) {
        return afterBuild(ctx, target, rest, restOffset, replacement);
    };
    auto root = runPickle(doc, machine, "pickle", stream, 0, inflated);
    doc.mainPickle = doc.pickles.empty() ? 0 : doc.pickles.size() - 1;
    if (!doc.pickles.empty())
        doc.protocol = doc.pickles[doc.mainPickle].protocol;
    if (!root.ok()) {
        if (doc.pickles.empty())
            return root.takeError();
        doc.error = root.takeError();
        return {};
    }
    doc.root = root.value();
    // The main program as a pickle reader sees it: the array bytes cut out (they are not
    // opcodes), so that scan and the opcode trace walk it (offsets: into this copy).
    PickleStream& main = doc.pickles[doc.mainPickle];
    if (!ctx.skipped.empty()) {
        std::vector<std::byte> program;
        std::uint64_t from = 0;
        for (const auto& [begin, end] : ctx.skipped) {
            if (begin < from || begin > main.bytes.size())
                break;
            program.insert(program.end(), main.bytes.begin() + static_cast<std::ptrdiff_t>(from),
                main.bytes.begin() + static_cast<std::ptrdiff_t>(begin));
            from = std::min<std::uint64_t>(end, main.bytes.size());
        }
        program.insert(program.end(), main.bytes.begin() + static_cast<std::ptrdiff_t>(from),
            main.bytes.end());
        main.bytes = doc.source->keep(std::move(program));
        main.offset = 0;
        main.inflated = true;
        doc.diagnostics.push_back({ Severity::Info, 0,
            std::to_string(ctx.arrays)
                + " numpy array(s) stored inline after joblib wrappers; the opcode listing leaves "
                  "their bytes out" });
    }
    return {};
}

} // namespace core::formats
