// picklescope-cli scan: exit codes (0 nothing dangerous, 3 dangerous, 1 malformed and nothing
// dangerous seen), the text report and the --json form, on files of the safety corpus.

#include "tests/common/cli_run.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

namespace {

QString dataDir()
{
    return QStringLiteral(PICKLESCOPE_TEST_DATA "/safety");
}

using Run = testing::CliRun;

Run runCli(const QStringList& args)
{
    return testing::runCli(args);
}

} // namespace

class TestScanCli : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        if (qEnvironmentVariable("PICKLESCOPE_CLI").isEmpty())
            QSKIP("PICKLESCOPE_CLI is not set (run through ctest)");
    }

    void exitsWithTheVerdict_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("needle");
        QTest::newRow("os.system at protocol 0 is dangerous")
            << "malicious/os_system_p0.pkl" << 3 << "posix.system";
        QTest::newRow("a getattr chain is dangerous")
            << "malicious/getattr_chain_p4.pkl" << 3 << "builtins.getattr";
        QTest::newRow("a payload in a second pickle is dangerous")
            << "malicious/second_pickle_payload.pkl" << 3 << "another pickle follows STOP";
        QTest::newRow("plain data at protocol 2 is clean")
            << "benign/plain_data_p2.pkl" << 0 << "written as __builtin__.set";
        QTest::newRow("numpy arrays are clean, with an add_safe_globals line")
            << "benign/numpy_p4.pkl" << 0 << "torch.serialization.add_safe_globals([";
    }
    void exitsWithTheVerdict()
    {
        QFETCH(QString, file);
        QFETCH(int, exitCode);
        QFETCH(QString, needle);
        const Run run = runCli({ "scan", dataDir() + "/" + file });
        QCOMPARE(run.exitCode, exitCode);
        QVERIFY2(QString::fromUtf8(run.out).contains(needle), run.out.constData());
    }

    void reportsAMalformedFileWithExitOne()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("truncated.pkl");
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray::fromHex(
            "80027d7100580300")); // PROTO 2, EMPTY_DICT, BINPUT, truncated BINUNICODE
        file.close();
        const Run run = runCli({ "scan", path });
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("at byte"), run.err.constData());
    }

    void stillFlagsAMalformedFileWithADangerousGlobal()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("truncated_payload.pkl");
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("cposix\nsystem\nX\xff\x00\x00\x00ab", 20);
        file.close();
        const Run run = runCli({ "scan", path });
        QCOMPARE(run.exitCode, 3);
        QVERIFY(run.out.contains("posix.system"));
    }

    // A GLOBAL whose module name holds a byte that is not UTF-8 (0xff): the JSON report is still
    // valid JSON, the byte shown as U+FFFD.
    void writesValidJsonForAGlobalNameThatIsNotUtf8()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("not_utf8_global.pkl");
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(
            QByteArray::fromHex("636f73ff0a73797374656d0a29522e")); // c os\xff\n system\n ) R .
        file.close();
        const Run run = runCli({ "scan", path, "--json" });
        QJsonParseError error;
        const QJsonDocument json = QJsonDocument::fromJson(run.out, &error);
        QVERIFY2(error.error == QJsonParseError::NoError,
            qPrintable(error.errorString() + ": " + QString::fromLatin1(run.out)));
        const QJsonArray globals = json.object().value("globals").toArray();
        QCOMPARE(globals.size(), 1);
        QCOMPARE(globals.at(0).toObject().value("module").toString(), QString("os\uFFFD"));
        QCOMPARE(globals.at(0).toObject().value("name").toString(), QString("system"));
    }

    void printsWhereEachGlobalIsUsed_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("path");
        // gen_malicious.py: {"weights": [...], "x": payload}, and a bare payload as the file.
        QTest::newRow("a payload under 'x' is printed at $['x']") << "os_system_p2.pkl"
                                                                  << "$['x']";
        QTest::newRow("a payload that is the whole file is printed at $") << "builtins_open_p2.pkl"
                                                                          << "$";
    }

    void printsWhereEachGlobalIsUsed()
    {
        QFETCH(QString, file);
        QFETCH(QString, path);
        const Run text = runCli({ "scan", dataDir() + "/malicious/" + file });
        QCOMPARE(text.exitCode, 3);
        QVERIFY2(
            text.out.contains(("  " + path + "  called at byte").toUtf8()), text.out.constData());
        const Run json = runCli({ "scan", dataDir() + "/malicious/" + file, "--json" });
        QCOMPARE(json.exitCode, 3);
        const QJsonArray globals
            = QJsonDocument::fromJson(json.out).object().value("globals").toArray();
        QVERIFY(!globals.isEmpty());
        for (const QJsonValue& value : globals)
            if (value.toObject().value("verdict").toString() == "dangerous")
                QCOMPARE(value.toObject().value("path").toString(), path);
    }

    void writesJson()
    {
        const Run run = runCli({ "scan", dataDir() + "/malicious/nested_state_p4.pkl", "--json" });
        QCOMPARE(run.exitCode, 3);
        QJsonParseError error;
        const QJsonDocument json = QJsonDocument::fromJson(run.out, &error);
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
        const QJsonObject root = json.object();
        QCOMPARE(root.value("verdict").toString(), QString("dangerous"));
        QCOMPARE(root.value("file").toObject().value("format").toString(), QString("pickle"));
        bool found = false;
        for (const QJsonValue& value : root.value("globals").toArray()) {
            const QJsonObject g = value.toObject();
            if (g.value("module").toString() == "posix" && g.value("name").toString() == "system") {
                found = true;
                QCOMPARE(g.value("verdict").toString(), QString("dangerous"));
                QVERIFY(g.value("called").toBool());
                QCOMPARE(g.value("path").toString(),
                    QString("$['x'].__dict__['holder'].__dict__['inner']['config'][2]"));
                QVERIFY(!g.value("weights_only").toBool());
            }
        }
        QVERIFY(found);
        QVERIFY(root.value("weights_only")
                    .toObject()
                    .value("blockers")
                    .toArray()
                    .contains("posix.system"));
    }
};

QTEST_APPLESS_MAIN(TestScanCli)
#include "tst_scan_cli.moc"
