// PyTorch distributed checkpoints (.metadata + __R_N.distcp) written as torch >= 2.0's
// FileSystemWriter writes them (tests/formats/gen_distcp_fixtures.py, with torch's real
// module names in the pickle): every tensor's dtype, shape and values against what torch
// saved, a row-sharded tensor shown with its chunks, the .distcp files listed, the .metadata
// pickle and every chunk's data.pkl scanned; a missing .distcp is a warning, not fatal.

#include "core/formats/detect_format.h"
#include "core/loader.h"
#include "core/safety/scanned_load.h"
#include "core/torch/tensor_view.h"
#include "tests/common/json_text.h"

#include <QtTest>

using namespace core;

namespace {

const QString kDir = QStringLiteral(PICKLESCOPE_TEST_DATA "/formats/distcp/");

QJsonObject expected()
{
    QFile f(kDir + "expected.json");
    if (!f.open(QIODevice::ReadOnly))
        qFatal("no expected.json");
    return QJsonDocument::fromJson(f.readAll()).object();
}

ValueId member(const ValueGraph& g, ValueId dict, const QString& key)
{
    const auto& items = g.items(dict);
    for (std::size_t i = 0; i + 1 < items.size(); i += 2)
        if (g.text(items[i]) == key.toStdString())
            return items[i + 1];
    return kNullValue;
}

} // namespace

class TestDistcp : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void readsEveryTensorAsTorchSavedIt_data()
    {
        QTest::addColumn<QString>("path");
        QTest::newRow("the checkpoint's folder") << kDir;
        QTest::newRow("its .metadata file") << kDir + ".metadata";
    }
    void readsEveryTensorAsTorchSavedIt()
    {
        QFETCH(QString, path);
        const QJsonObject exp = expected();
        auto loaded = loadFile(path.toStdString());
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().toString().c_str());
        std::shared_ptr<const Document> doc = loaded.value();
        QVERIFY(!doc->error);
        QCOMPARE(doc->format, FileFormat::DistributedCheckpoint);
        const ValueGraph& g = doc->graph;
        // the metadata's order
        const QJsonArray order = exp["order"].toArray();
        const auto& items = g.items(doc->root);
        QCOMPARE(qsizetype(items.size()), 2 * order.size());
        for (qsizetype k = 0; k < order.size(); ++k)
            QCOMPARE(g.text(items[std::size_t(2 * k)]), order[k].toString().toStdString());

        const QJsonObject tensors = exp["tensors"].toObject();
        for (auto it = tensors.begin(); it != tensors.end(); ++it) {
            const QJsonObject want = it.value().toObject();
            const ValueId id = member(g, doc->root, it.key());
            QVERIFY2(g.valid(id) && g.kind(id) == ValueKind::Tensor, qPrintable(it.key()));
            const TensorRecord& t = g.tensor(id);
            QCOMPARE(QString::fromLatin1(
                         dtypeName(t.dtype).data(), qsizetype(dtypeName(t.dtype).size())),
                want["dtype"].toString());
            QJsonArray shape;
            for (auto d : t.shape)
                shape.append(qint64(d));
            QCOMPARE(shape, want["shape"].toArray());
            const StorageRecord& s = g.storage(t.storage);
            QCOMPARE(s.bytesFound, want["readable"].toBool());
            if (!want["readable"].toBool()) {
                // the chunks are listed, each with its file
                const auto& d = doc->diagnostics;
                const auto note = std::find_if(d.begin(), d.end(), [&](const Diagnostic& x) {
                    return x.message.find("'" + it.key().toStdString() + "' is split in")
                        != std::string::npos;
                });
                QVERIFY(note != d.end());
                for (const QJsonValue& c : want["chunks"].toArray())
                    QVERIFY(note->message.find(c.toObject()["file"].toString().toStdString())
                        != std::string::npos);
                continue;
            }
            QCOMPARE(std::string(s.file),
                want["chunks"].toArray()[0].toObject()["file"].toString().toStdString());
            auto view = torch::TensorView::open(doc, id);
            QVERIFY2(view.ok(), qPrintable(it.key()));
            const QJsonArray values = want["values"].toArray();
            QCOMPARE(qsizetype(view->numel()), values.size());
            for (qsizetype k = 0; k < values.size(); ++k)
                QCOMPARE(
                    view->elementComplex(std::uint64_t(k)).first, testing::numberText(values[k]));
        }
        // a non-tensor item: the bytes torch wrote for it
        const QJsonObject bytes = exp["bytes"].toObject()["extra_state"].toObject();
        const ValueId extra = member(g, doc->root, "extra_state");
        QCOMPARE(g.kind(extra), ValueKind::Bytes);
        QCOMPARE(qint64(g.bytes(extra).size()), bytes["length"].toInteger());
    }

    void listsTheDistcpFiles()
    {
        const QJsonObject files = expected()["files"].toObject();
        auto loaded = loadFile(kDir.toStdString());
        QVERIFY(loaded.ok());
        const auto& shards = loaded.value()->shards;
        QCOMPARE(qsizetype(shards.size()), files.size());
        for (const ShardFile& f : shards) {
            QVERIFY(f.found);
            QCOMPARE(qint64(f.size), files[QString::fromStdString(f.name)].toInteger());
            QVERIFY(f.tensors > 0);
        }
    }

    void scansTheMetadataAndEveryChunkPickle()
    {
        auto scanned = safety::loadAndScan(kDir.toStdString());
        QVERIFY(scanned.ok());
        const auto& doc = *scanned->doc;
        QCOMPARE(doc.pickles.front().name, std::string(".metadata"));
        // .metadata + one data.pkl per item the .distcp files hold (bytes item, 4 whole
        // tensors, 2 chunks)
        QCOMPARE(doc.pickles.size(), std::size_t(8));
        QCOMPARE(scanned->report.picklesScanned, doc.pickles.size());
        bool sawMetadataClass = false;
        for (const auto& use : scanned->report.globals)
            sawMetadataClass = sawMetadataClass
                || (use.module == "torch.distributed.checkpoint.metadata"
                    && use.name == "Metadata");
        QVERIFY(sawMetadataClass);
        QVERIFY(scanned->report.dangerousCount == 0);
        // the metadata's dataclasses, enum and getattr on an enum member are data records
        for (const auto& use : scanned->report.globals)
            QVERIFY2(use.verdict == safety::Verdict::Safe,
                qPrintable(QString::fromStdString(use.module + "." + use.name + ": " + use.reason)));
        QCOMPARE(scanned->report.verdict, safety::Verdict::Safe);
    }

    void warnsOfAMissingDistcpFile()
    {
        QTemporaryDir dir;
        QVERIFY(QFile::copy(kDir + ".metadata", dir.filePath(".metadata")));
        QVERIFY(QFile::copy(kDir + "__1_0.distcp", dir.filePath("__1_0.distcp")));
        auto loaded = loadFile(dir.path().toStdString());
        QVERIFY(loaded.ok());
        std::shared_ptr<const Document> doc = loaded.value();
        QVERIFY(!doc->error);
        const ValueId w = member(doc->graph, doc->root, "model.embed.weight");
        QCOMPARE(doc->graph.kind(w), ValueKind::Tensor);
        QVERIFY(!doc->graph.storage(doc->graph.tensor(w).storage).bytesFound);
        const auto missing = std::find_if(doc->shards.begin(), doc->shards.end(),
            [](const ShardFile& f) { return f.name == "__0_0.distcp"; });
        QVERIFY(missing != doc->shards.end());
        QVERIFY(!missing->found);
        QCOMPARE(missing->error, std::string("missing"));
    }

    void refusesAMetadataPickleThatIsNotMetadata()
    {
        QTemporaryDir dir;
        QFile f(dir.filePath(".metadata"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray::fromHex("80047d942e")); // pickle.dumps({}, protocol=4)
        f.close();
        auto loaded = loadFile(dir.filePath(".metadata").toStdString());
        QVERIFY(!loaded.ok());
        QCOMPARE(loaded.error().code, ErrorCode::Format);
        QVERIFY(loaded.error().message.find("Metadata") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestDistcp)
#include "tst_distcp.moc"
