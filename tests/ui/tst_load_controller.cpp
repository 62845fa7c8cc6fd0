// LoadController: loading on a worker with progress, cancelling before the end of the file, errors
// and partial documents.

#include "ui_test_support.h"

#include "core/remote/http_source.h"
#include "tests/remote/range_server.h"
#include "ui/load_controller.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThreadPool>
#include <QtTest>

using uitest::writeBigPickle;

class TestLoadController : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void reportsAFileThatCannotBeOpened()
    {
        ui::LoadController loader;
        QSignalSpy failed(&loader, &ui::LoadController::failed);
        QSignalSpy busy(&loader, &ui::LoadController::busyChanged);
        loader.load(QStringLiteral("/nonexistent/dir/file.pkl"));
        QVERIFY(loader.isBusy());
        QVERIFY(failed.wait(10000));
        QCOMPARE(failed.at(0).at(0).toString(), QStringLiteral("/nonexistent/dir/file.pkl"));
        QVERIFY(!failed.at(0).at(1).toString().isEmpty());
        QVERIFY(!loader.isBusy());
        QCOMPARE(busy.count(), 2);
    }

    void loadsOnAWorkerWithProgress()
    {
        QTemporaryDir dir;
        const QString path = writeBigPickle(dir, 2'000'000);
        QVERIFY(!path.isEmpty());
        ui::LoadController loader;
        QSignalSpy progress(&loader, &ui::LoadController::progressChanged);
        QSignalSpy loaded(&loader, &ui::LoadController::loaded);
        loader.load(path);
        QVERIFY(loaded.wait(60000));
        QVERIFY(progress.count() >= 3);
        int last = -1;
        for (const auto& args : progress) {
            QVERIFY(args.at(0).toInt() >= last);
            last = args.at(0).toInt();
        }
        QCOMPARE(last, ui::LoadController::kProgressMax);
        const auto published = loaded.at(0).at(0).value<std::shared_ptr<const ui::LoadedFile>>();
        QVERIFY(published);
        const ui::LoadedFile& file = *published;
        QVERIFY(file.doc);
        QVERIFY(!file.doc->error);
        QCOMPARE(file.doc->graph.itemCount(file.doc->root), std::size_t(2'000'000));
        QVERIFY(file.index);
        QVERIFY(!file.hasTraces());
        QSignalSpy traces(&loader, &ui::LoadController::tracesReady);
        QVERIFY(traces.wait(60000));
        // The traces come in a new LoadedFile; the published one is left as it was.
        const auto withTraces = traces.at(0).at(0).value<std::shared_ptr<const ui::LoadedFile>>();
        QVERIFY(withTraces && withTraces != published);
        QCOMPARE(withTraces->doc, file.doc);
        QCOMPARE(withTraces->index, file.index);
        QVERIFY(!file.hasTraces() && !file.safety);
        QVERIFY(withTraces->trace(0));
        QVERIFY(withTraces->trace(0)->size() > 2'000'000);
        QVERIFY(withTraces->safety);
    }

    void aCancelStopsTheWorkerBeforeTheEndOfTheFile()
    {
        QTemporaryDir dir;
        const QString path = writeBigPickle(dir, 6'000'000);
        QVERIFY(!path.isEmpty());
        ui::LoadController loader;
        QSignalSpy progress(&loader, &ui::LoadController::progressChanged);
        QSignalSpy cancelled(&loader, &ui::LoadController::cancelled);
        QSignalSpy loaded(&loader, &ui::LoadController::loaded);
        loader.load(path);
        // Wait until the worker reports real progress, then cancel.
        QTRY_VERIFY_WITH_TIMEOUT(!progress.isEmpty() && progress.last().at(0).toInt() > 0, 20000);
        if (!loader.isBusy())
            QSKIP("the machine loaded 30 MB before the test could cancel");
        QElapsedTimer timer;
        timer.start();
        loader.cancel();
        QVERIFY(cancelled.wait(5000));
        const qint64 ms = timer.elapsed();
        qInfo("cancel took %lld ms", ms);
        // How fast is a benchmark's question (wall time depends on the machine's load); what a
        // test can count is that the worker stopped before reading the whole file.
        const int last = progress.last().at(0).toInt();
        QVERIFY2(last < ui::LoadController::kProgressMax,
            qPrintable(QStringLiteral("the worker reported %1 of %2 after the cancel")
                           .arg(last)
                           .arg(ui::LoadController::kProgressMax)));
        QCOMPARE(loaded.count(), 0);
        QVERIFY(!loader.isBusy());
    }

    void keepsThePartialDocumentOfABrokenFile()
    {
        ui::LoadController loader;
        QSignalSpy loaded(&loader, &ui::LoadController::loaded);
        QSignalSpy failed(&loader, &ui::LoadController::failed);
        loader.load(uitest::dataPath(QStringLiteral("truncated.pkl")));
        QTRY_VERIFY_WITH_TIMEOUT(loaded.count() + failed.count() > 0, 10000);
        QCOMPARE(loaded.count(), 1);
        const ui::LoadedFile file
            = *loaded.at(0).at(0).value<std::shared_ptr<const ui::LoadedFile>>();
        QVERIFY(file.doc);
        QVERIFY(file.doc->error.has_value());
        QVERIFY(file.doc->error->offset > 0);
        const auto size = uitest::readJson(QStringLiteral("shared_cycle.json"))
                              .value(QStringLiteral("truncated_size"))
                              .toInteger();
        QVERIFY(qint64(file.doc->error->offset) <= size);
        QVERIFY(file.doc->graph.size() > 0);
    }

    void startingAnotherLoadAbandonsTheFirst()
    {
        // The first load is of a URL on a server that holds every request: its worker stays
        // blocked on the network until the test releases it, so what load() does not wait for
        // can be seen as a state, not timed.
        core::remote::HttpOptions options;
        options.useNetrc = false;
        core::remote::installUrlOpener(options);
        RangeServer server(QStringLiteral(PICKLESCOPE_TEST_DATA));
        server.hold(true);
        const QString first = server.url(QStringLiteral("ok/ui/shared_cycle.pkl"));
        const QString small = uitest::dataPath(QStringLiteral("shared_cycle.pkl"));
        ui::LoadController loader;
        QSignalSpy cancelled(&loader, &ui::LoadController::cancelled);
        QSignalSpy started(&loader, &ui::LoadController::started);
        QSignalSpy loaded(&loader, &ui::LoadController::loaded);
        QSignalSpy traces(&loader, &ui::LoadController::tracesReady);
        QSignalSpy failed(&loader, &ui::LoadController::failed);
        loader.load(first);
        // The first load is really under way: its worker's request is waiting at the server.
        QTRY_VERIFY_WITH_TIMEOUT(server.heldRequests() > 0, 20000);
        QVERIFY(loader.isBusy());
        loader.load(small);
        // load() returned while the abandoned worker is still blocked (its request unanswered):
        // the UI thread did not wait for it. The abandon was reported at once.
        QCOMPARE(server.heldRequests(), 1);
        QCOMPARE(cancelled.count(), 1);
        QCOMPARE(cancelled.at(0).at(0).toString(), first);
        QCOMPARE(started.count(), 2);
        server.hold(false); // the first worker goes on, sees its cancel or finishes: dropped
        QTRY_VERIFY_WITH_TIMEOUT(!loader.isBusy() && traces.count() > 0, 20000);
        QThreadPool::globalInstance()->waitForDone(20000); // the first worker has ended too
        QCoreApplication::processEvents();
        // Exactly one abandon (of the first) and one completion (of the second).
        QCOMPARE(cancelled.count(), 1);
        QCOMPARE(failed.count(), 0);
        QCOMPARE(loaded.count(), 1);
        QCOMPARE(loaded.at(0).at(0).value<std::shared_ptr<const ui::LoadedFile>>()->path, small);
        QCOMPARE(traces.count(), 1);
        QCOMPARE(traces.at(0).at(0).value<std::shared_ptr<const ui::LoadedFile>>()->path, small);
        QCOMPARE(loader.currentPath(), small);
    }
};

QTEST_MAIN(TestLoadController)
#include "tst_load_controller.moc"
