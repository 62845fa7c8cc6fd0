// LoadController: loading on a worker with progress, cancelling within 100 ms, errors and
// partial documents.

#include "ui_test_support.h"

#include "ui/load_controller.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

namespace {

// A protocol-4 pickle of one list of `count` BININTs appended in batches of 1,000: about 5 bytes
// per item, so 6 M items make a 30 MB file.
QString writeBigPickle(const QTemporaryDir& dir, int count)
{
    QByteArray data;
    data.reserve(count * 5 + count / 1000 * 2 + 16);
    data += QByteArray::fromHex("8004"); // PROTO 4
    data += ']'; // EMPTY_LIST
    for (int i = 0; i < count; i += 1000) {
        data += '('; // MARK
        for (int j = i; j < std::min(count, i + 1000); ++j) {
            data += 'J'; // BININT
            const quint32 v = quint32(j);
            data += char(v & 0xff);
            data += char((v >> 8) & 0xff);
            data += char((v >> 16) & 0xff);
            data += char((v >> 24) & 0xff);
        }
        data += 'e'; // APPENDS
    }
    data += '.'; // STOP
    const QString path = dir.filePath(QStringLiteral("big.pkl"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size())
        return {};
    return path;
}

} // namespace

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
        const auto file = loaded.at(0).at(0).value<ui::LoadedFile>();
        QVERIFY(file.doc);
        QVERIFY(!file.doc->error);
        QCOMPARE(file.doc->graph.itemCount(file.doc->root), std::size_t(2'000'000));
        QVERIFY(file.index);
        QSignalSpy traces(&loader, &ui::LoadController::tracesReady);
        QVERIFY(traces.wait(60000));
        QVERIFY(file.index->trace(0));
        QVERIFY(file.index->trace(0)->size() > 2'000'000);
    }

    void cancelsWithinAHundredMilliseconds()
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
        QVERIFY2(ms < 100, qPrintable(QStringLiteral("cancel took %1 ms").arg(ms)));
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
        const auto file = loaded.at(0).at(0).value<ui::LoadedFile>();
        QVERIFY(file.doc);
        QVERIFY(file.doc->error.has_value());
        QVERIFY(file.doc->error->offset > 0);
        const auto size = uitest::readJson(QStringLiteral("shared_cycle.json")).value(QStringLiteral("truncated_size")).toInteger();
        QVERIFY(qint64(file.doc->error->offset) <= size);
        QVERIFY(file.doc->graph.size() > 0);
    }

    void startingAnotherLoadAbandonsTheFirst()
    {
        ui::LoadController loader;
        QSignalSpy cancelled(&loader, &ui::LoadController::cancelled);
        QSignalSpy started(&loader, &ui::LoadController::started);
        loader.load(QStringLiteral("/nonexistent/a.pkl"));
        loader.load(QStringLiteral("/nonexistent/b.pkl"));
        QCOMPARE(started.count(), 2);
        QTRY_VERIFY(!loader.isBusy());
        QCOMPARE(loader.currentPath(), QStringLiteral("/nonexistent/b.pkl"));
    }
};

QTEST_MAIN(TestLoadController)
#include "tst_load_controller.moc"
