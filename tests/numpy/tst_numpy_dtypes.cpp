// numpy arrays of every dtype kind x byte order x protocol 2/4/5 against numpy itself: the
// plain JSON export with --tensor-data full must give, for every array of
// tests/data/numpy/arrays_pN.pkl, the same values text as the generator's tolist()-based
// expectation (tests/numpy/gen_numpy_fixtures.py writes arrays_pN.expected.json), the same
// dtype.str as "descr" and the same repr(dtype).

#include "core/export/json_writer.h"
#include "core/loader.h"
#include "core/numpy/numpy_dtype.h"
#include "core/value/value_text.h"
#include "tests/common/json_text.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace core;

namespace {

const QString kDir = QStringLiteral(PICKLESCOPE_TEST_DATA "/numpy/");

// The text of `"values":` inside the member `name` of the top-level object.
QByteArray valuesOf(const QByteArray& json, const QString& name)
{
    const QByteArray key = "\"" + name.toUtf8() + "\":{";
    qsizetype at = json.indexOf(key);
    if (at < 0)
        return {};
    const QByteArray member = testing::balancedJson(json, at + key.size() - 1);
    const qsizetype v = member.indexOf("\"values\":");
    if (v < 0)
        return {};
    return testing::balancedJson(member, v + 9);
}

} // namespace

class TestNumpyDtypes : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void fullValuesEqualNumpysTolist_data();
    void fullValuesEqualNumpysTolist();
    void descrIsNumpysDtypeStr();
    void reprIsPythonsReprOfTheDtype();
    void descrTextParsesToTheSameDtype();
    void scalarsShowNumpysReprTypeAndValue_data();
    void scalarsShowNumpysReprTypeAndValue();
    void arrayModuleTypecodeFollowsTheMachineFormat();
};

void TestNumpyDtypes::fullValuesEqualNumpysTolist_data()
{
    QTest::addColumn<int>("protocol");
    QTest::newRow("arrays pickled with protocol 2") << 2;
    QTest::newRow("arrays pickled with protocol 4") << 4;
    QTest::newRow("arrays pickled with protocol 5") << 5;
}

void TestNumpyDtypes::fullValuesEqualNumpysTolist()
{
    QFETCH(int, protocol);
    const QString base = kDir + QStringLiteral("arrays_p%1").arg(protocol);
    QFile expectedFile(base + QStringLiteral(".expected.json"));
    QVERIFY(expectedFile.open(QIODevice::ReadOnly));
    const QByteArray expectedText = expectedFile.readAll();
    const QJsonObject expected = QJsonDocument::fromJson(expectedText).object();
    QVERIFY(expected.size() > 90);

    auto doc = loadFile((base + QStringLiteral(".pkl")).toStdString());
    QVERIFY(doc.ok());
    JsonExportOptions options;
    options.plain = true;
    options.tensorData = TensorDataMode::Full;
    const QByteArray got = QByteArray::fromStdString(toJson(doc.value(), options));
    const QJsonObject gotObject = QJsonDocument::fromJson(got).object();
    QCOMPARE(gotObject.size(), expected.size());
    for (auto it = expected.begin(); it != expected.end(); ++it) {
        const QString name = it.key();
        const QByteArray want = valuesOf(expectedText, name);
        const QByteArray have = valuesOf(got, name);
        QVERIFY2(!want.isEmpty(), qPrintable(name));
        if (have != want)
            QFAIL(qPrintable(name + QStringLiteral(": got ") + QString::fromUtf8(have)
                + QStringLiteral(" want ") + QString::fromUtf8(want)));
        const QJsonObject array = gotObject.value(name).toObject();
        QCOMPARE(array.value(QStringLiteral("shape")),
            it.value().toObject().value(QStringLiteral("shape")));
    }
}

void TestNumpyDtypes::descrIsNumpysDtypeStr()
{
    QFile expectedFile(kDir + QStringLiteral("arrays_p4.expected.json"));
    QVERIFY(expectedFile.open(QIODevice::ReadOnly));
    const QJsonObject expected = QJsonDocument::fromJson(expectedFile.readAll()).object();
    auto doc = loadFile((kDir + QStringLiteral("arrays_p4.pkl")).toStdString());
    QVERIFY(doc.ok());
    JsonExportOptions options;
    options.plain = true;
    options.tensorData = TensorDataMode::None;
    const QJsonObject got
        = QJsonDocument::fromJson(QByteArray::fromStdString(toJson(doc.value(), options))).object();
    for (auto it = expected.begin(); it != expected.end(); ++it) {
        const QString want = it.value().toObject().value(QStringLiteral("descr")).toString();
        const QString have
            = got.value(it.key()).toObject().value(QStringLiteral("descr")).toString();
        if (have != want)
            QFAIL(qPrintable(
                it.key() + QStringLiteral(": got ") + have + QStringLiteral(" want ") + want));
    }
}

void TestNumpyDtypes::reprIsPythonsReprOfTheDtype()
{
    QFile expectedFile(kDir + QStringLiteral("arrays_p2.expected.json"));
    QVERIFY(expectedFile.open(QIODevice::ReadOnly));
    const QJsonObject expected = QJsonDocument::fromJson(expectedFile.readAll()).object();
    auto doc = loadFile((kDir + QStringLiteral("arrays_p2.pkl")).toStdString());
    QVERIFY(doc.ok());
    const ValueGraph& g = doc.value()->graph;
    const ValueId root = doc.value()->root;
    const auto& items = g.items(root);
    int checked = 0;
    for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
        const QString name = QString::fromUtf8(
            g.text(items[i]).data(), static_cast<qsizetype>(g.text(items[i]).size()));
        QCOMPARE(g.kind(items[i + 1]), ValueKind::NdArray);
        const auto d = numpy::dtypeFromValue(g, g.ndarray(items[i + 1]).dtypeValue);
        QVERIFY2(d.has_value(), qPrintable(name));
        const QString want
            = expected.value(name).toObject().value(QStringLiteral("repr")).toString();
        const QString have = QString::fromStdString(d->repr());
        if (have != want)
            QFAIL(qPrintable(
                name + QStringLiteral(": got ") + have + QStringLiteral(" want ") + want));
        ++checked;
    }
    QCOMPARE(checked, expected.size());
}

void TestNumpyDtypes::descrTextParsesToTheSameDtype()
{
    // An .npy header's descr: numpy's dtype.descr of the fixture dtypes, as Python writes it.
    const auto simple = numpy::dtypeFromDescr("'<M8[10ms]'");
    QVERIFY(simple.has_value());
    QCOMPARE(QString::fromStdString(simple->repr()), QStringLiteral("dtype('<M8[10ms]')"));
    const auto rec
        = numpy::dtypeFromDescr("[('name', '<U8'), ('pos', '<f4', (2,)), ('id', '<i8')]");
    QVERIFY(rec.has_value());
    QCOMPARE(QString::fromStdString(rec->repr()),
        QStringLiteral("dtype([('name', '<U8'), ('pos', '<f4', (2,)), ('id', '<i8')])"));
    QCOMPARE(rec->node().itemSize, 48u);
    const auto nested = numpy::dtypeFromDescr(
        "[('a', [('x', '>i2'), ('y', '|S3')]), ('b', '<f8', (2, 2)), ('t', '<M8[D]')]");
    QVERIFY(nested.has_value());
    QCOMPARE(QString::fromStdString(nested->repr()),
        QStringLiteral(
            "dtype([('a', [('x', '>i2'), ('y', 'S3')]), ('b', '<f8', (2, 2)), ('t', '<M8[D]')])"));
    QVERIFY(!numpy::dtypeFromDescr("[('a', '<i4')").has_value());
    QVERIFY(!numpy::dtypeFromDescr("'<q9'").has_value());
}

void TestNumpyDtypes::scalarsShowNumpysReprTypeAndValue_data()
{
    QTest::addColumn<int>("protocol");
    QTest::newRow("scalars and dtypes pickled with protocol 2") << 2;
    QTest::newRow("scalars and dtypes pickled with protocol 4") << 4;
    QTest::newRow("scalars and dtypes pickled with protocol 5") << 5;
}

void TestNumpyDtypes::scalarsShowNumpysReprTypeAndValue()
{
    // display = repr(x), plain "$type" = numpy.<type(x).__name__>, plain "value" = the element
    // rule of the arrays (the same text as the generator's).
    QFETCH(int, protocol);
    const QString base = kDir + QStringLiteral("scalars_p%1").arg(protocol);
    QFile expectedFile(base + QStringLiteral(".expected.json"));
    QVERIFY(expectedFile.open(QIODevice::ReadOnly));
    const QByteArray expectedText = expectedFile.readAll();
    const QJsonObject expected = QJsonDocument::fromJson(expectedText).object();
    auto doc = loadFile((base + QStringLiteral(".pkl")).toStdString());
    QVERIFY(doc.ok());
    const ValueGraph& g = doc.value()->graph;
    const auto& items = g.items(doc.value()->root);
    QCOMPARE(qsizetype(items.size() / 2), expected.size());
    JsonExportOptions options;
    options.plain = true;
    options.tensorData = TensorDataMode::None;
    const QByteArray plain = QByteArray::fromStdString(toJson(doc.value(), options));
    for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
        const QString name = QString::fromUtf8(
            g.text(items[i]).data(), static_cast<qsizetype>(g.text(items[i]).size()));
        const QJsonObject want = expected.value(name).toObject();
        const ValueId v = items[i + 1];
        QCOMPARE(QString::fromStdString(displayRepr(g, v)),
            want.value(QStringLiteral("repr")).toString());
        QCOMPARE(
            QString::fromStdString(typeLabel(g, v)), want.value(QStringLiteral("type")).toString());
        if (!want.contains(QStringLiteral("value")))
            continue;
        // the member's "value" text in both files
        auto valueText = [&](const QByteArray& json) {
            const QByteArray key = "\"" + name.toUtf8() + "\":{";
            const qsizetype at = json.indexOf(key);
            const QByteArray member
                = at < 0 ? QByteArray() : testing::balancedJson(json, at + key.size() - 1);
            const qsizetype vat = member.indexOf("\"value\":");
            return vat < 0 ? QByteArray() : testing::balancedJson(member, vat + 8);
        };
        QVERIFY2(!valueText(expectedText).isEmpty(), qPrintable(name));
        QCOMPARE(valueText(plain), valueText(expectedText));
    }
}

void TestNumpyDtypes::arrayModuleTypecodeFollowsTheMachineFormat()
{
    // array._array_reconstructor picks the typecode whose native size matches the machine format
    // (format 8, signed 32-bit, pickled as 'l' by a 32-bit-long platform, is 'i' here).
    QFile expectedFile(kDir + QStringLiteral("array_mformat.expected.json"));
    QVERIFY(expectedFile.open(QIODevice::ReadOnly));
    const QJsonArray expected = QJsonDocument::fromJson(expectedFile.readAll()).array();
    auto doc = loadFile((kDir + QStringLiteral("array_mformat.pkl")).toStdString());
    QVERIFY(doc.ok());
    const ValueGraph& g = doc.value()->graph;
    const auto& items = g.items(doc.value()->root);
    QCOMPARE(qsizetype(items.size()), expected.size());
    for (std::size_t i = 0; i < items.size(); ++i)
        QCOMPARE(
            QString::fromStdString(displayRepr(g, items[i])), expected[qsizetype(i)].toString());
}

QTEST_APPLESS_MAIN(TestNumpyDtypes)
#include "tst_numpy_dtypes.moc"
