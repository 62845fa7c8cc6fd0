// joblib files end to end (joblib 1.2 from Debian, gen_format_fixtures.py): arrays written inline
// after NumpyArrayWrapper records, plain and with every compressor, compared with what
// joblib.load returned; a scikit-learn pipeline; truncated streams and a decompression bomb end
// in clear errors.

#include "core/formats/detect_format.h"
#include "core/loader.h"
#include "core/safety/scanned_load.h"
#include "core/torch/tensor_view.h"

#include "tests/common/json_text.h"

#include <QtTest>

#include <cmath>

using namespace core;

namespace {

const QString kDir = QStringLiteral(PICKLESCOPE_TEST_DATA "/formats/");

QJsonObject expectations()
{
    QFile f(kDir + "expectations.json");
    if (!f.open(QIODevice::ReadOnly))
        qFatal("no expectations.json");
    return QJsonDocument::fromJson(f.readAll()).object();
}

ValueId dictValue(const ValueGraph& g, ValueId dict, std::string_view key)
{
    if (!g.valid(dict) || g.kind(dict) != ValueKind::Dict)
        return kNullValue;
    const auto& items = g.items(dict);
    for (std::size_t i = 0; i + 1 < items.size(); i += 2)
        if (g.kind(items[i]) == ValueKind::Str && g.text(items[i]) == key)
            return items[i + 1];
    return kNullValue;
}

void compareArray(const std::shared_ptr<const Document>& doc, ValueId id, const QJsonObject& exp,
    const QString& what)
{
    const ValueGraph& g = doc->graph;
    QVERIFY2(g.valid(id) && g.kind(id) == ValueKind::NdArray, qPrintable(what));
    const NdArrayRecord& a = g.ndarray(id);
    QCOMPARE(QString::fromStdString(std::string(a.dtypeText)), exp["dtype"].toString());
    QJsonArray shape;
    for (auto d : a.shape)
        shape.append(qint64(d));
    QCOMPARE(shape, exp["shape"].toArray());
    QCOMPARE(a.fortranOrder, exp["fortran"].toBool());
    if (exp.contains("reprs")) {
        QCOMPARE(g.kind(a.data), ValueKind::List);
        QCOMPARE(qsizetype(g.items(a.data).size()), exp["reprs"].toArray().size());
        return;
    }
    auto view = torch::TensorView::open(doc, id);
    QVERIFY2(view.ok(), qPrintable(what));
    const QJsonArray values = exp["values"].toArray();
    QCOMPARE(qsizetype(view->numel()), values.size());
    for (qsizetype k = 0; k < values.size(); ++k) {
        const auto [re, im] = view->elementComplex(std::uint64_t(k));
        QVERIFY2(re == testing::numberText(values[k]),
            qPrintable(QStringLiteral("%1[%2]: %3 != %4")
                           .arg(what)
                           .arg(k)
                           .arg(re)
                           .arg(values[k].toString())));
        if (exp.contains("imag"))
            QCOMPARE(im, testing::numberText(exp["imag"].toArray()[k]));
    }
}

} // namespace

class TestJoblib : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void readsInlineArraysAsJoblibLoadDoes_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("an uncompressed dump") << "arrays_plain.joblib";
        QTest::newRow("compress='zlib'") << "arrays_zlib.joblib";
        QTest::newRow("compress='gzip'") << "arrays_gzip.joblib";
        QTest::newRow("compress='bz2'") << "arrays_bz2.joblib";
        QTest::newRow("compress='xz'") << "arrays_xz.joblib";
        QTest::newRow("compress='lzma'") << "arrays_lzma.joblib";
        QTest::newRow("compress='lz4'") << "arrays_lz4.joblib";
    }
    void readsInlineArraysAsJoblibLoadDoes()
    {
        QFETCH(QString, file);
        const QJsonObject exp = expectations()[file].toObject();
        QVERIFY(!exp.isEmpty());
        auto source = ByteSource::mapFile((kDir + file).toStdString());
        QVERIFY(source.ok());
        QCOMPARE(detectFormat(source.value()->bytes()), FileFormat::Joblib);
        QCOMPARE(QString::fromLatin1(joblibCompression(source.value()->bytes()).data(),
                     qsizetype(joblibCompression(source.value()->bytes()).size())),
            exp["compression"].toString());
        auto loaded = loadFile((kDir + file).toStdString());
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().toString().c_str());
        std::shared_ptr<const Document> doc = loaded.value();
        QVERIFY2(!doc->error, doc->error ? doc->error->toString().c_str() : "");
        QCOMPARE(doc->format, FileFormat::Joblib);
        const ValueId arrays = dictValue(doc->graph, doc->root, "arrays");
        const QJsonObject expected = exp["arrays"].toObject();
        QCOMPARE(qsizetype(doc->graph.itemCount(arrays)), expected.size());
        for (const QString& key : expected.keys())
            compareArray(doc, dictValue(doc->graph, arrays, key.toStdString()),
                expected[key].toObject(), key);
        // The wrapper stays reachable as the array's rebuild record.
        const ValueId f32 = dictValue(doc->graph, arrays, "f32");
        QCOMPARE(doc->graph.kind(doc->graph.ndarray(f32).rebuild), ValueKind::Object);
    }

    void readsAScikitLearnPipeline()
    {
        auto loaded = loadFile((kDir + "pipeline.joblib").toStdString());
        QVERIFY(loaded.ok());
        std::shared_ptr<const Document> doc = loaded.value();
        QVERIFY(!doc->error);
        const QJsonObject exp = expectations()["pipeline.joblib"].toObject();
        // Every fitted array of the pipeline, matched by dtype, shape and values.
        int matched = 0;
        for (const QString& key : { QStringLiteral("mean_"), QStringLiteral("coef_") }) {
            const QJsonObject want = exp[key].toObject();
            for (std::size_t i = 0; i < doc->graph.size(); ++i) {
                const ValueId id { static_cast<std::uint32_t>(i) };
                if (doc->graph.kind(id) != ValueKind::NdArray)
                    continue;
                auto view = torch::TensorView::open(doc, id);
                if (!view.ok() || qsizetype(view->numel()) != want["values"].toArray().size())
                    continue;
                bool same = true;
                for (qsizetype k = 0; k < want["values"].toArray().size(); ++k)
                    same = same
                        && view->element(std::uint64_t(k))
                            == testing::numberText(want["values"].toArray()[k]);
                matched += same ? 1 : 0;
            }
        }
        QVERIFY(matched >= 2);
    }

    void scansTheProgramAndNestedObjectPickles()
    {
        auto scanned = safety::loadAndScan((kDir + "arrays_plain.joblib").toStdString());
        QVERIFY(scanned.ok());
        // the main program (array bytes cut out) and the object array's nested pickle
        QCOMPARE(scanned->report.picklesScanned, std::size_t(2));
        QVERIFY2(scanned->report.errors.empty(),
            scanned->report.errors.empty() ? "" : scanned->report.errors.front().c_str());
        QCOMPARE(scanned->report.dangerousCount, std::size_t(0));
        // joblib's own array wrapper is a data record, not an unknown class
        for (const auto& use : scanned->report.globals)
            if (use.module == "joblib.numpy_pickle")
                QCOMPARE(int(use.verdict), int(safety::Verdict::Safe));
        QCOMPARE(scanned->report.unknownCount, std::size_t(0));
    }

    void scanReportsFileOffsetsOfTheMainProgram_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("an uncompressed dump: offsets into the file") << "arrays_plain.joblib";
        QTest::newRow("a gzip dump: offsets into the decompressed stream") << "arrays_gzip.joblib";
    }
    void scanReportsFileOffsetsOfTheMainProgram()
    {
        QFETCH(QString, file);
        auto scanned = safety::loadAndScan((kDir + file).toStdString());
        QVERIFY(scanned.ok());
        const Document& doc = *scanned->doc;
        const PickleStream& main = doc.main();
        QCOMPARE(main.offset, std::uint64_t(0));
        // the program keeps the stream's length: the array bytes are masked, not cut out
        const bool compressed = file != "arrays_plain.joblib";
        if (!compressed)
            QCOMPARE(std::uint64_t(main.bytes.size()), std::uint64_t(doc.source->bytes().size()));
        const auto stream = compressed ? doc.source->kept(0) : doc.source->bytes();
        QCOMPARE(main.bytes.size(), stream.size());
        // every global of the main program is reported at its opcode in the stream, and the
        // value it builds is found (the wrapper records of the arrays)
        int checked = 0;
        for (const auto& use : scanned->report.globals) {
            if (use.pickle != "pickle")
                continue;
            QVERIFY(use.offset < stream.size());
            const auto op = std::to_integer<unsigned char>(stream[use.offset]);
            QVERIFY2(op == 0x93 || op == 'c', qPrintable(QString::number(use.offset)));
            QCOMPARE(std::to_integer<unsigned char>(main.bytes[use.offset]), op);
            ++checked;
        }
        QVERIFY(checked >= 3);
        // the array values still view the original bytes
        const ValueId arrays = dictValue(doc.graph, doc.root, "arrays");
        const NdArrayRecord& f32 = doc.graph.ndarray(dictValue(doc.graph, arrays, "f32"));
        const auto data = doc.graph.bytes(f32.data);
        QVERIFY(data.data() >= stream.data() && data.data() < stream.data() + stream.size());
    }

    void refusesDamagedStreams_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<quint64>("maxBytes");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("message");
        QTest::newRow("a gzip stream cut in half")
            << "bad_truncated_gzip.joblib" << (quint64(1) << 30) << int(ErrorCode::Truncated)
            << "gzip stream ends before its end marker";
        QTest::newRow("a zlib bomb over the byte limit")
            << "bad_bomb.joblib" << (quint64(1) << 20) << int(ErrorCode::LimitExceeded)
            << "expands past the limit of 1048576 bytes";
        // fuzz_machine's reproducer: 45 bytes whose LZMA-alone header asks liblzma for 2 GiB.
        QTest::newRow("an lzma stream declaring a 2 GiB dictionary")
            << "../fuzz-crashes/lzma-alone-declaring-a-2gib-dictionary" << (quint64(1) << 30)
            << int(ErrorCode::LimitExceeded) << "needs more than 256 MiB of decoder memory";
    }
    void refusesDamagedStreams()
    {
        QFETCH(QString, file);
        QFETCH(quint64, maxBytes);
        QFETCH(int, code);
        QFETCH(QString, message);
        LoadOptions options;
        options.limits.maxMaterializedBytes = maxBytes;
        auto loaded = loadFile((kDir + file).toStdString(), options);
        QVERIFY(!loaded.ok());
        QCOMPARE(int(loaded.error().code), code);
        QVERIFY2(QString::fromStdString(loaded.error().message).contains(message),
            loaded.error().message.c_str());
    }

    void stopsAtTruncatedArrayData()
    {
        auto loaded = loadFile((kDir + "bad_truncated.joblib").toStdString());
        QVERIFY(loaded.ok());
        QVERIFY(loaded.value()->error.has_value());
        QCOMPARE(loaded.value()->error->code, ErrorCode::Truncated);
    }
};

QTEST_APPLESS_MAIN(TestJoblib)
#include "tst_joblib.moc"
