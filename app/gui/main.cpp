// picklescope: the explorer window.
//   picklescope [FILE] [--select PATH]
//   picklescope --bench-load FILE [--select PATH]
//       prints load / first-paint / UI-stall timings (and, with --select, the time the tensor
//       pane takes for that tensor's statistics and histogram), then exits

#include "core/remote/http_source.h"
#include "ui/load_controller.h"
#include "ui/main_window.h"
#include "ui/opcode_trace_model.h"
#include "ui/opcode_trace_pane.h"
#include "ui/resources_init.h"
#include "ui/tensor_preview.h"
#include "ui/value_tree_pane.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QTimer>
#include <QTreeView>

#include <cstdio>
#include <cstring>

namespace {

// Measures, on the UI thread, the time from LoadController::loaded to the tree's first paint and
// the longest gap between 1 ms timer ticks while the load runs (the worst event-loop stall).
class LoadBench : public QObject {
public:
    LoadBench(ui::MainWindow* window, QString path, QString select)
        : m_window(window)
        , m_path(std::move(path))
        , m_select(std::move(select))
    {
        connect(m_window->tensorPreview(), &ui::TensorPreview::statsFinished, this, [this](bool ok) {
            if (!m_statsStart)
                return;
            std::printf("tensor statistics + histogram of %s: %.1f ms (%s)\n", qPrintable(m_select),
                double(m_clock.nsecsElapsed() - m_statsStart) * 1e-6, ok ? "ok" : "failed");
            std::printf("longest UI-thread stall while computing them: %.1f ms\n", double(m_maxStall) * 1e-6);
            std::fflush(stdout);
            QCoreApplication::exit(ok ? 0 : 1);
        });
        m_window->treePane()->view()->viewport()->installEventFilter(this);
        connect(&m_tick, &QTimer::timeout, this, [this] {
            const qint64 now = m_clock.nsecsElapsed();
            if (m_lastTick >= 0)
                m_maxStall = std::max(m_maxStall, now - m_lastTick);
            m_lastTick = now;
        });
        connect(m_window->loadController(), &ui::LoadController::loaded, this, [this](const ui::LoadedFile& f) {
            m_file = f;
            m_loadedAt = m_clock.nsecsElapsed();
            m_stallDuringLoad = m_maxStall;
            m_waitingForPaint = true;
        });
        connect(m_window, &ui::MainWindow::tracesReady, this, [this] {
            m_tracesAt = m_clock.nsecsElapsed();
            m_file = m_window->file();
            if (m_painted)
                QTimer::singleShot(50, this, [this] { report(); });
        });
        connect(m_window->loadController(), &ui::LoadController::failed, this, [](const QString&, const QString& msg) {
            std::fprintf(stderr, "bench: load failed: %s\n", qPrintable(msg));
            QCoreApplication::exit(1);
        });
    }

    void start()
    {
        m_clock.start();
        m_tick.start(1);
        m_window->openFile(m_path);
    }

protected:
    bool eventFilter(QObject* watched, QEvent* event) override
    {
        if (m_waitingForPaint && event->type() == QEvent::Paint) {
            m_waitingForPaint = false;
            const bool result = QObject::eventFilter(watched, event);
            m_paintAt = m_clock.nsecsElapsed();
            m_stallBeforePaint = m_maxStall;
            m_painted = true;
            if (m_tracesAt)
                QTimer::singleShot(50, this, [this] { report(); });
            return result;
        }
        return QObject::eventFilter(watched, event);
    }

private:
    void report()
    {
        if (!m_tick.isActive())
            return;
        const qint64 rowsAt = m_clock.nsecsElapsed();
        m_tick.stop();
        const double ms = 1e-6;
        std::printf("file: %s\n", qPrintable(m_path));
        std::printf("values: %zu\n", m_file.doc ? m_file.doc->graph.size() : std::size_t(0));
        std::printf("worker load (core::loadFile): %.1f ms\n", m_file.loadMs);
        std::printf("worker index (traces, offsets, first appearances): %.1f ms\n", m_file.indexMs);
        std::printf("worker safety scan (after the tree is shown): %.1f ms\n", m_file.safetyMs);
        std::printf("open -> loaded signal: %.1f ms\n", double(m_loadedAt) * ms);
        std::printf("loaded -> first tree paint: %.1f ms\n", double(m_paintAt - m_loadedAt) * ms);
        std::printf("loaded -> opcode traces installed: %.1f ms\n", double(m_tracesAt - m_loadedAt) * ms);
        std::printf("loaded -> all %d trace rows in the view: %.1f ms\n", m_window->tracePane()->model()->rowCount(),
            double(rowsAt - m_loadedAt) * ms);
        std::printf("longest UI-thread stall while loading: %.1f ms\n", double(m_stallDuringLoad) * ms);
        std::printf("longest UI-thread stall up to the first tree paint: %.1f ms\n", double(m_stallBeforePaint) * ms);
        std::printf("longest UI-thread stall until the trace is shown: %.1f ms\n", double(m_maxStall) * ms);
        std::fflush(stdout);
        if (m_select.isEmpty()) {
            QCoreApplication::exit(0);
            return;
        }
        m_maxStall = 0;
        m_lastTick = -1;
        m_tick.start(1);
        m_statsStart = m_clock.nsecsElapsed();
        if (!m_window->treePane()->selectAccessPath(m_select)) {
            std::fprintf(stderr, "bench: no value at %s\n", qPrintable(m_select));
            QCoreApplication::exit(1);
        }
    }

    ui::MainWindow* m_window;
    QString m_path;
    QString m_select;
    qint64 m_statsStart = 0;
    ui::LoadedFile m_file;
    QElapsedTimer m_clock;
    QTimer m_tick;
    qint64 m_lastTick = -1, m_maxStall = 0, m_stallDuringLoad = 0, m_stallBeforePaint = 0, m_loadedAt = 0,
                 m_paintAt = 0, m_tracesAt = 0;
    bool m_waitingForPaint = false, m_painted = false;
};

} // namespace

int main(int argc, char* argv[])
{
    // --version without a display (help2man, package checks, a terminal over ssh).
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--version") == 0 || std::strcmp(argv[i], "-v") == 0) {
            std::printf("picklescope %s\n", PICKLESCOPE_VERSION);
            return 0;
        }
    }
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("PickleScope"));
    QCoreApplication::setApplicationName(QStringLiteral("PickleScope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(PICKLESCOPE_VERSION));
    QGuiApplication::setDesktopFileName(QStringLiteral("picklescope"));
    ui::initResources();
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/picklescope.svg")));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Explore Python pickles and PyTorch checkpoints without executing them."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("FILE"),
        QStringLiteral("A pickle or checkpoint to open: a path, or an http(s) URL (read with range requests)."));
    QCommandLineOption select(QStringLiteral("select"),
        QStringLiteral("After loading, select the value at an access path, e.g. \"ckpt['model']['fc.weight']\"."),
        QStringLiteral("PATH"));
    QCommandLineOption bench(QStringLiteral("bench-load"),
        QStringLiteral("Load FILE, print load / first-paint / UI-stall timings and exit."), QStringLiteral("FILE"));
    parser.addOption(select);
    parser.addOption(bench);
    parser.process(app);

    core::remote::installUrlOpener({}); // FILE may be an http(s) URL (File ▸ Open URL… too)
    ui::MainWindow window;
    window.show();

    if (parser.isSet(bench)) {
        auto* b = new LoadBench(&window, parser.value(bench), parser.value(select));
        QTimer::singleShot(0, b, [b] { b->start(); });
        return app.exec();
    }

    const QStringList files = parser.positionalArguments();
    if (!files.isEmpty()) {
        if (parser.isSet(select)) {
            const QString path = parser.value(select);
            QObject::connect(&window, &ui::MainWindow::documentShown, &window, [&window, path] {
                if (!window.treePane()->selectAccessPath(path))
                    std::fprintf(stderr, "picklescope: no value at %s\n", qPrintable(path));
            }, Qt::QueuedConnection);
        }
        window.openFile(files.front());
    }
    return app.exec();
}
