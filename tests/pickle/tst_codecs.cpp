// Python 2 str payloads decoded with any codec name Python accepts (pickle.loads(data,
// encoding=NAME)): for each (file, name) of tests/data/pickle/codecs/py2_codecs.expected.json,
// written by tests/pickle/gen_codec_fixtures.py from CPython, the loaded strings equal CPython's,
// or the load fails where CPython raised UnicodeDecodeError.

#include "core/loader.h"
#include "core/pickle/pickle_machine.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace core;

namespace {

const QString kDir = QStringLiteral(PICKLESCOPE_TEST_DATA "/pickle/codecs/");

} // namespace

class TestCodecs : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void decodesAsCPythonDoesForEveryCodecName_data();
    void decodesAsCPythonDoesForEveryCodecName();
    void refusesACodecNameNobodyKnows();
};

void TestCodecs::decodesAsCPythonDoesForEveryCodecName_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("encoding");
    QTest::addColumn<QJsonValue>("expected");
    QFile f(kDir + QStringLiteral("py2_codecs.expected.json"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonArray rows = QJsonDocument::fromJson(f.readAll()).array();
    QVERIFY(rows.size() >= 15);
    for (const auto& r : rows) {
        const QJsonObject o = r.toObject();
        const QString file = o.value(QStringLiteral("file")).toString();
        const QString encoding = o.value(QStringLiteral("encoding")).toString();
        const bool error = o.contains(QStringLiteral("error"));
        QTest::addRow("%s read with encoding %s %s", qPrintable(file), qPrintable(encoding),
            error ? "fails as CPython does" : "gives CPython's strings")
            << file << encoding << (error ? QJsonValue() : o.value(QStringLiteral("value")));
    }
}

void TestCodecs::decodesAsCPythonDoesForEveryCodecName()
{
    QFETCH(QString, file);
    QFETCH(QString, encoding);
    QFETCH(QJsonValue, expected);
    LoadOptions options;
    QVERIFY(setEncodingByName(options, encoding.toStdString()));
    auto doc = loadFile((kDir + file).toStdString(), options);
    if (expected.isNull()) {
        QVERIFY(!doc.ok() || doc.value()->error.has_value());
        return;
    }
    QVERIFY2(doc.ok(), doc.ok() ? "" : doc.error().message.c_str());
    QVERIFY(!doc.value()->error.has_value());
    const ValueGraph& g = doc.value()->graph;
    const auto& items = g.items(doc.value()->root);
    const QJsonArray want = expected.toArray();
    QCOMPARE(qsizetype(items.size()), want.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        QCOMPARE(g.kind(items[i]), ValueKind::Str);
        const auto text = g.text(items[i]);
        QCOMPARE(
            QString::fromUtf8(text.data(), qsizetype(text.size())), want[qsizetype(i)].toString());
    }
}

void TestCodecs::refusesACodecNameNobodyKnows()
{
    LoadOptions options;
    QVERIFY(!setEncodingByName(options, "no-such-codec-42"));
    QVERIFY(setEncodingByName(options, "Latin-1"));
    QCOMPARE(options.encoding, Py2Encoding::Latin1);
    QVERIFY(setEncodingByName(options, "bytes"));
    QCOMPARE(options.encoding, Py2Encoding::Bytes);
}

QTEST_APPLESS_MAIN(TestCodecs)
#include "tst_codecs.moc"
