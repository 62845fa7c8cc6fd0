// Scanning many files: folders walked in a stable order whatever the thread count, files that are
// not pickles counted as skipped, symlink loops and broken links reported without stopping the
// batch, the batch JSON, functools.partial judged by what it wraps, and `picklescope-cli scan
// PATH...` exit codes.

#include "core/safety/batch_scan.h"
#include "core/safety/sarif_writer.h"
#include "tests/common/cli_run.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace core::safety;

namespace {

QString dataDir()
{
    return QStringLiteral(PICKLESCOPE_TEST_DATA "/safety");
}

bool copy(const QString& from, const QString& to)
{
    QDir().mkpath(QFileInfo(to).absolutePath());
    return QFile::copy(from, to);
}

bool writeFile(const QString& path, const QByteArray& bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

// A folder of malicious, benign and non-pickle files, two levels deep.
bool makeTree(const QString& root)
{
    return copy(dataDir() + "/malicious/os_system_p0.pkl", root + "/a/evil.pkl")
        && copy(dataDir() + "/malicious/torch_zip_payload.pt", root + "/a/deep/evil.pt")
        && copy(dataDir() + "/benign/numpy_p4.pkl", root + "/b/arrays.pkl")
        && copy(dataDir() + "/benign/torch_state_dict.pt", root + "/b/weights.pt")
        && copy(dataDir() + "/benign/py2_proto0_reconstructor.pkl", root + "/b/deep/p0.pkl")
        && writeFile(root + "/top.pkl", QByteArray::fromHex("80025d71002e")) // []
        && writeFile(root + "/notes.txt", "hello\n")
        && writeFile(root + "/b/train.py", "import os\nimport torch\nprint(torch.__version__)\n")
        && writeFile(root + "/b/table.csv", "a,b\n1,2\n")
        && writeFile(root + "/b/image.png", QByteArray::fromHex("89504e470d0a1a0a0000000d"))
        && writeFile(root + "/b/empty.bin", QByteArray());
}

QStringList pathsOf(const BatchResult& result, const QString& root)
{
    QStringList out;
    for (const FileScan& file : result.files)
        out << QString::fromStdString(file.path).mid(root.size() + 1) + ":"
                + QString::number(int(file.status)) + ":"
                + QString::fromUtf8(verdictName(file.report.verdict).data());
    return out;
}

using Run = testing::CliRun;
using testing::runCli;

} // namespace

class TestBatchScan : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void walksFoldersInTheSameOrderWhateverTheJobCount()
    {
        QTemporaryDir dir;
        QVERIFY(makeTree(dir.path()));
        BatchOptions options;
        options.recursive = true;
        options.jobs = 1;
        const BatchResult one = scanPaths({ dir.path().toStdString() }, options);
        options.jobs = 4;
        const BatchResult four = scanPaths({ dir.path().toStdString() }, options);
        const QStringList expected {
            "a/deep/evil.pt:0:dangerous",
            "a/evil.pkl:0:dangerous",
            "b/arrays.pkl:0:safe",
            "b/deep/p0.pkl:0:unknown",
            "b/empty.bin:1:safe", // skipped (status 1): an empty report
            "b/image.png:1:safe",
            "b/table.csv:1:safe",
            "b/train.py:1:safe",
            "b/weights.pt:0:safe",
            "notes.txt:1:safe",
            "top.pkl:0:safe",
        };
        QCOMPARE(pathsOf(one, dir.path()), expected);
        QCOMPARE(pathsOf(four, dir.path()), expected);
        QCOMPARE(one.summary.scanned, std::size_t(6));
        QCOMPARE(one.summary.dangerous, std::size_t(2));
        QCOMPARE(one.summary.unknown, std::size_t(1));
        QCOMPARE(one.summary.clean, std::size_t(3));
        QCOMPARE(one.summary.skipped, std::size_t(5));
        QCOMPARE(one.summary.errors, std::size_t(0));
    }

    void scansOnlyAFoldersOwnFilesWithoutRecursive()
    {
        QTemporaryDir dir;
        QVERIFY(makeTree(dir.path()));
        const BatchResult result = scanPaths({ dir.path().toStdString() });
        QCOMPARE(
            pathsOf(result, dir.path()), QStringList({ "notes.txt:1:safe", "top.pkl:0:safe" }));
    }

    void reportsSymlinkLoopsAndBrokenLinksAndGoesOn()
    {
        QTemporaryDir dir;
        QVERIFY(makeTree(dir.path()));
        QVERIFY(QFile::link(dir.path(), dir.path() + "/a/deep/up"));
        QVERIFY(QFile::link(dir.path() + "/self", dir.path() + "/self"));
        QVERIFY(QFile::link(dir.path() + "/missing.pkl", dir.path() + "/b/gone.pkl"));
        BatchOptions options;
        options.recursive = true;
        const BatchResult result = scanPaths({ dir.path().toStdString() }, options);
        QStringList errors;
        for (const FileScan& file : result.files)
            if (file.status == FileStatus::Error)
                errors << QString::fromStdString(file.path).mid(dir.path().size() + 1) + ": "
                        + QString::fromStdString(file.error);
        QCOMPARE(errors,
            QStringList({
                "a/deep/up: symlink loop: it leads back to a folder that contains it",
                "b/gone.pkl: broken symlink",
                "self: symlink loop: the link resolves to itself",
            }));
        QCOMPARE(result.summary.errors, std::size_t(3));
        QCOMPARE(result.summary.scanned, std::size_t(6)); // every file still scanned
    }

    void writesTheBatchJson()
    {
        QTemporaryDir dir;
        QVERIFY(makeTree(dir.path()));
        QVERIFY(writeFile(dir.path() + "/broken.pkl", QByteArray::fromHex("80025d7100284b01")));
        BatchOptions options;
        options.recursive = true;
        const BatchResult result = scanPaths({ dir.path().toStdString() }, options);
        const QJsonObject json = QJsonDocument::fromJson(batchToJson(result)).object();
        const QJsonObject summary = json.value("summary").toObject();
        QCOMPARE(summary.value("scanned").toInt(), 7);
        QCOMPARE(summary.value("dangerous").toInt(), 2);
        QCOMPARE(summary.value("unknown").toInt(), 1);
        QCOMPARE(summary.value("clean").toInt(), 4);
        QCOMPARE(summary.value("skipped").toInt(), 5);
        QCOMPARE(summary.value("errors").toInt(), 1);
        const QJsonArray files = json.value("files").toArray();
        QCOMPARE(files.size(), 7); // skipped files are only counted
        const QJsonObject evil = files.at(1).toObject();
        QVERIFY(evil.value("path").toString().endsWith("/a/evil.pkl"));
        QCOMPARE(evil.value("verdict").toString(), QStringLiteral("dangerous"));
        const QJsonObject global = evil.value("globals").toArray().at(0).toObject();
        QCOMPARE(global.value("module").toString(), QStringLiteral("posix"));
        QCOMPARE(global.value("name").toString(), QStringLiteral("system"));
        QCOMPARE(global.value("verdict").toString(), QStringLiteral("dangerous"));
        QVERIFY(global.value("offset").isDouble());
        QVERIFY(global.value("path").isString());
        const QJsonObject broken = files.at(5).toObject();
        QVERIFY(broken.value("path").toString().endsWith("/broken.pkl"));
        QVERIFY(broken.value("error").toString().contains("byte"));
    }

    void writesANonUtf8GlobalNameAsValidJsonInTheBatchJsonAndSarif()
    {
        QTemporaryDir dir;
        // c os\xff\n system\n ) R . : GLOBAL with a module name that is not UTF-8
        QVERIFY(writeFile(dir.path() + "/not_utf8_global.pkl",
            QByteArray::fromHex("636f73ff0a73797374656d0a29522e")));
        const BatchResult result = scanPaths({ dir.path().toStdString() });
        QCOMPARE(result.files.size(), std::size_t(1));
        QCOMPARE(result.files[0].report.globals.size(), std::size_t(1));

        QJsonParseError error;
        const QJsonDocument batch = QJsonDocument::fromJson(batchToJson(result), &error);
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
        const QJsonObject global = batch.object()
                                       .value("files")
                                       .toArray()
                                       .at(0)
                                       .toObject()
                                       .value("globals")
                                       .toArray()
                                       .at(0)
                                       .toObject();
        QCOMPARE(global.value("module").toString(), QString("os\uFFFD"));
        QCOMPARE(global.value("name").toString(), QString("system"));

        const QJsonDocument sarif
            = QJsonDocument::fromJson(toSarif(result, "1.0.0", dir.path().toStdString()), &error);
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
        const QJsonArray results
            = sarif.object().value("runs").toArray().at(0).toObject().value("results").toArray();
        QCOMPARE(results.size(), 1);
        const QJsonObject found = results.at(0).toObject();
        QCOMPARE(found.value("properties").toObject().value("global").toString(),
            QString("os\uFFFD.system"));
        QVERIFY(found.value("message").toObject().value("text").toString().startsWith(
            "os\uFFFD.system"));
    }

    void tellsPicklesFromOtherFiles_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<bool>("scannable");
        QTest::newRow("a protocol 2 header is a pickle") << QByteArray::fromHex("8002") << true;
        QTest::newRow("a protocol 0 program that reaches STOP is a pickle")
            << QByteArray("(lp0\nI1\na.") << true;
        QTest::newRow("a protocol 0 call cut short is still a pickle")
            << QByteArray("cos\nsystem\n(S'id'\ntR") << true;
        QTest::newRow("Python source is not") << QByteArray("import os\nimport sys\n") << false;
        QTest::newRow("CSV is not") << QByteArray("a,b\n1,2\n") << false;
        QTest::newRow("PNG is not") << QByteArray::fromHex("89504e470d0a1a0a") << false;
        QTest::newRow("an empty file is not") << QByteArray() << false;
        QTest::newRow("protocol 6 does not exist") << QByteArray::fromHex("80065d2e") << false;
    }
    void tellsPicklesFromOtherFiles()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(bool, scannable);
        QCOMPARE(isScannable(std::as_bytes(std::span(bytes.constData(), bytes.size()))), scannable);
    }

    void judgesAPartialByWhatItWraps_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("verdict");
        QTest::addColumn<QString>("reason");
        QTest::newRow("partial(int, base=2) at protocol 2 is safe")
            << "benign/functools_partial_int_p2.pkl" << int(Verdict::Safe)
            << "call wrapper around builtins.int: every global it wraps is safe";
        QTest::newRow("partial(int, base=2) at protocol 4 is safe")
            << "benign/functools_partial_int_p4.pkl" << int(Verdict::Safe)
            << "call wrapper around builtins.int: every global it wraps is safe";
        QTest::newRow("partial(os.system, 'id') is dangerous for what it wraps")
            << "malicious/functools_partial_wraps_system_p2.pkl" << int(Verdict::Dangerous)
            << "call wrapper around posix.system: posix.system is dangerous (runs programs or "
               "shell commands)";
        QTest::newRow("a partial(os.system) called while loading is dangerous")
            << "malicious/functools_partial_p4.pkl" << int(Verdict::Dangerous)
            << "call wrapper around posix.system: posix.system is dangerous (runs programs or "
               "shell commands)";
    }
    void judgesAPartialByWhatItWraps()
    {
        QFETCH(QString, file);
        QFETCH(int, verdict);
        QFETCH(QString, reason);
        const FileScan scan = scanFile((dataDir() + "/" + file).toStdString());
        QCOMPARE(int(scan.status), int(FileStatus::Scanned));
        int found = 0;
        for (const GlobalUse& use : scan.report.globals) {
            if (use.module != "functools" || use.name != "partial")
                continue;
            ++found;
            QCOMPARE(int(use.verdict), verdict);
            QCOMPARE(QString::fromStdString(use.reason), reason);
        }
        QCOMPARE(found, 1);
        QCOMPARE(int(scan.report.verdict), verdict);
    }

    void exitsWithTheWorstVerdict_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::newRow("benign files with unknown globals exit 0")
            << QStringList { "scan", "--recursive", "b" } << 0;
        QTest::newRow("unknown globals exit 3 with --fail-on unknown")
            << QStringList { "scan", "--recursive", "--fail-on", "unknown", "b" } << 3;
        QTest::newRow("a dangerous file anywhere exits 3")
            << QStringList { "scan", "-r", "--jobs", "2", "b", "a" } << 3;
        QTest::newRow("a malformed pickle and nothing dangerous exits 1")
            << QStringList { "scan", "b", "broken.pkl", "--format", "json" } << 1;
        QTest::newRow("a dangerous file beats a malformed one")
            << QStringList { "scan", "broken.pkl", "a/evil.pkl" } << 3;
        QTest::newRow("a bad --format is a usage error")
            << QStringList { "scan", "b", "--format", "xml" } << 2;
    }
    void exitsWithTheWorstVerdict()
    {
        if (qEnvironmentVariable("PICKLESCOPE_CLI").isEmpty())
            QSKIP("PICKLESCOPE_CLI is not set (run through ctest)");
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QTemporaryDir dir;
        QVERIFY(makeTree(dir.path()));
        QVERIFY(writeFile(dir.path() + "/broken.pkl", QByteArray::fromHex("80025d7100284b01")));
        const Run run = runCli(args, dir.path());
        QCOMPARE(run.exitCode, exitCode);
    }

    void writesSarifWithUrisRelativeToTheWorkingFolder()
    {
        if (qEnvironmentVariable("PICKLESCOPE_CLI").isEmpty())
            QSKIP("PICKLESCOPE_CLI is not set (run through ctest)");
        QTemporaryDir dir;
        QVERIFY(makeTree(dir.path()));
        const Run run
            = runCli({ "scan", "-r", "--format", "sarif", dir.path() + "/a" }, dir.path());
        QCOMPARE(run.exitCode, 3);
        const QJsonObject run0
            = QJsonDocument::fromJson(run.out).object().value("runs").toArray().at(0).toObject();
        QStringList uris;
        for (const QJsonValue& r : run0.value("results").toArray())
            uris << r.toObject()
                        .value("locations")
                        .toArray()
                        .at(0)
                        .toObject()
                        .value("physicalLocation")
                        .toObject()
                        .value("artifactLocation")
                        .toObject()
                        .value("uri")
                        .toString();
        uris.removeDuplicates();
        QCOMPARE(uris, QStringList({ "a/deep/evil.pt", "a/evil.pkl" }));
    }

    void keepsTheOneFileJsonForOneFile()
    {
        if (qEnvironmentVariable("PICKLESCOPE_CLI").isEmpty())
            QSKIP("PICKLESCOPE_CLI is not set (run through ctest)");
        const Run run = runCli({ "scan", dataDir() + "/malicious/os_system_p0.pkl", "--json" });
        QCOMPARE(run.exitCode, 3);
        QVERIFY(run.out.startsWith("{\"picklescope\": 1,"));
    }
};

QTEST_APPLESS_MAIN(TestBatchScan)
#include "tst_batch_scan.moc"
