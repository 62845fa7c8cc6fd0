#include "core/safety/sarif_writer.h"

#include "core/export/json_stream.h"

#include <QDir>
#include <QString>
#include <QUrl>

#include <algorithm>
#include <string>

namespace core::safety {

namespace {

constexpr auto kSchema
    = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

struct Rule {
    std::string_view id;
    const char* name;
    const char* shortText;
    const char* fullText;
    const char* level;
};

const Rule kRules[] = {
    { kSarifRuleDangerous, "DangerousGlobal",
        "The pickle imports a global that can run code or reach the system",
        "Unpickling this file imports and may call a global that executes code, runs "
        "processes, touches files or the network, or reaches arbitrary attributes. Loading it "
        "with pickle.load or torch.load(weights_only=False) can run that code.",
        "error" },
    { kSarifRuleUnknown, "UnknownGlobal", "The pickle imports a global no rule classifies",
        "Unpickling this file imports a global that is neither on the safe lists (plain data, "
        "torch's weights_only allowlist, known reconstructors) nor on the dangerous lists. "
        "Review what it does before loading the file.",
        "warning" },
    { kSarifRuleAnomaly, "PickleAnomaly",
        "The pickle has a structural anomaly (a sign of tampering)",
        "The pickle stream is unusual in a way CPython's pickler does not produce: another "
        "pickle after STOP, values left on the stack, misplaced PROTO, bytes after STOP, "
        "archive records nothing references.",
        "note" },
};

// "name": {"text": "…"}
void message(JsonStream& out, std::string_view name, std::string_view text)
{
    out.key(name).beginObject().member("text", text).endObject();
}

void rule(JsonStream& out, const Rule& r)
{
    out.beginObject().member("id", r.id).member("name", r.name);
    message(out, "shortDescription", r.shortText);
    message(out, "fullDescription", r.fullText);
    message(out, "help", r.fullText);
    out.key("defaultConfiguration").beginObject().member("level", r.level).endObject();
    out.endObject();
}

// "locations": a location at `offset` (and `length` when known) of the file; no region when
// the offset is inside an inflated stream (not a byte of the file).
void locations(JsonStream& out, const FileScan& file, std::uint64_t offset, std::uint32_t length,
    bool regionKnown)
{
    out.key("locations").beginArray().beginObject().key("physicalLocation").beginObject();
    out.key("artifactLocation")
        .beginObject()
        .member("uri", file.uri)
        .member("uriBaseId", "SRCROOT")
        .endObject();
    if (regionKnown) {
        out.key("region").beginObject().member("byteOffset", offset);
        if (length != 0)
            out.member("byteLength", length);
        out.endObject();
    }
    out.endObject().endObject().endArray();
}

bool isInflated(const FileScan& file, std::string_view pickle)
{
    return std::any_of(file.inflatedPickles.begin(), file.inflatedPickles.end(),
        [&](const std::string& name) { return name == pickle; });
}

bool anomalyInflated(const FileScan& file, std::string_view message)
{
    return std::any_of(
        file.inflatedPickles.begin(), file.inflatedPickles.end(), [&](const std::string& name) {
            return message.size() > name.size() + 1 && message.substr(0, name.size()) == name
                && message[name.size()] == ':';
        });
}

int ruleIndex(std::string_view id)
{
    return id == kSarifRuleDangerous ? 0 : id == kSarifRuleUnknown ? 1 : 2;
}

// One result: rule, level, message, locations; `properties` writes the members of its
// "properties" object.
template <typename Properties>
void result(JsonStream& out, std::string_view ruleId, const char* level, std::string_view text,
    const FileScan& file, std::uint64_t offset, std::uint32_t length, bool regionKnown,
    Properties&& properties)
{
    out.beginObject().member("ruleId", ruleId).member("ruleIndex", ruleIndex(ruleId));
    out.member("level", level);
    message(out, "message", text);
    locations(out, file, offset, length, regionKnown);
    out.key("properties").beginObject();
    properties();
    out.endObject().endObject();
}

void fileResults(JsonStream& out, const FileScan& file)
{
    const SafetyReport& report = file.report;
    for (std::size_t i = 0; i < report.globals.size(); ++i) {
        const GlobalUse& use = report.globals[i];
        if (use.verdict == Verdict::Safe)
            continue;
        const bool dangerous = use.verdict == Verdict::Dangerous;
        const std::uint32_t length = i < file.opcodeLengths.size() ? file.opcodeLengths[i] : 0;
        const std::string qualified = use.module + "." + use.name;
        std::string what = qualified;
        if (use.pickledModule != use.module || use.pickledName != use.name)
            what += " (written as " + use.pickledModule + "." + use.pickledName + ")";
        what += ": " + use.reason + " (" + use.opcode + " in " + use.pickle + " at byte "
            + std::to_string(use.offset);
        if (!use.path.empty())
            what += ", builds " + use.path;
        what += ')';
        result(out, dangerous ? kSarifRuleDangerous : kSarifRuleUnknown,
            dangerous ? "error" : "warning", what, file, use.offset, length,
            length != 0 && !isInflated(file, use.pickle), [&] {
                out.member("global", qualified)
                    .member("pickledGlobal", use.pickledModule + "." + use.pickledName)
                    .member("opcode", use.opcode)
                    .member("pickle", use.pickle)
                    .member("pickleOffset", use.offset)
                    .member("valuePath", use.path)
                    .key("called")
                    .boolean(use.calledOrInstantiated);
            });
    }
    for (const Finding& f : report.findingDetails) {
        if (f.verdict == Verdict::Safe)
            continue;
        const bool dangerous = f.verdict == Verdict::Dangerous;
        result(out, dangerous ? kSarifRuleDangerous : kSarifRuleUnknown,
            dangerous ? "error" : "warning",
            f.message + " (" + f.pickle + " at byte " + std::to_string(f.offset) + ")", file,
            f.offset, 0, !isInflated(file, f.pickle),
            [&] { out.member("pickle", f.pickle).member("pickleOffset", f.offset); });
    }
    for (const Diagnostic& a : report.anomalies) {
        if (a.severity == Severity::Info)
            continue; // normal for CPython's pickler (memo entries never read back)
        result(out, kSarifRuleAnomaly, "note", a.message, file, a.offset, 0,
            !anomalyInflated(file, a.message),
            [&] { out.member("severity", severityName(a.severity)); });
    }
}

} // namespace

QByteArray toSarif(
    const BatchResult& batch, std::string_view toolVersion, const std::string& baseDir)
{
    QString base = baseDir.empty()
        ? QDir::currentPath()
        : QString::fromUtf8(baseDir.data(), static_cast<qsizetype>(baseDir.size()));
    base = QDir::cleanPath(QDir(base).absolutePath());
    if (!base.endsWith(QLatin1Char('/')))
        base += QLatin1Char('/');

    StringJsonSink sink;
    JsonStream out(sink, { .indent = 4 });
    out.beginObject().member("$schema", kSchema).member("version", "2.1.0");
    out.key("runs").beginArray().beginObject();
    out.key("tool").beginObject().key("driver").beginObject();
    out.member("name", "picklescope")
        .member("version", toolVersion)
        .member("semanticVersion", toolVersion)
        .key("rules")
        .beginArray();
    for (const Rule& r : kRules)
        rule(out, r);
    out.endArray().endObject().endObject();
    out.key("originalUriBaseIds").beginObject().key("SRCROOT").beginObject();
    out.member("uri", QUrl::fromLocalFile(base).toEncoded().toStdString()).endObject().endObject();
    out.member("columnKind", "unicodeCodePoints");
    out.key("results").beginArray();
    for (const FileScan& file : batch.files)
        if (file.status == FileStatus::Scanned)
            fileResults(out, file);
    out.endArray();
    out.key("invocations").beginArray().beginObject();
    out.key("executionSuccessful").boolean(true);
    out.key("toolExecutionNotifications").beginArray();
    for (const FileScan& file : batch.files) {
        if (file.status == FileStatus::Skipped || !file.malformed())
            continue;
        const bool error = file.status == FileStatus::Error;
        out.beginObject().member("level", error ? "error" : "warning");
        message(out, "message", (error ? "cannot scan: " : "malformed: ") + file.error);
        locations(out, file, 0, 0, false);
        out.endObject();
    }
    out.endArray().endObject().endArray();
    out.endObject().endArray().endObject();
    (void)out.finish(); // a string sink never refuses bytes
    return QByteArray::fromStdString(sink.take());
}

} // namespace core::safety
