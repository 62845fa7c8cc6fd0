// The window as a user drives it: start page, drag-and-drop, linked selection between the tree,
// the opcode trace and the bytes, load errors in the message area, export JSON, recent files.

#include "ui_test_support.h"

#include "ui/hex_view.h"
#include "ui/load_controller.h"
#include "ui/main_window.h"
#include "ui/opcode_trace_model.h"
#include "ui/opcode_trace_pane.h"
#include "ui/safety_pane.h"
#include "ui/start_page.h"
#include "ui/tensor_preview.h"
#include "ui/tensor_slice_model.h"
#include "ui/value_tree_model.h"
#include "ui/value_tree_pane.h"

#include <QAction>
#include <QDir>
#include <QDropEvent>
#include <QJsonArray>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QMimeData>
#include <QScreen>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QToolButton>
#include <QTreeView>
#include <QtTest>

#define VERIFY_SHOWS_ONLY(window, name, opcodes)                                                   \
    do {                                                                                           \
        verifyShowsOnly(window, name, opcodes);                                                    \
        if (QTest::currentTestFailed())                                                            \
            return;                                                                                \
    } while (false)

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

    static QJsonObject issue9() { return uitest::readJson(QStringLiteral("issue9.json")); }

    // Every pane, the status bar, the title and the File tab show the file now open, and the
    // trace is that file's main pickle with its own opcode count.
    static void verifyShowsOnly(const ui::MainWindow& window, const QString& name, int opcodes)
    {
        const auto doc = window.file().doc;
        QVERIFY(doc);
        QCOMPARE(QFileInfo(window.file().path).fileName(), name);
        QCOMPARE(window.treePane()->file().doc, doc);
        QCOMPARE(window.tracePane()->file().doc, doc);
        QCOMPARE(window.tracePane()->model()->file().doc, doc);
        QCOMPARE(window.hexView()->file().doc, doc);
        QCOMPARE(window.tensorPreview()->file().doc, doc);
        QCOMPARE(window.safetyPane()->file().doc, doc);
        const ui::OpcodeTraceModel* trace = window.tracePane()->model();
        QVERIFY(window.file().index);
        QCOMPARE(trace->trace(), window.file().trace(trace->pickle()).get());
        QCOMPARE(int(trace->totalRows()), opcodes);
        QVERIFY2(
            window.tracePane()->statusText().startsWith(QStringLiteral("%L1 opcodes").arg(opcodes)),
            qPrintable(window.tracePane()->statusText()));
        QVERIFY2(window.statusFileText().startsWith(name), qPrintable(window.statusFileText()));
        QVERIFY(window.windowTitle().startsWith(name));
        QTRY_VERIFY(window.fileInfoText().startsWith(name));
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
        QDragEnterEvent enter(
            QPoint(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &enter);
        QVERIFY(enter.isAccepted());
        QVERIFY(window.isDropHighlighted()); // the window is outlined while the file is over it
        QDropEvent drop(QPointF(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &drop);
        QVERIFY(!window.isDropHighlighted());
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
        // Read from the embedded resource's bytes: no copy on disk.
        QVERIFY(window.file().path.startsWith(QStringLiteral(":/")));
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
        QCOMPARE(trace->currentIndex()
                     .siblingAtColumn(ui::OpcodeTraceModel::NameColumn)
                     .data()
                     .toString(),
            QStringLiteral("SHORT_BINUNICODE"));
        QCOMPARE(window.hexView()->highlightBegin(), hello);
        QCOMPARE(
            window.hexView()->highlightEnd(), hello + 1 + 1 + 5); // opcode, length byte, "hello"
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
        QCOMPARE(tree->currentIndex()
                     .siblingAtColumn(0)
                     .data(ui::ValueTreeModel::AccessPathRole)
                     .toString(),
            QStringLiteral("obj['text']"));
        QCOMPARE(
            tree->currentIndex().siblingAtColumn(ui::ValueTreeModel::ValueColumn).data().toString(),
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
        QCOMPARE(
            window.tracePane()->model()->offsetAt(window.tracePane()->view()->currentIndex().row()),
            hello);
        QCOMPARE(window.treePane()->currentAccessPath(), QStringLiteral("obj['text']"));
    }

    void showsALoadErrorWithItsOffsetAndThePartialTree()
    {
        ui::MainWindow window;
        QVERIFY(openAndWait(window, uitest::dataPath(QStringLiteral("truncated.pkl"))));
        QVERIFY(window.isMessageVisible());
        QVERIFY(window.file().doc->error);
        QVERIFY2(window.messageText().contains(QString::number(window.file().doc->error->offset)),
            qPrintable(window.messageText()));
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
        const QString path
            = QFileInfo(uitest::dataPath(QStringLiteral("shared_cycle.pkl"))).absoluteFilePath();
        {
            ui::MainWindow window;
            QVERIFY(openAndWait(window, path));
            QTRY_COMPARE(window.recentFiles().value(0), path);
        }
        ui::MainWindow again;
        QCOMPARE(again.recentFiles().value(0), path);
        // File > Open Recent names the folder too, as the start page does.
        const QString first = again.recentMenu()->actions().value(0)->text();
        QVERIFY2(first.contains(QStringLiteral("shared_cycle.pkl"))
                && first.contains(QStringLiteral("ui")),
            qPrintable(first));
        QVERIFY(first.contains(QStringLiteral("—")));
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
        QCOMPARE(root.value(QStringLiteral("big")).toArray().size(),
            facts().value(QStringLiteral("big_len")).toInt());
    }

    void everyPaneShowsOnlyTheFileNowOpen()
    {
        const QJsonObject f = issue9();
        const int cycleOps = f.value(QStringLiteral("shared_cycle_opcodes")).toInt();
        const int tensorOps = f.value(QStringLiteral("tensors_opcodes")).toInt();
        ui::MainWindow window;
        QVERIFY(openAndWait(window, uitest::dataPath(QStringLiteral("shared_cycle.pkl"))));
        VERIFY_SHOWS_ONLY(window, QStringLiteral("shared_cycle.pkl"), cycleOps);
        QVERIFY(openAndWait(window, uitest::dataPath(QStringLiteral("tensors.pt"))));
        VERIFY_SHOWS_ONLY(window, QStringLiteral("tensors.pt"), tensorOps);

        // A load cancelled half-way leaves the open file, and its status-bar details, in place.
        QTemporaryDir dir;
        const QString big = uitest::writeBigPickle(dir, 1'000'000);
        QSignalSpy cancelled(window.loadController(), &ui::LoadController::cancelled);
        window.openFile(big);
        window.loadController()->cancel();
        QVERIFY(cancelled.count() == 1 || cancelled.wait(20000));
        QTest::qWait(50);
        VERIFY_SHOWS_ONLY(window, QStringLiteral("tensors.pt"), tensorOps);

        QVERIFY(openAndWait(window, uitest::dataPath(QStringLiteral("shared_cycle.pkl"))));
        VERIFY_SHOWS_ONLY(window, QStringLiteral("shared_cycle.pkl"), cycleOps);
        QVERIFY(openAndWait(window, uitest::dataPath(QStringLiteral("tensors.pt"))));
        VERIFY_SHOWS_ONLY(window, QStringLiteral("tensors.pt"), tensorOps);
    }

    void aHarmlessFileAfterAMaliciousOneShowsNoneOfItsOpcodes()
    {
        const QJsonObject f = issue9();
        ui::MainWindow window;
        QVERIFY(openAndWait(window, uitest::dataPath(QStringLiteral("malicious.pkl"))));
        VERIFY_SHOWS_ONLY(window, QStringLiteral("malicious.pkl"),
            f.value(QStringLiteral("malicious"))
                .toObject()
                .value(QStringLiteral("opcodes"))
                .toInt());
        QVERIFY(!window.bannerText().isEmpty());
        QVERIFY(window.safetyPane()->table()->rowCount() > 0);

        QVERIFY(openAndWait(window, uitest::dataPath(QStringLiteral("tensors.pt"))));
        VERIFY_SHOWS_ONLY(window, QStringLiteral("tensors.pt"),
            f.value(QStringLiteral("tensors_opcodes")).toInt());
        QVERIFY2(window.bannerText().isEmpty(), qPrintable(window.bannerText()));
        const ui::OpcodeTraceModel* model = window.tracePane()->model();
        for (int r = 0; r < model->rowCount(); ++r) {
            const QString arg
                = model->index(r, ui::OpcodeTraceModel::ArgumentColumn).data().toString();
            QVERIFY2(
                !arg.contains(QStringLiteral("pwned")) && !arg.contains(QStringLiteral("posix")),
                qPrintable(arg));
            QVERIFY(!model->index(r, ui::OpcodeTraceModel::NameColumn)
                         .data(Qt::BackgroundRole)
                         .isValid()
                || model->index(r, 0).data(Qt::BackgroundRole).value<QBrush>().color()
                    != QColor(0xfe, 0xe2, 0xe2));
        }
        for (int r = 0; r < window.safetyPane()->table()->rowCount(); ++r)
            QVERIFY(!window.safetyPane()->table()->item(r, 1)->text().contains(
                QStringLiteral("system")));
    }

    void theInitialSelectionOfARootTensorPreviewsIt_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("key");
        QTest::newRow("a torch.save of a bare tensor")
            << QStringLiteral("root_tensor.pt") << QStringLiteral("root_tensor");
        QTest::newRow("a pickled 2-D ndarray")
            << QStringLiteral("root_ndarray.pkl") << QStringLiteral("root_ndarray");
    }

    void theInitialSelectionOfARootTensorPreviewsIt()
    {
        QFETCH(QString, file);
        QFETCH(QString, key);
        const QJsonObject f = issue9().value(key).toObject();
        ui::MainWindow window;
        QVERIFY(openAndWait(window, uitest::dataPath(file)));
        const auto& doc = *window.file().doc;
        QCOMPARE(window.selection().value, doc.root);
        QVERIFY(window.tensorPreview()->hasTensor());
        QCOMPARE(window.tensorPreview()->value(), doc.root);
        QCOMPARE(
            window.detailTabs()->currentWidget(), static_cast<QWidget*>(window.tensorPreview()));
        const QJsonArray shape = f.value(QStringLiteral("shape")).toArray();
        const QJsonArray values = f.value(QStringLiteral("values")).toArray();
        const ui::TensorSliceModel* slice = window.tensorPreview()->sliceModel();
        QCOMPARE(slice->rowCount(), shape.at(0).toInt());
        QCOMPARE(slice->columnCount(), shape.at(1).toInt());
        QCOMPARE(slice->valueAt(1, 2), values.at(shape.at(1).toInt() + 2).toDouble());
        // The trace and the bytes follow the initial selection as they follow a click.
        QVERIFY(window.selection().hasOffset());
        const QModelIndex current = window.tracePane()->view()->currentIndex();
        QVERIFY(current.isValid());
        QCOMPARE(window.tracePane()->model()->offsetAt(current.row()), window.selection().offset);
        QCOMPARE(window.hexView()->highlightBegin(), window.selection().offset);
        QVERIFY(!window.statusPathText().isEmpty());
    }

    void goToTheStopByteTurnsTheTraceToAnErrorRowAtItsEnd()
    {
        ui::MainWindow window;
        QVERIFY(openAndWait(window, uitest::dataPath(QStringLiteral("truncated.pkl"))));
        QVERIFY(window.file().doc->error);
        const std::uint64_t stop = window.file().doc->error->offset;
        QVERIFY(window.isMessageVisible());
        QVERIFY(!window.messageGotoButton()->isHidden());
        const ui::OpcodeTraceModel* model = window.tracePane()->model();
        const ui::OpcodeTrace* trace = model->trace();
        QVERIFY(trace && trace->error());
        // The trace ends with a row that says where and why reading stopped.
        QCOMPARE(model->rowCount(), int(trace->size()) + 1);
        const int last = model->rowCount() - 1;
        QCOMPARE(model->index(last, ui::OpcodeTraceModel::OffsetColumn).data().toString(),
            QString::number(trace->error()->offset));
        QVERIFY(model->index(last, ui::OpcodeTraceModel::ArgumentColumn)
                    .data()
                    .toString()
                    .contains(QString::fromStdString(trace->error()->message)));

        // Go to a byte in the middle: the trace turns to the opcode there.
        const std::uint64_t mid = trace->row(trace->size() / 2).offset;
        window.goToOffset(mid);
        QCOMPARE(model->offsetAt(window.tracePane()->view()->currentIndex().row()), mid);
        QCOMPARE(window.hexView()->highlightBegin(), mid);

        // The message bar's "Go to byte N": the error row.
        window.messageGotoButton()->click();
        QCOMPARE(window.selection().offset, stop);
        QCOMPARE(window.tracePane()->view()->currentIndex().row(), last);
    }

    void aCancelledJsonExportLeavesTheOldFileAsItWas()
    {
        QTemporaryDir dir;
        const QString big = uitest::writeBigPickle(dir, 1'000'000);
        ui::MainWindow window;
        QVERIFY(openAndWait(window, big));
        const QString out = dir.filePath(QStringLiteral("out.json"));
        {
            QFile old(out);
            QVERIFY(old.open(QIODevice::WriteOnly));
            old.write("old contents");
        }
        QSignalSpy exported(&window, &ui::MainWindow::jsonExported);
        ui::JsonExportOptions options;
        options.tensorData = QStringLiteral("full");
        window.exportJson(out, options);
        QVERIFY(window.jsonExporter()->isRunning());
        QVERIFY(window.isProgressVisible());
        QVERIFY(window.cancelAction()->isEnabled());
        window.cancelAction()->trigger();
        QVERIFY(exported.count() == 1 || exported.wait(20000));
        QCOMPARE(exported.at(0).at(1).toString(), QStringLiteral("cancelled"));
        QVERIFY(!window.isProgressVisible());
        QFile old(out);
        QVERIFY(old.open(QIODevice::ReadOnly));
        QCOMPARE(old.readAll(), QByteArray("old contents"));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(),
            2); // big.pkl, out.json: no temporary left
    }

    void expandAllSaysWhenItStopsAtItsCap()
    {
        ui::MainWindow window;
        QVERIFY(openAndWait(window, uitest::dataPath(QStringLiteral("shared_cycle.pkl"))));
        // The 2,500-item list alone is over a 100-row cap; everything fits under a million.
        QVERIFY(window.treePane()->expandAll(100));
        window.treePane()->collapseAll();
        QVERIFY(!window.treePane()->expandAll(1'000'000));
    }

    void theFirstWindowFitsTheScreensAvailableArea()
    {
        QSettings().remove(QStringLiteral("window/geometry"));
        ui::MainWindow window;
        const QRect available = QGuiApplication::primaryScreen()->availableGeometry();
        QVERIFY2(window.width() <= available.width() && window.height() <= available.height(),
            qPrintable(QStringLiteral("%1 x %2 on %3 x %4")
                           .arg(window.width())
                           .arg(window.height())
                           .arg(available.width())
                           .arg(available.height())));
    }

    void theViewMenuHidesPanesAndResetsTheLayout()
    {
        ui::MainWindow window;
        window.show();
        QVERIFY(openAndWait(window, uitest::dataPath(QStringLiteral("shared_cycle.pkl"))));
        QAction* trace = window.paneAction(QStringLiteral("trace"));
        QAction* details = window.paneAction(QStringLiteral("details"));
        QVERIFY(trace && details && window.paneAction(QStringLiteral("bytes")));
        trace->setChecked(false);
        details->setChecked(false);
        QVERIFY(!window.tracePane()->isVisible());
        QVERIFY(!window.detailTabs()->isVisible());
        window.resetLayoutAction()->trigger();
        QVERIFY(window.tracePane()->isVisible());
        QVERIFY(window.detailTabs()->isVisible());
    }

    void theBreadcrumbNamesThePathAndSelectsASegment()
    {
        ui::MainWindow window;
        QVERIFY(openAndWait(window, uitest::dataPath(QStringLiteral("shared_cycle.pkl"))));
        QVERIFY(window.treePane()->selectAccessPath(QStringLiteral("obj['shared']['y'][1]")));
        const QStringList crumbs = window.treePane()->breadcrumb();
        QCOMPARE(crumbs.size(), 4);
        QCOMPARE(crumbs.at(0), QStringLiteral("obj"));
        QVERIFY(crumbs.at(1).contains(QStringLiteral("shared")));
        QVERIFY(window.treePane()->breadcrumbLabel()->text().contains(QStringLiteral("shared")));
        // A click on the second segment (two levels up) selects it.
        Q_EMIT window.treePane()->breadcrumbLabel()->linkActivated(QStringLiteral("2"));
        QCOMPARE(window.treePane()->currentAccessPath(), QStringLiteral("obj['shared']"));
        QCOMPARE(window.selection().value, window.treePane()->currentSelection().value);
    }

    void selectsAValueAMillionLevelsDeepAndClosesTheFile()
    {
        // [[[…[]…]]] a million lists deep (protocol 2): a million EMPTY_LIST, one APPEND fewer,
        // STOP. The trace's linked selection of the last EMPTY_LIST selects the innermost list:
        // the tree makes a million rows down to it; closing the file drops them. Nothing may
        // recurse on the depth (the test runs on the default 8 MiB stack).
        constexpr int kDepth = 1'000'000;
        QTemporaryDir dir;
        QByteArray data = QByteArray::fromHex("8002");
        data += QByteArray(kDepth, ']');
        data += QByteArray(kDepth - 1, 'a');
        data += '.';
        const QString path = dir.filePath(QStringLiteral("deep.pkl"));
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QCOMPARE(f.write(data), data.size());
        }
        QElapsedTimer timer;
        timer.start();
        ui::MainWindow window;
        window.resize(1200, 800);
        window.show();
        QVERIFY(openAndWait(window, path));
        QCOMPARE(window.tracePane()->model()->totalRows(), std::size_t(2 * kDepth + 1));
        const std::uint64_t lastList = 2 + kDepth - 1; // after PROTO 2
        window.goToOffset(lastList);
        const core::ValueId deepest = window.selection().value;
        QVERIFY(!core::isNull(deepest));
        QCOMPARE(window.file().doc->graph.offset(deepest), lastList);
        QCOMPARE(window.file().doc->graph.itemCount(deepest), std::size_t(0));
        const QModelIndex current = window.treePane()->view()->currentIndex();
        QCOMPARE(window.treePane()->model()->valueAt(current), deepest);
        QCOMPARE(window.treePane()->model()->depth(current), kDepth - 1);
        QVERIFY(window.treePane()->model()->nodeCount() > std::size_t(kDepth));
        // The view is rooted a few rows above the selection; the breadcrumb elides the middle.
        QVERIFY(window.treePane()->view()->rootIndex().isValid());
        QVERIFY2(window.treePane()->breadcrumbLabel()->text().contains(
                     QStringLiteral("%L1 more").arg(kDepth - 8)),
            qPrintable(window.treePane()->breadcrumbLabel()->text().left(400)));
        QVERIFY(window.statusPathText().startsWith(QStringLiteral("obj[0][0]")));
        QVERIFY(window.statusPathText().endsWith(QStringLiteral("[0][0]")));
        QCoreApplication::processEvents(); // paints the deep rows
        // Back up to the root through the breadcrumb's first segment, then close.
        Q_EMIT window.treePane()->breadcrumbLabel()->linkActivated(QString::number(kDepth - 1));
        QCOMPARE(window.treePane()->model()->depth(window.treePane()->view()->currentIndex()), 0);
        QVERIFY(!window.treePane()->view()->rootIndex().isValid());
        window.goToOffset(lastList);
        window.closeFile();
        QVERIFY(window.isShowingStartPage());
        QCOMPARE(window.treePane()->model()->rowCount(), 0);
        QVERIFY2(timer.elapsed() < 30'000, qPrintable(QString::number(timer.elapsed())));
    }

    void theUserGuideIsBundled()
    {
        QFile guide(QStringLiteral(":/docs/user-guide.md"));
        QVERIFY(guide.open(QIODevice::ReadOnly));
        QVERIFY(guide.readAll().startsWith("# PickleScope user guide"));
    }

    void marksTensorsWhoseStorageBytesAreMissing()
    {
        const QJsonObject f = issue9().value(QStringLiteral("missing_storage")).toObject();
        ui::MainWindow window;
        QVERIFY(openAndWait(window, uitest::dataPath(QStringLiteral("missing_storage.pt"))));
        QVERIFY(!window.isShowingStartPage());
        QVERIFY(window.isMessageVisible());
        QVERIFY2(window.messageText().contains(QStringLiteral("1 storage")),
            qPrintable(window.messageText()));
        QCOMPARE(window.file().missingStorages, std::size_t(1));

        const QString missingPath = f.value(QStringLiteral("missing_path")).toString();
        QVERIFY(window.treePane()->selectAccessPath(missingPath));
        const QModelIndex row = window.treePane()->view()->currentIndex();
        QVERIFY(row.siblingAtColumn(0).data(ui::ValueTreeModel::MissingDataRole).toBool());
        const QString text = row.siblingAtColumn(ui::ValueTreeModel::ValueColumn).data().toString();
        QVERIFY2(text.startsWith(QStringLiteral("⚠ no data · tensor")), qPrintable(text));
        // Marked once: the core summary's own " (data missing)" is not repeated after it.
        QVERIFY2(!text.contains(QStringLiteral("data missing")), qPrintable(text));
        const QString tip
            = row.siblingAtColumn(ui::ValueTreeModel::ValueColumn).data(Qt::ToolTipRole).toString();
        QVERIFY2(!tip.contains(QStringLiteral("data missing"))
                && tip.contains(QStringLiteral("No data")),
            qPrintable(tip));
        QVERIFY(window.tensorPreview()->isDataMissing());
        QVERIFY(!window.tensorPreview()->hasTensor());
        QVERIFY(window.tensorPreview()->infoText().contains(QStringLiteral("no data")));

        // The complete tensors beside it are neither marked nor missing.
        QVERIFY(window.treePane()->selectAccessPath(QStringLiteral("obj['w']")));
        QVERIFY(!window.treePane()
                     ->view()
                     ->currentIndex()
                     .data(ui::ValueTreeModel::MissingDataRole)
                     .toBool());
        QVERIFY(window.tensorPreview()->hasTensor());
        QVERIFY(!window.tensorPreview()->isDataMissing());
    }

    void aPickleCutHalfWayShowsItsPartialTree()
    {
        ui::MainWindow window;
        QVERIFY(openAndWait(window, uitest::dataPath(QStringLiteral("truncated.pkl"))));
        QVERIFY(!window.isShowingStartPage());
        QVERIFY(window.isMessageVisible());
        // What was on the stack when the bytes ran out is the tree: the dict's first key is there.
        const ui::ValueTreeModel* model = window.treePane()->model();
        const QModelIndex root = model->index(0, 0);
        QVERIFY(model->rowCount(root) > 2);
        QCOMPARE(model->index(1, ui::ValueTreeModel::ValueColumn, root).data().toString(),
            QStringLiteral("'shared'"));
    }

private:
    static QJsonObject facts() { return uitest::readJson(QStringLiteral("shared_cycle.json")); }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
