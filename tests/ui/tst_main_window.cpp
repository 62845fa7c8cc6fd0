// The window as a user drives it: start page, drag-and-drop, linked selection between the tree,
// the opcode trace and the bytes, load errors in the message area, export JSON, recent files.

#include "ui_test_support.h"

#include "ui/hex_view.h"
#include "ui/load_controller.h"
#include "ui/main_window.h"
#include "ui/opcode_trace_model.h"
#include "ui/opcode_trace_pane.h"
#include "ui/start_page.h"
#include "ui/value_tree_model.h"
#include "ui/value_tree_pane.h"

#include <QDropEvent>
#include <QJsonArray>
#include <QListWidget>
#include <QMimeData>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTreeView>
#include <QtTest>

class TestMainWindow : public QObject {
    Q_OBJECT

    static bool openAndWait(ui::MainWindow& window, const QString& path)
    {
        QSignalSpy shown(&window, &ui::MainWindow::documentShown);
        QSignalSpy traces(&window, &ui::MainWindow::tracesReady);
        window.openFile(path);
        if (!shown.wait(20000))
            return false;
        return !traces.isEmpty() || traces.wait(20000);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("PickleScopeTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_main_window"));
        QSettings().clear();
    }

    void startsOnTheStartPage()
    {
        ui::MainWindow window;
        QVERIFY(window.isShowingStartPage());
        QVERIFY(!window.file().doc);
    }

    void opensAFileDroppedOnTheWindow()
    {
        ui::MainWindow window;
        window.show();
        QSignalSpy started(window.loadController(), &ui::LoadController::started);
        const QString path = uitest::dataPath(QStringLiteral("shared_cycle.pkl"));
        QMimeData mime;
        mime.setUrls({ QUrl::fromLocalFile(path) });
        QDragEnterEvent enter(QPoint(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &drop);
        QCOMPARE(started.count(), 1);
        QCOMPARE(started.at(0).at(0).toString(), QFileInfo(path).absoluteFilePath());
        QSignalSpy shown(&window, &ui::MainWindow::documentShown);
        QVERIFY(shown.wait(20000));
        QVERIFY(!window.isShowingStartPage());
        QVERIFY(window.windowTitle().contains(QStringLiteral("shared_cycle.pkl")));
    }

    void opensTheBundledSample()
    {
        QVERIFY(!ui::MainWindow::samplePath().isEmpty());
        ui::MainWindow window;
        QSignalSpy shown(&window, &ui::MainWindow::documentShown);
        window.openSample();
        QVERIFY(shown.wait(20000));
        QVERIFY(window.file().doc);
        QVERIFY(!window.file().doc->error);
        QCOMPARE(window.file().doc->format, core::FileFormat::TorchZip);
        // The extracted copy of the embedded sample is not a recent file.
        QVERIFY(!window.recentFiles().contains(window.file().path));
    }

    void ignoresADropWithoutAFile()
    {
        ui::MainWindow window;
        QMimeData mime;
        mime.setText(QStringLiteral("not a file"));
        QDragEnterEvent enter(QPoint(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &enter);
        QVERIFY(!enter.isAccepted());
    }

    void selectingATreeNodeSelectsItsOpcodeAndBytes()
    {
        const QJsonObject facts = uitest::readJson(QStringLiteral("shared_cycle.json"));
        const auto hello = quint64(facts.value(QStringLiteral("hello_offset")).toInteger());
        ui::MainWindow window;
        QVERIFY(openAndWait(window, uitest::dataPath(QStringLiteral("shared_cycle.pkl"))));
        QVERIFY(window.treePane()->selectAccessPath(QStringLiteral("obj['text']")));
        QCOMPARE(window.selection().offset, hello);
        QTableView* trace = window.tracePane()->view();
        QCOMPARE(window.tracePane()->model()->offsetAt(trace->currentIndex().row()), hello);
        QCOMPARE(trace->currentIndex().siblingAtColumn(ui::OpcodeTraceModel::NameColumn).data().toString(),
            QStringLiteral("SHORT_BINUNICODE"));
        QCOMPARE(window.hexView()->highlightBegin(), hello);
        QCOMPARE(window.hexView()->highlightEnd(), hello + 1 + 1 + 5); // opcode, length byte, "hello"
    }

    void selectingAnOpcodeSelectsTheValueItProduced()
    {
        const QJsonObject facts = uitest::readJson(QStringLiteral("shared_cycle.json"));
        const auto hello = quint64(facts.value(QStringLiteral("hello_offset")).toInteger());
        const QJsonArray ops = facts.value(QStringLiteral("opcodes")).toArray();
        ui::MainWindow window;
        QVERIFY(openAndWait(window, uitest::dataPath(QStringLiteral("shared_cycle.pkl"))));
        ui::OpcodeTraceModel* model = window.tracePane()->model();
        QCOMPARE(model->rowCount(), int(ops.size()));
        const int row = model->rowForOffset(hello);
        QVERIFY(row >= 0);
        window.tracePane()->view()->setCurrentIndex(model->index(row, 0));
        QTreeView* tree = window.treePane()->view();
        QCOMPARE(tree->currentIndex().siblingAtColumn(0).data(ui::ValueTreeModel::AccessPathRole).toString(),
            QStringLiteral("obj['text']"));
        QCOMPARE(tree->currentIndex().siblingAtColumn(ui::ValueTreeModel::ValueColumn).data().toString(),
            QStringLiteral("'hello'"));
        QCOMPARE(window.hexView()->highlightBegin(), hello);
    }

    void clickingAByteSelectsItsOpcode()
    {
        const QJsonObject facts = uitest::readJson(QStringLiteral("shared_cycle.json"));
        const auto hello = quint64(facts.value(QStringLiteral("hello_offset")).toInteger());
        ui::MainWindow window;
        QVERIFY(openAndWait(window, uitest::dataPath(QStringLiteral("shared_cycle.pkl"))));
        window.hexView()->clickOffset(hello + 3); // inside the string's payload
        QCOMPARE(window.selection().offset, hello);
        QCOMPARE(window.tracePane()->model()->offsetAt(window.tracePane()->view()->currentIndex().row()), hello);
        QCOMPARE(window.treePane()->currentAccessPath(), QStringLiteral("obj['text']"));
    }

    void showsALoadErrorWithItsOffsetAndThePartialTree()
    {
        ui::MainWindow window;
        QVERIFY(openAndWait(window, uitest::dataPath(QStringLiteral("truncated.pkl"))));
        QVERIFY(window.isMessageVisible());
        QVERIFY(window.file().doc->error);
        QVERIFY2(window.messageText().contains(QString::number(window.file().doc->error->offset)), qPrintable(window.messageText()));
        QVERIFY(!window.isShowingStartPage());
    }

    void reportsAFileThatCannotBeOpenedWithoutLeavingTheStartPage()
    {
        ui::MainWindow window;
        QSignalSpy failed(window.loadController(), &ui::LoadController::failed);
        window.openFile(QStringLiteral("/nonexistent/x.pt"));
        QVERIFY(failed.wait(10000));
        QVERIFY(window.isMessageVisible());
        QVERIFY(window.messageText().contains(QStringLiteral("x.pt")));
        QVERIFY(window.isShowingStartPage());
    }

    void remembersRecentFiles()
    {
        QSettings().clear();
        const QString path = QFileInfo(uitest::dataPath(QStringLiteral("shared_cycle.pkl"))).absoluteFilePath();
        {
            ui::MainWindow window;
            QVERIFY(openAndWait(window, path));
            QCOMPARE(window.recentFiles().value(0), path);
        }
        ui::MainWindow again;
        QCOMPARE(again.recentFiles().value(0), path);
        QCOMPARE(again.startPage()->recentList()->item(0)->data(Qt::UserRole).toString(), path);
    }

    void exportsJsonFromTheWindow()
    {
        ui::MainWindow window;
        QVERIFY(openAndWait(window, uitest::dataPath(QStringLiteral("shared_cycle.pkl"))));
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("out.json"));
        QSignalSpy exported(&window, &ui::MainWindow::jsonExported);
        ui::JsonExportOptions options;
        options.plain = true;
        window.exportJson(out, options);
        QVERIFY(exported.wait(20000));
        const QString error = exported.at(0).at(1).toString();
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject root = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(root.value(QStringLiteral("text")).toString(), QStringLiteral("hello"));
        QCOMPARE(root.value(QStringLiteral("big")).toArray().size(), facts().value(QStringLiteral("big_len")).toInt());
    }

private:
    static QJsonObject facts() { return uitest::readJson(QStringLiteral("shared_cycle.json")); }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
