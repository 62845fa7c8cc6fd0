#pragma once

// Loads a file off the UI thread: QtConcurrent::run with a QPromise (progress, cancel) watched by
// a QFutureWatcher. The core sees only a core::LoadObserver. The finished Document is handed to
// the UI thread as a ui::LoadedFile (with its DocumentIndex and safety report). One load at a time:
// starting a new one cancels the running one without waiting for it: every load has its own
// watcher tagged with a generation number, and a result of an older generation is dropped.
// Cancels and waits for every worker in its destructor.

#include "ui/document_index.h"

#include <QFutureWatcher>
#include <QObject>
#include <QString>

namespace ui {

struct LoadOutcome {
    LoadedFile file; // file.doc is null when the file could not be opened at all
    QString error; // the error text (set also when a partial document was loaded)
    bool cancelled = false;
    // The safety report, scanned alongside the load (core/safety/scanned_load.h); it reaches
    // file.safety with the traces.
    std::shared_ptr<const core::safety::SafetyReport> safety;
};

class LoadController : public QObject {
    Q_OBJECT
public:
    explicit LoadController(QObject* parent = nullptr);
    ~LoadController() override;

    void load(const QString& path);
    void cancel();
    bool isBusy() const { return m_busy; }
    QString currentPath() const { return m_path; }

    // The progress range reported by progressChanged().
    static constexpr int kProgressMax = 1000;

Q_SIGNALS:
    void started(const QString& path);
    void progressChanged(int value, const QString& phase); // 0..kProgressMax
    // A document was loaded (doc->error may be set: the graph is partial); file->traces and
    // file->safety are null. Its opcode traces and safety report follow in a new LoadedFile
    // (tracesReady: the same doc and index, traces and safety set). Both are immutable.
    void loaded(std::shared_ptr<const ui::LoadedFile> file);
    void tracesReady(std::shared_ptr<const ui::LoadedFile> file);
    void failed(const QString& path, const QString& message);
    void cancelled(const QString& path);
    void busyChanged(bool busy);

private:
    void onFinished(const QFuture<LoadOutcome>& future);
    void setBusy(bool busy);

    void startTraces(std::shared_ptr<const LoadedFile> file,
        std::shared_ptr<const core::safety::SafetyReport> safety);

    QFutureWatcher<LoadOutcome>* m_watcher = nullptr; // the current load's (each load has its own)
    quint64 m_generation = 0;
    struct Analysis {
        std::shared_ptr<const DocumentIndex::Traces> traces;
        std::shared_ptr<const core::safety::SafetyReport> safety;
        std::unordered_set<std::uint64_t> dangerousOffsets;
        double ms = 0;
    };
    QFutureWatcher<Analysis> m_traceWatcher;
    std::shared_ptr<const LoadedFile> m_tracing; // the file whose traces are being built
    QString m_path;
    bool m_busy = false;
};

} // namespace ui
