// --filter QUERY on picklescope-cli info, json, tree and diff: json lists exactly the paths that
// Python's predicates select (queries.json from gen_compare_fixtures.py), info keeps the
// matching tensor rows, tree shows matches with their ancestors, diff compares only matching
// paths, and a bad query is a usage error that says where.

#include "tests/common/cli_run.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

namespace {

QString dataDir()
{
    return QStringLiteral(PICKLESCOPE_TEST_DATA "/compare");
}

using Run = testing::CliRun;

Run runCli(const QStringList& args)
{
    return testing::runCli(args, dataDir());
}

} // namespace

class TestCliFilter : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        if (qEnvironmentVariable("PICKLESCOPE_CLI").isEmpty())
            QSKIP("PICKLESCOPE_CLI is not set (run through ctest)");
    }

    void jsonListsThePathsPythonSelects_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("query");
        QTest::addColumn<QStringList>("paths");
        QFile file(dataDir() + "/queries.json");
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonArray all
            = QJsonDocument::fromJson(file.readAll()).object().value("queries").toArray();
        for (const auto& v : all) {
            const QJsonObject q = v.toObject();
            QStringList paths;
            for (const auto& p : q.value("paths").toArray())
                paths << p.toString();
            const QString name = "json --filter '" + q.value("query").toString() + "' on "
                + q.value("file").toString() + " lists " + QString::number(paths.size()) + " paths";
            QTest::newRow(qPrintable(name))
                << q.value("file").toString() << q.value("query").toString() << paths;
        }
    }
    void jsonListsThePathsPythonSelects()
    {
        QFETCH(QString, file);
        QFETCH(QString, query);
        QFETCH(QStringList, paths);
        const Run run = runCli({ "json", file, "--filter", query });
        QCOMPARE(run.exitCode, 0);
        const QJsonObject report = QJsonDocument::fromJson(run.out).object();
        QCOMPARE(report.value("filter").toString(), query);
        QStringList got;
        for (const auto& m : report.value("matches").toArray())
            got << m.toObject().value("path").toString();
        QCOMPARE(got, paths);
    }

    void infoKeepsTheMatchingTensorRows()
    {
        const Run run = runCli({ "info", "fp16_b.pt", "--filter", "numel:>100" });
        QCOMPARE(run.exitCode, 0);
        const QString text = QString::fromUtf8(run.out);
        QVERIFY(text.contains("filter:    numel:>100 (2 of 6 tensors)"));
        QVERIFY(text.contains("$['model']['conv.weight']"));
        QVERIFY(text.contains("$['model']['fc.weight']"));
        QVERIFY(!text.contains("$['model']['fc.bias']"));
    }

    void treeShowsMatchesWithTheirAncestors()
    {
        const Run run = runCli({ "tree", "fp16_b.pt", "--filter", "name:*bias* | resnet" });
        QCOMPARE(run.exitCode, 0);
        const QStringList lines = QString::fromUtf8(run.out).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines,
            (QStringList { "dict (3 items)", "  'model': OrderedDict (6 items)",
                "    'conv.bias': tensor float16 [4]", "    'fc.bias': tensor float16 [10]",
                "  'hparams': dict (5 items)", "    'name': 'resnet-tiny'" }));
    }

    void diffComparesOnlyMatchingPaths()
    {
        const Run run = runCli(
            { "diff", "perturbed_a.pt", "perturbed_b.pt", "--json", "--filter", "name:*bias*" });
        QCOMPARE(run.exitCode, 4);
        QStringList got;
        for (const auto& e : QJsonDocument::fromJson(run.out).object().value("entries").toArray())
            got << e.toObject().value("path").toString() + " "
                    + e.toObject().value("status").toString();
        QCOMPARE(
            got, (QStringList { "$['model']['conv.bias'] changed", "$['model']['fc.bias'] same" }));
        const Run same
            = runCli({ "diff", "perturbed_a.pt", "perturbed_b.pt", "--filter", "name:*fc.bias*" });
        QCOMPARE(same.exitCode, 0);
    }

    void aBadQueryIsAUsageErrorThatSaysWhere_data()
    {
        QTest::addColumn<QString>("command");
        QTest::newRow("info rejects an unknown key") << "info";
        QTest::newRow("json rejects an unknown key") << "json";
        QTest::newRow("tree rejects an unknown key") << "tree";
        QTest::newRow("diff rejects an unknown key") << "diff";
    }
    void aBadQueryIsAUsageErrorThatSaysWhere()
    {
        QFETCH(QString, command);
        QStringList args { command, "fp16_a.pt" };
        if (command == "diff")
            args << "fp16_b.pt";
        args << "--filter"
             << "fc dtyp:float16";
        const Run run = runCli(args);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("--filter: unknown key 'dtyp' at 4"), run.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestCliFilter)
#include "tst_cli_filter.moc"
