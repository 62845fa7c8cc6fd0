// picklescope-cli diff on pairs of checkpoints made by gen_compare_fixtures.py (torch 1.13):
// every access path gets the status numpy's allclose and key comparison give (expected.json,
// written by the generator beside the fixtures), with the same max_abs / max_rel / mismatched
// counts, the same summary and the exit code 0 (same or close) / 4 (differences); and the same
// weights across formats (.bin, .safetensors, a sharded index: gen_cross_format_fixtures.py).

#include "tests/common/cli_run.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <cmath>

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

QJsonObject expectedCase(const QString& name)
{
    QFile file(dataDir() + "/expected.json");
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QJsonArray cases
        = QJsonDocument::fromJson(file.readAll()).object().value("cases").toArray();
    for (const auto& c : cases)
        if (c.toObject().value("name").toString() == name)
            return c.toObject();
    return {};
}

bool near(double ours, double numpy)
{
    return std::fabs(ours - numpy) <= 1e-12 * std::max(1.0, std::fabs(numpy));
}

// Every entry of a `diff --json` report against the generator's: the same paths and statuses and,
// where numpy gave them, the same max_abs / max_rel / mismatched count.
void checkEntries(const QJsonArray& entries, const QJsonObject& expectedEntries)
{
    QCOMPARE(entries.size(), expectedEntries.size());
    for (const auto& v : entries) {
        const QJsonObject e = v.toObject();
        const QString path = e.value("path").toString();
        QVERIFY2(expectedEntries.contains(path), qPrintable("unexpected path " + path));
        const QJsonObject x = expectedEntries.value(path).toObject();
        QVERIFY2(e.value("status").toString() == x.value("status").toString(),
            qPrintable(path + ": " + e.value("status").toString()
                + " != " + x.value("status").toString()));
        if (x.contains("max_abs")) {
            QVERIFY2(near(e.value("max_abs").toDouble(), x.value("max_abs").toDouble()),
                qPrintable(
                    path + " max_abs " + QString::number(e.value("max_abs").toDouble(), 'g', 17)));
            QVERIFY2(near(e.value("max_rel").toDouble(), x.value("max_rel").toDouble()),
                qPrintable(
                    path + " max_rel " + QString::number(e.value("max_rel").toDouble(), 'g', 17)));
            QCOMPARE(e.value("mismatched").toInt(), x.value("mismatched").toInt());
        }
    }
}

} // namespace

class TestDiffCli : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        if (qEnvironmentVariable("PICKLESCOPE_CLI").isEmpty())
            QSKIP("PICKLESCOPE_CLI is not set (run through ctest)");
    }

    void givesEveryPathTheStatusNumpyGives_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("a checkpoint saved twice is the same everywhere") << "identical";
        QTest::newRow(
            "a tensor moved by 1e-3 and one moved by 1 are both changed at numpy's defaults")
            << "perturbed";
        QTest::newRow("with --atol 0.01 the 1e-3 change is close and the change of 1 stays changed")
            << "perturbed_atol";
        QTest::newRow("fp32 weights against the same weights in fp16 are close at --rtol 1e-3")
            << "fp16";
        QTest::newRow("fp32 against fp16 at the default tolerance reports the dtype change")
            << "fp16_default";
        QTest::newRow("a renamed, an added and a removed key are only_a and only_b") << "keys";
        QTest::newRow("a reshaped tensor is a shape change") << "reshaped";
        QTest::newRow("tied weights on one storage are compared once and both reported")
            << "shared";
        QTest::newRow("changed hyper-parameters are changed values beside the same tensors")
            << "hparams";
        QTest::newRow(
            "a Lightning state_dict matches a bare state dict with --under and --strip-prefix")
            << "lightning";
        QTest::newRow("NaNs in the same places are equal; a NaN-free difference is not") << "nan";
    }
    void givesEveryPathTheStatusNumpyGives()
    {
        QFETCH(QString, name);
        const QJsonObject c = expectedCase(name);
        QVERIFY2(!c.isEmpty(), "expected.json has the case");
        QStringList args { "diff", c.value("a").toString(), c.value("b").toString(), "--json" };
        for (const auto& a : c.value("args").toArray())
            args << a.toString();
        const Run run = runCli(args);
        QCOMPARE(run.exitCode, c.value("exit").toInt());
        QJsonParseError parseError;
        const QJsonObject report = QJsonDocument::fromJson(run.out, &parseError).object();
        QCOMPARE(parseError.error, QJsonParseError::NoError);
        QCOMPARE(
            report.value("a").toObject().value("format").toString(), QStringLiteral("torch-zip"));

        const QJsonObject summary = report.value("summary").toObject();
        const QJsonObject expectedSummary = c.value("summary").toObject();
        for (auto it = expectedSummary.begin(); it != expectedSummary.end(); ++it)
            QVERIFY2(summary.value(it.key()).toInt() == it.value().toInt(),
                qPrintable(it.key() + ": " + QString::number(summary.value(it.key()).toInt())
                    + " != " + QString::number(it.value().toInt())));

        checkEntries(report.value("entries").toArray(), c.value("entries").toObject());
    }

    // The same weights as a torch.save'd .bin, a .safetensors file and a sharded index of two
    // .bin shards (gen_cross_format_fixtures.py): every key pairs with its twin across formats.
    void pairsEveryKeyAcrossFormats_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("formatA");
        QTest::addColumn<QString>("formatB");
        QTest::newRow("a .bin and its .safetensors conversion are the same everywhere")
            << "bin_safetensors"
            << "torch-zip"
            << "safetensors";
        QTest::newRow("a sharded index and the single .safetensors file are the same")
            << "sharded_safetensors"
            << "sharded"
            << "safetensors";
        QTest::newRow("a sharded index and the single .bin file are the same") << "sharded_bin"
                                                                               << "sharded"
                                                                               << "torch-zip";
        QTest::newRow(
            "one element moved by 1e-3 in the .safetensors is changed with numpy's max_abs")
            << "bin_perturbed"
            << "torch-zip"
            << "safetensors";
    }
    void pairsEveryKeyAcrossFormats()
    {
        QFETCH(QString, name);
        QFETCH(QString, formatA);
        QFETCH(QString, formatB);
        QFile file(dataDir() + "/cross/expected.json");
        QVERIFY(file.open(QIODevice::ReadOnly));
        QJsonObject c;
        for (const auto& v :
            QJsonDocument::fromJson(file.readAll()).object().value("cases").toArray())
            if (v.toObject().value("name").toString() == name)
                c = v.toObject();
        QVERIFY2(!c.isEmpty(), "cross/expected.json has the case");
        const Run run = runCli({ "diff", "cross/" + c.value("a").toString(),
            "cross/" + c.value("b").toString(), "--json" });
        QCOMPARE(run.exitCode, c.value("exit").toInt());
        const QJsonObject report = QJsonDocument::fromJson(run.out).object();
        QCOMPARE(report.value("a").toObject().value("format").toString(), formatA);
        QCOMPARE(report.value("b").toObject().value("format").toString(), formatB);
        const QJsonObject summary = report.value("summary").toObject();
        QCOMPARE(summary.value("only_a").toInt(), 0);
        QCOMPARE(summary.value("only_b").toInt(), 0);
        const QJsonArray entries = report.value("entries").toArray();
        checkEntries(entries, c.value("entries").toObject());
        if (QTest::currentTestFailed())
            return;
        int changed = 0;
        for (const auto& v : entries)
            changed += v.toObject().value("status").toString() == "changed" ? 1 : 0;
        QVERIFY(changed > 0 || c.value("exit").toInt() == 0);
        QCOMPARE(summary.value("changed").toInt(), changed);
    }

    void reportsTheFirstMismatchAndTheSharedStorage()
    {
        const Run run = runCli({ "diff", "shared_a.pt", "shared_b.pt", "--json" });
        QCOMPARE(run.exitCode, 4);
        const QJsonArray entries
            = QJsonDocument::fromJson(run.out).object().value("entries").toArray();
        QJsonObject head;
        for (const auto& v : entries)
            if (v.toObject().value("path").toString() == "$['head.weight']")
                head = v.toObject();
        QCOMPARE(head.value("shared_with").toString(), QStringLiteral("$['embed.weight']"));
        QCOMPARE(head.value("first_mismatch").toArray(), (QJsonArray { 0, 0 }));
        QCOMPARE(head.value("a").toObject().value("shape").toArray(), (QJsonArray { 4, 6 }));
    }

    void printsASummaryThenTheDifferencesLargestFirst()
    {
        const Run run = runCli({ "diff", "perturbed_a.pt", "perturbed_b.pt" });
        QCOMPARE(run.exitCode, 4);
        const QString text = QString::fromUtf8(run.out);
        QVERIFY(text.contains("17 paths: 15 same, 0 close, 2 changed"));
        const auto fc = text.indexOf("changed $['model']['fc.weight']");
        const auto bias = text.indexOf("changed $['model']['conv.bias']");
        QVERIFY(fc > 0 && bias > fc);
        QVERIFY(text.contains("(first at [2, 5])"));
    }

    void rejectsBadArguments_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::newRow("one file is a usage error") << QStringList { "diff", "identical_a.pt" } << 2;
        QTest::newRow("a negative tolerance is a usage error")
            << QStringList { "diff", "identical_a.pt", "identical_b.pt", "--atol", "-1" } << 2;
        QTest::newRow("an unknown --values mode is a usage error")
            << QStringList { "diff", "identical_a.pt", "identical_b.pt", "--values", "all" } << 2;
        QTest::newRow("--under a path neither file has is a usage error") << QStringList { "diff",
            "identical_a.pt", "identical_b.pt", "--under", "$['nope']" } << 2;
        QTest::newRow("a missing file is exit 1")
            << QStringList { "diff", "identical_a.pt", "missing.pt" } << 1;
    }
    void rejectsBadArguments()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QCOMPARE(runCli(args).exitCode, exitCode);
    }
};

QTEST_GUILESS_MAIN(TestDiffCli)
#include "tst_diff_cli.moc"
