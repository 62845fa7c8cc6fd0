// SARIF 2.1.0 of a batch scan over the safety corpus: the members the specification requires of
// every object written, with their types (sarif-schema-2.1.0: sarifLog, run, tool, toolComponent,
// reportingDescriptor, result, location, physicalLocation, artifactLocation, region, message),
// rules referenced by id and index, relative URIs, integer byte offsets; every malicious file of
// the corpus has an error result and no benign file has one.

#include "core/safety/batch_scan.h"
#include "core/safety/sarif_writer.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTest>
#include <QUrl>

using namespace core::safety;

namespace {

QString dataDir()
{
    return QStringLiteral(PICKLESCOPE_TEST_DATA "/safety");
}

bool isNonNegativeInteger(const QJsonValue& v)
{
    return v.isDouble() && v.toDouble() >= 0 && v.toDouble() == double(v.toInteger());
}

bool isMessage(const QJsonValue& v)
{
    return v.isObject() && v.toObject().value("text").isString()
        && !v.toObject().value("text").toString().isEmpty();
}

} // namespace

class TestSarifWriter : public QObject {
    Q_OBJECT

    QJsonObject m_log;
    BatchResult m_batch;

private Q_SLOTS:
    void initTestCase()
    {
        BatchOptions options;
        options.baseDir = dataDir().toStdString();
        options.recursive = true;
        m_batch = scanPaths(
            { (dataDir() + "/malicious").toStdString(), (dataDir() + "/benign").toStdString() },
            options);
        QVERIFY(m_batch.summary.scanned >= 140);
        const QByteArray sarif = toSarif(m_batch, "9.8.7", options.baseDir);
        QJsonParseError error {};
        const QJsonDocument doc = QJsonDocument::fromJson(sarif, &error);
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
        QVERIFY(doc.isObject());
        m_log = doc.object();
    }

    void writesTheSarifLogHeader()
    {
        QCOMPARE(m_log.value("version").toString(), QStringLiteral("2.1.0"));
        QVERIFY(m_log.value("$schema").isString());
        QVERIFY(QUrl(m_log.value("$schema").toString()).isValid());
        QVERIFY(m_log.value("$schema").toString().endsWith("sarif-schema-2.1.0.json"));
        QVERIFY(m_log.value("runs").isArray());
        QCOMPARE(m_log.value("runs").toArray().size(), 1);
    }

    void namesTheToolWithItsVersionAndOneRulePerFindingKind()
    {
        const QJsonObject run = m_log.value("runs").toArray().at(0).toObject();
        QVERIFY(run.value("tool").isObject());
        const QJsonObject driver = run.value("tool").toObject().value("driver").toObject();
        QCOMPARE(driver.value("name").toString(), QStringLiteral("picklescope"));
        QCOMPARE(driver.value("version").toString(), QStringLiteral("9.8.7"));
        const QJsonArray rules = driver.value("rules").toArray();
        QCOMPARE(rules.size(), 3);
        QSet<QString> ids;
        QStringList levels;
        for (const QJsonValue& r : rules) {
            QVERIFY(r.isObject());
            const QJsonObject rule = r.toObject();
            QVERIFY(rule.value("id").isString());
            ids.insert(rule.value("id").toString());
            QVERIFY(isMessage(rule.value("shortDescription")));
            QVERIFY(isMessage(rule.value("fullDescription")));
            levels << rule.value("defaultConfiguration").toObject().value("level").toString();
        }
        QCOMPARE(ids.size(), 3);
        QCOMPARE(levels, (QStringList { "error", "warning", "note" }));
    }

    void givesEveryResultARuleALevelAMessageAndARelativeByteRegion()
    {
        const QJsonObject run = m_log.value("runs").toArray().at(0).toObject();
        const QJsonArray rules
            = run.value("tool").toObject().value("driver").toObject().value("rules").toArray();
        QVERIFY(run.value("originalUriBaseIds")
                    .toObject()
                    .value("SRCROOT")
                    .toObject()
                    .value("uri")
                    .toString()
                    .startsWith("file:///"));
        const QJsonArray results = run.value("results").toArray();
        QVERIFY(results.size() >= 124);
        int withLength = 0;
        for (const QJsonValue& value : results) {
            QVERIFY(value.isObject());
            const QJsonObject result = value.toObject();
            const QString ruleId = result.value("ruleId").toString();
            QVERIFY(result.value("ruleIndex").isDouble());
            const int index = result.value("ruleIndex").toInt();
            QVERIFY(index >= 0 && index < rules.size());
            QCOMPARE(rules.at(index).toObject().value("id").toString(), ruleId);
            const QString level = result.value("level").toString();
            QVERIFY2(
                QStringList({ "error", "warning", "note" }).contains(level), qPrintable(level));
            QCOMPARE(level,
                rules.at(index)
                    .toObject()
                    .value("defaultConfiguration")
                    .toObject()
                    .value("level")
                    .toString());
            QVERIFY(isMessage(result.value("message")));
            const QJsonArray locations = result.value("locations").toArray();
            QCOMPARE(locations.size(), 1);
            const QJsonObject physical
                = locations.at(0).toObject().value("physicalLocation").toObject();
            const QJsonObject artifact = physical.value("artifactLocation").toObject();
            const QString uri = artifact.value("uri").toString();
            QVERIFY2(QUrl(uri, QUrl::StrictMode).isValid() && QUrl(uri).isRelative()
                    && !uri.startsWith('/'),
                qPrintable(uri));
            QVERIFY2(uri.startsWith("malicious/") || uri.startsWith("benign/"), qPrintable(uri));
            QCOMPARE(artifact.value("uriBaseId").toString(), QStringLiteral("SRCROOT"));
            QVERIFY(QFileInfo::exists(dataDir() + "/" + QUrl::fromPercentEncoding(uri.toUtf8())));
            if (physical.contains("region")) {
                const QJsonObject region = physical.value("region").toObject();
                QVERIFY(isNonNegativeInteger(region.value("byteOffset")));
                if (region.contains("byteLength")) {
                    QVERIFY(isNonNegativeInteger(region.value("byteLength")));
                    ++withLength;
                }
            } else {
                QVERIFY(level != "error"); // a dangerous global's opcode is always located
            }
        }
        QVERIFY(withLength >= 124);
    }

    void pointsTheRegionAtTheGlobalOpcode()
    {
        // os_system_p0.pkl: GLOBAL 'posix system' (the bytes "cposix\nsystem\n").
        const QJsonArray results
            = m_log.value("runs").toArray().at(0).toObject().value("results").toArray();
        bool found = false;
        for (const QJsonValue& value : results) {
            const QJsonObject physical = value.toObject()
                                             .value("locations")
                                             .toArray()
                                             .at(0)
                                             .toObject()
                                             .value("physicalLocation")
                                             .toObject();
            if (physical.value("artifactLocation").toObject().value("uri").toString()
                != "malicious/os_system_p0.pkl")
                continue;
            const QJsonObject region = physical.value("region").toObject();
            QFile file(dataDir() + "/malicious/os_system_p0.pkl");
            QVERIFY(file.open(QIODevice::ReadOnly));
            const QByteArray bytes = file.readAll();
            const QByteArray opcode
                = bytes.mid(region.value("byteOffset").toInt(), region.value("byteLength").toInt());
            QCOMPARE(opcode, QByteArray("cposix\nsystem\n"));
            found = true;
        }
        QVERIFY(found);
    }

    void flagsEveryMaliciousFileAndNoBenignOne()
    {
        const QJsonArray results
            = m_log.value("runs").toArray().at(0).toObject().value("results").toArray();
        QSet<QString> errorUris;
        for (const QJsonValue& value : results) {
            if (value.toObject().value("level").toString() != "error")
                continue;
            errorUris.insert(value.toObject()
                                 .value("locations")
                                 .toArray()
                                 .at(0)
                                 .toObject()
                                 .value("physicalLocation")
                                 .toObject()
                                 .value("artifactLocation")
                                 .toObject()
                                 .value("uri")
                                 .toString());
        }
        const QStringList malicious = QDir(dataDir() + "/malicious").entryList(QDir::Files);
        const QStringList benign = QDir(dataDir() + "/benign").entryList(QDir::Files);
        QVERIFY(malicious.size() >= 124);
        for (const QString& name : malicious)
            QVERIFY2(errorUris.contains("malicious/" + name), qPrintable(name));
        for (const QString& name : benign)
            QVERIFY2(!errorUris.contains("benign/" + name), qPrintable(name));
    }

    void reportsUnreadableFilesAsNotifications()
    {
        BatchResult batch;
        FileScan broken;
        broken.path = "gone.pkl";
        broken.uri = "gone.pkl";
        broken.status = FileStatus::Error;
        broken.error = "broken symlink";
        batch.files.push_back(broken);
        const QJsonObject log = QJsonDocument::fromJson(toSarif(batch, "1.0.0", "/tmp")).object();
        const QJsonObject run = log.value("runs").toArray().at(0).toObject();
        QCOMPARE(run.value("results").toArray().size(), 0);
        const QJsonObject invocation = run.value("invocations").toArray().at(0).toObject();
        QVERIFY(invocation.value("executionSuccessful").isBool());
        const QJsonArray notes = invocation.value("toolExecutionNotifications").toArray();
        QCOMPARE(notes.size(), 1);
        QVERIFY(isMessage(notes.at(0).toObject().value("message")));
        QCOMPARE(notes.at(0).toObject().value("level").toString(), QStringLiteral("error"));
    }

    void percentEncodesUris()
    {
        QCOMPARE(QString::fromStdString(percentEncodePath("a b/c#1.pkl")),
            QStringLiteral("a%20b/c%231.pkl"));
        QCOMPARE(QString::fromStdString(percentEncodePath("d\xc3\xa9j\xc3\xa0/x_y-z~.pt")),
            QStringLiteral("d%C3%A9j%C3%A0/x_y-z~.pt"));
    }
};

QTEST_APPLESS_MAIN(TestSarifWriter)
#include "tst_sarif_writer.moc"
