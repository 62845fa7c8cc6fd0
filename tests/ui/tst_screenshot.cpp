// The screenshot check in-process: opens the bundled sample checkpoint, selects a tensor, waits
// for its statistics and saves the window as a PNG ($PICKLESCOPE_SCREENSHOT, default: the temp
// directory). scripts/screenshot.sh does the same for the real binary under Xvfb.

#include "ui_test_support.h"

#include "ui/main_window.h"
#include "ui/tensor_charts.h"
#include "ui/tensor_preview.h"
#include "ui/value_tree_pane.h"

#include <QDir>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QtTest>

#include <set>

class TestScreenshot : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("PickleScopeTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_screenshot"));
        QSettings().clear();
    }

    void showsATensorOfTheSampleCheckpoint()
    {
        ui::MainWindow window;
        window.resize(1400, 900);
        window.show();
        QSignalSpy shown(&window, &ui::MainWindow::documentShown);
        QSignalSpy traces(&window, &ui::MainWindow::tracesReady);
        window.openSample();
        QVERIFY(shown.wait(20000));
        QVERIFY(!traces.isEmpty() || traces.wait(20000));
        QSignalSpy stats(window.tensorPreview(), &ui::TensorPreview::statsFinished);
        QVERIFY(window.treePane()->selectAccessPath(QStringLiteral("ckpt['embedding_fp16']")));
        QVERIFY(stats.wait(10000));
        QCOMPARE(stats.at(0).at(0).toBool(), true);
        QCOMPARE(window.detailTabs()->currentWidget(), static_cast<QWidget*>(window.tensorPreview()));

        // The heatmap shows a [10, 8] float16 slice in more than a couple of colours.
        const QImage heat = window.tensorPreview()->heatmap()->image();
        QCOMPARE(heat.size(), QSize(8, 10));
        std::set<QRgb> colours;
        for (int y = 0; y < heat.height(); ++y)
            for (int x = 0; x < heat.width(); ++x)
                colours.insert(heat.pixel(x, y));
        QVERIFY(colours.size() > 10);

        // Let the pending layout requests of the stats labels run before grabbing.
        QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
        QCoreApplication::processEvents();
        const QImage shot = window.grab().toImage();
        QCOMPARE(shot.size(), window.size() * shot.devicePixelRatio());
        const QString out = qEnvironmentVariable("PICKLESCOPE_SCREENSHOT",
            QDir::temp().filePath(QStringLiteral("picklescope-screenshot.png")));
        QVERIFY(shot.save(out));
        qInfo("screenshot: %s", qPrintable(out));
    }
};

QTEST_MAIN(TestScreenshot)
#include "tst_screenshot.moc"
