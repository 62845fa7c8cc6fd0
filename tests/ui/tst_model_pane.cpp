// The Model tab (ui::ModelPane) on the training checkpoint made by tests/compare/
// gen_compare_fixtures.py: the module tree with torch's parameter counts (modules.json), the
// summary line, the optimizer summary, and "no state dict" for a file without one. With
// PICKLESCOPE_SHOT_DIR set, screenshots are saved there (also of the bundled sample).

#include "core/loader.h"
#include "ui/model_pane.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QSignalSpy>
#include <QTest>
#include <QTreeWidget>

namespace {

std::shared_ptr<const core::Document> load(const QString& path)
{
    auto loaded = core::loadFile(path.toStdString());
    return loaded.ok() ? std::shared_ptr<const core::Document>(std::move(loaded).value()) : nullptr;
}

QString compareData(const QString& name)
{
    return QStringLiteral(PICKLESCOPE_TEST_DATA "/compare/") + name;
}

void shoot(QWidget* w, const QString& name)
{
    const QString dir = qEnvironmentVariable("PICKLESCOPE_SHOT_DIR");
    if (dir.isEmpty())
        return;
    w->resize(760, 620);
    w->show();
    QTest::qWait(200);
    w->grab().save(dir + "/" + name);
}

} // namespace

class TestModelPane : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void listsModulesWithTorchsParameterCounts()
    {
        QFile file(compareData("modules.json"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject x = QJsonDocument::fromJson(file.readAll()).object();
        const QJsonObject modules = x.value("modules").toObject();
        ui::ModelPane pane;
        pane.setDocument(load(compareData("model_ckpt.pt")));
        QTreeWidget* tree = pane.tree();
        QCOMPARE(tree->topLevelItemCount(), 2);
        QCOMPARE(tree->topLevelItem(0)->text(0), QStringLiteral("features"));
        QCOMPARE(tree->topLevelItem(1)->text(0), QStringLiteral("classifier"));
        int rows = 0;
        for (QTreeWidgetItemIterator it(tree); *it; ++it, ++rows) {
            const QString name = (*it)->toolTip(0);
            QVERIFY2(modules.contains(name), qPrintable(name));
            const qint64 params = modules.value(name).toObject().value("params").toInteger();
            QCOMPARE((*it)->text(1), QLocale(QLocale::English).toString(params));
        }
        QCOMPARE(rows, modules.size());
        QVERIFY(pane.summaryText().contains("Total params: "
            + QLocale(QLocale::English).toString(x.value("total_params").toInteger())));
        QVERIFY(pane.summaryText().contains("$['model']"));
        bool optimizer = false;
        for (QLabel* l : pane.findChildren<QLabel*>())
            optimizer |= l->text().contains("state for 6 parameters");
        QVERIFY(optimizer);
        shoot(&pane, "model_ckpt.png");
    }

    // A document over the pane's sync limit is folded on a worker: the pane says so, then shows
    // the same tree and summary as the synchronous fold; a newer document drops the older result.
    void foldsABigDocumentOnAWorkerAndKeepsOnlyTheNewestResult()
    {
        const auto checkpoint = load(compareData("model_ckpt.pt"));
        QVERIFY(checkpoint);
        ui::ModelPane sync;
        sync.setDocument(checkpoint);
        QVERIFY(!sync.isComputing());

        ui::ModelPane pane;
        pane.setSyncLimit(0);
        QSignalSpy updated(&pane, &ui::ModelPane::updated);
        pane.setDocument(checkpoint);
        QVERIFY(pane.summaryText().startsWith("Reading the model from "));
        QTRY_COMPARE_WITH_TIMEOUT(updated.count(), 1, 10000);
        QCOMPARE(pane.summaryText(), sync.summaryText());
        QCOMPARE(pane.tree()->topLevelItemCount(), sync.tree()->topLevelItemCount());
        QVERIFY(!pane.isComputing());

        // the checkpoint's fold starts, then a file without a state dict replaces it
        pane.setDocument(checkpoint);
        pane.setDocument(
            load(QStringLiteral(PICKLESCOPE_TEST_DATA "/safety/malicious/os_system_p0.pkl")));
        QTRY_VERIFY_WITH_TIMEOUT(!pane.isComputing() && updated.count() >= 2, 10000);
        QTest::qWait(50); // any late result of the first fold would land now
        QVERIFY(pane.summaryText().startsWith("No state dict found"));
        QCOMPARE(pane.tree()->topLevelItemCount(), 0);
    }

    void saysWhenThereIsNoStateDict()
    {
        ui::ModelPane pane;
        pane.setDocument(
            load(QStringLiteral(PICKLESCOPE_TEST_DATA "/safety/malicious/os_system_p0.pkl")));
        QVERIFY(pane.summaryText().startsWith("No state dict found"));
        QCOMPARE(pane.tree()->topLevelItemCount(), 0);
        pane.setDocument(nullptr);
        QCOMPARE(pane.summaryText(), QStringLiteral("No file."));
    }

    // torch.save(model) of a model whose output layer shares the embedding's weight
    // (gen_module_fixtures.py): the module tree of the pickled module, the tied row says so,
    // and the total is torch's count of distinct parameters (modules/expected.json).
    void showsAPickledModuleWithItsTiedWeightCountedOnce()
    {
        QFile file(compareData("modules/expected.json"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject x
            = QJsonDocument::fromJson(file.readAll()).object().value("tied_model.pt").toObject();
        ui::ModelPane pane;
        pane.setDocument(load(compareData("modules/tied_model.pt")));
        QVERIFY(pane.summaryText().contains("pickled module at $"));
        QVERIFY(pane.summaryText().contains("Total params: "
            + QLocale(QLocale::English).toString(x.value("total_params").toInteger())));
        QVERIFY(pane.summaryText().contains("1 tied tensor counted once"));
        QTreeWidgetItem* tied = nullptr;
        for (QTreeWidgetItemIterator it(pane.tree()); *it; ++it)
            if ((*it)->toolTip(0) == "lm_head.weight")
                tied = *it;
        QVERIFY(tied);
        QVERIFY(tied->text(4).endsWith("tied to embed.weight"));
        shoot(&pane, "model_tied.png");
    }

    void showsTheBundledSample()
    {
        const QString sample
            = QStringLiteral(PICKLESCOPE_SOURCE_DIR "/resources/samples/sample_checkpoint.pt");
        if (!QFile::exists(sample))
            QSKIP("no bundled sample");
        ui::ModelPane pane;
        pane.setDocument(load(sample));
        QVERIFY(pane.tree()->topLevelItemCount() > 0);
        QVERIFY(pane.summaryText().contains("Total params: "));
        shoot(&pane, "model_sample.png");
    }

    // A large checkpoint (PICKLESCOPE_BIG_A, e.g. from tests/bench/bench_compare.py --keep DIR).
    void showsALargeCheckpoint()
    {
        const QString path = qEnvironmentVariable("PICKLESCOPE_BIG_A");
        if (path.isEmpty())
            QSKIP("PICKLESCOPE_BIG_A not set");
        ui::ModelPane pane;
        pane.setDocument(load(path));
        QVERIFY(pane.tree()->topLevelItemCount() > 0);
        shoot(&pane, "model_1gib.png");
    }
};

QTEST_MAIN(TestModelPane)
#include "tst_model_pane.moc"
