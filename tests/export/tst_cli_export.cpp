// picklescope-cli json / tree / info end to end: outputs, options and the exit codes of
// DESIGN.md (0 ok, 1 malformed with one line on stderr naming the byte offset, 2 usage).

#include "tests/common/cli_run.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

namespace {

const QString kExportDir = QStringLiteral(PICKLESCOPE_TEST_DATA "/export/");
const QString kTorchDir = QStringLiteral(PICKLESCOPE_TEST_DATA "/torch/");

using Run = testing::CliRun;

Run cli(const QStringList& args)
{
    return testing::runCli(args);
}

QJsonDocument readJson(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(file.readAll())
                                          : QJsonDocument();
}

} // namespace

class TestCliExport : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void jsonWritesTheTypedExport();
    void jsonOptionsPlainIndentAndOutputFile();
    void malformedInputExitsOneAndWritesNothing();
    void treePrintsPartialTreeThenTheError();
    void treeMarksSharedValuesAndElidesLongContainers();
    void infoListsTensorsWithPathsAndTotals();
    void usageErrorsExitTwo_data();
    void usageErrorsExitTwo();

private:
    QTemporaryDir m_dir;
    QString m_truncated;
};

void TestCliExport::initTestCase()
{
    if (qEnvironmentVariable("PICKLESCOPE_CLI").isEmpty())
        QSKIP("PICKLESCOPE_CLI is not set (run through ctest)");
    QVERIFY(m_dir.isValid());
    // shared_p2.pkl (no frames) cut before its last opcodes: loads partially.
    QFile in(kExportDir + QStringLiteral("shared_p2.pkl"));
    QVERIFY(in.open(QIODevice::ReadOnly));
    const QByteArray bytes = in.readAll();
    m_truncated = m_dir.filePath(QStringLiteral("truncated.pkl"));
    QFile out(m_truncated);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(bytes.left(bytes.size() - 8));
}

void TestCliExport::jsonWritesTheTypedExport()
{
    const Run r = cli({ QStringLiteral("json"), kExportDir + QStringLiteral("shared_p2.pkl") });
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.err.isEmpty());
    QCOMPARE(
        QJsonDocument::fromJson(r.out), readJson(kExportDir + QStringLiteral("shared_p2.json")));
}

void TestCliExport::jsonOptionsPlainIndentAndOutputFile()
{
    const QString out = m_dir.filePath(QStringLiteral("out.json"));
    const Run r = cli({ QStringLiteral("json"), kExportDir + QStringLiteral("cycles_p4.pkl"),
        QStringLiteral("--plain"), QStringLiteral("--indent"), QStringLiteral("2"),
        QStringLiteral("-o"), out });
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.isEmpty());
    QFile file(out);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray text = file.readAll();
    QVERIFY(text.startsWith("{\n  \"$id\": 1,\n  \"$value\": ["));
    QCOMPARE(QJsonDocument::fromJson(text),
        readJson(kExportDir + QStringLiteral("cycles_p4.plain.json")));
}

void TestCliExport::malformedInputExitsOneAndWritesNothing()
{
    const Run r = cli({ QStringLiteral("json"), m_truncated });
    QCOMPARE(r.exitCode, 1);
    QVERIFY(r.out.isEmpty());
    QCOMPARE(r.err.count('\n'), 1);
    QVERIFY2(r.err.contains("byte"), r.err.constData());
}

void TestCliExport::treePrintsPartialTreeThenTheError()
{
    const Run r = cli({ QStringLiteral("tree"), m_truncated });
    QCOMPARE(r.exitCode, 1);
    QVERIFY(!r.out.isEmpty());
    QVERIFY2(r.err.contains("byte"), r.err.constData());
    const Run info = cli({ QStringLiteral("info"), m_truncated });
    QCOMPARE(info.exitCode, 1);
    QVERIFY(info.out.contains("format:    pickle"));
}

void TestCliExport::treeMarksSharedValuesAndElidesLongContainers()
{
    // shared: a = [1, 2]; [a, a, t, t, d, d, (a,), {"again": d}]
    const Run r = cli({ QStringLiteral("tree"), kExportDir + QStringLiteral("shared_p4.pkl") });
    QCOMPARE(r.exitCode, 0);
    const QList<QByteArray> lines = r.out.split('\n');
    QCOMPARE(lines.value(0), QByteArray("list (8 items)"));
    QCOMPARE(lines.value(1), QByteArray("  [0]: list (2 items)  #1"));
    // Shared (↗), as the window marks it; ↻ is for a value that contains itself.
    QCOMPARE(lines.value(4), QByteArray("  [1]: list (2 items)  \xE2\x86\x97 #1 (root[0])"));
    const Run cyc = cli(
        { QStringLiteral("tree"), QStringLiteral(PICKLESCOPE_TEST_DATA "/ui/shared_cycle.pkl") });
    QCOMPARE(cyc.exitCode, 0);
    // cycle = []; cycle.append(cycle): its only item is itself.
    QVERIFY2(cyc.out.contains("  'cycle': list (1 item)  #2\n    [0]: list (1 item)  \xE2\x86\xBB "
                              "#2 (root['cycle'])\n"),
        cyc.out.constData());
    // big_dict has 300 keys: cut after --max-items.
    const Run big = cli({ QStringLiteral("tree"), kExportDir + QStringLiteral("big_dict_p4.pkl"),
        QStringLiteral("--max-items"), QStringLiteral("10") });
    QCOMPARE(big.exitCode, 0);
    QCOMPARE(big.out.count('\n'), 12);
    QVERIFY(big.out.contains("  \xE2\x80\xA6 290 more\n"));
    const Run shallow
        = cli({ QStringLiteral("tree"), kExportDir + QStringLiteral("containers_p4.pkl"),
            QStringLiteral("--depth"), QStringLiteral("0") });
    QCOMPARE(shallow.out, QByteArray("list (13 items)  \xE2\x80\xA6\n"));
}

void TestCliExport::infoListsTensorsWithPathsAndTotals()
{
    const Run r = cli({ QStringLiteral("info"), kTorchDir + QStringLiteral("params_zip.pt") });
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.contains("format:    torch-zip"));
    QVERIFY(r.out.contains("tensors:   4"));
    QVERIFY(r.out.contains("$['state']['weight']"));
    QVERIFY(r.out.contains("parameters: 14"));
    QVERIFY(r.out.contains("safety:    safe"));
    const Run stats = cli({ QStringLiteral("info"), kTorchDir + QStringLiteral("params_zip.pt"),
        QStringLiteral("--stats") });
    QCOMPARE(stats.exitCode, 0);
    QVERIFY(stats.out.contains("mean"));
}

void TestCliExport::usageErrorsExitTwo_data()
{
    QTest::addColumn<QStringList>("args");
    const QString file = kExportDir + QStringLiteral("shared_p4.pkl");
    QTest::newRow("json without a file") << QStringList { QStringLiteral("json") };
    QTest::newRow("an unknown --tensor-data mode") << QStringList { QStringLiteral("json"), file,
        QStringLiteral("--tensor-data"), QStringLiteral("most") };
    QTest::newRow("a negative --indent") << QStringList { QStringLiteral("json"), file,
        QStringLiteral("--indent"), QStringLiteral("-1") };
    QTest::newRow("a --depth that is not a number") << QStringList { QStringLiteral("tree"), file,
        QStringLiteral("--depth"), QStringLiteral("x") };
    QTest::newRow("two files for info") << QStringList { QStringLiteral("info"), file, file };
}

void TestCliExport::usageErrorsExitTwo()
{
    QFETCH(QStringList, args);
    const Run r = cli(args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.out.isEmpty());
    QVERIFY(!r.err.isEmpty());
}

QTEST_APPLESS_MAIN(TestCliExport)
#include "tst_cli_export.moc"
