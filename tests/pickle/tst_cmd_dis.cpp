// picklescope-cli dis end to end: text identical to pickletools, exit codes, --json.

#include "tests/common/cli_run.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

namespace {

QString dataDir() { return QStringLiteral(PICKLESCOPE_TEST_DATA "/pickle"); }

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

using Run = testing::CliRun;
using testing::runCli;

} // namespace

class TestCmdDis : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        if (qEnvironmentVariableIsEmpty("PICKLESCOPE_CLI"))
            QSKIP("PICKLESCOPE_CLI not set (run through ctest)");
    }

    void printsWhatPickletoolsPrints_data()
    {
        QTest::addColumn<QString>("name");
        for (const char* name : { "strings_p0", "floats_p3", "hand_unicode_text", "py2_data0", "memo_many_p4",
                 "oob_buffers_p5", "hand_two_pickles" })
            QTest::newRow(name) << QString::fromLatin1(name);
    }
    void printsWhatPickletoolsPrints()
    {
        QFETCH(QString, name);
        const Run run = runCli({ QStringLiteral("dis"), dataDir() + QLatin1Char('/') + name + QStringLiteral(".pkl") });
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.out, readAll(dataDir() + QLatin1Char('/') + name + QStringLiteral(".dis")));
        QVERIFY(run.err.isEmpty());
    }

    void malformedInputPrintsLinesThenOneErrorLine_data()
    {
        QTest::addColumn<QString>("name");
        for (const char* name : { "bad/memo_miss_binget", "bad/truncated_p4", "bad/unknown_opcode",
                 "bad/length_past_end_binunicode", "hand_stack_not_empty" })
            QTest::newRow(name) << QString::fromLatin1(name);
    }
    void malformedInputPrintsLinesThenOneErrorLine()
    {
        QFETCH(QString, name);
        const QString base = dataDir() + QLatin1Char('/') + name;
        const Run run = runCli({ QStringLiteral("dis"), base + QStringLiteral(".pkl") });
        QCOMPARE(run.exitCode, 1);
        QCOMPARE(run.out, readAll(base + QStringLiteral(".dis")));
        const QByteArray err = readAll(base + QStringLiteral(".dis.err"));
        const QByteArray offset = err.mid(err.indexOf("offset: ") + 8).trimmed();
        QCOMPARE(run.err.count('\n'), qsizetype(1));
        QVERIFY2(run.err.contains("at byte " + offset + ":"), run.err.constData());
    }

    void jsonHasOneObjectPerOpcode()
    {
        const QString path = dataDir() + QStringLiteral("/hand_memoize_after_put.pkl");
        const Run run = runCli({ QStringLiteral("dis"), path, QStringLiteral("--json") });
        QCOMPARE(run.exitCode, 0);
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(run.out, &error);
        QCOMPARE(error.error, QJsonParseError::NoError);
        const QJsonArray records = doc.array();
        const QList<QByteArray> lines = readAll(dataDir() + QStringLiteral("/hand_memoize_after_put.dis")).split('\n');
        QCOMPARE(records.size(), lines.size() - 2); // minus "highest protocol" and the final empty split
        const QJsonObject proto = records.at(0).toObject();
        QCOMPARE(proto.value(QStringLiteral("offset")).toInt(), 0);
        QCOMPARE(proto.value(QStringLiteral("opcode")).toInt(), 0x80);
        QCOMPARE(proto.value(QStringLiteral("name")).toString(), QStringLiteral("PROTO"));
        QCOMPARE(proto.value(QStringLiteral("arg")).toString(), QStringLiteral("4"));
        const QJsonObject memoize = records.at(3).toObject();
        QCOMPARE(memoize.value(QStringLiteral("name")).toString(), QStringLiteral("MEMOIZE"));
        QVERIFY(memoize.value(QStringLiteral("arg")).isNull());
        QCOMPARE(memoize.value(QStringLiteral("memo")).toInt(), 1);
        QCOMPARE(memoize.value(QStringLiteral("stack_depth")).toInt(), 1);
        QCOMPARE(records.at(6).toObject().value(QStringLiteral("stack_depth")).toInt(), 2); // TUPLE2
    }

    void disassemblesThePickleInsideAnArchive_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("member");
        QTest::addColumn<QString>("expected");
        QTest::newRow("zip archive: data.pkl by default") << "zip_small.pt" << "" << "zip_small.data.pkl.dis";
        QTest::newRow("zip archive: data.pkl named") << "zip_small.pt" << "data.pkl" << "zip_small.data.pkl.dis";
        QTest::newRow("TorchScript: data.pkl") << "scripted_small.pt" << "" << "scripted_small.data.pkl.dis";
        QTest::newRow("TorchScript: constants.pkl") << "scripted_small.pt" << "constants.pkl"
                                                    << "scripted_small.constants.pkl.dis";
        QTest::newRow("legacy protocol 2: the main pickle") << "legacy_small.pt" << "" << "legacy_small.main.dis";
        QTest::newRow("legacy protocol 4: the main pickle") << "legacy_small_p4.pt" << "" << "legacy_small_p4.main.dis";
    }
    void disassemblesThePickleInsideAnArchive()
    {
        QFETCH(QString, file);
        QFETCH(QString, member);
        QFETCH(QString, expected);
        const QString dir = dataDir() + QStringLiteral("/archives/");
        QStringList args { QStringLiteral("dis"), dir + file };
        if (!member.isEmpty())
            args << QStringLiteral("--member") << member;
        const Run run = runCli(args);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(run.out, readAll(dir + expected));
    }

    void unknownMemberIsAUsageError()
    {
        const Run run = runCli({ QStringLiteral("dis"), dataDir() + QStringLiteral("/archives/zip_small.pt"),
            QStringLiteral("--member"), QStringLiteral("nope.pkl") });
        QCOMPARE(run.exitCode, 2);
        QVERIFY(run.err.contains("nope.pkl"));
    }

    void missingFileIsAnError()
    {
        const Run run = runCli({ QStringLiteral("dis"), dataDir() + QStringLiteral("/no-such-file.pkl") });
        QCOMPARE(run.exitCode, 1);
        QVERIFY(!run.err.isEmpty());
    }
};

QTEST_APPLESS_MAIN(TestCmdDis)
#include "tst_cmd_dis.moc"
