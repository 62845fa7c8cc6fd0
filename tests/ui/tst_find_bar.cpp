// The find bar above the value tree (ui::FindBar) in the main window, on the fp16 checkpoint made
// by tests/compare/gen_compare_fixtures.py: the matches of a query are the paths Python selects
// (queries.json), Enter / Shift+Enter / F3 move the tree's selection (and the window's), a bad
// query says where, "only matches" shows the matches with their ancestors, and a new file drops
// the results. With PICKLESCOPE_SHOT_DIR set, a screenshot is saved there.

#include "ui/find_bar.h"
#include "ui/main_window.h"
#include "ui/match_tree_model.h"
#include "ui/value_tree_pane.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QTest>
#include <QTreeView>

namespace {

QString compareData(const QString& name)
{
    return QStringLiteral(PICKLESCOPE_TEST_DATA "/compare/") + name;
}

// The paths Python's predicate selects for `query` on `file` (written by the generator).
QStringList expectedPaths(const QString& file, const QString& query)
{
    QFile f(compareData("queries.json"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QJsonArray all = QJsonDocument::fromJson(f.readAll()).object().value("queries").toArray();
    for (const QJsonValue& q : all) {
        const QJsonObject o = q.toObject();
        if (o.value("file").toString() == file && o.value("query").toString() == query) {
            QStringList paths;
            for (const QJsonValue& p : o.value("paths").toArray())
                paths << p.toString();
            return paths;
        }
    }
    return {};
}

// The tree's path without its root name: ckpt['model']['x'] -> ['model']['x'].
QString treePath(ui::MainWindow& window)
{
    const QString path = window.treePane()->currentAccessPath();
    const qsizetype bracket = path.indexOf(QLatin1Char('['));
    return bracket < 0 ? QString() : path.mid(bracket);
}

bool open(ui::MainWindow& window, const QString& path)
{
    QSignalSpy shown(&window, &ui::MainWindow::documentShown);
    window.openFile(path);
    return shown.wait(10000);
}

bool search(ui::FindBar* bar, const QString& query)
{
    QSignalSpy finished(bar, &ui::FindBar::finished);
    bar->queryBox()->setText(query);
    QTest::keyClick(bar->queryBox(), Qt::Key_Return);
    return finished.wait(10000);
}

} // namespace

class TestFindBar : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void findsThePathsPythonSelectsAndSelectsTheFirst()
    {
        const QStringList expected = expectedPaths("fp16_b.pt", "dtype:float16");
        QCOMPARE(expected.size(), 5);
        ui::MainWindow window;
        QVERIFY(open(window, compareData("fp16_b.pt")));
        auto* bar = window.findChild<ui::FindBar*>();
        QVERIFY(bar);
        QVERIFY(search(bar, "dtype:float16"));
        QCOMPARE(bar->matchCount(), 5);
        QCOMPARE(bar->currentMatch(), 0);
        QCOMPARE(bar->statusLabel()->text(), QStringLiteral("1 / 5"));
        QCOMPARE("$" + treePath(window), expected[0]);
        // The window fanned the selection out (the status bar shows the selected path).
        QCOMPARE(window.statusPathText(), window.treePane()->currentAccessPath());
        QCOMPARE(window.selection().value, window.treePane()->currentSelection().value);
    }

    void movesTheSelectionWithNextAndPrevious()
    {
        const QStringList expected = expectedPaths("fp16_b.pt", "dtype:float16");
        ui::MainWindow window;
        QVERIFY(open(window, compareData("fp16_b.pt")));
        auto* bar = window.findChild<ui::FindBar*>();
        QVERIFY(search(bar, "dtype:float16"));
        QTest::keyClick(bar->queryBox(), Qt::Key_Return); // Enter again: next
        QCOMPARE(bar->currentMatch(), 1);
        QCOMPARE("$" + treePath(window), expected[1]);
        QTest::keyClick(bar->queryBox(), Qt::Key_Return, Qt::ShiftModifier);
        QTest::keyClick(bar->queryBox(), Qt::Key_Return, Qt::ShiftModifier); // wraps to the last
        QCOMPARE(bar->currentMatch(), 4);
        QCOMPARE("$" + treePath(window), expected[4]);
        QCOMPARE(bar->statusLabel()->text(), QStringLiteral("5 / 5"));
        bar->findNext(); // and forward again to the first
        QCOMPARE("$" + treePath(window), expected[0]);
        // F3 from the tree.
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.activateWindow();
        window.treePane()->view()->setFocus();
        QTest::keyClick(window.treePane()->view(), Qt::Key_F3);
        QCOMPARE(bar->currentMatch(), 1);
        QTest::keyClick(window.treePane()->view(), Qt::Key_F3, Qt::ShiftModifier);
        QCOMPARE(bar->currentMatch(), 0);
        QCOMPARE(window.selection().value, window.treePane()->currentSelection().value);
    }

    void ctrlFFocusesTheQueryBox()
    {
        ui::MainWindow window;
        QVERIFY(open(window, compareData("fp16_b.pt")));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.activateWindow();
        auto* bar = window.findChild<ui::FindBar*>();
        QAction* find = nullptr;
        for (QAction* a : window.findChildren<QAction*>())
            if (a->shortcut() == QKeySequence(QKeySequence::Find))
                find = a;
        QVERIFY(find);
        find->trigger();
        QTRY_COMPARE(QApplication::focusWidget(), static_cast<QWidget*>(bar->queryBox()));
        // The tree pane's own plain-text find box gave way to the bar.
        QVERIFY(!window.treePane()->findBox()->isVisible());
        QVERIFY(bar->isVisible());
    }

    void saysWhereABadQueryIsWrong_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<QString>("message");
        QTest::newRow("an unknown key is named with its column") << "dtyp:float16"
                                                                 << "unknown key 'dtyp' at 1";
        QTest::newRow("an or needs a term after it") << "fc |"
                                                     << "'|' needs a term after it at 4";
    }

    void saysWhereABadQueryIsWrong()
    {
        QFETCH(QString, query);
        QFETCH(QString, message);
        ui::MainWindow window;
        QVERIFY(open(window, compareData("fp16_b.pt")));
        auto* bar = window.findChild<ui::FindBar*>();
        bar->queryBox()->setText(query); // shown while typing, before Enter
        QCOMPARE(bar->errorText(), message);
        QCOMPARE(bar->statusLabel()->text(), message);
        QTest::keyClick(bar->queryBox(), Qt::Key_Return);
        QVERIFY(!bar->isRunning());
        QCOMPARE(bar->matchCount(), 0);
        QCOMPARE(bar->statusLabel()->text(), message);
        bar->queryBox()->setText("dtype:float16");
        QCOMPARE(bar->errorText(), QString());
    }

    void showsOnlyTheMatchesWithTheirAncestors()
    {
        const QStringList expected = expectedPaths("fp16_b.pt", "dtype:float16");
        ui::MainWindow window;
        QVERIFY(open(window, compareData("fp16_b.pt")));
        auto* bar = window.findChild<ui::FindBar*>();
        QVERIFY(search(bar, "dtype:float16"));
        bar->onlyMatchesBox()->setChecked(true);
        QCOMPARE(bar->stack()->currentWidget(), static_cast<QWidget*>(bar->matchView()));
        ui::MatchTreeModel* model = bar->matchModel();
        QCOMPARE(model->rowCount(), 1);
        const QModelIndex root = model->index(0, 0);
        QCOMPARE(root.data().toString(), QStringLiteral("$"));
        QCOMPARE(root.data(ui::MatchTreeModel::IsMatchRole).toBool(), false);
        QCOMPARE(model->rowCount(root), 1); // 'model', an ancestor
        const QModelIndex sd = model->index(0, 0, root);
        QCOMPARE(
            sd.data(ui::MatchTreeModel::AccessPathRole).toString(), QStringLiteral("$['model']"));
        QCOMPARE(sd.data(ui::MatchTreeModel::IsMatchRole).toBool(), false);
        QCOMPARE(model->rowCount(sd), expected.size());
        for (int i = 0; i < expected.size(); ++i) {
            const QModelIndex m = model->index(i, 0, sd);
            QCOMPARE(m.data(ui::MatchTreeModel::AccessPathRole).toString(), expected[i]);
            QVERIFY(m.data(ui::MatchTreeModel::IsMatchRole).toBool());
            QCOMPARE(model->rowCount(m), 0);
        }
        QCOMPARE(model->nodeCount(), 2 + expected.size());
        // A click on a row selects that value in the (hidden) value tree, and the window follows.
        bar->matchView()->setCurrentIndex(model->index(3, 0, sd));
        QCOMPARE("$" + treePath(window), expected[3]);
        QCOMPARE(bar->currentMatch(), 3);
        bar->matchView()->setCurrentIndex(sd);
        QCOMPARE("$" + treePath(window), QStringLiteral("$['model']"));
        QCOMPARE(window.selection().value, window.treePane()->currentSelection().value);
        bar->onlyMatchesBox()->setChecked(false);
        QCOMPARE(bar->stack()->currentWidget(), static_cast<QWidget*>(window.treePane()));
        // Screenshot for the docs: results listed and "only matches" on.
        const QString dir = qEnvironmentVariable("PICKLESCOPE_SHOT_DIR");
        if (!dir.isEmpty()) {
            bar->matchView()->setCurrentIndex(model->index(0, 0, sd));
            bar->onlyMatchesBox()->setChecked(true);
            window.resize(1280, 800);
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            QTest::qWait(300);
            QVERIFY(window.grab().save(dir + "/find_only_matches.png"));
        }
    }

    void theMatchModelPassesTheModelTester()
    {
        ui::MainWindow window;
        QVERIFY(open(window, compareData("fp16_b.pt")));
        auto* bar = window.findChild<ui::FindBar*>();
        QVERIFY(search(bar, "dtype:float16"));
        QAbstractItemModelTester tester(
            bar->matchModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(search(bar, "model | numel:<=4"));
        QVERIFY(bar->matchCount() > 1);
        QVERIFY(search(bar, "nothing-is-called-this"));
        QCOMPARE(bar->matchCount(), 0);
        QCOMPARE(bar->statusLabel()->text(), QStringLiteral("no matches"));
        QCOMPARE(bar->matchModel()->rowCount(), 0);
    }

    void openingAnotherFileClearsTheResults()
    {
        ui::MainWindow window;
        QVERIFY(open(window, compareData("fp16_b.pt")));
        auto* bar = window.findChild<ui::FindBar*>();
        QVERIFY(search(bar, "dtype:float16"));
        QCOMPARE(bar->matchCount(), 5);
        QVERIFY(open(window, compareData("hparams_a.pt")));
        QCOMPARE(bar->matchCount(), 0);
        QCOMPARE(bar->matchModel()->rowCount(), 0);
        QCOMPARE(bar->statusLabel()->text(), QString());
        // The same queries on the new file find the new file's values (float32: no float16).
        QVERIFY(search(bar, "dtype:float16"));
        QCOMPARE(bar->matchCount(), expectedPaths("hparams_a.pt", "dtype:float16").size());
        QCOMPARE(bar->matchCount(), 0);
        QVERIFY(search(bar, "dtype:FLOAT*"));
        QCOMPARE(bar->matchCount(), expectedPaths("hparams_a.pt", "dtype:FLOAT*").size());
        QCOMPARE(bar->matchCount(), 5);
        // Closing the file drops them too.
        window.closeFile();
        QCOMPARE(bar->matchCount(), 0);
    }

    void dropsTheResultsOfAQueryOnAFileNoLongerOpen()
    {
        ui::MainWindow window;
        QVERIFY(open(window, compareData("fp16_b.pt")));
        auto* bar = window.findChild<ui::FindBar*>();
        QSignalSpy finished(bar, &ui::FindBar::finished);
        bar->queryBox()->setText("dtype:float16");
        bar->runQuery(); // on the worker
        QVERIFY(open(window, compareData("hparams_a.pt")));
        QTRY_VERIFY(!bar->isRunning());
        QCoreApplication::processEvents();
        QCOMPARE(finished.count(), 0);
        QCOMPARE(bar->matchCount(), 0);
        QCOMPARE(bar->matchModel()->rowCount(), 0);
    }
};

QTEST_MAIN(TestFindBar)
#include "tst_find_bar.moc"
