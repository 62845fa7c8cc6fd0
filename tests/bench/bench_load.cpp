// picklescope-bench-load: how the window opens one file, measured on the UI thread.
//   picklescope-bench-load FILE [--select PATH] [--settle MS]
// prints load / first-paint / trace-install timings and the longest UI-thread stall (the
// longest gap between 1 ms timer ticks) from File > Open until the opcode trace is shown; with
// --select, also the tensor pane's statistics + histogram time for that value. Not a ctest: run
// it by hand on the benchmark files (docs/user-guide.md, "Under the hood"), e.g. under
//   xvfb-run -a -s '-screen 0 1600x1000x24' build/dev/tests/picklescope-bench-load many.pt

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
        connect(
            m_window->tensorPreview(), &ui::TensorPreview::statsFinished, this, [this](bool ok) {
                if (!m_statsStart)
                    return;
                std::printf("tensor statistics + histogram of %s: %.1f ms (%s)\n",
                    qPrintable(m_select), double(m_clock.nsecsElapsed() - m_statsStart) * 1e-6,
                    ok ? "ok" : "failed");
                std::printf("longest UI-thread stall while computing them: %.1f ms\n",
                    double(m_maxStall) * 1e-6);
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
        connect(m_window->loadController(), &ui::LoadController::loaded, this,
            [this](const std::shared_ptr<const ui::LoadedFile>& f) {
                m_file = *f;
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
        connect(m_window->loadController(), &ui::LoadController::failed, this,
            [](const QString&, const QString& msg) {
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

    // The window's first paint (fonts, styles) is not part of opening a file: the clock starts
    // once the window has shown itself and settled.
    void startAfter(int settleMs)
    {
        QTimer::singleShot(settleMs, this, [this] { start(); });
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
        std::printf(
            "loaded -> opcode traces installed: %.1f ms\n", double(m_tracesAt - m_loadedAt) * ms);
        std::printf("loaded -> all %d trace rows in the view: %.1f ms\n",
            m_window->tracePane()->model()->rowCount(), double(rowsAt - m_loadedAt) * ms);
        std::printf(
            "longest UI-thread stall while loading: %.1f ms\n", double(m_stallDuringLoad) * ms);
        std::printf("longest UI-thread stall up to the first tree paint: %.1f ms\n",
            double(m_stallBeforePaint) * ms);
        std::printf(
            "longest UI-thread stall until the trace is shown: %.1f ms\n", double(m_maxStall) * ms);
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
    qint64 m_lastTick = -1, m_maxStall = 0, m_stallDuringLoad = 0, m_stallBeforePaint = 0,
           m_loadedAt = 0, m_paintAt = 0, m_tracesAt = 0;
    bool m_waitingForPaint = false, m_painted = false;
};

} // namespace

int main(int argc, char* argv[])
{
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("PickleScopeBench"));
    QCoreApplication::setApplicationName(QStringLiteral("picklescope-bench-load"));
    ui::initResources();

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Open FILE in the window; print load / first-paint / UI-stall timings."));
    parser.addHelpOption();
    parser.addPositionalArgument(
        QStringLiteral("FILE"), QStringLiteral("The pickle or checkpoint to open."));
    QCommandLineOption select(QStringLiteral("select"),
        QStringLiteral("Then select the value at an access path and time its statistics."),
        QStringLiteral("PATH"));
    QCommandLineOption settle(QStringLiteral("settle"),
        QStringLiteral("Milliseconds to let the window show itself before opening (default 500)."),
        QStringLiteral("MS"), QStringLiteral("500"));
    parser.addOption(select);
    parser.addOption(settle);
    parser.process(app);
    if (parser.positionalArguments().size() != 1)
        parser.showHelp(2);

    ui::MainWindow window;
    window.show();
    auto* bench
        = new LoadBench(&window, parser.positionalArguments().front(), parser.value(select));
    bench->startAfter(parser.value(settle).toInt());
    return app.exec();
}
