// The compare view (ui::CompareWindow) on the generator's pairs (tests/compare/
// gen_compare_fixtures.py): two trees paired by access path with the statuses of the core
// comparison, rows coloured by status, "only differences" hiding what is the same, selection
// kept in step between the trees, and a heatmap and histogram for a changed tensor. With
// PICKLESCOPE_SHOT_DIR set, screenshots of the window are saved there.

#include "core/loader.h"
#include "ui/compare_window.h"

#include <QCheckBox>
#include <QLabel>
#include <QSignalSpy>
#include <QTest>
#include <QTreeWidget>

namespace {

std::shared_ptr<const core::Document> load(const QString& name)
{
    auto loaded
        = core::loadFile((QStringLiteral(PICKLESCOPE_TEST_DATA "/compare/") + name).toStdString());
    return loaded.ok() ? std::shared_ptr<const core::Document>(std::move(loaded).value()) : nullptr;
}

int visibleRows(QTreeWidget* tree)
{
    int n = 0;
    for (QTreeWidgetItemIterator it(tree); *it; ++it) {
        bool shown = !(*it)->isHidden();
        for (QTreeWidgetItem* p = (*it)->parent(); shown && p; p = p->parent())
            shown = !p->isHidden();
        n += shown ? 1 : 0;
    }
    return n;
}

QTreeWidgetItem* itemAt(QTreeWidget* tree, const QString& tooltipPath)
{
    for (QTreeWidgetItemIterator it(tree); *it; ++it)
        if ((*it)->toolTip(0) == tooltipPath)
            return *it;
    return nullptr;
}

void shoot(QWidget* w, const QString& name)
{
    const QString dir = qEnvironmentVariable("PICKLESCOPE_SHOT_DIR");
    if (dir.isEmpty())
        return;
    w->show();
    QTest::qWait(200);
    w->grab().save(dir + "/" + name);
}

} // namespace

class TestCompareWindow : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void showsBothFilesAsTreesPairedByPath()
    {
        const auto a = load("keys_a.pt"), b = load("keys_b.pt");
        QVERIFY(a && b);
        ui::CompareWindow w;
        QSignalSpy done(&w, &ui::CompareWindow::compared);
        w.compare(a, b);
        QVERIFY(done.wait(10000));
        const auto& c = w.comparison();
        // a renamed key is only in a on the left and only in b on the right
        QVERIFY(itemAt(w.treeA(), "$['model']['fc.weight']") != nullptr);
        QVERIFY(itemAt(w.treeB(), "$['model']['fc.weight']") == nullptr);
        QVERIFY(itemAt(w.treeB(), "$['model']['classifier.weight']") != nullptr);
        auto* onlyA = itemAt(w.treeA(), "$['model']['fc.weight']");
        QCOMPARE(onlyA->text(1), QStringLiteral("only_a"));
        QCOMPARE(onlyA->background(0).color(),
            ui::CompareWindow::statusColor(core::compare::Status::OnlyA));
        // children sit under their container: 'fc.weight' is a child row of ['model']
        QCOMPARE(onlyA->parent()->toolTip(0), QStringLiteral("$['model']"));
        QCOMPARE(onlyA->text(0), QStringLiteral("['fc.weight']"));
        int rowsA = 0;
        for (QTreeWidgetItemIterator it(w.treeA()); *it; ++it)
            ++rowsA;
        QCOMPARE(std::size_t(rowsA), c.entries.size() - c.count(core::compare::Status::OnlyB));
        QVERIFY(w.summaryText().contains("2 only_a"));
    }

    void comparesTheOpenFileWithADroppedPath()
    {
        const auto a = load("hparams_a.pt");
        QWidget parent;
        ui::CompareWindow* w = ui::CompareWindow::compareWithPath(
            &parent, a, QStringLiteral(PICKLESCOPE_TEST_DATA "/compare/hparams_b.pt"));
        QVERIFY(w != nullptr);
        QSignalSpy done(w, &ui::CompareWindow::compared);
        QVERIFY(done.wait(10000));
        // lr, name and betas[1] changed (expected.json, case "hparams", from the generator)
        QCOMPARE(w->comparison().count(core::compare::Status::Changed), 3u);
        QCOMPARE(w->comparison().count(core::compare::Status::Same), 14u);
    }

    void hidesWhatIsTheSameWhenAskedForOnlyDifferences()
    {
        const auto a = load("perturbed_a.pt"), b = load("perturbed_b.pt");
        auto c = core::compare::compareDocuments(a, b);
        QVERIFY(c.ok());
        ui::CompareWindow w;
        w.setComparison(a, b, std::move(c).value());
        const int all = visibleRows(w.treeA());
        QCOMPARE(all, 17);
        w.setOnlyDifferences(true);
        // $, ['model'], the two changed tensors
        QCOMPARE(visibleRows(w.treeA()), 4);
        QCOMPARE(visibleRows(w.treeB()), 4);
        w.setOnlyDifferences(false);
        QCOMPARE(visibleRows(w.treeA()), all);
    }

    void keepsBothTreesOnTheSamePathAndDrawsTheDifference()
    {
        const auto a = load("perturbed_a.pt"), b = load("perturbed_b.pt");
        auto c = core::compare::compareDocuments(a, b);
        QVERIFY(c.ok());
        ui::CompareWindow w;
        w.resize(1100, 760);
        w.setComparison(a, b, std::move(c).value());
        QVERIFY(w.selectPath("$['model']['fc.weight']"));
        QCOMPARE(w.treeA()->currentItem()->toolTip(0), QStringLiteral("$['model']['fc.weight']"));
        QCOMPARE(w.treeB()->currentItem()->toolTip(0), QStringLiteral("$['model']['fc.weight']"));
        QCOMPARE(w.treeB()->currentItem()->text(1), QStringLiteral("changed"));
        const auto labels = w.findChildren<QLabel*>();
        int pixmaps = 0;
        for (QLabel* l : labels)
            pixmaps += l->pixmap().isNull() ? 0 : 1;
        QCOMPARE(pixmaps, 2); // heatmap and histogram
        w.setOnlyDifferences(true);
        shoot(&w, "compare_perturbed.png");
    }

    void takesAScreenshotOfFp32AgainstFp16()
    {
        const auto a = load("fp16_a.pt"), b = load("fp16_b.pt");
        core::compare::CompareOptions options;
        options.tolerance.rtol = 1e-3;
        auto c = core::compare::compareDocuments(a, b, options);
        QVERIFY(c.ok());
        QCOMPARE(c->count(core::compare::Status::Close), 5u);
        ui::CompareWindow w;
        w.resize(1100, 760);
        w.setComparison(a, b, std::move(c).value());
        QVERIFY(w.selectPath("$['model']['conv.weight']"));
        shoot(&w, "compare_fp16.png");
    }

    // Screenshots on two large checkpoints (tests/bench/bench_compare.py --keep DIR makes them):
    // PICKLESCOPE_BIG_A / PICKLESCOPE_BIG_B name the files; skipped otherwise.
    void comparesTwoLargeCheckpoints()
    {
        const QString pa = qEnvironmentVariable("PICKLESCOPE_BIG_A"),
                      pb = qEnvironmentVariable("PICKLESCOPE_BIG_B");
        if (pa.isEmpty() || pb.isEmpty())
            QSKIP("PICKLESCOPE_BIG_A / PICKLESCOPE_BIG_B not set");
        auto a = core::loadFile(pa.toStdString()), b = core::loadFile(pb.toStdString());
        QVERIFY(a.ok() && b.ok());
        ui::CompareWindow w;
        w.resize(1100, 760);
        QSignalSpy done(&w, &ui::CompareWindow::compared);
        w.compare(std::move(a).value(), std::move(b).value());
        QVERIFY(done.wait(120000));
        QVERIFY(w.comparison().hasDifferences());
        w.setOnlyDifferences(true);
        for (const auto& e : w.comparison().entries)
            if (e.status == core::compare::Status::Changed
                && e.kind == core::compare::EntryKind::Tensor) {
                QVERIFY(w.selectPath(QString::fromStdString(e.path)));
                break;
            }
        shoot(&w, "compare_1gib.png");
    }
};

QTEST_MAIN(TestCompareWindow)
#include "tst_compare_window.moc"
