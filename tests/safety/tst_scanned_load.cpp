// loadAndScan (core/safety/scanned_load.h): the opcode scan of a plain pickle runs on a second
// thread during the load, and the report must be exactly the one of load-then-scan(doc). Checked
// over every fixture file (pickles, archives, malformed bytes) and over in-memory files large
// enough to take the threaded path (stacked pickles, junk after STOP, truncation).

#include "core/loader.h"
#include "core/safety/opcode_scan.h"
#include "core/safety/safety_report.h"
#include "core/safety/scanned_load.h"
#include "core/value/byte_source.h"

#include "tests/common/file_bytes.h"

#include <QDirIterator>
#include <QFile>
#include <QTest>

#include <string>
#include <vector>

using namespace core::safety;

namespace {

QStringList fixtureFiles()
{
    QStringList files;
    for (const QString& folder : { QStringLiteral("safety"), QStringLiteral("pickle") }) {
        QDirIterator it(QStringLiteral(PICKLESCOPE_TEST_DATA "/") + folder, QDir::Files,
            QDirIterator::Subdirectories);
        while (it.hasNext())
            files << it.next();
    }
    files.sort();
    return files;
}

// Every field of two reports, first difference named.
QString difference(const SafetyReport& a, const SafetyReport& b)
{
    auto text = [](const std::vector<std::string>& list) {
        std::string out;
        for (const std::string& s : list)
            out += s + "\n";
        return out;
    };
    if (a.globals.size() != b.globals.size())
        return QStringLiteral("global count %1 vs %2").arg(a.globals.size()).arg(b.globals.size());
    for (std::size_t i = 0; i < a.globals.size(); ++i) {
        const GlobalUse& x = a.globals[i];
        const GlobalUse& y = b.globals[i];
        const bool same = x.module == y.module && x.name == y.name && x.verdict == y.verdict
            && x.reason == y.reason && x.pickle == y.pickle && x.offset == y.offset
            && x.path == y.path && x.calledOrInstantiated == y.calledOrInstantiated
            && x.weightsOnlyAllowed == y.weightsOnlyAllowed && x.pickledModule == y.pickledModule
            && x.pickledName == y.pickledName && x.opcode == y.opcode
            && x.useOffsets == y.useOffsets && x.weightsOnly113Allowed == y.weightsOnly113Allowed
            && core::indexOf(x.value) == core::indexOf(y.value) && x.reachable == y.reachable;
        if (!same)
            return QStringLiteral("global %1 (%2.%3 at byte %4)")
                .arg(i)
                .arg(QString::fromStdString(x.module), QString::fromStdString(x.name))
                .arg(x.offset);
    }
    if (a.verdict != b.verdict)
        return QStringLiteral("verdict");
    if (text(a.findings) != text(b.findings))
        return QStringLiteral("findings:\n%1---\n%2")
            .arg(
                QString::fromStdString(text(a.findings)), QString::fromStdString(text(b.findings)));
    if (a.findingDetails.size() != b.findingDetails.size())
        return QStringLiteral("finding details");
    for (std::size_t i = 0; i < a.findingDetails.size(); ++i)
        if (a.findingDetails[i].verdict != b.findingDetails[i].verdict
            || a.findingDetails[i].pickle != b.findingDetails[i].pickle
            || a.findingDetails[i].offset != b.findingDetails[i].offset
            || a.findingDetails[i].message != b.findingDetails[i].message)
            return QStringLiteral("finding detail %1").arg(i);
    if (a.anomalies.size() != b.anomalies.size())
        return QStringLiteral("anomaly count %1 vs %2")
            .arg(a.anomalies.size())
            .arg(b.anomalies.size());
    for (std::size_t i = 0; i < a.anomalies.size(); ++i)
        if (a.anomalies[i].severity != b.anomalies[i].severity
            || a.anomalies[i].offset != b.anomalies[i].offset
            || a.anomalies[i].message != b.anomalies[i].message)
            return QStringLiteral("anomaly %1: %2 vs %3")
                .arg(i)
                .arg(QString::fromStdString(a.anomalies[i].message),
                    QString::fromStdString(b.anomalies[i].message));
    if (text(a.errors) != text(b.errors))
        return QStringLiteral("errors:\n%1---\n%2")
            .arg(QString::fromStdString(text(a.errors)), QString::fromStdString(text(b.errors)));
    if (text(a.weightsOnlyNotes) != text(b.weightsOnlyNotes))
        return QStringLiteral("weights-only notes");
    if (text(a.weightsOnlyBlockers) != text(b.weightsOnlyBlockers)
        || text(a.weightsOnlyBlockers113) != text(b.weightsOnlyBlockers113)
        || a.addSafeGlobalsLine != b.addSafeGlobalsLine)
        return QStringLiteral("weights-only blockers");
    if (a.safeCount != b.safeCount || a.unknownCount != b.unknownCount
        || a.dangerousCount != b.dangerousCount || a.picklesScanned != b.picklesScanned)
        return QStringLiteral("counts");
    return {};
}

// Load-then-scan and loadAndScan of the same bytes (two sources, so nothing is shared).
void compareOn(const std::vector<std::byte>& bytes, const QString& what)
{
    auto reference = core::loadSource(core::ByteSource::fromBuffer(bytes, "f.pkl"));
    auto scanned = loadAndScan(core::ByteSource::fromBuffer(bytes, "f.pkl"));
    QCOMPARE(scanned.ok(), reference.ok());
    if (!reference.ok()) {
        QCOMPARE(scanned.error().toString(), reference.error().toString());
        return;
    }
    const SafetyReport expected = scan(*reference.value());
    const QString diff = difference(scanned.value().report, expected);
    QVERIFY2(diff.isEmpty(), qPrintable(what + ": " + diff));
    QCOMPARE(scanned.value().doc->pickles.size(), reference.value()->pickles.size());
    QCOMPARE(scanned.value().doc->graph.size(), reference.value()->graph.size());
}

} // namespace

class TestScannedLoad : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void reportEqualsLoadThenScan_data()
    {
        QTest::addColumn<QString>("path");
        for (const QString& file : fixtureFiles())
            QTest::newRow(qPrintable(file.mid(file.indexOf("/data/") + 6))) << file;
    }
    void reportEqualsLoadThenScan()
    {
        QFETCH(QString, path);
        auto reference = core::loadFile(path.toStdString());
        auto scanned = loadAndScan(path.toStdString());
        QCOMPARE(scanned.ok(), reference.ok());
        if (!reference.ok()) {
            QCOMPARE(scanned.error().toString(), reference.error().toString());
            return;
        }
        const SafetyReport expected = scan(*reference.value());
        QString diff = difference(scanned.value().report, expected);
        QVERIFY2(diff.isEmpty(), qPrintable(diff));

        // The prescan path itself, whatever the file's size (small files skip the thread).
        const Prescan prescan = prescanStacked(reference.value()->source->bytes());
        diff = difference(scan(*reference.value(), &prescan), expected);
        QVERIFY2(diff.isEmpty(), qPrintable("with a prescan: " + diff));
    }

    // The prescan must actually be taken for a plain pickle that loads, else the scan is done
    // twice.
    void prescanServesEveryStreamOfAPlainPickle_data()
    {
        QTest::addColumn<QString>("path");
        QDirIterator it(
            QStringLiteral(PICKLESCOPE_TEST_DATA "/safety/malicious"), { "*.pkl" }, QDir::Files);
        QStringList files;
        while (it.hasNext())
            files << it.next();
        files.sort();
        for (const QString& file : files)
            QTest::newRow(qPrintable(file.mid(file.lastIndexOf('/') + 1))) << file;
    }
    void prescanServesEveryStreamOfAPlainPickle()
    {
        QFETCH(QString, path);
        auto loaded = core::loadFile(path.toStdString());
        QVERIFY(loaded.ok());
        const core::Document& doc = *loaded.value();
        QCOMPARE(doc.format, core::FileFormat::Pickle);
        const Prescan prescan = prescanStacked(doc.source->bytes());
        QVERIFY(!doc.pickles.empty());
        for (const core::PickleStream& stream : doc.pickles)
            QVERIFY2(prescan.find(stream.bytes, stream.offset) != nullptr, stream.name.c_str());
    }

    // Files over the thread threshold (64 KiB), built from the malicious corpus.
    void threadedReportEqualsLoadThenScan_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("shape");
        const QStringList files = { "builtins_import_p4.pkl", "builtins_open_p2.pkl",
            "cloudpickle_make_function.pkl", "asyncio_subprocess_p2.pkl" };
        for (const QString& file : files)
            for (const QString shape : { "stacked", "junk tail", "truncated", "too many" })
                QTest::newRow(qPrintable(shape + " " + file))
                    << QStringLiteral(PICKLESCOPE_TEST_DATA "/safety/malicious/") + file << shape;
    }
    void threadedReportEqualsLoadThenScan()
    {
        QFETCH(QString, path);
        QFETCH(QString, shape);
        const std::vector<std::byte> one = testing::readFileBytes(path);
        QVERIFY(!one.empty());
        std::vector<std::byte> bytes;
        if (shape == "stacked") { // 64 pickles are loaded, the rest scanned as trailing bytes
            while (bytes.size() < 80 * 1024)
                bytes.insert(bytes.end(), one.begin(), one.end());
        } else if (shape == "junk tail") {
            bytes = one;
            bytes.resize(one.size() + 80 * 1024, std::byte { 0x4e }); // 'N' pushes None
        } else if (shape == "truncated") { // stacked, cut inside the last one
            while (bytes.size() < 80 * 1024)
                bytes.insert(bytes.end(), one.begin(), one.end());
            bytes.resize(bytes.size() - one.size() / 2);
        } else { // past the prescan's 256 programs
            while (bytes.size() < 300 * one.size() || bytes.size() < 80 * 1024)
                bytes.insert(bytes.end(), one.begin(), one.end());
        }
        compareOn(bytes, shape);
    }

    // A program that ends before the prescan's STOP (a reader that stopped elsewhere) is not
    // served from the prescan: its own scan differs.
    void prescanRefusesAProgramCutShortOfItsStop()
    {
        const QByteArray file("N.N.");
        const std::span<const std::byte> bytes(
            reinterpret_cast<const std::byte*>(file.constData()), std::size_t(file.size()));
        const Prescan prescan = prescanStacked(bytes);
        QCOMPARE(prescan.scans.size(), std::size_t(2));
        QVERIFY(prescan.find(bytes.first(2), 0) != nullptr);
        QVERIFY(prescan.find(bytes.subspan(2), 2) != nullptr);
        QVERIFY(prescan.find(bytes.subspan(0, 4), 0) != nullptr); // runs to the end of the file
        const std::span<const std::byte> cut = bytes.first(1);
        QVERIFY(prescan.find(cut, 0) == nullptr);
        QVERIFY(!scanOpcodes(cut, 0).stopped);
        QVERIFY(prescan.find(bytes.subspan(1, 2), 1) == nullptr); // no program starts there
        const QByteArray copy(file.constData(), file.size()); // a deep copy
        const std::span<const std::byte> elsewhere(
            reinterpret_cast<const std::byte*>(copy.constData()), 2);
        QVERIFY(elsewhere.data() != bytes.data());
        QVERIFY(prescan.find(elsewhere, 0) == nullptr); // not the scanned bytes
    }

    void unreadableFileFailsAsLoadFileDoes()
    {
        const std::string path = PICKLESCOPE_TEST_DATA "/safety/no such file.pkl";
        auto reference = core::loadFile(path);
        auto scanned = loadAndScan(path);
        QVERIFY(!reference.ok());
        QVERIFY(!scanned.ok());
        QCOMPARE(scanned.error().code, reference.error().code);
        QCOMPARE(scanned.error().toString(), reference.error().toString());
    }
};

QTEST_APPLESS_MAIN(TestScannedLoad)
#include "tst_scanned_load.moc"
