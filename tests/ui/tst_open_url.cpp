// The window on a remote file: `picklescope URL` (MainWindow::openFile with a URL) loads it over
// HTTP from tests/remote/range_server.h on 127.0.0.1, the status bar shows the bytes fetched of
// the file's size, and the URL joins the recent URLs that File ▸ Open URL… offers.

#include "core/remote/http_source.h"
#include "tests/remote/range_server.h"
#include "ui/main_window.h"
#include "ui/open_url_dialog.h"

#include <QLabel>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QtTest>

class TestOpenUrl : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("PickleScopeTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_open_url"));
        QSettings().clear();
        core::remote::HttpOptions options;
        options.guardUnfetched = true; // a pane that reads unfetched bytes crashes the test
        options.useNetrc = false;
        core::remote::installUrlOpener(options);
        m_server = std::make_unique<RangeServer>(QStringLiteral(PICKLESCOPE_TEST_DATA));
    }
    void cleanupTestCase() { m_server.reset(); }

    void opensAUrlAndShowsTheBytesFetchedInTheStatusBar()
    {
        ui::MainWindow window;
        window.show();
        QSignalSpy shown(&window, &ui::MainWindow::documentShown);
        const QString url = m_server->url(QStringLiteral("ok/torch/half_patterns.pt"));
        window.openFile(url);
        QVERIFY(shown.wait(20000));
        QLabel* fetched = nullptr;
        for (QLabel* label : window.statusBar()->findChildren<QLabel*>())
            if (label->text().startsWith(QLatin1String("fetched ")))
                fetched = label;
        QVERIFY(fetched != nullptr);
        QVERIFY(fetched->isVisible());
        const qint64 size
            = QFileInfo(QStringLiteral(PICKLESCOPE_TEST_DATA "/torch/half_patterns.pt")).size();
        const QString whole
            = QLocale::c().formattedDataSize(size, 1, QLocale::DataSizeTraditionalFormat);
        QVERIFY2(
            fetched->text().endsWith(QStringLiteral(" of ") + whole), qPrintable(fetched->text()));
        QVERIFY2(!fetched->text().startsWith(QStringLiteral("fetched ") + whole),
            qPrintable(fetched->text())); // not all
        QCOMPARE(ui::OpenUrlDialog::recentUrls().value(0), url);
    }

private:
    std::unique_ptr<RangeServer> m_server;
};

QTEST_MAIN(TestOpenUrl)
#include "tst_open_url.moc"
