// Sharded checkpoints as one model (gen_format_fixtures.py): a Hugging Face index over
// torch.save .bin shards and over .safetensors shards, opened by the index or by its folder;
// every tensor's dtype, shape, values and shard compared with what torch.load read; a missing
// shard and a shard name leaving the folder are reported, not fatal.

#include "core/export/json_writer.h"
#include "core/formats/detect_format.h"
#include "core/loader.h"
#include "core/safety/scanned_load.h"
#include "core/torch/tensor_view.h"

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

double number(const QJsonValue& v)
{
    const QString s = v.toString();
    if (s == "nan")
        return NAN;
    return s.toDouble();
}

} // namespace

class TestSharded : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void opensEveryShardAsOneModel_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("open");
        QTest::newRow("torch.save .bin shards, by the index")
            << "sharded_bin/pytorch_model.bin.index.json"
            << "sharded_bin/pytorch_model.bin.index.json";
        QTest::newRow("torch.save .bin shards, by the folder")
            << "sharded_bin/pytorch_model.bin.index.json"
            << "sharded_bin";
        QTest::newRow("safetensors shards, by the index")
            << "sharded_st/model.safetensors.index.json"
            << "sharded_st/model.safetensors.index.json";
        QTest::newRow("safetensors shards, by the folder")
            << "sharded_st/model.safetensors.index.json"
            << "sharded_st";
        QTest::newRow("a missing shard and one outside the folder")
            << "sharded_missing/model.safetensors.index.json"
            << "sharded_missing";
    }
    void opensEveryShardAsOneModel()
    {
        QFETCH(QString, key);
        QFETCH(QString, open);
        const QJsonObject exp = expectations()[key].toObject();
        QVERIFY(!exp.isEmpty());
        auto loaded = loadFile((kDir + open).toStdString());
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().toString().c_str());
        std::shared_ptr<const Document> doc = loaded.value();
        QCOMPARE(doc->format, FileFormat::ShardedIndex);
        QVERIFY(!doc->error);
        const ValueGraph& g = doc->graph;
        const auto& items = g.items(doc->root);
        const QJsonArray order = exp["order"].toArray();
        QCOMPARE(qsizetype(items.size() / 2), order.size());
        const QJsonObject tensors = exp["tensors"].toObject();
        for (std::size_t i = 0; i < items.size(); i += 2) {
            const QString name = QString::fromStdString(std::string(g.text(items[i])));
            QCOMPARE(name, order[qsizetype(i / 2)].toString());
            const ValueId id = items[i + 1];
            if (!tensors.contains(name)) { // its shard is missing
                QCOMPARE(g.kind(id), ValueKind::None);
                continue;
            }
            const QJsonObject t = tensors[name].toObject();
            QCOMPARE(g.kind(id), ValueKind::Tensor);
            QCOMPARE(QString::fromStdString(std::string(g.storage(g.tensor(id).storage).file)),
                t["shard"].toString());
            auto view = torch::TensorView::open(doc, id);
            QVERIFY2(view.ok(), qPrintable(name));
            QCOMPARE(QString::fromLatin1(dtypeName(view->dtype()).data()), t["dtype"].toString());
            QJsonArray shape;
            for (auto d : view->shape())
                shape.append(qint64(d));
            QCOMPARE(shape, t["shape"].toArray());
            const QJsonArray values = t["values"].toArray();
            QCOMPARE(qsizetype(view->numel()), values.size());
            for (qsizetype k = 0; k < values.size(); ++k)
                QCOMPARE(view->element(std::uint64_t(k)), number(values[k]));
        }
        // The shards, in order of first use, with their sizes on disk; missing ones flagged.
        const QJsonArray shards = exp["shards"].toArray();
        const QJsonArray missing = exp["missing"].toArray();
        QCOMPARE(qsizetype(doc->shards.size()), shards.size());
        const QString folder = QFileInfo(kDir + key).absolutePath();
        int warnings = 0;
        for (const Diagnostic& d : doc->diagnostics)
            warnings += d.severity == Severity::Warning ? 1 : 0;
        QCOMPARE(warnings, int(missing.size()));
        for (qsizetype i = 0; i < shards.size(); ++i) {
            const ShardFile& shard = doc->shards[std::size_t(i)];
            QCOMPARE(QString::fromStdString(shard.name), shards[i].toString());
            const bool isMissing = missing.contains(shards[i]);
            QCOMPARE(shard.found, !isMissing);
            if (!isMissing)
                QCOMPARE(qint64(shard.size), QFileInfo(folder + "/" + shards[i].toString()).size());
        }
        QCOMPARE(QString::fromStdString(doc->fileMetadata.at(0).second),
            exp["metadata"].toObject()["total_size"].toString());
    }

    void exportsShardsInTheFileObject()
    {
        auto loaded = loadFile((kDir + "sharded_missing").toStdString());
        QVERIFY(loaded.ok());
        const QJsonObject json
            = QJsonDocument::fromJson(QByteArray::fromStdString(toJson(loaded.value()))).object();
        const QJsonObject file = json["file"].toObject();
        QCOMPARE(file["format"].toString(), QStringLiteral("sharded"));
        const QJsonArray shards = file["shards"].toArray();
        QCOMPARE(shards.size(), 3);
        QCOMPARE(shards[0].toObject()["found"].toBool(), true);
        QCOMPARE(shards[0].toObject()["tensors"].toInt(), 3);
        QCOMPARE(shards[1].toObject()["found"].toBool(), false);
        QVERIFY(shards[1].toObject()["error"].toString().contains("leaves the index's folder"));
        const QJsonArray items = json["root"].toObject()["items"].toArray();
        QCOMPARE(items[0].toArray()[1].toObject()["storage"].toObject()["file"].toString(),
            QStringLiteral("model-00001-of-00002.safetensors"));
    }

    void scansThePicklesOfEveryBinShard()
    {
        auto scanned = safety::loadAndScan((kDir + "sharded_bin").toStdString());
        QVERIFY(scanned.ok());
        QCOMPARE(scanned->report.picklesScanned, std::size_t(2));
        QCOMPARE(scanned->report.verdict, safety::Verdict::Safe);
        QVERIFY(scanned->report.safeCount > 0);
    }

    void refusesAFolderWithoutACheckpoint()
    {
        auto loaded = loadFile((kDir).toStdString());
        QVERIFY(!loaded.ok());
        QVERIFY(QString::fromStdString(loaded.error().message).contains("without a *.index.json"));
    }
};

QTEST_APPLESS_MAIN(TestSharded)
#include "tst_sharded.moc"
