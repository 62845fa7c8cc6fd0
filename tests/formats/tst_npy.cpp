// .npy and .npz end to end against numpy 1.24 (tests/formats/gen_npy_fixtures.py): every dtype
// of the numpy fixtures in stored and deflated .npz members, header versions 1.0 / 2.0 / 3.0,
// Fortran order, 0-d and empty arrays, object arrays (their pickle run and scanned), and
// hostile variants refused with the byte offset the generator computed. Values are compared
// as the JSON export's text with --tensor-data full and summary, against numpy's tolist().

#include "core/export/json_writer.h"
#include "core/formats/detect_format.h"
#include "core/formats/npy_reader.h"
#include "core/loader.h"
#include "core/safety/scanned_load.h"
#include "tests/common/cli_run.h"
#include "tests/common/json_text.h"

#include <QtTest>

using namespace core;

namespace {

const QString kDir = QStringLiteral(PICKLESCOPE_TEST_DATA "/formats/npy/");

QJsonObject expected()
{
    QFile f(kDir + "expected.json");
    if (!f.open(QIODevice::ReadOnly))
        qFatal("no expected.json");
    return QJsonDocument::fromJson(f.readAll()).object();
}

QByteArray expectedText()
{
    QFile f(kDir + "expected.json");
    if (!f.open(QIODevice::ReadOnly))
        qFatal("no expected.json");
    return f.readAll();
}

// The text of member `key` inside the object text `object` (top level of it only).
QByteArray memberOf(const QByteArray& object, const QByteArray& key)
{
    // walk the top-level members
    qsizetype i = 1;
    while (i < object.size()) {
        if (object[i] != '"')
            return {};
        const QByteArray name = testing::balancedJson(object, i);
        i += name.size();
        if (i >= object.size() || object[i] != ':')
            return {};
        const QByteArray value = testing::balancedJson(object, i + 1);
        if (name == "\"" + key + "\"")
            return value;
        i += 1 + value.size();
        if (i < object.size() && object[i] == ',')
            ++i;
        else
            return {};
    }
    return {};
}

QByteArray exportOf(const std::shared_ptr<const Document>& doc, TensorDataMode mode)
{
    JsonExportOptions options;
    options.plain = true;
    options.tensorData = mode;
    return QByteArray::fromStdString(toJson(doc, options));
}

QByteArray quoted(const QString& s)
{
    return QJsonDocument(QJsonArray { s }).toJson(QJsonDocument::Compact).mid(1).chopped(1);
}

} // namespace

class TestNpy : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void readsEveryArrayAsNumpyLoadDoes_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("an .npz of stored members, every dtype") << "dtypes.npz";
        QTest::newRow("an .npz of deflated members (savez_compressed), every dtype")
            << "dtypes_compressed.npz";
        QTest::newRow("a version 1.0 header") << "v1_f8_2d.npy";
        QTest::newRow("a version 2.0 header with a structured dtype") << "v2_struct.npy";
        QTest::newRow("a version 3.0 header with UTF-8 field names") << "v3_utf8_fields.npy";
        QTest::newRow("a Fortran-ordered 3-d float32 array") << "fortran_f4.npy";
        QTest::newRow("a Fortran-ordered text array") << "fortran_U.npy";
        QTest::newRow("a 0-d big-endian float") << "scalar_0d.npy";
        QTest::newRow("an empty 0 x 3 array") << "empty_0x3.npy";
        QTest::newRow("a big-endian int32 matrix") << "big_endian_i4.npy";
        QTest::newRow("an aligned struct, its padding dropped") << "aligned_struct.npy";
        QTest::newRow("a nested struct with a sub-array field") << "nested_struct.npy";
        QTest::newRow("an object array, its pickle run") << "object_harmless.npy";
        QTest::newRow("an .npz with an object member") << "objects.npz";
    }
    void readsEveryArrayAsNumpyLoadDoes()
    {
        QFETCH(QString, file);
        const QJsonObject exp = expected()["arrays"].toObject()[file].toObject();
        QVERIFY(!exp.isEmpty());
        const QByteArray expText = expectedText();
        // the raw expected text of this file's arrays (values compared as text: exact ints)
        const QByteArray expArrays = memberOf(
            memberOf(memberOf(expText, "arrays"), quoted(file).mid(1).chopped(1)), "arrays");
        QVERIFY(!expArrays.isEmpty());

        auto source = ByteSource::mapFile((kDir + file).toStdString());
        QVERIFY(source.ok());
        const bool npz = exp["format"].toString() == "npz";
        QCOMPARE(detectFormat(source.value()->bytes()), npz ? FileFormat::Npz : FileFormat::Npy);
        auto loaded = loadFile((kDir + file).toStdString());
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().toString().c_str());
        std::shared_ptr<const Document> doc = loaded.value();
        QVERIFY2(!doc->error, doc->error ? doc->error->toString().c_str() : "");
        const ValueGraph& g = doc->graph;

        // the root: the array itself, or dict name -> array in np.load(...).files order
        const QJsonArray order = exp["order"].toArray();
        if (npz) {
            QCOMPARE(g.kind(doc->root), ValueKind::Dict);
            const auto& items = g.items(doc->root);
            QCOMPARE(qsizetype(items.size()), 2 * order.size());
            for (qsizetype k = 0; k < order.size(); ++k)
                QCOMPARE(QString::fromUtf8(g.text(items[std::size_t(2 * k)]).data(),
                             qsizetype(g.text(items[std::size_t(2 * k)]).size())),
                    order[k].toString());
        } else {
            QCOMPARE(g.kind(doc->root), ValueKind::NdArray);
        }

        int summaries = 0;
        const QByteArray full = exportOf(doc, TensorDataMode::Full);
        const QByteArray summary = exportOf(doc, TensorDataMode::Summary);
        for (const QJsonValue& nameValue : order) {
            const QString name = nameValue.toString();
            const QJsonObject want = exp["arrays"].toObject()[name].toObject();
            const QByteArray wantText = memberOf(expArrays, quoted(name).mid(1).chopped(1));
            const QByteArray haveFull = npz ? memberOf(full, quoted(name).mid(1).chopped(1)) : full;
            const QByteArray haveSummary
                = npz ? memberOf(summary, quoted(name).mid(1).chopped(1)) : summary;
            QVERIFY2(!haveFull.isEmpty(), qPrintable(name));
            const QJsonObject array = QJsonDocument::fromJson(haveFull).object();
            QCOMPARE(array["descr"].toString(), want["descr"].toString());
            QCOMPARE(array["shape"].toArray(), want["shape"].toArray());
            QCOMPARE(array["fortran_order"].toBool(), want["fortran"].toBool());
            // full values: element by element, as numpy's tolist() under the JSON rules
            const QByteArray have = memberOf(memberOf(haveFull, "data"), "values");
            const QByteArray wanted = memberOf(wantText, "values");
            QVERIFY2(!wanted.isEmpty() && !have.isEmpty(), qPrintable(name));
            if (have != wanted)
                QFAIL(qPrintable(name + ": got " + QString::fromUtf8(have) + " want "
                    + QString::fromUtf8(wanted)));
            // summary: the first 16 elements, min and max
            if (want.contains("summary")) {
                const QByteArray s = memberOf(haveSummary, "data");
                const QByteArray ws = memberOf(wantText, "summary");
                for (const QByteArray& key :
                    { QByteArray("first"), QByteArray("min"), QByteArray("max") }) {
                    const QByteArray w = memberOf(ws, key);
                    if (w.isEmpty())
                        continue;
                    ++summaries;
                    if (memberOf(s, key) != w)
                        QFAIL(qPrintable(name + " summary " + QString::fromLatin1(key) + ": got "
                            + QString::fromUtf8(memberOf(s, key)) + " want "
                            + QString::fromUtf8(w)));
                }
            }
            // the dtype value numpy's pickle would hold reads back to the same repr
            const ValueId id = npz ? [&] {
                const auto& items = g.items(doc->root);
                for (std::size_t k = 0; k + 1 < items.size(); k += 2)
                    if (g.text(items[k]) == name.toStdString())
                        return items[k + 1];
                return kNullValue;
            }()
                                   : doc->root;
            QCOMPARE(g.kind(id), ValueKind::NdArray);
            const auto d = numpy::dtypeFromValue(g, g.ndarray(id).dtypeValue);
            QVERIFY2(d.has_value(), qPrintable(name));
            QCOMPARE(QString::fromStdString(d->repr()), want["repr"].toString());
        }
        qDebug() << file << order.size() << "arrays," << summaries << "summary values compared";
    }

    void numericArraysAreViewsOfTheMappedFile()
    {
        auto loaded = loadFile((kDir + "v1_f8_2d.npy").toStdString());
        QVERIFY(loaded.ok());
        std::shared_ptr<const Document> doc = loaded.value();
        const NdArrayRecord& a = doc->graph.ndarray(doc->root);
        const auto data = doc->graph.bytes(a.data);
        const auto file = doc->source->bytes();
        auto header = formats::parseNpyHeader(file);
        QVERIFY(header.ok());
        QCOMPARE(data.data(), file.data() + header->dataOffset);
        QCOMPARE(std::uint64_t(data.size()), header->dataBytes);
        QCOMPARE(header->dataBytes, std::uint64_t(12 * 8));
        QCOMPARE(header->major, 1);
    }

    void scansNumericFilesAsHoldingNoCode_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("a numeric .npy") << "v1_f8_2d.npy";
        QTest::newRow("a numeric .npz") << "dtypes_compressed.npz";
    }
    void scansNumericFilesAsHoldingNoCode()
    {
        QFETCH(QString, file);
        auto scanned = safety::loadAndScan((kDir + file).toStdString());
        QVERIFY(scanned.ok());
        QVERIFY(scanned->doc->pickles.empty());
        QCOMPARE(scanned->report.picklesScanned, std::size_t(0));
        QCOMPARE(scanned->report.verdict, safety::Verdict::Safe);
        // the CLI says so
        QVERIFY2(!testing::cliPath().isEmpty(), "run under ctest (PICKLESCOPE_CLI)");
        const testing::CliRun cli = testing::runCli({ "scan", kDir + file });
        QVERIFY(cli.exitCode >= 0);
        QVERIFY(cli.out.contains("no code possible"));
    }

    void scansTheObjectArrayPickles()
    {
        auto harmless = safety::loadAndScan((kDir + "object_harmless.npy").toStdString());
        QVERIFY(harmless.ok());
        QCOMPARE(harmless->doc->pickles.size(), std::size_t(1));
        QCOMPARE(harmless->report.picklesScanned, std::size_t(1));
        QCOMPARE(harmless->report.verdict, safety::Verdict::Safe);

        const QJsonObject m = expected()["malicious"].toObject();
        auto bad = safety::loadAndScan((kDir + m["file"].toString()).toStdString());
        QVERIFY(bad.ok());
        QCOMPARE(bad->report.verdict, safety::Verdict::Dangerous);
        bool named = false;
        for (const auto& use : bad->report.globals)
            named = named
                || (QString::fromStdString(use.module + "." + use.name) == m["global"].toString()
                    && use.verdict == safety::Verdict::Dangerous);
        QVERIFY(named);

        auto npz = safety::loadAndScan((kDir + "objects.npz").toStdString());
        QVERIFY(npz.ok());
        QCOMPARE(npz->report.picklesScanned, std::size_t(1));
        QCOMPARE(npz->doc->pickles.front().name, std::string("safe.npy"));
    }

    void refusesHostileFiles_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("a bad magic") << "bad_magic.npy";
        QTest::newRow("format version 4.0") << "bad_version.npy";
        QTest::newRow("a header length past the end of the file") << "bad_header_past_end.npy";
        QTest::newRow("a header length over the 1 MiB limit") << "bad_header_over_limit.npy";
        QTest::newRow("a header holding a call, never evaluated") << "bad_header_code.npy";
        QTest::newRow("a header without shape") << "bad_header_missing_shape.npy";
        QTest::newRow("a descr numpy does not read") << "bad_descr.npy";
        QTest::newRow("a negative dimension") << "bad_negative_dim.npy";
        QTest::newRow("a shape whose element count overflows") << "bad_overflow_shape.npy";
        QTest::newRow("data shorter than dtype x shape") << "bad_truncated_data.npy";
        QTest::newRow("an object array whose pickle is cut") << "bad_truncated_object.npy";
        QTest::newRow("an .npz whose member's data is cut") << "bad_member.npz";
    }
    void refusesHostileFiles()
    {
        QFETCH(QString, file);
        const QJsonObject exp = expected()["hostile"].toObject()[file].toObject();
        QVERIFY(!exp.isEmpty());
        auto loaded = loadFile((kDir + file).toStdString());
        Error error;
        if (loaded.ok()) {
            // a cut pickle: the document keeps what was built, with its error
            QVERIFY(loaded.value()->error.has_value());
            error = *loaded.value()->error;
            QVERIFY(exp["offset"].isNull());
        } else {
            error = loaded.error();
            QCOMPARE(qint64(error.offset), exp["offset"].toInteger());
        }
        QCOMPARE(QString::fromLatin1(errorCodeName(error.code)), exp["code"].toString());
        if (loaded.ok()) {
            const auto& d = loaded.value()->diagnostics;
            QVERIFY(std::any_of(d.begin(), d.end(), [&](const Diagnostic& x) {
                return QString::fromStdString(x.message).contains(exp["contains"].toString());
            }));
        } else {
            QVERIFY2(QString::fromStdString(error.message).contains(exp["contains"].toString()),
                error.message.c_str());
        }
    }
};

QTEST_GUILESS_MAIN(TestNpy)
#include "tst_npy.moc"
