// Truncated checkpoints (an interrupted download) of every torch format: what torch.load of the
// whole file gave is compared with what PickleScope recovers from the cut copy
// (tests/data/torch/recovery, written by gen_torch_fixtures.py with recovery/expected.json):
// the tree, each whole storage's values, and each storage lost to the cut marked as missing.

#include "core/loader.h"
#include "core/torch/tensor_view.h"
#include "core/torch/zip_archive.h"
#include "core/value/byte_source.h"

#include "tests/common/cli_run.h"
#include "tests/common/json_text.h"

#include <QtTest>

#include <cmath>

using namespace core;
using namespace core::torch;

namespace {

const QString kDir = QStringLiteral(PICKLESCOPE_TEST_DATA "/torch/recovery/");

QJsonObject expected()
{
    static const QJsonObject all = [] {
        QFile f(kDir + "expected.json");
        if (!f.open(QIODevice::ReadOnly))
            qFatal("no recovery/expected.json");
        return QJsonDocument::fromJson(f.readAll()).object();
    }();
    return all;
}

bool sameValue(double got, double want)
{
    if (std::isnan(want))
        return std::isnan(got);
    return std::fabs(got - want) <= 1e-6 * std::max(1.0, std::fabs(want));
}

// One step of an expected path: a dict key (str or int) or a sequence index.
ValueId step(const ValueGraph& g, ValueId at, const QJsonValue& key)
{
    if (!g.valid(at))
        return kNullValue;
    if (g.kind(at) == ValueKind::Dict) {
        const auto& items = g.items(at);
        for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
            const ValueId k = items[i];
            if (key.isString() && g.kind(k) == ValueKind::Str
                && g.text(k) == key.toString().toStdString())
                return items[i + 1];
            if (key.isDouble() && g.kind(k) == ValueKind::Int && g.intValue(k) == key.toInteger())
                return items[i + 1];
        }
    }
    return kNullValue;
}

using Run = testing::CliRun;
using testing::runCli;

} // namespace

class TestTorchRecovery : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void recoversWhatTorchLoadsFromTheWholeFile_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("a zip cut inside a storage keeps the storages before the cut")
            << "tiny_zip_cut_in_storage.pt";
        QTest::newRow("a zip cut inside its central directory loads every storage")
            << "tiny_zip_cut_in_directory.pt";
        QTest::newRow("a zip cut right after data.pkl shows the tree with every storage missing")
            << "tiny_zip_cut_after_data_pkl.pt";
        QTest::newRow("a zip cut inside data.pkl keeps the partial graph with the error set")
            << "tiny_zip_cut_in_data_pkl.pt";
        QTest::newRow(
            "a zip cut after a storage's bytes, before its data descriptor, keeps that storage")
            << "tiny_zip_cut_before_descriptor.pt";
        QTest::newRow(
            "a streamed DEFLATE zip cut in its directory finds sizes in the data descriptors")
            << "tiny_streamed_cut_in_directory.pt";
        QTest::newRow("a streamed DEFLATE zip cut inside a storage keeps the storages before it")
            << "tiny_streamed_cut_in_storage.pt";
        QTest::newRow("a legacy checkpoint cut inside a storage keeps the whole storages")
            << "tiny_legacy_cut_in_storage.pt";
        QTest::newRow("a legacy checkpoint cut inside its main pickle keeps the partial graph")
            << "tiny_legacy_cut_in_pickle.pt";
        QTest::newRow("a tar checkpoint cut inside its storages member keeps the whole storages")
            << "tiny_tar_cut_in_storage.pt";
    }
    void recoversWhatTorchLoadsFromTheWholeFile()
    {
        QFETCH(QString, file);
        const QJsonObject exp = expected()[file].toObject();
        QVERIFY2(!exp.isEmpty(), qPrintable(file + " is not in expected.json"));
        auto loaded = loadFile((kDir + file).toStdString());
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().toString().c_str());
        const std::shared_ptr<const Document> doc = loaded.value();
        QCOMPARE(QString::fromUtf8(fileFormatName(doc->format)), exp["format"].toString());
        const ValueGraph& g = doc->graph;
        QVERIFY(g.valid(doc->root));

        if (!exp["main_pickle_complete"].toBool()) {
            // The partial graph: the unpickling stack when the bytes ran out, and the error.
            QVERIFY(doc->error.has_value());
            QCOMPARE(g.kind(doc->root), ValueKind::Tuple);
            QVERIFY(!g.items(doc->root).empty());
            QVERIFY(doc->error->offset <= std::uint64_t(exp["cut"].toInteger()));
            return;
        }
        QVERIFY2(!doc->error, doc->error ? doc->error->toString().c_str() : "");
        QVERIFY(doc->recovered);
        QCOMPARE(g.kind(doc->root), ValueKind::Dict);

        QStringList complete;
        for (const QJsonValue& k : exp["complete_keys"].toArray())
            complete << k.toString();
        int whole = 0, missing = 0;
        for (const QJsonValue& value : exp["tensors"].toArray()) {
            const QJsonObject rec = value.toObject();
            ValueId at = doc->root;
            for (const QJsonValue& key : rec["path"].toArray())
                at = step(g, at, key);
            const QString where = QString::fromUtf8(
                QJsonDocument(rec["path"].toArray()).toJson(QJsonDocument::Compact));
            QVERIFY2(g.valid(at) && g.kind(at) == ValueKind::Tensor, qPrintable(where));
            const TensorRecord& t = g.tensor(at);
            QCOMPARE(QString::fromUtf8(dtypeName(t.dtype)), rec["dtype"].toString());
            QVERIFY(g.valid(t.storage) && g.kind(t.storage) == ValueKind::Storage);
            const StorageRecord& s = g.storage(t.storage);
            const bool present = complete.contains(QString::fromUtf8(s.key));
            QVERIFY2(s.bytesFound == present,
                qPrintable(where + " storage " + QString::fromUtf8(s.key)));
            auto view = TensorView::open(doc, at);
            if (!present) {
                ++missing;
                QVERIFY2(!view.ok(), qPrintable(where));
                continue;
            }
            ++whole;
            QVERIFY2(view.ok(),
                qPrintable(
                    where + ": " + QString::fromStdString(view.ok() ? "" : view.error().message)));
            auto stats = view->stats();
            QVERIFY(stats.ok());
            QCOMPARE(stats->count, std::uint64_t(rec["count"].toInteger()));
            const QJsonArray first = rec["first"].toArray();
            QCOMPARE(stats->first.size(), std::size_t(first.size()));
            for (int i = 0; i < first.size(); ++i)
                QVERIFY2(sameValue(stats->first[std::size_t(i)], testing::numberText(first[i])),
                    qPrintable(where));
            QVERIFY2(sameValue(stats->sum, testing::numberText(rec["sum"])), qPrintable(where));
        }
        QCOMPARE(whole + missing, exp["tensors"].toArray().size());
        // A cut that loses storages says where, as an error diagnostic with a byte offset.
        if (missing > 0) {
            bool said = false;
            for (const Diagnostic& d : doc->diagnostics)
                said = said
                    || (d.severity == Severity::Error
                        && d.offset <= std::uint64_t(exp["cut"].toInteger())
                        && (QString::fromStdString(d.message).contains("cut")
                            || QString::fromStdString(d.message).contains("missing")));
            QVERIFY(said);
        }
    }

    void namesTheMissingDirectoryInAWarning()
    {
        auto loaded = loadFile((kDir + "tiny_zip_cut_in_storage.pt").toStdString());
        QVERIFY(loaded.ok());
        const auto& diagnostics = loaded.value()->diagnostics;
        QVERIFY(!diagnostics.empty());
        const QString first = QString::fromStdString(diagnostics.front().message);
        QCOMPARE(diagnostics.front().severity, Severity::Warning);
        QVERIFY2(first.contains("central directory missing")
                && first.contains("recovered 3 whole entries") && first.contains("archive/data/2"),
            qPrintable(first));
    }

    // Every prefix of a checkpoint: never a crash; a whole data.pkl always gives a document
    // without error whose storages found lie wholly inside the prefix.
    void loadsEveryPrefixOfAZip_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("torch's own zip, STORED with data descriptors") << "tiny_zip.pt";
        QTest::newRow("a streamed DEFLATE zip") << "tiny_streamed.pt";
    }
    void loadsEveryPrefixOfAZip()
    {
        QFETCH(QString, file);
        QFile f(kDir + file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray whole = f.readAll();
        const auto all = std::as_bytes(std::span(whole.constData(), std::size_t(whole.size())));
        auto zip = ZipArchive::open(all);
        QVERIFY(zip.ok());
        QVERIFY(!zip->recovery().used);
        const ZipEntry* data = zip->find(zip->prefix() + "/data.pkl");
        QVERIFY(data != nullptr);
        const std::uint64_t dataEnd = data->dataOffset + data->compressedSize;
        for (qsizetype n = 1; n < whole.size(); ++n) {
            std::vector<std::byte> prefix(all.begin(), all.begin() + n);
            auto loaded = loadSource(ByteSource::fromBuffer(std::move(prefix), "cut.pt"));
            if (std::uint64_t(n) < dataEnd && data->method == 8)
                continue; // a cut DEFLATE pickle may or may not inflate far enough
            if (std::uint64_t(n) < dataEnd)
                continue;
            QVERIFY2(loaded.ok(), qPrintable(QString("cut at %1").arg(n)));
            const Document& doc = *loaded.value();
            QVERIFY2(!doc.error,
                qPrintable(
                    QString("cut at %1: ").arg(n) + QString::fromStdString(doc.error->toString())));
            for (std::size_t i = 0; i < doc.graph.size(); ++i) {
                const ValueId id { static_cast<std::uint32_t>(i) };
                if (doc.graph.kind(id) != ValueKind::Storage || !doc.graph.storage(id).bytesFound)
                    continue;
                const StorageRecord& s = doc.graph.storage(id);
                if (s.bytes.inflatedEntry < 0)
                    QVERIFY(s.bytes.offset + s.bytes.length <= std::uint64_t(n));
            }
        }
    }

    void cliPrintsThePartialContentWithAWarning_data()
    {
        QTest::addColumn<QString>("command");
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("shown");
        QTest::newRow("info marks the storages lost to the cut")
            << "info"
            << "tiny_zip_cut_in_storage.pt" << 0 << "4 (missing)";
        QTest::newRow("tree marks the tensors whose data is missing")
            << "tree"
            << "tiny_zip_cut_in_storage.pt" << 0 << "'last': tensor float32 [5] (data missing)";
        QTest::newRow("json exports the recovered part with its diagnostics")
            << "json"
            << "tiny_zip_cut_in_storage.pt" << 0 << "storage '4' is missing";
        QTest::newRow("tree of a legacy checkpoint cut in a storage")
            << "tree"
            << "tiny_legacy_cut_in_storage.pt" << 0 << "'epoch': 7";
        QTest::newRow("tree of a cut main pickle prints the partial stack, exit 1")
            << "tree"
            << "tiny_zip_cut_in_data_pkl.pt" << 1 << "tuple";
    }
    void cliPrintsThePartialContentWithAWarning()
    {
        if (qEnvironmentVariable("PICKLESCOPE_CLI").isEmpty())
            QSKIP("PICKLESCOPE_CLI is not set (run through ctest)");
        QFETCH(QString, command);
        QFETCH(QString, file);
        QFETCH(int, exitCode);
        QFETCH(QString, shown);
        const Run run = runCli({ command, kDir + file });
        QCOMPARE(run.exitCode, exitCode);
        QVERIFY2(run.out.contains(shown.toUtf8()), run.out.constData());
        QVERIFY2(run.err.contains("warning: the file is damaged"), run.err.constData());
    }

    void cliFailsWhenNothingCanBeRecovered()
    {
        if (qEnvironmentVariable("PICKLESCOPE_CLI").isEmpty())
            QSKIP("PICKLESCOPE_CLI is not set (run through ctest)");
        QTemporaryDir dir;
        const QString path = dir.filePath("cut.pt");
        QFile out(path);
        QVERIFY(out.open(QIODevice::WriteOnly));
        QFile in(kDir + "tiny_zip.pt");
        QVERIFY(in.open(QIODevice::ReadOnly));
        out.write(in.read(40)); // inside the first local header's name
        out.close();
        const Run run = runCli({ "info", path });
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("no entry could be recovered"), run.err.constData());
    }
};

QTEST_APPLESS_MAIN(TestTorchRecovery)
#include "tst_torch_recovery.moc"
