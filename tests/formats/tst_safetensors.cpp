// safetensors end to end: files written by gen_format_fixtures.py's writer (which follows the
// published format description) are loaded with core::loadFile and every tensor's dtype, shape
// and values are compared with what torch / numpy hold (expectations.json); the writer's header
// bytes are checked against a header computed by hand; hostile variants give clear errors.

#include "core/export/json_writer.h"
#include "core/formats/detect_format.h"
#include "core/formats/safetensors_reader.h"
#include "core/loader.h"
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

bool same(double a, double b)
{
    return (std::isnan(a) && std::isnan(b)) || a == b;
}

} // namespace

class TestSafetensors : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void writerHeaderMatchesTheHandComputedHeader()
    {
        // 8-byte LE length 56, then the 54 bytes of JSON padded with two spaces to 56, then
        // float32 1.0 and -2.0 little-endian.
        const QByteArray json = R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
        QCOMPARE(json.size(), 54);
        const QByteArray expected = QByteArray::fromHex("3800000000000000") + json + "  "
            + QByteArray::fromHex("0000803f000000c0");
        QFile f(kDir + "tiny.safetensors");
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), expected);
    }

    void readsEveryTensorAsTorchHoldsIt_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("every dtype, scalars, empty tensors and metadata") << "dtypes.safetensors";
        QTest::newRow("the smallest file") << "tiny.safetensors";
    }
    void readsEveryTensorAsTorchHoldsIt()
    {
        QFETCH(QString, file);
        const QJsonObject exp = expectations()[file].toObject();
        auto source = ByteSource::mapFile((kDir + file).toStdString());
        QVERIFY(source.ok());
        QCOMPARE(detectFormat(source.value()->bytes()), FileFormat::Safetensors);
        auto loaded = loadFile((kDir + file).toStdString());
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().toString().c_str());
        std::shared_ptr<const Document> doc = loaded.value();
        QCOMPARE(doc->format, FileFormat::Safetensors);
        QVERIFY(!doc->error);
        const ValueGraph& g = doc->graph;
        QCOMPARE(g.kind(doc->root), ValueKind::Dict);
        const auto& items = g.items(doc->root);
        const QJsonArray order = exp["order"].toArray();
        QCOMPARE(qsizetype(items.size() / 2), order.size());
        const QJsonObject tensors = exp["tensors"].toObject();
        for (std::size_t i = 0; i < items.size(); i += 2) {
            const QString name = QString::fromStdString(std::string(g.text(items[i])));
            QCOMPARE(name, order[qsizetype(i / 2)].toString());
            const QJsonObject t = tensors[name].toObject();
            const ValueId id = items[i + 1];
            QCOMPARE(g.kind(id), ValueKind::Tensor);
            QCOMPARE(
                QString::fromLatin1(dtypeName(g.tensor(id).dtype).data()), t["dtype"].toString());
            auto view = torch::TensorView::open(doc, id);
            QVERIFY2(view.ok(), qPrintable(name));
            QJsonArray shape;
            for (auto d : view->shape())
                shape.append(qint64(d));
            QCOMPARE(shape, t["shape"].toArray());
            const QJsonArray values = t["values"].toArray();
            QCOMPARE(qsizetype(view->numel()), values.size());
            for (qsizetype k = 0; k < values.size(); ++k) {
                const auto [re, im] = view->elementComplex(std::uint64_t(k));
                QVERIFY2(same(re, testing::numberText(values[k])),
                    qPrintable(QStringLiteral("%1[%2]: %3 != %4")
                                   .arg(name)
                                   .arg(k)
                                   .arg(re)
                                   .arg(values[k].toString())));
                if (t.contains("imag"))
                    QVERIFY(same(im, testing::numberText(t["imag"].toArray()[k])));
            }
        }
        const QJsonObject meta = exp["metadata"].toObject();
        QCOMPARE(qsizetype(doc->fileMetadata.size()), meta.size());
        for (const auto& [key, value] : doc->fileMetadata)
            QCOMPARE(QString::fromStdString(value), meta[QString::fromStdString(key)].toString());
    }

    void exportsMetadataInTheFileObject()
    {
        auto loaded = loadFile((kDir + "dtypes.safetensors").toStdString());
        QVERIFY(loaded.ok());
        const QJsonObject json
            = QJsonDocument::fromJson(QByteArray::fromStdString(toJson(loaded.value()))).object();
        const QJsonObject file = json["file"].toObject();
        QCOMPARE(file["format"].toString(), QStringLiteral("safetensors"));
        QCOMPARE(file["metadata"].toObject(),
            expectations()["dtypes.safetensors"].toObject()["metadata"].toObject());
        QCOMPARE(json["root"].toObject()["items"].toArray().size(), 18);
    }

    void refusesHostileHeaders_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("code");
        QTest::addColumn<quint64>("offset");
        QTest::addColumn<QString>("message");
        QTest::newRow("a header length past the end of the file")
            << "bad_header_past_end.safetensors" << int(ErrorCode::Truncated) << quint64(0)
            << "runs past the end of the file";
        QTest::newRow("a header over 100 MB")
            << "bad_header_over_limit.safetensors" << int(ErrorCode::LimitExceeded) << quint64(0)
            << "over the limit of 100 MB";
        QTest::newRow("a file shorter than the length field")
            << "bad_short.safetensors" << int(ErrorCode::Truncated) << quint64(0)
            << "fewer than the 8-byte header length";
        QTest::newRow("data cut short")
            << "bad_truncated_data.safetensors" << int(ErrorCode::Truncated) << quint64(64)
            << "past the 4 bytes of data";
        QTest::newRow("overlapping offsets") << "bad_overlap.safetensors" << int(ErrorCode::Format)
                                             << quint64(119) << "overlaps tensor 'a'";
        QTest::newRow("offsets out of order")
            << "bad_offsets_reversed.safetensors" << int(ErrorCode::Format) << quint64(8)
            << "out of order";
        QTest::newRow("a size that disagrees with dtype x shape")
            << "bad_size_mismatch.safetensors" << int(ErrorCode::Format) << quint64(8)
            << "F32 x 3 elements is not the 8 bytes";
        QTest::newRow("an unknown dtype")
            << "bad_unknown_dtype.safetensors" << int(ErrorCode::Format) << quint64(8)
            << "unknown dtype 'F7'";
        QTest::newRow("a negative dimension")
            << "bad_negative_dim.safetensors" << int(ErrorCode::Format) << quint64(8)
            << "not a whole number >= 0";
        QTest::newRow("a duplicate name")
            << "bad_duplicate_name.safetensors" << int(ErrorCode::Format) << quint64(8)
            << "the name 'a' appears twice";
        QTest::newRow("a name that is not UTF-8")
            << "bad_not_utf8.safetensors" << int(ErrorCode::Format) << quint64(10)
            << "not valid UTF-8";
        QTest::newRow("a header that is not JSON")
            << "bad_not_json.safetensors" << int(ErrorCode::Format) << quint64(28) << "not JSON";
    }
    void refusesHostileHeaders()
    {
        QFETCH(QString, file);
        QFETCH(int, code);
        QFETCH(quint64, offset);
        QFETCH(QString, message);
        auto loaded = loadFile((kDir + file).toStdString());
        QVERIFY(!loaded.ok());
        QCOMPARE(int(loaded.error().code), code);
        QCOMPARE(quint64(loaded.error().offset), offset);
        QVERIFY2(QString::fromStdString(loaded.error().message).contains(message),
            loaded.error().message.c_str());
    }
};

QTEST_APPLESS_MAIN(TestSafetensors)
#include "tst_safetensors.moc"
