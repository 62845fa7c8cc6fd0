#include "core/compare/document_compare.h"

#include "core/export/json_stream.h"
#include "core/value/access_path.h"
#include "core/value/enum_name.h"
#include "core/value/value_text.h"

#include <chrono>
#include <unordered_map>
#include <utility>

namespace core::compare {

namespace {

bool isTensorKind(ValueKind k)
{
    return k == ValueKind::Tensor || k == ValueKind::NdArray;
}

bool isContainerKind(ValueKind k)
{
    return k == ValueKind::Dict || k == ValueKind::List || k == ValueKind::Tuple
        || k == ValueKind::Set || k == ValueKind::FrozenSet || k == ValueKind::Object;
}

// Containers of the same type, or a dict against an OrderedDict: Python's == ignores that
// difference (and the order), so a torch.save'd state dict (an OrderedDict) and the same
// weights read from a .safetensors file or a sharded index (a dict) are the same container.
bool sameContainerType(const std::string& a, const std::string& b)
{
    auto mapping = [](const std::string& t) { return t == "dict" || t == "OrderedDict"; };
    return a == b || (mapping(a) && mapping(b));
}

// Every value with its path, in walk order, and the index by path.
struct PathIndex {
    std::vector<std::pair<std::string, ValueId>> order;
    std::unordered_map<std::string, std::size_t> byPath;
};

PathIndex indexPaths(const ValueGraph& g, ValueId root, const std::string& stripPrefix)
{
    PathIndex index;
    AccessPathWalk walk;
    walk.stripPrefix = stripPrefix;
    walkAccessPaths(
        g, root, "$",
        [&](ValueId id, const std::string& path) {
            // a key repeated after prefix stripping keeps its first value
            if (index.byPath.emplace(path, index.order.size()).second)
                index.order.emplace_back(path, id);
            return true;
        },
        walk);
    return index;
}

ValueId findPath(const ValueGraph& g, ValueId root, const std::string& wanted)
{
    ValueId found = kNullValue;
    walkAccessPaths(g, root, "$", [&](ValueId id, const std::string& path) {
        if (!isNull(found))
            return false;
        if (path == wanted) {
            found = id;
            return false;
        }
        // only descend where the wanted path continues
        return wanted.size() > path.size() && wanted.compare(0, path.size(), path) == 0;
    });
    return found;
}

// `path` lies strictly below `ancestor` (the next character starts a segment).
bool below(const std::string& path, const std::string& ancestor)
{
    return !ancestor.empty() && path.size() > ancestor.size()
        && path.compare(0, ancestor.size(), ancestor) == 0
        && (path[ancestor.size()] == '[' || path[ancestor.size()] == '.');
}

std::vector<std::int64_t> shapeOf(const ValueGraph& g, ValueId id)
{
    return g.kind(id) == ValueKind::Tensor ? g.tensor(id).shape : g.ndarray(id).shape;
}

std::string tensorType(const ValueGraph& g, ValueId id)
{
    if (g.kind(id) == ValueKind::Tensor)
        return std::string(dtypeName(g.tensor(id).dtype));
    const NdArrayRecord& a = g.ndarray(id);
    return a.dtype == DType::Other || a.dtype == DType::Unknown ? std::string(a.dtypeText)
                                                                : std::string(dtypeName(a.dtype));
}

std::string typeOf(const ValueGraph& g, ValueId id)
{
    if (g.kind(id) == ValueKind::Object) {
        const std::string cls = className(g, id);
        if (!cls.empty())
            return cls;
    }
    return typeLabel(g, id);
}

// Text that decides whether two non-container values are equal: their whole repr.
std::string identityText(const ValueGraph& g, ValueId id)
{
    switch (g.kind(id)) {
    case ValueKind::Str:
    case ValueKind::Bytes:
    case ValueKind::ByteArray:
        return std::string(g.text(id));
    default:
        return summary(g, id, 0);
    }
}

EntrySide sideOf(const ValueGraph& g, ValueId id, ValuesMode values)
{
    EntrySide side;
    side.id = id;
    if (isTensorKind(g.kind(id))) {
        side.type = tensorType(g, id);
        side.shape = shapeOf(g, id);
        return side;
    }
    side.type = typeOf(g, id);
    if (values != ValuesMode::None)
        side.repr = summary(g, id, values == ValuesMode::Full ? 0 : 80);
    return side;
}

// Identifies the elements a tensor shows: the same key on both sides means one comparison.
std::string viewKey(const ValueGraph& g, ValueId id)
{
    std::string key;
    if (g.kind(id) == ValueKind::Tensor) {
        const TensorRecord& t = g.tensor(id);
        if (!g.valid(t.storage))
            return "v" + std::to_string(indexOf(id));
        key = "s" + std::to_string(indexOf(t.storage)) + "+" + std::to_string(t.storageOffset) + ":"
            + std::to_string(static_cast<int>(t.dtype));
        for (auto d : t.shape)
            key += "," + std::to_string(d);
        key += "/";
        for (auto s : t.stride)
            key += "," + std::to_string(s);
        if (t.negative || t.conjugate || t.layout != TensorLayout::Strided)
            key += "#" + std::to_string(indexOf(id));
        return key;
    }
    return "v" + std::to_string(indexOf(id));
}

// Tensors without elements to read: meta tensors (dtype and shape are all they have) and numpy
// object arrays (their items are pickled values, compared by repr). 1 same, 0 changed, -1 neither.
int sameWithoutElements(const ValueGraph& ga, ValueId a, const ValueGraph& gb, ValueId b)
{
    if (ga.kind(a) == ValueKind::Tensor && gb.kind(b) == ValueKind::Tensor) {
        const TensorRecord& x = ga.tensor(a);
        const TensorRecord& y = gb.tensor(b);
        if (x.layout != TensorLayout::Meta || y.layout != TensorLayout::Meta)
            return -1;
        return x.dtype == y.dtype && x.shape == y.shape ? 1 : 0;
    }
    if (ga.kind(a) != ValueKind::NdArray || gb.kind(b) != ValueKind::NdArray)
        return -1;
    const NdArrayRecord& x = ga.ndarray(a);
    const NdArrayRecord& y = gb.ndarray(b);
    if (x.dtype != DType::Object || y.dtype != DType::Object)
        return -1;
    if (!ga.valid(x.data) || !gb.valid(y.data) || ga.kind(x.data) != ValueKind::List
        || gb.kind(y.data) != ValueKind::List)
        return -1;
    const auto& ia = ga.items(x.data);
    const auto& ib = gb.items(y.data);
    if (ia.size() != ib.size())
        return 0;
    for (std::size_t i = 0; i < ia.size(); ++i)
        if (ga.kind(ia[i]) != gb.kind(ib[i]) || identityText(ga, ia[i]) != identityText(gb, ib[i]))
            return 0;
    return 1;
}

std::vector<std::int64_t> coordinates(std::uint64_t index, const std::vector<std::int64_t>& shape)
{
    std::vector<std::int64_t> c(shape.size(), 0);
    for (std::size_t k = shape.size(); k-- > 0;) {
        const auto n = static_cast<std::uint64_t>(shape[k] > 0 ? shape[k] : 1);
        c[k] = static_cast<std::int64_t>(index % n);
        index /= n;
    }
    return c;
}

} // namespace

std::string_view statusName(Status status)
{
    constexpr std::array<std::string_view, kStatusCount> kNames { "same", "close", "changed",
        "dtype", "shape", "only_a", "only_b" };
    return enumName(status, kNames, "changed");
}

std::string_view entryKindName(EntryKind kind)
{
    constexpr std::array<std::string_view, 4> kNames { "tensor", "ndarray", "value", "container" };
    return enumName(kind, kNames, "value");
}

bool Comparison::hasDifferences() const
{
    return count(Status::Changed) + count(Status::DType) + count(Status::Shape)
        + count(Status::OnlyA) + count(Status::OnlyB)
        > 0;
}

Result<Comparison> compareDocuments(const std::shared_ptr<const Document>& docA,
    const std::shared_ptr<const Document>& docB, const CompareOptions& options)
{
    const auto started = std::chrono::steady_clock::now();
    const ValueGraph& ga = docA->graph;
    const ValueGraph& gb = docB->graph;
    ValueId rootA = docA->root, rootB = docB->root;
    if (!options.under.empty() && options.under != "$") {
        const ValueId ua = findPath(ga, rootA, options.under);
        const ValueId ub = findPath(gb, rootB, options.under);
        if (isNull(ua) && isNull(ub))
            return makeError(
                ErrorCode::BadArgument, 0, "neither file has a value at " + options.under);
        rootA = isNull(ua) ? rootA : ua;
        rootB = isNull(ub) ? rootB : ub;
    }
    const PathIndex ia = indexPaths(ga, rootA, options.stripPrefix);
    const PathIndex ib = indexPaths(gb, rootB, options.stripPrefix);

    Comparison result;
    std::vector<TensorPair> pairs;
    std::vector<std::size_t> pairEntry; // entry of each pair
    std::unordered_map<std::string, std::size_t> firstOfView; // viewKey(a)|viewKey(b) -> entry
    std::vector<std::pair<std::size_t, std::size_t>> followers; // (entry, entry it repeats)
    // An entry for a path on one side only; true when its value is a container (its sub-tree is
    // not listed path by path).
    auto addOnlyEntry
        = [&](const ValueGraph& g, ValueId id, const std::string& path, Status status) {
              Entry e;
              e.path = path;
              e.status = status;
              const ValueKind k = g.kind(id);
              e.kind = k == ValueKind::Tensor ? EntryKind::Tensor
                  : k == ValueKind::NdArray   ? EntryKind::NdArray
                  : isContainerKind(k)        ? EntryKind::Container
                                              : EntryKind::Value;
              (status == Status::OnlyA ? e.a : e.b) = sideOf(g, id, options.values);
              result.entries.push_back(std::move(e));
              return isContainerKind(k);
          };
    std::string missingA; // top of the last sub-tree only in a
    for (const auto& [path, idA] : ia.order) {
        const auto found = ib.byPath.find(path);
        if (found == ib.byPath.end()) {
            if (below(path, missingA))
                continue;
            if (options.filter && !options.filter(ga, idA, path))
                continue; // its children are looked at one by one
            if (addOnlyEntry(ga, idA, path, Status::OnlyA))
                missingA = path;
            continue;
        }
        const ValueId idB = ib.order[found->second].second;
        if (options.filter && !options.filter(ga, idA, path) && !options.filter(gb, idB, path))
            continue;
        const ValueKind ka = ga.kind(idA), kb = gb.kind(idB);
        Entry e;
        e.path = path;
        e.a = sideOf(ga, idA, options.values);
        e.b = sideOf(gb, idB, options.values);
        if (isTensorKind(ka) && isTensorKind(kb)) {
            e.kind = ka == ValueKind::Tensor ? EntryKind::Tensor : EntryKind::NdArray;
            const int special = sameWithoutElements(ga, idA, gb, idB);
            if (e.a.shape != e.b.shape) {
                e.status = Status::Shape;
            } else if (special >= 0) {
                e.status = special == 1 ? Status::Same : Status::Changed;
            } else {
                const std::string key = viewKey(ga, idA) + "|" + viewKey(gb, idB);
                const auto [it, inserted] = firstOfView.emplace(key, result.entries.size());
                if (inserted) {
                    pairs.push_back(TensorPair { idA, idB });
                    pairEntry.push_back(result.entries.size());
                } else {
                    followers.emplace_back(result.entries.size(), it->second);
                }
            }
        } else if (isContainerKind(ka) && isContainerKind(kb)) {
            e.kind = EntryKind::Container;
            e.status = sameContainerType(e.a.type, e.b.type) ? Status::Same : Status::Changed;
        } else {
            e.kind = isContainerKind(ka) && isContainerKind(kb) ? EntryKind::Container
                                                                : EntryKind::Value;
            const bool same = ka == kb && !isContainerKind(ka) && !isTensorKind(ka)
                && identityText(ga, idA) == identityText(gb, idB);
            e.status = same ? Status::Same : Status::Changed;
            if (isTensorKind(ka) || isTensorKind(kb)) { // a tensor against another kind of value
                e.a.repr = summary(ga, idA, 80);
                e.b.repr = summary(gb, idB, 80);
            }
        }
        result.entries.push_back(std::move(e));
    }
    std::string missingB;
    for (const auto& [path, idB] : ib.order) {
        if (ia.byPath.count(path) != 0 || below(path, missingB))
            continue;
        if (options.filter && !options.filter(gb, idB, path))
            continue;
        if (addOnlyEntry(gb, idB, path, Status::OnlyB))
            missingB = path;
    }

    const std::vector<TensorDifference> diffs
        = compareTensors(docA, docB, pairs, options.tolerance, options.threads);
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        Entry& e = result.entries[pairEntry[i]];
        const TensorDifference& d = diffs[i];
        e.bytes = d.bytes;
        result.bytesCompared += d.bytes;
        if (!d.readable) {
            e.status = Status::Changed;
            e.note = d.error;
            continue;
        }
        ++result.tensorsCompared;
        e.compared = true;
        e.maxAbs = d.maxAbs;
        e.maxRel = d.maxRel;
        e.mismatched = d.mismatched;
        if (d.firstMismatch >= 0)
            e.firstMismatch = coordinates(static_cast<std::uint64_t>(d.firstMismatch), e.a.shape);
        const bool sameDtype = e.a.type == e.b.type;
        if (d.identical && sameDtype)
            e.status = Status::Same;
        else if (d.close)
            e.status = Status::Close;
        else
            e.status = sameDtype ? Status::Changed : Status::DType;
    }
    for (const auto& [entry, first] : followers) {
        // A follower takes the outcome of the entry it repeats (status, differences, note) and
        // keeps its own path, kind and sides; it read no bytes.
        Entry& e = result.entries[entry];
        Entry outcome = result.entries[first];
        std::swap(outcome.path, e.path);
        std::swap(outcome.a, e.a);
        std::swap(outcome.b, e.b);
        std::swap(outcome.kind, e.kind);
        outcome.bytes = e.bytes;
        outcome.sharedWith = result.entries[first].path;
        e = std::move(outcome);
    }
    for (const Entry& e : result.entries)
        ++result.counts[static_cast<std::size_t>(e.status)];
    result.seconds
        = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
}

namespace {

void writeSide(JsonStream& out, const Entry& e, const EntrySide& side)
{
    const bool tensor = e.kind == EntryKind::Tensor || e.kind == EntryKind::NdArray;
    out.beginObject();
    if (tensor && side.repr.empty()) {
        out.member("dtype", side.type).key("shape").array(side.shape);
    } else {
        out.member("type", side.type);
        if (!side.repr.empty())
            out.member("repr", side.repr);
    }
    out.endObject();
}

} // namespace

std::string comparisonJson(const Comparison& c, const Document& a, const Document& b)
{
    StringJsonSink sink;
    JsonStream out(sink);
    out.beginObject();
    out.key("a").beginObject().member("name", a.fileName);
    out.member("format", fileFormatName(a.format)).endObject();
    out.key("b").beginObject().member("name", b.fileName);
    out.member("format", fileFormatName(b.format)).endObject();
    out.key("summary").beginObject();
    for (std::size_t s = 0; s < kStatusCount; ++s)
        out.member(statusName(static_cast<Status>(s)), c.counts[s]);
    out.member("bytes_compared", c.bytesCompared).member("seconds", c.seconds).endObject();
    out.key("entries").beginArray(JsonLayout::OnePerLine); // one entry a line
    for (const Entry& e : c.entries) {
        out.beginObject()
            .member("path", e.path)
            .member("kind", entryKindName(e.kind))
            .member("status", statusName(e.status));
        if (e.compared) {
            out.member("max_abs", e.maxAbs)
                .member("max_rel", e.maxRel)
                .member("mismatched", e.mismatched);
            if (!e.firstMismatch.empty() || e.mismatched > 0)
                out.key("first_mismatch").array(e.firstMismatch);
        }
        if (!e.sharedWith.empty())
            out.member("shared_with", e.sharedWith);
        if (!e.note.empty())
            out.member("note", e.note);
        if (!isNull(e.a.id)) {
            out.key("a");
            writeSide(out, e, e.a);
        }
        if (!isNull(e.b.id)) {
            out.key("b");
            writeSide(out, e, e.b);
        }
        out.endObject();
    }
    out.endArray().endObject();
    (void)out.finish(); // a string sink never refuses bytes
    return sink.take();
}

} // namespace core::compare
