// Python 2 str payloads decoded with any codec name Python accepts (pickle.loads(data,
// encoding=NAME)): for each (file, name) of tests/data/pickle/codecs/py2_codecs.expected.json,
// written by tests/pickle/gen_codec_fixtures.py from CPython, the loaded strings equal CPython's,
// or the load fails where CPython raised UnicodeDecodeError. And the text codecs themselves
// (core/pickle/text_decoding: UTF-8 strict and surrogatepass, raw-unicode-escape, escape_decode
// with the unpickler's and pickletools' rules) against text_codecs.expected.json: CPython's
// result or its exact error message for each input.

#include "core/loader.h"
#include "core/pickle/pickle_machine.h"
#include "core/pickle/text_decoding.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace core;

namespace {

const QString kDir = QStringLiteral(PICKLESCOPE_TEST_DATA "/pickle/codecs/");

// The rows of one of the generator's JSON files (empty when it cannot be read), as objects.
QList<QJsonObject> expectedRows(const QString& name)
{
    QFile f(kDir + name);
    QList<QJsonObject> rows;
    if (f.open(QIODevice::ReadOnly))
        for (const auto& row : QJsonDocument::fromJson(f.readAll()).array())
            rows.append(row.toObject());
    return rows;
}

} // namespace

class TestCodecs : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void decodesAsCPythonDoesForEveryCodecName_data();
    void decodesAsCPythonDoesForEveryCodecName();
    void refusesACodecNameNobodyKnows();
    void decodesTextAsCPythonsCodecsDo_data();
    void decodesTextAsCPythonsCodecsDo();
};

void TestCodecs::decodesAsCPythonDoesForEveryCodecName_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("encoding");
    QTest::addColumn<QJsonValue>("expected");
    const QList<QJsonObject> rows = expectedRows(QStringLiteral("py2_codecs.expected.json"));
    QVERIFY(rows.size() >= 15);
    for (const QJsonObject& o : rows) {
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

void TestCodecs::decodesTextAsCPythonsCodecsDo_data()
{
    QTest::addColumn<QJsonObject>("expected"); // input (hex), codec, and error / bytes / codepoints
    const QList<QJsonObject> rows = expectedRows(QStringLiteral("text_codecs.expected.json"));
    QVERIFY(rows.size() >= 100);
    for (const QJsonObject& o : rows)
        QTest::addRow("%s of %s %s", qPrintable(o.value(QStringLiteral("codec")).toString()),
            qPrintable(o.value(QStringLiteral("input")).toString()),
            o.contains(QStringLiteral("error")) ? "fails with CPython's message"
                                                : "gives CPython's text")
            << o;
}

void TestCodecs::decodesTextAsCPythonsCodecsDo()
{
    QFETCH(QJsonObject, expected);
    const QByteArray input
        = QByteArray::fromHex(expected.value(QStringLiteral("input")).toString().toLatin1());
    const QString codec = expected.value(QStringLiteral("codec")).toString();
    const std::string_view text(input.constData(), static_cast<std::size_t>(input.size()));
    std::u32string codePoints;
    std::string bytes;
    std::string problem;
    bool ok = false;
    if (codec == QStringLiteral("utf-8") || codec == QStringLiteral("utf-8 surrogatepass")) {
        ok = decodeUtf8(
            text, codec.endsWith(QStringLiteral("surrogatepass")), &codePoints, problem);
        // The machine's check agrees on where it fails.
        bool surrogates = false;
        std::size_t bad = 0;
        QCOMPARE(
            validateUtf8(text, codec.endsWith(QStringLiteral("surrogatepass")), surrogates, bad),
            ok);
    } else if (codec == QStringLiteral("raw-unicode-escape")) {
        ok = decodeRawUnicodeEscape(text, codePoints, problem);
        std::string utf8;
        bool surrogates = false;
        std::string again;
        QCOMPARE(decodeRawUnicodeEscape(text, utf8, surrogates, again), ok);
        QCOMPARE(again, problem);
    } else if (codec == QStringLiteral("escape_decode")) {
        ok = escapeDecode(text, bytes, problem);
    } else {
        QCOMPARE(codec, QStringLiteral("escape_decode ascii"));
        ok = escapeDecode(text, bytes, problem, TextRules::Pickletools);
        codePoints.assign(bytes.begin(), bytes.end());
        bytes.clear();
    }
    if (expected.contains(QStringLiteral("error"))) {
        QVERIFY(!ok);
        QCOMPARE(
            QString::fromStdString(problem), expected.value(QStringLiteral("error")).toString());
    } else if (expected.contains(QStringLiteral("bytes"))) {
        QVERIFY2(ok, problem.c_str());
        QCOMPARE(QByteArray::fromStdString(bytes).toHex(),
            expected.value(QStringLiteral("bytes")).toString().toLatin1());
    } else {
        QVERIFY2(ok, problem.c_str());
        QJsonArray got;
        for (char32_t c : codePoints)
            got.append(static_cast<qint64>(c));
        QCOMPARE(got, expected.value(QStringLiteral("codepoints")).toArray());
    }
}

QTEST_APPLESS_MAIN(TestCodecs)
#include "tst_codecs.moc"
