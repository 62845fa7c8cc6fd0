#include "ui/load_controller.h"

#include "core/loader.h"
#include "core/safety/scanned_load.h"
#include "core/value/byte_source.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QPromise>
#include <QtConcurrent/QtConcurrentRun>

#include <cstring>
#include <new>

namespace ui {

namespace {

// Maps the core's (done, total) of each phase onto one 0..kProgressMax bar.
class PromiseObserver final : public core::LoadObserver {
public:
    PromiseObserver(QPromise<LoadOutcome>& promise, int from, int to, QString phase)
        : m_promise(promise)
        , m_from(from)
        , m_to(to)
        , m_phase(std::move(phase))
    {
    }
    bool isCancelled() const override { return m_promise.isCanceled(); }
    void progress(std::uint64_t done, std::uint64_t total) override
    {
        int value = m_from;
        if (total > 0)
            value += int((m_to - m_from) * double(std::min(done, total)) / double(total));
        if (value != m_last) {
            m_last = value;
            m_promise.setProgressValueAndText(value, m_phase);
        }
    }

private:
    QPromise<LoadOutcome>& m_promise;
    int m_from, m_to, m_last = -1;
    QString m_phase;
};

QString errorText(const core::Error& error)
{
    return QString::fromStdString(error.toString());
}

void runLoad(QPromise<LoadOutcome>& promise, const QString& path)
{
    promise.setProgressRange(0, LoadController::kProgressMax);
    LoadOutcome out;
    out.file.path = path;
    try {
        QElapsedTimer timer;
        timer.start();
        PromiseObserver loadObserver(promise, 0, 700, QStringLiteral("Reading"));
        // The safety scan of a plain pickle runs alongside (its time is part of loadMs). A Qt
        // resource (":/samples/...", the bundled sample) is loaded from its bytes in memory.
        auto result = [&] {
            if (!path.startsWith(QStringLiteral(":/")))
                return core::safety::loadAndScan(path.toStdString(), {}, &loadObserver);
            QFile resource(path);
            if (!resource.open(QIODevice::ReadOnly))
                return core::safety::loadAndScan(
                    path.toStdString(), {}, &loadObserver); // its error
            const QByteArray data = resource.readAll();
            std::vector<std::byte> bytes(std::size_t(data.size()));
            std::memcpy(bytes.data(), data.constData(), bytes.size());
            return core::safety::loadAndScan(core::ByteSource::fromBuffer(std::move(bytes),
                                                 QFileInfo(path).fileName().toStdString()),
                {}, &loadObserver);
        }();
        out.file.loadMs = double(timer.nsecsElapsed()) / 1e6;
        if (promise.isCanceled())
            return;
        if (!result) {
            if (result.error().code == core::ErrorCode::Cancelled)
                return;
            out.error = errorText(result.error());
            promise.addResult(std::move(out));
            return;
        }
        std::shared_ptr<const core::Document> doc = std::move(result.value().doc);
        out.safety
            = std::make_shared<const core::safety::SafetyReport>(std::move(result.value().report));
        if (doc->error)
            out.error = errorText(*doc->error);
        out.file.doc = doc;
        for (std::size_t i = 0; i < doc->graph.size(); ++i) {
            const auto id = core::ValueId(std::uint32_t(i));
            if (doc->graph.kind(id) == core::ValueKind::Storage
                && !doc->graph.storage(id).bytesFound)
                ++out.file.missingStorages;
        }

        timer.restart();
        PromiseObserver indexObserver(promise, 700, 950, QStringLiteral("Indexing"));
        auto index = DocumentIndex::build(doc, &indexObserver);
        if (!index || promise.isCanceled())
            return;
        out.file.index = index;
        out.file.indexMs = double(timer.nsecsElapsed()) / 1e6;

        promise.setProgressValueAndText(LoadController::kProgressMax, QStringLiteral("Done"));
    } catch (const std::bad_alloc&) {
        out.file.doc.reset();
        out.file.index.reset();
        out.safety.reset();
        out.error = QStringLiteral("Out of memory while loading %1").arg(path);
    }
    promise.addResult(std::move(out));
}

} // namespace

LoadController::LoadController(QObject* parent)
    : QObject(parent)
{
    qRegisterMetaType<ui::LoadedFile>();
    qRegisterMetaType<std::shared_ptr<const ui::LoadedFile>>();
    connect(&m_traceWatcher, &QFutureWatcher<Analysis>::finished, this, [this] {
        if (m_traceWatcher.isCanceled() || m_traceWatcher.future().resultCount() == 0 || !m_tracing)
            return;
        Analysis analysis = m_traceWatcher.result();
        if (!analysis.traces || analysis.traces->size() != m_tracing->doc->pickles.size())
            return;
        // A new LoadedFile: the one published by loaded() stays as it was.
        auto file = std::make_shared<LoadedFile>(*m_tracing);
        file->traces = std::move(analysis.traces);
        file->safety = std::move(analysis.safety);
        file->dangerousOffsets = std::move(analysis.dangerousOffsets);
        file->safetyMs = analysis.ms;
        m_tracing.reset();
        Q_EMIT tracesReady(std::shared_ptr<const LoadedFile>(std::move(file)));
    });
}

void LoadController::startTraces(std::shared_ptr<const LoadedFile> file,
    std::shared_ptr<const core::safety::SafetyReport> safety)
{
    std::shared_ptr<const core::Document> doc = file->doc;
    m_tracing = std::move(file);
    m_traceWatcher.setFuture(QtConcurrent::run([doc, safety](QPromise<Analysis>& promise) {
        struct Observer final : core::LoadObserver {
            explicit Observer(QPromise<Analysis>& p)
                : promise(p)
            {
            }
            bool isCancelled() const override { return promise.isCanceled(); }
            void progress(std::uint64_t, std::uint64_t) override { }
            QPromise<Analysis>& promise;
        } observer(promise);
        Analysis analysis;
        try {
            QElapsedTimer timer;
            timer.start();
            std::shared_ptr<const core::safety::SafetyReport> report = safety
                ? safety
                : std::make_shared<const core::safety::SafetyReport>(core::safety::scan(*doc));
            for (const auto& use : report->globals) {
                if (use.verdict == core::safety::Verdict::Dangerous)
                    analysis.dangerousOffsets.insert(use.offset);
            }
            analysis.safety = std::move(report);
            analysis.ms = double(timer.nsecsElapsed()) / 1e6;
            if (promise.isCanceled())
                return;
            analysis.traces = DocumentIndex::buildTraces(*doc, &observer);
        } catch (const std::bad_alloc&) {
            analysis.traces.reset();
        }
        if (!promise.isCanceled())
            promise.addResult(std::move(analysis));
    }));
}

LoadController::~LoadController()
{
    m_traceWatcher.disconnect(this);
    m_traceWatcher.cancel();
    m_traceWatcher.waitForFinished();
    const auto watchers = findChildren<QFutureWatcher<LoadOutcome>*>(Qt::FindDirectChildrenOnly);
    for (QFutureWatcher<LoadOutcome>* w : watchers) {
        w->disconnect(this);
        w->cancel();
    }
    for (QFutureWatcher<LoadOutcome>* w : watchers)
        w->waitForFinished();
}

void LoadController::load(const QString& path)
{
    // A new generation: whatever an older watcher reports from now on is dropped.
    const quint64 generation = ++m_generation;
    if (m_busy && m_watcher) {
        // One load at a time: the running one is abandoned, not waited for; its worker sees the
        // cancel at its next poll and its watcher deletes itself when it ends.
        m_watcher->cancel();
        Q_EMIT cancelled(m_path);
    }
    m_traceWatcher.cancel();
    m_tracing.reset();
    m_path = path;
    setBusy(true);
    Q_EMIT started(path);
    Q_EMIT progressChanged(0, QStringLiteral("Opening"));
    auto* watcher = new QFutureWatcher<LoadOutcome>(this);
    m_watcher = watcher;
    connect(watcher, &QFutureWatcher<LoadOutcome>::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (m_watcher == watcher)
            m_watcher = nullptr;
        if (generation == m_generation)
            onFinished(watcher->future());
    });
    connect(watcher, &QFutureWatcher<LoadOutcome>::progressValueChanged, this,
        [this, watcher, generation](int value) {
            if (generation == m_generation)
                Q_EMIT progressChanged(value, watcher->progressText());
        });
    watcher->setFuture(QtConcurrent::run(runLoad, path));
}

void LoadController::cancel()
{
    if (m_busy && m_watcher)
        m_watcher->cancel();
}

void LoadController::onFinished(const QFuture<LoadOutcome>& future)
{
    const QString path = m_path;
    setBusy(false);
    if (future.isCanceled() || future.resultCount() == 0) {
        Q_EMIT cancelled(path);
        return;
    }
    LoadOutcome out = future.result();
    if (!out.file.doc) {
        Q_EMIT failed(path, out.error);
        return;
    }
    auto file = std::make_shared<const LoadedFile>(std::move(out.file));
    startTraces(file, out.safety);
    Q_EMIT loaded(file);
}

void LoadController::setBusy(bool busy)
{
    if (m_busy == busy)
        return;
    m_busy = busy;
    Q_EMIT busyChanged(busy);
}

} // namespace ui
