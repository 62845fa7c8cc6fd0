#include "core/formats/joblib_reader.h"

#include "core/formats/decompress.h"
#include "core/formats/detect_format.h"
#include "core/loader.h"
#include "core/numpy/ndarray_reconstruct.h"
#include "core/value/value_access.h"

#include <QFile>

#include <algorithm>

namespace core::formats {

namespace {

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
    const auto shapeItems = seqOf(g, dictGet(g, state, "shape"));
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

// Writes over [p, p + n) an opcode that pushes those bytes as one value, then POP ('0'): the
// program stays valid and keeps its length. False when n cannot be masked (1 byte, or a str
// over 4 GiB before protocol 3).
bool maskRun(std::byte* p, std::uint64_t n, int protocol)
{
    auto put = [p](std::uint64_t at, std::uint64_t value, int bytes) {
        for (int i = 0; i < bytes; ++i)
            p[at + std::uint64_t(i)] = static_cast<std::byte>((value >> (8 * i)) & 0xFF);
    };
    if (n < 2)
        return false;
    if (n == 2) {
        p[0] = std::byte { 'N' }; // NONE
    } else if (n - 3 <= 0xFF) {
        p[0] = std::byte { static_cast<unsigned char>(protocol >= 3 ? 'C' : 'U') }; // SHORT_BIN*
        put(1, n - 3, 1);
    } else if (n - 6 <= 0xFFFFFFFFu) {
        p[0] = std::byte { static_cast<unsigned char>(protocol >= 3 ? 'B' : 'T') }; // BIN*
        put(1, n - 6, 4);
    } else if (protocol >= 4) {
        p[0] = std::byte { 0x8e }; // BINBYTES8
        put(1, n - 10, 8);
    } else {
        return false;
    }
    p[n - 1] = std::byte { '0' }; // POP
    return true;
}

// Replaces main.bytes by a copy of the same length whose skipped runs are masked (maskRun).
// Falls back to a copy without those bytes (offsets into it) when a run cannot be masked or a
// compressed stream is too large to copy twice. True when masked.
bool maskArrayBytes(Document& doc, PickleStream& main,
    const std::vector<std::pair<std::uint64_t, std::uint64_t>>& skipped, bool inflated)
{
    constexpr std::uint64_t kMaxCopy = std::uint64_t(256) << 20;
    const std::uint64_t size = main.bytes.size();
    bool maskable = true;
    std::uint64_t from = 0;
    for (const auto& [begin, end] : skipped) {
        maskable = maskable && begin >= from && end <= size && end - begin >= 2
            && (main.protocol >= 4 || end - begin - 6 <= 0xFFFFFFFFu);
        from = end;
    }
    std::byte* out = nullptr;
    std::span<const std::byte> program;
    if (maskable && !inflated && !doc.source->isRemote() && main.offset == 0
        && main.bytes.data() == doc.source->bytes().data()) {
        auto file = std::make_shared<QFile>(QString::fromStdString(doc.source->path()));
        if (file->open(QIODevice::ReadOnly) && std::uint64_t(file->size()) >= size && size > 0) {
            if (uchar* map = file->map(0, qint64(size), QFileDevice::MapPrivateOption)) {
                out = reinterpret_cast<std::byte*>(map);
                program = { out, size };
                const std::size_t kept = doc.source->keepView(program, file);
                program = doc.source->kept(kept);
            }
        }
    }
    if (out != nullptr) {
        for (const auto& [begin, end] : skipped)
            maskRun(out + begin, end - begin, main.protocol);
        main.bytes = program;
        return true;
    }
    if (maskable && size <= kMaxCopy) {
        std::vector<std::byte> copy(main.bytes.begin(), main.bytes.end());
        for (const auto& [begin, end] : skipped)
            maskRun(copy.data() + begin, end - begin, main.protocol);
        main.bytes = doc.source->keep(std::move(copy));
        return true;
    }
    std::vector<std::byte> cut;
    from = 0;
    for (const auto& [begin, end] : skipped) {
        if (begin < from || begin > size)
            break;
        cut.insert(cut.end(), main.bytes.begin() + static_cast<std::ptrdiff_t>(from),
            main.bytes.begin() + static_cast<std::ptrdiff_t>(begin));
        from = std::min<std::uint64_t>(end, size);
    }
    cut.insert(cut.end(), main.bytes.begin() + static_cast<std::ptrdiff_t>(from), main.bytes.end());
    main.bytes = doc.source->keep(std::move(cut));
    main.offset = 0;
    main.inflated = true;
    return false;
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
    // The main program as a pickle reader sees it: the array bytes are not opcodes, so each
    // run of them is masked, in a copy, by an opcode that pushes it as one bytes (or, before
    // protocol 3, str) value and a POP. The copy has the stream's length, so scan and the
    // opcode trace give the stream's offsets (the file's, for an uncompressed file). A local
    // file is copied as a private copy-on-write mapping: only the pages patched are copied.
    PickleStream& main = doc.pickles[doc.mainPickle];
    if (!ctx.skipped.empty()) {
        const bool masked = maskArrayBytes(doc, main, ctx.skipped, inflated);
        doc.diagnostics.push_back({ Severity::Info, 0,
            std::to_string(ctx.arrays) + " numpy array(s) stored inline after joblib wrappers; "
                + (masked
                        ? "the opcode listing shows each run of their bytes as one "
                          "BINBYTES + POP (they are not opcodes)"
                        : "the opcode listing leaves their bytes out (offsets: into that copy)") });
    }
    return {};
}

} // namespace core::formats
