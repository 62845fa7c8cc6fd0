#include "core/safety/safety_report.h"

#include "core/pickle/opcodes.h"
#include "core/safety/global_rules.h"
#include "core/safety/opcode_scan.h"
#include "core/value/enum_name.h"
#include "core/value/value_text.h"

#include <algorithm>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace core::safety {

std::string_view verdictName(Verdict verdict)
{
    constexpr std::array<std::string_view, 3> kNames { "safe", "unknown", "dangerous" };
    return enumName(verdict, kNames, "unknown");
}

namespace {

Verdict worst(Verdict a, Verdict b)
{
    return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

// ---- paths in the value graph --------------------------------------------------------------

// How a value was first reached: child `index` of `parent` in the tree's children
// (ChildSet::Display) or in every referenced child (ChildSet::Graph: a tensor's rebuild call,
// a dict's keys, ... that the tree folds away).
struct ParentLink {
    std::uint32_t parent = 0xFFFFFFFFu;
    std::uint32_t index = 0;
    ChildSet set = ChildSet::Display;
};

// Breadth-first walk from a root: the first (shortest) parent link of every reachable value,
// and the first reachable value created at each of the `wanted` opcode offsets. One Reach is
// reused for every stream (its arrays are sized to the graph once).
struct Reach {
    static constexpr std::uint32_t kUnvisited = 0xFFFFFFFEu;
    static constexpr std::uint32_t kRoot = 0xFFFFFFFFu;
    std::vector<ParentLink> parent; // parent.parent: kUnvisited, kRoot or the parent's index
    std::vector<std::uint32_t> visited; // to reset between walks
    std::unordered_map<std::uint64_t, ValueId> byOffset;

    bool reached(ValueId id) const
    {
        return indexOf(id) < parent.size() && parent[indexOf(id)].parent != kUnvisited;
    }
};

void walk(const ValueGraph& g, ValueId root, const std::unordered_set<std::uint64_t>& wanted,
    Reach& reach)
{
    for (const std::uint32_t i : reach.visited)
        reach.parent[i].parent = Reach::kUnvisited;
    reach.visited.clear();
    reach.byOffset.clear();
    if (reach.parent.size() != g.size())
        reach.parent.assign(g.size(), ParentLink { Reach::kUnvisited, 0, ChildSet::Display });
    if (isNull(root) || !g.valid(root))
        return;
    auto note = [&](ValueId id) {
        const std::uint64_t at = g.offset(id);
        if (wanted.count(at) != 0)
            reach.byOffset.emplace(at, id);
    };
    reach.parent[indexOf(root)] = ParentLink { Reach::kRoot, 0, ChildSet::Display };
    reach.visited.push_back(indexOf(root));
    note(root);
    for (std::size_t head = 0; head < reach.visited.size(); ++head) {
        const ValueId id { reach.visited[head] };
        // The tree's own children first (paths then read as the tree shows them), then the
        // edges it folds away (a tensor's original rebuild call, ...).
        for (const ChildSet set : { ChildSet::Display, ChildSet::Graph }) {
            std::uint32_t index = 0;
            forEachChild(g, id, set, [&](ValueId child) {
                const std::uint32_t at = index++;
                if (!g.valid(child))
                    return;
                ParentLink& link = reach.parent[indexOf(child)];
                if (link.parent != Reach::kUnvisited)
                    return;
                link = ParentLink { indexOf(id), at, set };
                reach.visited.push_back(indexOf(child));
                note(child);
            });
        }
    }
}

// The access path of a reached value in the syntax of `picklescope-cli info` and the window's
// path lookup: "$" is the stream's result, then the tree's segments ("$['model'].__args__[0]").
std::string pathOf(const ValueGraph& g, const Reach& reach, ValueId id)
{
    constexpr std::size_t kMaxSegments = 48;
    std::vector<std::string> segments;
    std::uint32_t current = indexOf(id);
    std::size_t depth = 0;
    bool truncated = false;
    while (current < reach.parent.size()) {
        const ParentLink& link = reach.parent[current];
        if (link.parent == Reach::kRoot || link.parent == Reach::kUnvisited)
            break;
        if (segments.size() < kMaxSegments)
            segments.push_back(childLabel(g, ValueId { link.parent }, link.index, link.set).pathSegment);
        else
            truncated = true;
        current = link.parent;
        ++depth;
    }
    std::string path = "$";
    if (truncated)
        path += "…(" + std::to_string(depth - segments.size()) + " more levels)";
    for (auto it = segments.rbegin(); it != segments.rend(); ++it)
        path += *it;
    return path;
}

// ---- assembling the report -----------------------------------------------------------------

struct Builder {
    SafetyReport report;
    std::unordered_map<std::string, Classification> cache;
    std::set<std::string> findingKeys; // dedupe per (pickle, message)

    const Classification& classify(const std::string& module, const std::string& name)
    {
        std::string key = module;
        key.push_back('\n');
        key += name;
        auto it = cache.find(key);
        if (it == cache.end())
            it = cache.emplace(std::move(key), classifyGlobal(module, name)).first;
        return it->second;
    }

    void addFinding(Verdict verdict, const std::string& pickle, std::uint64_t offset,
        const std::string& message)
    {
        if (!findingKeys.insert(pickle + '\n' + message).second)
            return;
        report.findingDetails.push_back({ verdict, pickle, offset, message });
        report.findings.push_back(pickle + " at byte " + std::to_string(offset) + ": " + message
            + " (" + std::string(verdictName(verdict)) + ")");
        report.verdict = worst(report.verdict, verdict);
    }

    void addAnomaly(Severity severity, const std::string& pickle, std::uint64_t offset,
        const std::string& message)
    {
        report.anomalies.push_back({ severity, offset, pickle + ": " + message });
    }

    // getattr(GLOBAL, 'attr') everywhere it appears: the attribute path is what gets imported,
    // so classify that instead (Python 3.11 pickles enum members this way). The NEWOBJ_EX
    // fallback partial(cls.__new__, cls, ...) is CPython's own spelling of NEWOBJ_EX.
    void resolveKnownCalls(GlobalUse& use, const RawGlobal& raw, const std::string& pickle)
    {
        if (use.module == "builtins" && use.name == "getattr") {
            Verdict verdict = Verdict::Safe;
            std::string targets;
            for (const auto& [module, dotted] : raw.staticTargets) {
                std::string m, n;
                const std::size_t dot = dotted.find('.');
                normaliseGlobal(module, dotted.substr(0, dot), m, n);
                n += dotted.substr(dot);
                targets += (targets.empty() ? "" : ", ") + m + "." + n;
                if (n.size() > 8 && n.substr(n.size() - 8) == ".__new__"
                    && n.find('.') == n.size() - 8)
                    continue; // cls.__new__: what NEWOBJ does
                const Classification& c = classify(m, n);
                verdict = worst(verdict, c.verdict == Verdict::Safe ? Verdict::Safe : c.verdict);
                if (c.verdict == Verdict::Dangerous)
                    addFinding(Verdict::Dangerous, pickle, raw.offset,
                        "getattr reaches " + m + "." + n + ": " + c.reason);
            }
            use.verdict = verdict;
            use.reason = "getattr on a global, resolved statically: " + targets;
        } else if (use.module == "functools" && use.name == "partial") {
            use.verdict = Verdict::Safe;
            use.reason
                = "partial(cls.__new__, cls, ...): CPython's protocol 2-3 spelling of NEWOBJ_EX";
        }
    }

    void addStream(const std::string& pickle, const OpcodeScan& scan, bool weightsOnlyRelevant)
    {
        ++report.picklesScanned;
        for (const RawGlobal& raw : scan.globals) {
            GlobalUse use;
            use.pickledModule = raw.module;
            use.pickledName = raw.name;
            use.opcode = std::string(globalOpcodeName(raw.opcode));
            use.pickle = pickle;
            use.offset = raw.offset;
            use.useOffsets = raw.uses;
            use.calledOrInstantiated = !raw.uses.empty();
            if (raw.opcode == GlobalOpcode::Ext) {
                use.module = raw.module;
                use.name = raw.name;
                use.verdict = Verdict::Unknown;
                use.reason
                    = "imports through copyreg's extension registry (" + raw.unresolvedWhy + ")";
            } else if (!raw.resolved) {
                use.module = raw.module;
                use.name = raw.name;
                const bool refused = raw.unresolvedWhy.rfind("refused by CPython", 0) == 0;
                use.verdict = refused ? Verdict::Unknown : Verdict::Dangerous;
                use.reason = refused
                    ? raw.unresolvedWhy
                    : "import target hidden from static analysis: " + raw.unresolvedWhy;
            } else {
                normaliseGlobal(raw.module, raw.name, use.module, use.name);
                const Classification& c = classify(use.module, use.name);
                use.verdict = c.verdict;
                use.reason = c.reason;
                if (!c.finding.empty())
                    addFinding(
                        c.verdict == Verdict::Dangerous ? Verdict::Dangerous : Verdict::Unknown,
                        pickle, raw.offset, use.module + "." + use.name + ": " + c.finding);
                if (use.module != raw.module || use.name != raw.name) {
                    const Classification& asWritten = classify(raw.module, raw.name);
                    if (asWritten.verdict == Verdict::Dangerous
                        && use.verdict != Verdict::Dangerous) {
                        use.verdict = Verdict::Dangerous;
                        use.reason = asWritten.reason + " (as written: " + raw.module + "."
                            + raw.name + ")";
                    }
                }
                if (raw.pushes > 0 && raw.recognisedCalls == raw.pushes)
                    resolveKnownCalls(use, raw, pickle);
                use.weightsOnlyAllowed = weightsOnlyAllows(use.module, use.name, TorchVersion::V2);
                use.weightsOnly113Allowed
                    = weightsOnlyAllows(raw.module, raw.name, TorchVersion::V1_13);
            }
            report.verdict = worst(report.verdict, use.verdict);
            report.globals.push_back(std::move(use));
        }
        for (const ScanNote& note : scan.findings)
            addFinding(note.verdict, pickle, note.offset, note.message);
        for (const ScanNote& note : scan.anomalies)
            addAnomaly(Severity::Warning, pickle, note.offset, note.message);
        if (scan.memoUnread > 0 && scan.memoWrites > 0)
            addAnomaly(Severity::Info, pickle, 0,
                std::to_string(scan.memoUnread) + " of " + std::to_string(scan.memoWrites)
                    + " memo entries are never read back (normal for CPython's pickler; "
                      "pickletools.optimize drops them)");
        if (scan.error)
            report.errors.push_back(pickle + ": " + scan.error->toString());
        if (weightsOnlyRelevant) {
            for (const auto& [op, at] : scan.weightsOnlyRejected2) {
                const OpcodeInfo* info = opcodeInfo(op);
                report.weightsOnlyNotes.push_back(pickle + ": opcode "
                    + std::string(info ? info->name : "?") + " (first at byte " + std::to_string(at)
                    + ") is not implemented by torch 2.x's weights-only unpickler: \"Unsupported "
                      "operand "
                    + std::to_string(op) + "\"");
            }
            for (const auto& [op, at] : scan.weightsOnlyRejected113) {
                if (!weightsOnlyAcceptsOpcode(op, TorchVersion::V2))
                    continue; // already named for 2.x
                const OpcodeInfo* info = opcodeInfo(op);
                report.weightsOnlyNotes.push_back(pickle + ": torch 1.13 only: opcode "
                    + std::string(info ? info->name : "?") + " (first at byte " + std::to_string(at)
                    + ") is refused (1.13 has no BINFLOAT: any Python float fails)");
            }
        }
    }

    void finish()
    {
        std::set<std::string> blockers, blockers113, safeBlockers;
        std::vector<std::string> ordered, ordered113, safeOrdered;
        for (GlobalUse& use : report.globals) {
            switch (use.verdict) {
            case Verdict::Safe:
                ++report.safeCount;
                break;
            case Verdict::Unknown:
                ++report.unknownCount;
                break;
            case Verdict::Dangerous:
                ++report.dangerousCount;
                break;
            }
            const std::string qualified = torchQualifiedName(use.module, use.name);
            if (!use.weightsOnlyAllowed && blockers.insert(qualified).second) {
                ordered.push_back(qualified);
                if (use.verdict == Verdict::Safe && safeBlockers.insert(qualified).second)
                    safeOrdered.push_back(qualified);
            }
            const std::string qualified113 = use.pickledModule + "." + use.pickledName;
            if (!use.weightsOnly113Allowed && blockers113.insert(qualified113).second)
                ordered113.push_back(qualified113);
        }
        report.weightsOnlyBlockers = std::move(ordered);
        report.weightsOnlyBlockers113 = std::move(ordered113);
        if (!safeOrdered.empty()) {
            std::string line = "torch.serialization.add_safe_globals([";
            for (std::size_t i = 0; i < safeOrdered.size(); ++i)
                line += (i == 0 ? "" : ", ") + safeOrdered[i];
            report.addSafeGlobalsLine = line + "])";
        }
    }
};

// Scans `bytes` as one or more pickles one after another (a plain pickle file, or what follows
// the main pickle), adding each to the builder. Returns the offset where scanning stopped.
void scanStacked(Builder& b, std::span<const std::byte> bytes, std::uint64_t base,
    const std::string& name, bool firstIsMain, bool weightsOnlyRelevant,
    const Prescan* prescan = nullptr)
{
    std::size_t pos = 0;
    int index = 0;
    while (pos < bytes.size()) {
        const std::span<const std::byte> rest = bytes.subspan(pos);
        const OpcodeScan* found = prescan != nullptr ? prescan->find(rest, base + pos) : nullptr;
        OpcodeScan computed;
        if (found == nullptr)
            computed = scanOpcodes(rest, base + pos);
        const OpcodeScan& scan = found != nullptr ? *found : computed;
        const bool main = index == 0 && firstIsMain;
        const std::string label = main ? name
                                       : name + " (pickle #" + std::to_string(index + 1)
                + " at byte " + std::to_string(base + pos) + ")";
        if (!main && scan.error && scan.globals.empty() && scan.opcodeCount < 8) {
            b.addAnomaly(Severity::Warning, name, base + pos,
                std::to_string(rest.size()) + " byte(s) after STOP that are not a pickle");
            break;
        }
        if (!main)
            b.addAnomaly(Severity::Warning, name, base + pos,
                "another pickle follows STOP (a reader that calls pickle.load() again would run "
                "it)");
        b.addStream(label, scan, weightsOnlyRelevant && main);
        if (!scan.stopped)
            break;
        const std::size_t consumed = static_cast<std::size_t>(scan.endOffset - (base + pos));
        if (consumed == 0)
            break;
        pos += consumed;
        ++index;
    }
}

bool startsWith(std::string_view text, std::string_view prefix)
{
    return text.size() >= prefix.size() && text.substr(0, prefix.size()) == prefix;
}

} // namespace

SafetyReport scanBytes(std::span<const std::byte> bytes, const std::string& name)
{
    Builder b;
    scanStacked(b, bytes, 0, name, true, true);
    b.report.weightsOnlyNotes.insert(b.report.weightsOnlyNotes.begin(),
        "scanned as a plain pickle: torch.load reads torch.save archives; a plain pickle fails its "
        "magic-number check");
    b.finish();
    return std::move(b.report);
}

SafetyReport scan(const Document& doc)
{
    return scan(doc, nullptr);
}

SafetyReport scan(const Document& doc, const Prescan* prescan)
{
    if (doc.format != FileFormat::Pickle)
        prescan = nullptr;
    Builder b;
    const ValueGraph& g = doc.graph;
    const bool torchStreams
        = doc.format == FileFormat::TorchZip || doc.format == FileFormat::TorchLegacy;

    std::vector<std::pair<std::size_t, std::size_t>>
        streamGlobals; // per stream: [begin, end) in globals
    // Storage values are made by the archive and container readers, and in a plain pickle only
    // by a persistent load (a torch checkpoint nested in it, whose pickles are streams here): a
    // plain pickle none of whose streams holds a PERSID or BINPERSID has none, and its values are
    // not walked for them below (after a threaded load's join, millions of values would cost the
    // wall clock for nothing).
    bool mayHoldStorages = doc.format != FileFormat::Pickle;
    for (std::size_t s = 0; s < doc.pickles.size(); ++s) {
        const PickleStream& stream = doc.pickles[s];
        const std::size_t begin = b.report.globals.size();
        const bool main = s == doc.mainPickle;
        bool relevant = torchStreams && (doc.format == FileFormat::TorchLegacy || main);
        const OpcodeScan* found = prescan != nullptr && !stream.inflated
            ? prescan->find(stream.bytes, stream.offset)
            : nullptr;
        OpcodeScan computed;
        if (found == nullptr)
            computed = scanOpcodes(stream.bytes, stream.offset);
        const OpcodeScan& result = found != nullptr ? *found : computed;
        if (result.stopped && result.endOffset < stream.offset + stream.bytes.size())
            b.addAnomaly(Severity::Warning, stream.name, result.endOffset,
                std::to_string(stream.offset + stream.bytes.size() - result.endOffset)
                    + " byte(s) after STOP inside the pickle's record");
        if (doc.format == FileFormat::Pickle && s > 0)
            b.addAnomaly(Severity::Warning, stream.name, stream.offset,
                "another pickle follows STOP (a reader that calls pickle.load() again would run "
                "it)");
        b.addStream(stream.name, result, relevant);
        streamGlobals.emplace_back(begin, b.report.globals.size());
        mayHoldStorages = mayHoldStorages || result.persistentIds > 0;
    }

    // A plain pickle file: whatever follows the last stream the loader kept (junk, or pickles
    // the machine could not run but that a lenient reader might).
    if (doc.format == FileFormat::Pickle && doc.source) {
        const auto all = doc.source->bytes();
        std::uint64_t end = 0;
        for (const PickleStream& stream : doc.pickles)
            if (!stream.inflated)
                end = std::max<std::uint64_t>(end, stream.offset + stream.bytes.size());
        if (end < all.size())
            scanStacked(b, all.subspan(static_cast<std::size_t>(end)), end, "trailing bytes", false,
                false, prescan);
    }

    // Paths: the value each global builds, per stream, from that stream's root.
    Reach reach;
    for (std::size_t s = 0; s < doc.pickles.size(); ++s) {
        const auto [begin, end] = streamGlobals[s];
        ValueId root = doc.pickles[s].root;
        if (isNull(root) && s == doc.mainPickle)
            root = doc.root; // a failed load keeps its partial result there
        if (begin == end || isNull(root))
            continue;
        std::unordered_set<std::uint64_t> wanted;
        for (std::size_t i = begin; i < end; ++i) {
            wanted.insert(b.report.globals[i].offset);
            wanted.insert(
                b.report.globals[i].useOffsets.begin(), b.report.globals[i].useOffsets.end());
        }
        walk(g, root, wanted, reach);
        for (std::size_t i = begin; i < end; ++i) {
            GlobalUse& use = b.report.globals[i];
            ValueId found = kNullValue;
            for (const std::uint64_t at : use.useOffsets) {
                const auto it = reach.byOffset.find(at);
                if (it != reach.byOffset.end()) {
                    found = it->second;
                    break;
                }
            }
            if (isNull(found)) {
                const auto it = reach.byOffset.find(use.offset);
                if (it != reach.byOffset.end())
                    found = it->second;
            }
            if (!isNull(found)) {
                use.value = found;
                use.reachable = true;
                use.path = pathOf(g, reach, found);
            }
        }
        // A storage type's GLOBAL (torch.FloatStorage) builds no value that stays: the
        // persistent id it sits in is consumed by persistent_load, which makes the storage. Its
        // path is that of the first reachable storage of its type made after it in this stream.
        const PickleStream& stream = doc.pickles[s];
        if (stream.inflated)
            continue; // its offsets are not file offsets
        std::unordered_map<std::string_view, std::vector<std::pair<std::uint64_t, ValueId>>>
            storages;
        for (const std::uint32_t i : reach.visited) {
            const ValueId id { i };
            if (g.kind(id) == ValueKind::Storage && !g.storage(id).typeName.empty())
                storages[g.storage(id).typeName].emplace_back(g.offset(id), id);
        }
        if (storages.empty())
            continue;
        for (auto& [type, list] : storages)
            std::sort(list.begin(), list.end());
        const std::uint64_t streamEnd = stream.offset + stream.bytes.size();
        for (std::size_t i = begin; i < end; ++i) {
            GlobalUse& use = b.report.globals[i];
            if (use.reachable || !use.useOffsets.empty())
                continue;
            const auto type = storages.find(use.pickledName);
            if (type == storages.end())
                continue;
            const auto it = std::lower_bound(type->second.begin(), type->second.end(),
                std::pair<std::uint64_t, ValueId> { use.offset, ValueId { 0 } });
            if (it == type->second.end() || it->first >= streamEnd)
                continue;
            use.value = it->second;
            use.reachable = true;
            use.path = pathOf(g, reach, it->second);
        }
    }

    // Call wrappers (functools.partial) by what they wrap, now that the values are known.
    reclassifyCallWrappers(b.report, g);

    // Archive anomalies: storages shorter than declared, data/ records nothing references.
#ifndef QT_NO_DEBUG
    for (std::size_t i = 0; !mayHoldStorages && i < g.size(); ++i)
        Q_ASSERT(g.kind(ValueId { static_cast<std::uint32_t>(i) }) != ValueKind::Storage);
#endif
    std::unordered_set<std::string> keys;
    for (std::size_t i = 0; mayHoldStorages && i < g.size(); ++i) {
        const ValueId id { static_cast<std::uint32_t>(i) };
        if (g.kind(id) != ValueKind::Storage)
            continue;
        const StorageRecord& st = g.storage(id);
        keys.emplace(st.key);
        const std::uint32_t size = dtypeSize(st.dtype);
        const bool packed = st.dtype == DType::QUInt4x2 || st.dtype == DType::QUInt2x4
            || st.dtype == DType::Bits8 || st.dtype == DType::Bits16;
        if (!st.bytesFound) {
            if (st.numel > 0
                && (doc.format == FileFormat::TorchZip || doc.format == FileFormat::TorchScript))
                b.addAnomaly(Severity::Warning, "storage " + std::string(st.key), g.offset(id),
                    "the record of storage '" + std::string(st.key) + "' is missing");
        } else if (size > 0 && !packed && st.numel <= UINT64_MAX / size
            && st.bytes.length < st.numel * size) {
            b.addAnomaly(Severity::Warning, "storage " + std::string(st.key), st.bytes.offset,
                "storage '" + std::string(st.key) + "' holds " + std::to_string(st.bytes.length)
                    + " bytes but declares " + std::to_string(st.numel) + " x "
                    + std::to_string(size) + " bytes");
        }
    }
    if (doc.format == FileFormat::TorchZip || doc.format == FileFormat::TorchScript) {
        for (const ArchiveEntry& entry : doc.entries) {
            const std::size_t at = entry.name.find("/data/");
            const bool dataRecord = at != std::string::npos || startsWith(entry.name, "data/");
            if (!dataRecord)
                continue;
            const std::string key = entry.name.substr(at != std::string::npos ? at + 6 : 5);
            if (key.empty() || key.find('/') != std::string::npos)
                continue;
            if (keys.count(key) == 0)
                b.addAnomaly(Severity::Warning, "archive", entry.offset,
                    "zip entry '" + entry.name + "' is not referenced by data.pkl");
        }
    }

    // weights_only notes at the format level.
    switch (doc.format) {
    case FileFormat::Pickle:
        b.report.weightsOnlyNotes.insert(b.report.weightsOnlyNotes.begin(),
            "plain pickle: torch.load expects a torch.save archive (it would fail its magic-number "
            "check)");
        break;
    case FileFormat::TorchScript:
        b.report.weightsOnlyNotes.insert(b.report.weightsOnlyNotes.begin(),
            "TorchScript archive: torch.load(weights_only=True) refuses it (use torch.jit.load)");
        break;
    case FileFormat::TorchTar:
        b.report.weightsOnlyNotes.insert(b.report.weightsOnlyNotes.begin(),
            "legacy tar checkpoint: torch.load(weights_only=True) refuses it");
        break;
    default:
        break;
    }
    b.finish();
    return std::move(b.report);
}

bool isDangerousValue(const Document& doc, const SafetyReport& report, ValueId id)
{
    if (isNull(id) || !doc.graph.valid(id))
        return false;
    const std::uint64_t offset = doc.graph.offset(id);
    for (const GlobalUse& use : report.globals) {
        if (use.verdict != Verdict::Dangerous)
            continue;
        if (use.value == id || use.offset == offset)
            return true;
        for (const std::uint64_t at : use.useOffsets)
            if (at == offset)
                return true;
    }
    return false;
}

} // namespace core::safety
