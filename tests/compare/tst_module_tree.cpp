// The model view (core::torch::findStateDicts / moduleTree / findOptimizers) on a training
// checkpoint made by gen_compare_fixtures.py: a small CNN's state dict under ['model'] (a
// float16 classifier beside float32 features and an int64 buffer) and AdamW state under
// ['optimizer']. Every module's parameter count, bytes and tensor count, the totals, the dtype
// mix and the optimizer summary match what torch reports (modules.json beside the fixture).

#include "core/loader.h"
#include "core/torch/module_tree.h"
#include "tests/common/cli_run.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

namespace {

QJsonObject expected()
{
    QFile file(QStringLiteral(PICKLESCOPE_TEST_DATA "/compare/modules.json"));
    return file.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(file.readAll()).object()
                                          : QJsonObject();
}

std::shared_ptr<const core::Document> load(const char* name)
{
    auto loaded = core::loadFile(std::string(PICKLESCOPE_TEST_DATA "/compare/") + name);
    return loaded.ok() ? std::shared_ptr<const core::Document>(std::move(loaded).value()) : nullptr;
}

} // namespace

class TestModuleTree : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void findsTheStateDictWhereItSits_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("path");
        QTest::newRow("a training checkpoint keeps it under ['model'], not in the optimizer state")
            << "model_ckpt.pt"
            << "$['model']";
        QTest::newRow("a Lightning checkpoint keeps it under ['state_dict']") << "lightning_a.pt"
                                                                              << "$['state_dict']";
        QTest::newRow("a bare state dict is the root") << "lightning_b.pt"
                                                       << "$";
    }
    void findsTheStateDictWhereItSits()
    {
        QFETCH(QString, file);
        QFETCH(QString, path);
        const auto doc = load(file.toUtf8().constData());
        QVERIFY(doc);
        const core::torch::StateDicts dicts = core::torch::findStateDicts(*doc);
        QCOMPARE(dicts.found.size(), 1u);
        QCOMPARE(QString::fromStdString(dicts.found[dicts.main].path), path);
    }

    void foldsDottedKeysIntoModulesWithTorchsCounts()
    {
        const QJsonObject x = expected();
        const auto doc = load("model_ckpt.pt");
        QVERIFY(doc && !x.isEmpty());
        const auto dicts = core::torch::findStateDicts(*doc);
        QVERIFY(!dicts.found.empty());
        const auto tree = core::torch::moduleTree(
            *doc, dicts.found[dicts.main].dict, dicts.found[dicts.main].path);
        QCOMPARE(tree.totalParams, static_cast<std::uint64_t>(x.value("total_params").toInteger()));
        QCOMPARE(tree.totalBytes, static_cast<std::uint64_t>(x.value("total_bytes").toInteger()));
        const QJsonObject modules = x.value("modules").toObject();
        QCOMPARE(static_cast<qsizetype>(tree.nodes.size() - 1), modules.size());
        QStringList order;
        for (std::size_t i = 1; i < tree.nodes.size(); ++i) {
            const auto& n = tree.nodes[i];
            const QString name = QString::fromStdString(n.fullName);
            QVERIFY2(modules.contains(name), qPrintable(name));
            const QJsonObject m = modules.value(name).toObject();
            QCOMPARE(n.params, static_cast<std::uint64_t>(m.value("params").toInteger()));
            QCOMPARE(n.bytes, static_cast<std::uint64_t>(m.value("bytes").toInteger()));
            QCOMPARE(n.tensors, static_cast<std::size_t>(m.value("tensors").toInteger()));
        }
        // children in file order: features before classifier, 0, 1, 3 inside features
        QCOMPARE(QString::fromStdString(tree.nodes[tree.nodes[0].children[0]].name),
            QStringLiteral("features"));
        QCOMPARE(QString::fromStdString(tree.nodes[tree.nodes[0].children[1]].name),
            QStringLiteral("classifier"));
        const QJsonObject dtypes = x.value("dtype_params").toObject();
        QCOMPARE(static_cast<qsizetype>(tree.dtypeParams.size()), dtypes.size());
        for (const auto& [dtype, n] : tree.dtypeParams)
            QCOMPARE(n,
                static_cast<std::uint64_t>(
                    dtypes.value(QString::fromStdString(dtype)).toInteger()));
    }

    void writesTheSummaryLineTorchinfoUsersExpect()
    {
        const auto doc = load("model_ckpt.pt");
        const auto dicts = core::torch::findStateDicts(*doc);
        const auto tree = core::torch::moduleTree(*doc, dicts.found[0].dict, dicts.found[0].path);
        const qint64 total = expected().value("total_params").toInteger();
        const QString line = QString::fromStdString(tree.summaryLine());
        QVERIFY2(line.startsWith(
                     "Total params: " + QLocale(QLocale::English).toString(total) + " \u00B7 "),
            qPrintable(line));
        QVERIFY2(line.contains("float32 89.3 %"), qPrintable(line)); // 1424 of 1595
    }

    // torch.save(model) and tied weights (gen_module_fixtures.py): the leaves are the entries of
    // torch's state_dict() in its order, a tied entry names the key it shares its tensor with and
    // is counted once, so the total is torch's own count of distinct parameters and buffers.
    void foldsWholeModulesShardsAndTiedWeightsAsTorchCounts_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<bool>("module");
        QTest::newRow("a pickled nn.Sequential is folded from its _parameters, _buffers, _modules")
            << "modules/sequential_model.pt" << true;
        QTest::newRow("a pickled model with a tied output layer counts the embedding once and "
                      "skips its non-persistent buffer")
            << "modules/tied_model.pt" << true;
        QTest::newRow("its state dict says the same") << "modules/tied_state.pt" << false;
        QTest::newRow("a module that contains itself is folded once, without the cycle")
            << "modules/cyclic_model.pt" << true;
        QTest::newRow("a sharded index is one state dict across its shards")
            << "cross/sharded/pytorch_model.bin.index.json" << false;
    }
    void foldsWholeModulesShardsAndTiedWeightsAsTorchCounts()
    {
        QFETCH(QString, file);
        QFETCH(bool, module);
        QFile json(QStringLiteral(PICKLESCOPE_TEST_DATA "/compare/modules/expected.json"));
        QVERIFY(json.open(QIODevice::ReadOnly));
        const QString key = file.startsWith("modules/") ? file.mid(8) : "../" + file;
        const QJsonObject x
            = QJsonDocument::fromJson(json.readAll()).object().value(key).toObject();
        QVERIFY2(!x.isEmpty(), qPrintable(key));
        const auto doc = load(file.toUtf8().constData());
        QVERIFY(doc);
        const auto dicts = core::torch::findStateDicts(*doc);
        QCOMPARE(dicts.found.size(), 1u);
        const auto& main = dicts.found[dicts.main];
        QCOMPARE(main.module, module);
        QCOMPARE(QString::fromStdString(main.path), QStringLiteral("$"));
        const auto tree = core::torch::moduleTree(*doc, main.dict, main.path);
        const QJsonArray entries = x.value("entries").toArray();
        QCOMPARE(main.tensors, static_cast<std::size_t>(entries.size()));
        int leaf = 0, tied = 0;
        for (std::size_t i = 1; i < tree.nodes.size(); ++i) {
            const auto& n = tree.nodes[i];
            if (!n.parameter)
                continue;
            QVERIFY(leaf < entries.size());
            const QJsonObject e = entries[leaf++].toObject();
            QCOMPARE(QString::fromStdString(n.fullName), e.value("key").toString());
            QCOMPARE(QString::fromStdString(n.dtype), e.value("dtype").toString());
            QCOMPARE(n.params, static_cast<std::uint64_t>(e.value("numel").toInteger()));
            QCOMPARE(static_cast<qsizetype>(n.shape.size()), e.value("shape").toArray().size());
            QCOMPARE(QString::fromStdString(n.tiedTo), e.value("tied_to").toString());
            tied += e.contains("tied_to") ? 1 : 0;
        }
        QCOMPARE(leaf, entries.size());
        QCOMPARE(tree.tied, static_cast<std::size_t>(tied));
        QCOMPARE(tree.totalParams, static_cast<std::uint64_t>(x.value("total_params").toInteger()));
        const QJsonObject top = x.value("top_modules").toObject();
        for (std::size_t c : tree.nodes[0].children) {
            const auto& n = tree.nodes[c];
            if (n.parameter)
                continue;
            QCOMPARE(n.params,
                static_cast<std::uint64_t>(top.value(QString::fromStdString(n.name)).toInteger()));
        }
        if (tied > 0)
            QVERIFY(
                QString::fromStdString(tree.summaryLine()).endsWith("1 tied tensor counted once"));
    }

    void summarisesTheOptimizerState()
    {
        const QJsonObject x = expected().value("optimizer").toObject();
        const auto doc = load("model_ckpt.pt");
        const auto optimizers = core::torch::findOptimizers(*doc);
        QCOMPARE(optimizers.size(), 1u);
        const auto& o = optimizers[0];
        QCOMPARE(QString::fromStdString(o.path), x.value("path").toString());
        QCOMPARE(
            o.paramsWithState, static_cast<std::size_t>(x.value("params_with_state").toInteger()));
        QCOMPARE(
            o.stateElements, static_cast<std::uint64_t>(x.value("state_elements").toInteger()));
        const QJsonObject keys = x.value("state_keys").toObject();
        QCOMPARE(static_cast<qsizetype>(o.stateKeys.size()), keys.size());
        for (const auto& [key, n] : o.stateKeys)
            QCOMPARE(
                n, static_cast<std::size_t>(keys.value(QString::fromStdString(key)).toInteger()));
        const QJsonArray groups = x.value("groups").toArray();
        QCOMPARE(static_cast<qsizetype>(o.groups.size()), groups.size());
        const QJsonObject g0 = groups[0].toObject();
        QCOMPARE(o.groups[0].params, static_cast<std::size_t>(g0.value("params").toInteger()));
        for (const char* key : { "lr", "weight_decay", "betas" }) {
            QString got;
            for (const auto& [k, v] : o.groups[0].settings)
                if (k == key)
                    got = QString::fromStdString(v);
            QCOMPARE(got, g0.value(key).toString());
        }
    }

    void printsTheModuleViewFromTheCli()
    {
        if (testing::cliPath().isEmpty())
            QSKIP("PICKLESCOPE_CLI is not set (run through ctest)");
        const testing::CliRun model = testing::runCli(
            { "info", QStringLiteral(PICKLESCOPE_TEST_DATA "/compare/model_ckpt.pt"), "--modules",
                "--depth", "1" });
        QCOMPARE(model.exitCode, 0);
        const QString out = QString::fromUtf8(model.out);
        QVERIFY(out.contains("state dict: $['model'] (11 tensors)"));
        QVERIFY(out.contains(QRegularExpression("\\n  features +1,425 +89\\.3 %")));
        QVERIFY(out.contains(QRegularExpression("\\n  classifier +170 ")));
        QVERIFY(!out.contains(QRegularExpression("\\n +weight +"))); // --depth 1: modules only
        QVERIFY(out.contains(
            "optimizer: $['optimizer']: state for 6 parameters (exp_avg 6, exp_avg_sq 6, step 6)"));

        // A pickled model with a tied output layer (counts from modules/expected.json).
        const testing::CliRun tiedRun = testing::runCli({ "info",
            QStringLiteral(PICKLESCOPE_TEST_DATA "/compare/modules/tied_model.pt"), "--modules" });
        QCOMPARE(tiedRun.exitCode, 0);
        const QString tied = QString::fromUtf8(tiedRun.out);
        QVERIFY(tied.contains("module: $ (6 tensors)"));
        QFile json(QStringLiteral(PICKLESCOPE_TEST_DATA "/compare/modules/expected.json"));
        QVERIFY(json.open(QIODevice::ReadOnly));
        const qint64 total = QJsonDocument::fromJson(json.readAll())
                                 .object()
                                 .value("tied_model.pt")
                                 .toObject()
                                 .value("total_params")
                                 .toInteger();
        QVERIFY(tied.contains(QStringLiteral("Total params: %1 ").arg(total)));
        QVERIFY(tied.contains("1 tied tensor counted once\n"));
        QVERIFY(tied.contains(QRegularExpression("\\n    weight +48 .*tied to embed\\.weight\\n")));
    }
};

QTEST_GUILESS_MAIN(TestModuleTree)
#include "tst_module_tree.moc"
