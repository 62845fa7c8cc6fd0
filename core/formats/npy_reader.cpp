#include "core/formats/npy_reader.h"

#include "core/torch/zip_archive.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace core::formats {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicSize = 6;

// ---- the header's Python literal -------------------------------------------------------------

struct Tok {
    enum Kind : std::uint8_t { Open, Close, Colon, Comma, Str, Int, Name, End, Bad } kind = End;
    char bracket = 0; // Open / Close: the character
    std::size_t begin = 0, end = 0; // in the header text
    std::string text; // Str: the unescaped-enough text (escapes dropped, the next char kept)
    std::int64_t value = 0; // Int
};

// Python literal tokens: strings ('…' "…", optional u/b prefix), ints (optionally negative),
// True / False / None, brackets, ':' and ','. Anything else is Bad (nothing is evaluated).
class LiteralLexer {
public:
    explicit LiteralLexer(std::string_view s)
        : m_s(s)
    {
    }
    Tok next()
    {
        while (m_i < m_s.size()
            && (m_s[m_i] == ' ' || m_s[m_i] == '\t' || m_s[m_i] == '\n' || m_s[m_i] == '\r'))
            ++m_i;
        Tok t;
        t.begin = m_i;
        if (m_i >= m_s.size()) {
            t.end = m_i;
            return t;
        }
        const char c = m_s[m_i];
        auto one = [&](Tok::Kind k) {
            t.kind = k;
            t.bracket = c;
            t.end = ++m_i;
            return t;
        };
        switch (c) {
        case '{':
        case '(':
        case '[':
            return one(Tok::Open);
        case '}':
        case ')':
        case ']':
            return one(Tok::Close);
        case ':':
            return one(Tok::Colon);
        case ',':
            return one(Tok::Comma);
        default:
            break;
        }
        std::size_t q = m_i;
        if ((c == 'u' || c == 'b') && q + 1 < m_s.size()
            && (m_s[q + 1] == '\'' || m_s[q + 1] == '"'))
            ++q;
        if (m_s[q] == '\'' || m_s[q] == '"') {
            const char quote = m_s[q];
            std::size_t i = q + 1;
            while (i < m_s.size() && m_s[i] != quote) {
                if (m_s[i] == '\\' && i + 1 < m_s.size())
                    ++i;
                t.text += m_s[i++];
            }
            if (i >= m_s.size()) {
                t.kind = Tok::Bad;
                t.end = m_s.size();
                return t;
            }
            m_i = i + 1;
            t.kind = Tok::Str;
            t.end = m_i;
            return t;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            const auto r = std::from_chars(m_s.data() + m_i, m_s.data() + m_s.size(), t.value);
            if (r.ec != std::errc()) {
                t.kind = Tok::Bad;
                t.end = m_i + 1;
                return t;
            }
            m_i = static_cast<std::size_t>(r.ptr - m_s.data());
            if (m_i < m_s.size() && (m_s[m_i] == 'L' || m_s[m_i] == 'l')) // Python 2 longs
                ++m_i;
            t.kind = Tok::Int;
            t.end = m_i;
            return t;
        }
        std::size_t i = m_i;
        while (i < m_s.size()
            && ((m_s[i] >= 'A' && m_s[i] <= 'Z') || (m_s[i] >= 'a' && m_s[i] <= 'z')))
            ++i;
        const std::string_view word = m_s.substr(m_i, i - m_i);
        if (word == "True" || word == "False" || word == "None") {
            t.kind = Tok::Name;
            t.text = std::string(word);
            m_i = i;
            t.end = i;
            return t;
        }
        t.kind = Tok::Bad;
        t.end = m_i + 1;
        return t;
    }

private:
    std::string_view m_s;
    std::size_t m_i = 0;
};

struct DictEntry {
    std::string key;
    std::size_t keyAt = 0;
    std::size_t first = 0, last = 0; // token indexes [first, last) of the value
};

std::uint64_t le(const std::byte* p, int n)
{
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i)
        v = (v << 8) | std::to_integer<std::uint64_t>(p[i]);
    return v;
}

bool hasObject(const numpy::NumpyDType& d)
{
    return std::any_of(
        d.nodes.begin(), d.nodes.end(), [](const numpy::DTypeNode& n) { return n.kind == 'O'; });
}

// numpy's descr_to_dtype drops the padding of a struct: fields named '' of a plain void type
// (dtype.descr writes them for aligned structs and explicit offsets); the others keep offsets.
void dropPaddingFields(numpy::NumpyDType& d)
{
    for (numpy::DTypeNode& n : d.nodes) {
        std::erase_if(n.fields, [&d](const numpy::DTypeField& f) {
            const numpy::DTypeNode& fn = d.nodes[f.node];
            return f.name.empty() && fn.kind == 'V' && fn.fields.empty()
                && fn.subBase == numpy::kNoNode;
        });
    }
}

// The numpy.dtype object numpy would pickle for `d` (REDUCE numpy.dtype (str, False, True) +
// BUILD (3, byteorder, subarray, names, fields, elsize, alignment, flags)), built in `g` so
// that NdArrayRecord::dtypeValue reads as for a pickled array. Children first, by a worklist.
ValueId addDTypeValue(ValueGraph& g, const numpy::NumpyDType& d, std::uint64_t at)
{
    const std::size_t n = d.nodes.size();
    std::vector<ValueId> built(n, kNullValue);
    const ValueId dtypeClass = g.addGlobal("numpy", "dtype", "numpy", "dtype", at);
    std::vector<std::pair<std::uint32_t, bool>> work { { 0u, false } };
    std::size_t steps = 0;
    while (!work.empty()) {
        const auto [i, expanded] = work.back();
        work.pop_back();
        if (++steps > 4 * numpy::kMaxDTypeNodes + 16 || i >= n)
            return kNullValue; // not a tree
        const numpy::DTypeNode& node = d.nodes[i];
        if (!expanded) {
            work.push_back({ i, true });
            if (node.subBase != numpy::kNoNode && isNull(built[node.subBase]))
                work.push_back({ node.subBase, false });
            for (const numpy::DTypeField& f : node.fields)
                if (f.node < n && isNull(built[f.node]))
                    work.push_back({ f.node, false });
            continue;
        }
        if (!isNull(built[i]))
            continue;
        const ValueId none = g.addNone(at);
        ValueId subarray = none, names = none, fields = none;
        if (node.subBase != numpy::kNoNode) {
            if (node.subBase >= n || isNull(built[node.subBase]))
                return kNullValue;
            std::vector<ValueId> dims;
            for (std::int64_t dim : node.subShape)
                dims.push_back(g.addInt(dim, at));
            subarray = g.addContainer(ValueKind::Tuple, at,
                { built[node.subBase], g.addContainer(ValueKind::Tuple, at, std::move(dims)) });
        }
        if (!node.fields.empty()) {
            std::vector<ValueId> nameItems, fieldItems;
            for (const numpy::DTypeField& f : node.fields) {
                if (f.node >= n || isNull(built[f.node]))
                    return kNullValue;
                nameItems.push_back(g.addStrCopy(f.name, at));
                fieldItems.push_back(g.addStrCopy(f.name, at));
                fieldItems.push_back(g.addContainer(ValueKind::Tuple, at,
                    { built[f.node], g.addInt(static_cast<std::int64_t>(f.offset), at) }));
            }
            names = g.addContainer(ValueKind::Tuple, at, std::move(nameItems));
            fields = g.addContainer(ValueKind::Dict, at, std::move(fieldItems));
        }
        const bool flexible = node.kind == 'V' || node.kind == 'U' || node.kind == 'S';
        const ValueId args = g.addContainer(ValueKind::Tuple, at,
            { g.addStrCopy(d.str(i), at), g.addBool(false, at), g.addBool(true, at) });
        const ValueId state = g.addContainer(ValueKind::Tuple, at,
            { g.addInt(3, at), g.addStrCopy(std::string(1, node.byteOrder), at), subarray, names,
                fields, g.addInt(flexible ? static_cast<std::int64_t>(node.itemSize) : -1, at),
                g.addInt(-1, at), g.addInt(node.alignedStruct ? 0x80 : 0, at) });
        built[i] = g.addCall(ObjectVia::Reduce, dtypeClass, args, at);
        g.object(built[i]).state = state; // what BUILD gives an object
    }
    return built[0];
}

Error headerError(std::uint64_t at, std::string message)
{
    return makeError(ErrorCode::Format, at, "npy header: " + std::move(message));
}

} // namespace

Result<NpyHeader> parseNpyHeader(std::span<const std::byte> npy, std::uint64_t base)
{
    NpyHeader h;
    if (npy.size() < kMagicSize + 2 || std::memcmp(npy.data(), kMagic, kMagicSize) != 0)
        return makeError(ErrorCode::Format, base,
            "npy: the file does not start with the magic \\x93NUMPY and a version");
    h.major = std::to_integer<int>(npy[6]);
    h.minor = std::to_integer<int>(npy[7]);
    if (h.major < 1 || h.major > 3 || h.minor != 0)
        return makeError(ErrorCode::Unsupported, base + 6,
            "npy: format version " + std::to_string(h.major) + "." + std::to_string(h.minor)
                + " (numpy writes 1.0, 2.0 and 3.0)");
    const int lengthBytes = h.major == 1 ? 2 : 4;
    if (npy.size() - 8 < std::size_t(lengthBytes))
        return makeError(
            ErrorCode::Truncated, base + 8, "npy: the file ends inside the header length");
    h.headerLength = le(npy.data() + 8, lengthBytes);
    h.headerOffset = 8 + std::uint64_t(lengthBytes);
    if (h.headerLength > kMaxNpyHeader)
        return makeError(ErrorCode::LimitExceeded, base + 8,
            "npy: the header length " + std::to_string(h.headerLength) + " is over the limit of "
                + std::to_string(kMaxNpyHeader) + " bytes");
    if (h.headerLength > npy.size() - h.headerOffset)
        return makeError(ErrorCode::Truncated, base + 8,
            "npy: the header length " + std::to_string(h.headerLength)
                + " runs past the end of the file (" + std::to_string(npy.size() - h.headerOffset)
                + " bytes follow it)");
    h.dataOffset = h.headerOffset + h.headerLength;
    const std::string_view text(
        reinterpret_cast<const char*>(npy.data() + h.headerOffset), h.headerLength);
    const std::uint64_t at0 = base + h.headerOffset;

    // Versions 1 and 2 hold latin-1 (numpy writes ASCII); 3 holds UTF-8, whose non-ASCII bytes
    // can only be inside strings (field names), which the lexer passes through.
    LiteralLexer lex(text);
    std::vector<Tok> toks;
    for (;;) {
        Tok t = lex.next();
        if (t.kind == Tok::Bad)
            return headerError(at0 + t.begin, "not a Python literal at this character");
        const bool end = t.kind == Tok::End;
        toks.push_back(std::move(t));
        if (end)
            break;
    }
    // { 'key': value, ... } with each value's tokens found by bracket matching (no recursion).
    std::size_t i = 0;
    if (toks[i].kind != Tok::Open || toks[i].bracket != '{')
        return headerError(at0 + toks[i].begin, "not a dict literal");
    ++i;
    std::vector<DictEntry> entries;
    while (!(toks[i].kind == Tok::Close && toks[i].bracket == '}')) {
        if (toks[i].kind != Tok::Str)
            return headerError(at0 + toks[i].begin, "a dict key that is not a string");
        DictEntry e;
        e.key = toks[i].text;
        e.keyAt = toks[i].begin;
        ++i;
        if (toks[i].kind != Tok::Colon)
            return headerError(at0 + toks[i].begin, "':' expected after '" + e.key + "'");
        ++i;
        e.first = i;
        std::vector<char> open;
        do {
            const Tok& t = toks[i];
            if (t.kind == Tok::End)
                return headerError(at0 + t.begin, "the dict literal is not closed");
            if (t.kind == Tok::Open) {
                open.push_back(t.bracket == '(' ? ')' : t.bracket == '[' ? ']' : '}');
            } else if (t.kind == Tok::Close) {
                if (open.empty() || open.back() != t.bracket)
                    return headerError(at0 + t.begin, "unbalanced brackets");
                open.pop_back();
            } else if ((t.kind == Tok::Colon || t.kind == Tok::Comma) && i == e.first) {
                return headerError(at0 + t.begin, "a value is missing after '" + e.key + "'");
            }
            ++i;
        } while (!open.empty());
        e.last = i;
        for (const DictEntry& seen : entries)
            if (seen.key == e.key)
                return headerError(at0 + e.keyAt, "the key '" + e.key + "' appears twice");
        entries.push_back(std::move(e));
        if (toks[i].kind == Tok::Comma)
            ++i;
        else if (!(toks[i].kind == Tok::Close && toks[i].bracket == '}'))
            return headerError(at0 + toks[i].begin, "',' or '}' expected");
    }
    ++i;
    if (toks[i].kind != Tok::End)
        return headerError(at0 + toks[i].begin, "text after the dict literal");
    const DictEntry *descr = nullptr, *fortran = nullptr, *shape = nullptr;
    for (const DictEntry& e : entries) {
        if (e.key == "descr")
            descr = &e;
        else if (e.key == "fortran_order")
            fortran = &e;
        else if (e.key == "shape")
            shape = &e;
        else
            return headerError(at0 + e.keyAt, "an unexpected key '" + e.key + "'");
    }
    if (descr == nullptr || fortran == nullptr || shape == nullptr)
        return headerError(at0, "the keys 'descr', 'fortran_order' and 'shape' are required");

    // fortran_order: True / False
    if (fortran->last - fortran->first != 1 || toks[fortran->first].kind != Tok::Name
        || toks[fortran->first].text == "None")
        return headerError(at0 + toks[fortran->first].begin, "fortran_order is not True or False");
    h.fortranOrder = toks[fortran->first].text == "True";

    // shape: a tuple of ints >= 0: () (3,) (2, 3) (2, 3,)
    {
        std::size_t k = shape->first;
        const std::uint64_t at = at0 + toks[k].begin;
        if (toks[k].kind != Tok::Open || toks[k].bracket != '(')
            return headerError(at, "shape is not a tuple");
        ++k;
        bool trailingComma = false;
        while (toks[k].kind == Tok::Int) {
            if (toks[k].value < 0)
                return headerError(at0 + toks[k].begin,
                    "a negative dimension " + std::to_string(toks[k].value) + " in shape");
            h.shape.push_back(toks[k].value);
            ++k;
            trailingComma = toks[k].kind == Tok::Comma;
            if (trailingComma)
                ++k;
        }
        if (k + 1 != shape->last || toks[k].kind != Tok::Close
            || (h.shape.size() == 1 && !trailingComma))
            return headerError(at, "shape is not a tuple of whole numbers");
    }
    h.count = 1;
    for (std::int64_t d : h.shape)
        if (__builtin_mul_overflow(h.count, static_cast<std::uint64_t>(d), &h.count))
            return headerError(
                at0 + toks[shape->first].begin, "the shape's element count overflows 64 bits");

    // descr: handed to the dtype parser as literal text
    h.descr = std::string(text.substr(
        toks[descr->first].begin, toks[descr->last - 1].end - toks[descr->first].begin));
    auto dtype = numpy::dtypeFromDescr(h.descr);
    if (!dtype || dtype->nodes.empty() || dtype->node().subBase != numpy::kNoNode)
        return headerError(at0 + toks[descr->first].begin,
            "descr " + h.descr.substr(0, 200) + " is not a dtype numpy reads");
    h.dtype = std::move(*dtype);
    dropPaddingFields(h.dtype);
    if (!hasObject(h.dtype)
        && __builtin_mul_overflow(h.count, h.dtype.node().itemSize, &h.dataBytes))
        return headerError(at0 + toks[shape->first].begin,
            "the data size (elements x itemsize) overflows 64 bits");
    return h;
}

Result<ValueId> readNpy(Document& doc, std::span<const std::byte> npy, std::uint64_t base,
    bool inflated, const std::string& name, const LoadOptions& options, LoadObserver* observer)
{
    PS_ASSIGN(NpyHeader h, parseNpyHeader(npy, base));
    ValueGraph& g = doc.graph;
    const std::span<const std::byte> rest = npy.subspan(h.dataOffset);
    const std::uint64_t dataAt = base + h.dataOffset;
    if (hasObject(h.dtype)) {
        // np.save pickles the whole array (protocol 3): run it as a program of the document.
        PickleMachine machine(g, options);
        machine.setObserver(observer);
        auto result = runPickle(doc, machine, name, rest, dataAt, inflated);
        if (!result.ok()) {
            const Error error = result.takeError();
            const auto& partial = machine.stackAtError();
            if (!doc.error)
                doc.error = error;
            doc.diagnostics.push_back({ Severity::Error, error.offset,
                "the object array pickle of " + name + " stops: " + error.message });
            return partial.empty() ? g.addNone(dataAt)
                                   : g.addContainer(ValueKind::Tuple, error.offset, partial);
        }
        if (machine.consumed() < rest.size())
            doc.diagnostics.push_back({ Severity::Warning, dataAt + machine.consumed(),
                std::to_string(rest.size() - machine.consumed()) + " bytes after the pickle of "
                    + name });
        return result.value();
    }
    if (h.dataBytes > rest.size())
        return makeError(ErrorCode::Truncated, dataAt,
            "npy: " + std::to_string(h.count) + " elements of " + h.dtype.str() + " need "
                + std::to_string(h.dataBytes) + " bytes; " + std::to_string(rest.size())
                + " follow the header");
    if (h.dataBytes < rest.size())
        doc.diagnostics.push_back({ Severity::Warning, dataAt + h.dataBytes,
            std::to_string(rest.size() - h.dataBytes) + " bytes after the data of " + name });
    NdArrayRecord rec;
    rec.dtype = h.dtype.elementType();
    rec.byteOrder = h.dtype.structured() ? '|' : h.dtype.node().byteOrder;
    rec.itemSize
        = static_cast<std::uint32_t>(std::min<std::uint64_t>(h.dtype.node().itemSize, 0xFFFFFFFFu));
    rec.shape = h.shape;
    rec.fortranOrder = h.fortranOrder;
    rec.dtypeText = g.intern(h.dtype.str());
    rec.dtypeValue = addDTypeValue(g, h.dtype, base + h.headerOffset);
    rec.data = g.addBytesView(rest.first(h.dataBytes), ValueKind::Bytes, dataAt);
    return g.addNdArray(std::move(rec), base);
}

Result<void> loadNpy(Document& doc, const LoadOptions& options, LoadObserver* observer)
{
    PS_ASSIGN(
        doc.root, readNpy(doc, doc.source->bytes(), 0, false, "array pickle", options, observer));
    if (doc.pickles.empty())
        doc.diagnostics.push_back({ Severity::Info, 0,
            "a numeric .npy holds no pickle: no code can run when it is loaded" });
    else
        doc.protocol = doc.pickles.front().protocol;
    return {};
}

Result<void> loadNpz(Document& doc, const LoadOptions& options, LoadObserver* observer)
{
    const auto file = doc.source->bytes();
    PS_ASSIGN(auto zip, torch::ZipArchive::open(file, doc.source.get()));
    if (zip.recovery().used)
        doc.diagnostics.push_back({ Severity::Warning, zip.recovery().reasonOffset,
            "npz: the zip directory is damaged (" + zip.recovery().reason
                + "); members were read from their local headers" });
    ValueGraph& g = doc.graph;
    std::vector<ValueId> items;
    for (const torch::ZipEntry& entry : zip.entries()) {
        ArchiveEntry listed;
        listed.name = entry.name;
        listed.offset = entry.dataOffset;
        listed.size = entry.size;
        listed.compressedSize = entry.compressedSize;
        listed.compressed = entry.method != 0;
        doc.entries.push_back(listed);
        std::string key = entry.name;
        if (key.size() > 4 && key.ends_with(".npy"))
            key.resize(key.size() - 4);
        if (observer != nullptr && observer->isCancelled())
            return makeError(ErrorCode::Cancelled, entry.localHeaderOffset, "cancelled");
        items.push_back(g.addStrCopy(key, entry.localHeaderOffset));
        if (!entry.dataOk) {
            doc.recovered = true;
            doc.diagnostics.push_back({ Severity::Warning, entry.localHeaderOffset,
                "npz member " + entry.name + " cannot be read: "
                    + (entry.cut ? std::string("the file ends inside it") : entry.dataError) });
            items.push_back(g.addNone(entry.localHeaderOffset));
            continue;
        }
        std::span<const std::byte> bytes;
        std::uint64_t base = entry.dataOffset;
        const bool inflated = entry.method != 0;
        if (inflated) {
            PS_ASSIGN(auto plain, zip.inflate(entry, options.limits.maxMaterializedBytes));
            bytes = doc.source->keep(std::move(plain));
            base = 0;
        } else {
            PS_TRY(doc.source->ensure(entry.dataOffset, entry.size));
            PS_ASSIGN(bytes, zip.storedBytes(entry));
        }
        const bool isNpy
            = bytes.size() >= kMagicSize && std::memcmp(bytes.data(), kMagic, kMagicSize) == 0;
        if (!isNpy) {
            // numpy.load gives the raw bytes of a member that is not an .npy
            items.push_back(g.addBytesView(bytes, ValueKind::Bytes, entry.dataOffset));
            continue;
        }
        auto array = readNpy(doc, bytes, base, inflated, entry.name, options, observer);
        if (!array.ok()) {
            Error e = array.takeError();
            if (inflated) {
                e.message = "npz member " + entry.name + " (deflated), at byte "
                    + std::to_string(e.offset) + " of its data: " + e.message;
                e.offset = entry.dataOffset;
            } else {
                e.message = "npz member " + entry.name + ": " + e.message;
            }
            return e;
        }
        items.push_back(array.value());
    }
    doc.root = g.addContainer(ValueKind::Dict, 0, std::move(items));
    if (doc.pickles.empty())
        doc.diagnostics.push_back({ Severity::Info, 0,
            "a numeric .npz holds no pickle: no code can run when it is loaded" });
    else
        doc.protocol = doc.pickles.front().protocol;
    return {};
}

} // namespace core::formats
