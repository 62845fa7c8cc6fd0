// The window on a remote file: `picklescope URL` (MainWindow::openFile with a URL) loads it over
// HTTP from tests/remote/range_server.h on 127.0.0.1, the status bar shows the bytes fetched of
// the file's size (current after a tensor preview fetched more), and the URL joins the recent URLs
// that File ▸ Open URL… offers; the cache setting reaches the source; a server without range
// support gets "Download and open" (accepted: the copy opens; declined or cancelled: no file).

#include "core/remote/http_source.h"
#include "tests/remote/range_server.h"
#include "ui/download_offer.h"
#include "ui/main_window.h"
#include "ui/open_url_dialog.h"
#include "ui/tensor_preview.h"
#include "ui/value_tree_pane.h"

#include <QLabel>
#include <QMessageBox>
#include <QProgressDialog>
#include <QPushButton>
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

    void downloadsAndOpensAFileWhoseServerCannotSendParts()
    {
        ui::MainWindow window;
        window.show();
        QSignalSpy shown(&window, &ui::MainWindow::documentShown);
        const QString url = m_server->url(QStringLiteral("norange/torch/half_patterns.pt"));
        const QString local = QString::fromStdString(core::remote::downloadPath(url.toStdString()));
        QFile::remove(local);
        window.openFile(url);
        ui::DownloadOffer* offer = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT((offer = window.findChild<ui::DownloadOffer*>()) != nullptr
                && offer->question() && offer->question()->isVisible(),
            20000);
        const qint64 size
            = QFileInfo(QStringLiteral(PICKLESCOPE_TEST_DATA "/torch/half_patterns.pt")).size();
        QCOMPARE(offer->question()->text(),
            QStringLiteral("This server cannot send parts of the file. Download %1 and open it?")
                .arg(QLocale::c().formattedDataSize(size, 1, QLocale::DataSizeIecFormat)));
        offer->question()->button(QMessageBox::Yes)->click();
        QVERIFY(shown.wait(20000));
        QCOMPARE(window.file().path, local);
        QCOMPARE(QFileInfo(local).size(), size);
        int tensors = 0;
        const core::ValueGraph& graph = window.file().doc->graph;
        for (std::size_t i = 0; i < graph.size(); ++i)
            tensors += graph.kind(core::ValueId(std::uint32_t(i))) == core::ValueKind::Tensor;
        QCOMPARE(tensors, 4); // f16, f16_as_f32, bf16, bf16_as_f32
        QVERIFY(statusLabel(window, QStringLiteral("downloaded copy of ") + url) != nullptr);
        QVERIFY(QFile::remove(local));
    }

    void aDeclinedOrCancelledDownloadLeavesNoFileAndTheWindowAsItWas()
    {
        ui::MainWindow window;
        window.show();
        QSignalSpy shown(&window, &ui::MainWindow::documentShown);
        const QString before = QStringLiteral(PICKLESCOPE_TEST_DATA "/ui/tensors.pt");
        window.openFile(before);
        QVERIFY(shown.wait(20000));
        shown.clear();
        const QString url = m_server->url(QStringLiteral("norange/torch/half_patterns.pt"));
        const QString local = QString::fromStdString(core::remote::downloadPath(url.toStdString()));
        QFile::remove(local);

        // Declined.
        window.openFile(url);
        QPointer<ui::DownloadOffer> offer;
        QTRY_VERIFY_WITH_TIMEOUT((offer = window.findChild<ui::DownloadOffer*>()) != nullptr
                && offer->question() && offer->question()->isVisible(),
            20000);
        offer->question()->button(QMessageBox::Cancel)->click();
        QTRY_VERIFY(offer.isNull());
        QVERIFY(!QFile::exists(local));
        QCOMPARE(window.file().path, before);

        // Accepted, then cancelled while the server has not sent the file yet.
        window.openFile(url);
        QTRY_VERIFY_WITH_TIMEOUT((offer = window.findChild<ui::DownloadOffer*>()) != nullptr
                && offer->question() && offer->question()->isVisible(),
            20000);
        QSignalSpy cancelled(offer.data(), &ui::DownloadOffer::cancelled);
        m_server->hold(true);
        offer->question()->button(QMessageBox::Yes)->click();
        QTRY_VERIFY(offer->progress() && offer->progress()->isVisible());
        QTRY_VERIFY(m_server->heldRequests() > 0);
        QPushButton* cancel = offer->progress()->findChild<QPushButton*>();
        QVERIFY(cancel != nullptr);
        cancel->click();
        QVERIFY(!offer->progress() || !offer->progress()->isVisible());
        m_server->hold(false);
        QVERIFY(cancelled.wait(20000)); // once the worker has ended and dropped its partial file
        QVERIFY(!QFile::exists(local));
        QVERIFY(!QFile::exists(local + QStringLiteral(".part"))); // (QSaveFile's temporary)
        QTRY_VERIFY(offer.isNull());
        QCOMPARE(window.file().path, before);
        QCOMPARE(shown.count(), 0);
    }

    void opensUrlsWithTheCacheLimitSetting()
    {
        QCOMPARE(ui::OpenUrlDialog::cacheLimitMiB(), 256); // the default
        ui::OpenUrlDialog::setCacheLimitMiB(3);
        ui::OpenUrlDialog::applySettings();
        ui::MainWindow window;
        QSignalSpy shown(&window, &ui::MainWindow::documentShown);
        window.openFile(m_server->url(QStringLiteral("ok/torch/half_patterns.pt")));
        QVERIFY(shown.wait(20000));
        QCOMPARE(window.file().doc->source->cacheLimit(), std::uint64_t(3) << 20);
        ui::OpenUrlDialog::setCacheLimitMiB(ui::OpenUrlDialog::kDefaultCacheLimitMiB);
        ui::OpenUrlDialog::applySettings();
        QCOMPARE(core::remote::installedUrlOptions().cacheLimit, std::uint64_t(256) << 20);
        QVERIFY(core::remote::installedUrlOptions().guardUnfetched); // the rest kept
    }

    void theFetchedFigureIsCurrentAfterATensorPreviewFetched()
    {
        ui::MainWindow window;
        window.show();
        QSignalSpy shown(&window, &ui::MainWindow::documentShown);
        window.openFile(m_server->url(QStringLiteral("ok/remote/preview.pt")));
        QVERIFY(shown.wait(20000));
        const core::ByteSource& source = *window.file().doc->source;
        QLabel* fetched = statusLabel(window, QStringLiteral("fetched "));
        QVERIFY(fetched != nullptr);
        const QString atLoad = fetched->text();
        QCOMPARE(atLoad, ui::FetchedLabel::text(source));
        QSignalSpy read(window.tensorPreview(), &ui::TensorPreview::sliceRead);
        QVERIFY(window.treePane()->selectAccessPath(QStringLiteral("obj['matrix']")));
        QVERIFY(read.wait(20000));
        QVERIFY(window.tensorPreview()->isRemote());
        // Right when the window arrived (not at the label's next tick): it counts its fetch.
        QCOMPARE(fetched->text(), ui::FetchedLabel::text(source));
        QVERIFY(fetched->text() != atLoad);
    }

private:
    static QLabel* statusLabel(ui::MainWindow& window, const QString& prefix)
    {
        for (QLabel* label : window.statusBar()->findChildren<QLabel*>())
            if (label->text().startsWith(prefix) && label->isVisible())
                return label;
        return nullptr;
    }

    std::unique_ptr<RangeServer> m_server;
};

QTEST_MAIN(TestOpenUrl)
#include "tst_open_url.moc"
