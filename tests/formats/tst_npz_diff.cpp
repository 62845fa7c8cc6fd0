// A cross-format diff: `picklescope-cli diff --json` of a torch.save state dict against an
// np.savez of the same arrays pairs every key (a torch tensor with an ndarray) and reports them
// `same`; against a copy with one key perturbed it reports that key `changed`, with the first
// mismatching index, and exits 4. Fixtures: tests/formats/gen_npy_fixtures.py (gen_diff).

#include "tests/common/cli_run.h"

#include <QtTest>

namespace {

const QString kDir = QStringLiteral(PICKLESCOPE_TEST_DATA "/formats/npy/");

QJsonObject expectedDiff()
{
    QFile f(kDir + "expected.json");
    if (!f.open(QIODevice::ReadOnly))
        qFatal("no expected.json");
    return QJsonDocument::fromJson(f.readAll()).object()["diff"].toObject();
}

struct DiffRun {
    int exitCode = -1;
    QJsonObject json;
};

DiffRun runDiff(const QString& a, const QString& b)
{
    const testing::CliRun cli = testing::runCli({ "diff", "--json", kDir + a, kDir + b });
    return { cli.exitCode, QJsonDocument::fromJson(cli.out).object() };
}

// path "$['name']" -> entry
QJsonObject entryFor(const QJsonObject& json, const QString& key)
{
    const QString path = QStringLiteral("$['%1']").arg(key);
    for (const QJsonValue& e : json["entries"].toArray())
        if (e.toObject()["path"].toString() == path)
            return e.toObject();
    return {};
}

} // namespace

class TestNpzDiff : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(qEnvironmentVariableIsSet("PICKLESCOPE_CLI"), "run under ctest (PICKLESCOPE_CLI)");
    }

    void pairsEveryTorchTensorWithItsNdArray()
    {
        const QJsonObject exp = expectedDiff();
        const DiffRun run = runDiff(exp["a"].toString(), exp["same"].toString());
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.json["a"].toObject()["format"].toString(), QStringLiteral("torch-zip"));
        QCOMPARE(run.json["b"].toObject()["format"].toString(), QStringLiteral("npz"));
        const QJsonObject summary = run.json["summary"].toObject();
        QCOMPARE(summary["only_a"].toInt(), 0);
        QCOMPARE(summary["only_b"].toInt(), 0);
        QCOMPARE(summary["changed"].toInt(), 0);
        for (const QJsonValue& key : exp["keys"].toArray()) {
            const QJsonObject e = entryFor(run.json, key.toString());
            QVERIFY2(!e.isEmpty(), qPrintable(key.toString()));
            QCOMPARE(e["kind"].toString(), QStringLiteral("tensor"));
            QCOMPARE(e["status"].toString(), QStringLiteral("same"));
            QCOMPARE(e["a"].toObject()["shape"], e["b"].toObject()["shape"]);
            QCOMPARE(e["a"].toObject()["dtype"], e["b"].toObject()["dtype"]);
        }
        QVERIFY(summary["bytes_compared"].toInteger() > 0);
    }

    void reportsThePerturbedKeyChanged()
    {
        const QJsonObject exp = expectedDiff();
        const DiffRun run = runDiff(exp["a"].toString(), exp["changed_file"].toString());
        QCOMPARE(run.exitCode, 4);
        QCOMPARE(run.json["summary"].toObject()["changed"].toInt(), 1);
        for (const QJsonValue& key : exp["keys"].toArray()) {
            const QJsonObject e = entryFor(run.json, key.toString());
            QVERIFY2(!e.isEmpty(), qPrintable(key.toString()));
            const bool perturbed = key.toString() == exp["changed"].toString();
            QCOMPARE(e["status"].toString(),
                perturbed ? QStringLiteral("changed") : QStringLiteral("same"));
            if (perturbed) {
                QCOMPARE(e["mismatched"].toInt(), 1);
                QCOMPARE(e["first_mismatch"].toArray(), exp["first_mismatch"].toArray());
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestNpzDiff)
#include "tst_npz_diff.moc"
