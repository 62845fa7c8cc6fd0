#include "core/safety/sarif_writer.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>
#include <QUrl>

#include <algorithm>

namespace core::safety {

namespace {

constexpr auto kSchema
    = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

QString text(std::string_view s)
{
    return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size()));
}

QJsonObject message(const QString& s)
{
    return QJsonObject { { QStringLiteral("text"), s } };
}

QJsonObject rule(std::string_view id, const char* name, const char* shortText, const char* fullText,
    const char* level)
{
    return QJsonObject {
        { QStringLiteral("id"), text(id) },
        { QStringLiteral("name"), QString::fromLatin1(name) },
        { QStringLiteral("shortDescription"), message(QString::fromLatin1(shortText)) },
        { QStringLiteral("fullDescription"), message(QString::fromLatin1(fullText)) },
        { QStringLiteral("help"), message(QString::fromLatin1(fullText)) },
        { QStringLiteral("defaultConfiguration"),
            QJsonObject { { QStringLiteral("level"), QString::fromLatin1(level) } } },
    };
}

QJsonObject artifactLocation(const FileScan& file)
{
    return QJsonObject { { QStringLiteral("uri"), text(file.uri) },
        { QStringLiteral("uriBaseId"), QStringLiteral("SRCROOT") } };
}

// A location at `offset` (and `length` when known) of the file; no region when the offset is
// inside an inflated stream (not a byte of the file).
QJsonArray locations(
    const FileScan& file, std::uint64_t offset, std::uint32_t length, bool regionKnown)
{
    QJsonObject physical { { QStringLiteral("artifactLocation"), artifactLocation(file) } };
    if (regionKnown) {
        QJsonObject region { { QStringLiteral("byteOffset"), static_cast<qint64>(offset) } };
        if (length != 0)
            region[QStringLiteral("byteLength")] = static_cast<qint64>(length);
        physical[QStringLiteral("region")] = region;
    }
    return QJsonArray { QJsonObject { { QStringLiteral("physicalLocation"), physical } } };
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

} // namespace

QByteArray toSarif(
    const BatchResult& result, std::string_view toolVersion, const std::string& baseDir)
{
    const QJsonArray rules {
        rule(kSarifRuleDangerous, "DangerousGlobal",
            "The pickle imports a global that can run code or reach the system",
            "Unpickling this file imports and may call a global that executes code, runs "
            "processes, touches files or the network, or reaches arbitrary attributes. Loading it "
            "with pickle.load or torch.load(weights_only=False) can run that code.",
            "error"),
        rule(kSarifRuleUnknown, "UnknownGlobal", "The pickle imports a global no rule classifies",
            "Unpickling this file imports a global that is neither on the safe lists (plain data, "
            "torch's weights_only allowlist, known reconstructors) nor on the dangerous lists. "
            "Review what it does before loading the file.",
            "warning"),
        rule(kSarifRuleAnomaly, "PickleAnomaly",
            "The pickle has a structural anomaly (a sign of tampering)",
            "The pickle stream is unusual in a way CPython's pickler does not produce: another "
            "pickle after STOP, values left on the stack, misplaced PROTO, bytes after STOP, "
            "archive records nothing references.",
            "note"),
    };
    auto ruleIndex = [](std::string_view id) {
        return id == kSarifRuleDangerous ? 0 : id == kSarifRuleUnknown ? 1 : 2;
    };

    QJsonArray results;
    QJsonArray notifications;
    for (const FileScan& file : result.files) {
        if (file.status == FileStatus::Skipped)
            continue;
        if (file.malformed()) {
            notifications.append(QJsonObject {
                { QStringLiteral("level"),
                    file.status == FileStatus::Error ? QStringLiteral("error")
                                                     : QStringLiteral("warning") },
                { QStringLiteral("message"),
                    message(text(file.status == FileStatus::Error ? "cannot scan: " : "malformed: ")
                        + text(file.error)) },
                { QStringLiteral("locations"), locations(file, 0, 0, false) },
            });
        }
        if (file.status != FileStatus::Scanned)
            continue;
        auto add = [&](std::string_view ruleId, const char* level, const QString& text,
                       QJsonArray where, QJsonObject properties) {
            results.append(QJsonObject {
                { QStringLiteral("ruleId"),
                    QString::fromLatin1(ruleId.data(), static_cast<qsizetype>(ruleId.size())) },
                { QStringLiteral("ruleIndex"), ruleIndex(ruleId) },
                { QStringLiteral("level"), QString::fromLatin1(level) },
                { QStringLiteral("message"), message(text) },
                { QStringLiteral("locations"), where },
                { QStringLiteral("properties"), properties },
            });
        };
        const SafetyReport& report = file.report;
        for (std::size_t i = 0; i < report.globals.size(); ++i) {
            const GlobalUse& use = report.globals[i];
            if (use.verdict == Verdict::Safe)
                continue;
            const bool dangerous = use.verdict == Verdict::Dangerous;
            const std::uint32_t length = i < file.opcodeLengths.size() ? file.opcodeLengths[i] : 0;
            const std::string qualified = use.module + "." + use.name;
            QString what = text(qualified);
            if (use.pickledModule != use.module || use.pickledName != use.name)
                what += QStringLiteral(" (written as ") + text(use.pickledModule) + QLatin1Char('.')
                    + text(use.pickledName) + QLatin1Char(')');
            what += QStringLiteral(": ") + text(use.reason) + QStringLiteral(" (")
                + text(use.opcode) + QStringLiteral(" in ") + text(use.pickle)
                + QStringLiteral(" at byte ") + QString::number(use.offset);
            if (!use.path.empty())
                what += QStringLiteral(", builds ") + text(use.path);
            what += QLatin1Char(')');
            add(dangerous ? kSarifRuleDangerous : kSarifRuleUnknown,
                dangerous ? "error" : "warning", what,
                locations(file, use.offset, length, length != 0 && !isInflated(file, use.pickle)),
                QJsonObject {
                    { QStringLiteral("global"), text(qualified) },
                    { QStringLiteral("pickledGlobal"),
                        text(use.pickledModule + "." + use.pickledName) },
                    { QStringLiteral("opcode"), text(use.opcode) },
                    { QStringLiteral("pickle"), text(use.pickle) },
                    { QStringLiteral("pickleOffset"), static_cast<qint64>(use.offset) },
                    { QStringLiteral("valuePath"), text(use.path) },
                    { QStringLiteral("called"), use.calledOrInstantiated },
                });
        }
        for (const Finding& f : report.findingDetails) {
            if (f.verdict == Verdict::Safe)
                continue;
            const bool dangerous = f.verdict == Verdict::Dangerous;
            add(dangerous ? kSarifRuleDangerous : kSarifRuleUnknown,
                dangerous ? "error" : "warning",
                text(f.message) + QStringLiteral(" (") + text(f.pickle)
                    + QStringLiteral(" at byte ") + QString::number(f.offset) + QLatin1Char(')'),
                locations(file, f.offset, 0, !isInflated(file, f.pickle)),
                QJsonObject { { QStringLiteral("pickle"), text(f.pickle) },
                    { QStringLiteral("pickleOffset"), static_cast<qint64>(f.offset) } });
        }
        for (const Diagnostic& a : report.anomalies) {
            if (a.severity == Severity::Info)
                continue; // normal for CPython's pickler (memo entries never read back)
            add(kSarifRuleAnomaly, "note", text(a.message),
                locations(file, a.offset, 0, !anomalyInflated(file, a.message)),
                QJsonObject { { QStringLiteral("severity"), text(severityName(a.severity)) } });
        }
    }

    QString base = baseDir.empty() ? QDir::currentPath() : text(baseDir);
    base = QDir::cleanPath(QDir(base).absolutePath());
    if (!base.endsWith(QLatin1Char('/')))
        base += QLatin1Char('/');
    const QString version = text(toolVersion);
    QJsonObject run {
        { QStringLiteral("tool"),
            QJsonObject { { QStringLiteral("driver"),
                QJsonObject {
                    { QStringLiteral("name"), QStringLiteral("picklescope") },
                    { QStringLiteral("version"), version },
                    { QStringLiteral("semanticVersion"), version },
                    { QStringLiteral("rules"), rules },
                } } } },
        { QStringLiteral("originalUriBaseIds"),
            QJsonObject { { QStringLiteral("SRCROOT"),
                QJsonObject { { QStringLiteral("uri"),
                    QString::fromLatin1(QUrl::fromLocalFile(base).toEncoded()) } } } } },
        { QStringLiteral("columnKind"), QStringLiteral("unicodeCodePoints") },
        { QStringLiteral("results"), results },
        { QStringLiteral("invocations"),
            QJsonArray { QJsonObject {
                { QStringLiteral("executionSuccessful"), true },
                { QStringLiteral("toolExecutionNotifications"), notifications },
            } } },
    };
    const QJsonObject root {
        { QStringLiteral("$schema"), QString::fromLatin1(kSchema) },
        { QStringLiteral("version"), QStringLiteral("2.1.0") },
        { QStringLiteral("runs"), QJsonArray { run } },
    };
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

} // namespace core::safety
