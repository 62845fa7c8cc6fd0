// pandas DataFrames and Series as tables against pandas itself: for every frame of
// tests/data/domain/frames_pN.pkl (pandas 1.5, protocols 2/4/5) and frames_v2_pN.pkl (the same
// frames hand-built in pandas 2.x's layout: blocks as a tuple, SingleBlockManager(block, index);
// pandas 1.5 reads them back equal) the plain JSON export with
// --tensor-data full equals what tests/domain/gen_pandas_fixtures.py computed from the frame
// (frames.expected.json: shape, columns, str(dtypes), index, df[col].tolist() under the table
// rules); summary keeps 16 rows, none no data; the typed form carries the same under "table";
// the tree labels a frame "DataFrame R × C".

#include "core/domain/pandas_decoder.h"
#include "core/export/json_writer.h"
#include "core/loader.h"
#include "core/value/value_text.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace core;

namespace {

const QString kDir = QStringLiteral(PICKLESCOPE_TEST_DATA "/domain/");

QJsonObject expected()
{
    QFile f(kDir + QStringLiteral("frames.expected.json"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

QJsonObject exportOf(const QString& file, bool plain, TensorDataMode mode)
{
    auto doc = loadFile((kDir + file).toStdString());
    if (!doc.ok())
        return {};
    JsonExportOptions options;
    options.plain = plain;
    options.tensorData = mode;
    return QJsonDocument::fromJson(QByteArray::fromStdString(toJson(doc.value(), options)))
        .object();
}

} // namespace

class TestPandasDecoder : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void plainFullTablesEqualPandas_data();
    void plainFullTablesEqualPandas();
    void summaryKeepsSixteenRowsAndNoneNoData();
    void typedFormCarriesTheTableBesideTheObject();
    void treeLabelsFramesAndSeries();
};

void TestPandasDecoder::plainFullTablesEqualPandas_data()
{
    QTest::addColumn<QString>("file");
    QTest::newRow("frames pickled with protocol 2") << QStringLiteral("frames_p2.pkl");
    QTest::newRow("frames pickled with protocol 4") << QStringLiteral("frames_p4.pkl");
    QTest::newRow("frames pickled with protocol 5") << QStringLiteral("frames_p5.pkl");
    QTest::newRow("frames in pandas 2.x's layout, protocol 2")
        << QStringLiteral("frames_v2_p2.pkl");
    QTest::newRow("frames in pandas 2.x's layout, protocol 4")
        << QStringLiteral("frames_v2_p4.pkl");
    QTest::newRow("frames in pandas 2.x's layout, protocol 5")
        << QStringLiteral("frames_v2_p5.pkl");
}

void TestPandasDecoder::plainFullTablesEqualPandas()
{
    QFETCH(QString, file);
    const QJsonObject want = expected();
    QVERIFY(want.size() >= 10);
    const QJsonObject got = exportOf(file, true, TensorDataMode::Full);
    for (auto it = want.begin(); it != want.end(); ++it) {
        const QJsonObject w = it.value().toObject();
        const QJsonObject g = got.value(it.key()).toObject();
        for (auto m = w.begin(); m != w.end(); ++m) {
            if (g.value(m.key()) != m.value())
                QFAIL(qPrintable(it.key() + "." + m.key() + ": got "
                    + QString::fromUtf8(QJsonDocument(QJsonArray { g.value(m.key()) })
                                            .toJson(QJsonDocument::Compact))
                    + " want "
                    + QString::fromUtf8(
                        QJsonDocument(QJsonArray { m.value() }).toJson(QJsonDocument::Compact))));
        }
    }
}

void TestPandasDecoder::summaryKeepsSixteenRowsAndNoneNoData()
{
    const QJsonObject summary
        = exportOf(QStringLiteral("frames_p4.pkl"), true, TensorDataMode::Summary);
    const QJsonObject df = summary.value(QStringLiteral("df")).toObject();
    QCOMPARE(df.value(QStringLiteral("data")).toArray().size(), 9);
    QCOMPARE(df.value(QStringLiteral("data")).toArray().first().toArray().size(), 6); // 6 rows < 16
    const QJsonObject none = exportOf(QStringLiteral("frames_p4.pkl"), true, TensorDataMode::None);
    QVERIFY(!none.value(QStringLiteral("df")).toObject().contains(QStringLiteral("data")));
    QCOMPARE(none.value(QStringLiteral("df")).toObject().value(QStringLiteral("shape")).toArray(),
        (QJsonArray { 6, 9 }));
}

void TestPandasDecoder::typedFormCarriesTheTableBesideTheObject()
{
    const QJsonObject want = expected();
    const QJsonObject typed
        = exportOf(QStringLiteral("frames_p4.pkl"), false, TensorDataMode::Full);
    const QJsonArray items
        = typed.value(QStringLiteral("root")).toObject().value(QStringLiteral("items")).toArray();
    int checked = 0;
    for (const auto& pair : items) {
        const QString name = pair.toArray()[0].toObject().value(QStringLiteral("value")).toString();
        const QJsonObject value = pair.toArray()[1].toObject();
        QCOMPARE(value.value(QStringLiteral("type")).toString(), QStringLiteral("object"));
        QVERIFY(value.contains(QStringLiteral("state"))); // the lossless object form stays
        const QJsonObject table = value.value(QStringLiteral("table")).toObject();
        QCOMPARE(table.value(QStringLiteral("data")),
            want.value(name).toObject().value(QStringLiteral("data")));
        ++checked;
    }
    QCOMPARE(checked, want.size());
}

void TestPandasDecoder::treeLabelsFramesAndSeries()
{
    auto doc = loadFile((kDir + QStringLiteral("frames_p2.pkl")).toStdString());
    QVERIFY(doc.ok());
    const ValueGraph& g = doc.value()->graph;
    const auto& items = g.items(doc.value()->root);
    QStringList labels;
    for (std::size_t i = 0; i + 1 < items.size(); i += 2)
        labels << QString::fromStdString(summary(g, items[i + 1]));
    QVERIFY2(labels.contains(QStringLiteral("DataFrame 6 \u00d7 9")), qPrintable(labels.join('|')));
    QVERIFY2(labels.contains(QStringLiteral("DataFrame 0 \u00d7 2")), qPrintable(labels.join('|')));
    QVERIFY2(
        labels.contains(QStringLiteral("Series 3 float64 'val'")), qPrintable(labels.join('|')));
    QVERIFY2(
        labels.contains(QStringLiteral("Series 3 category 'level'")), qPrintable(labels.join('|')));
}

QTEST_APPLESS_MAIN(TestPandasDecoder)
#include "tst_pandas_decoder.moc"
