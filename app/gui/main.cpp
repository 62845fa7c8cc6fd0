// picklescope: the explorer window.
//   picklescope [FILE] [--select PATH]
// (The load-timing harness that was `--bench-load` is tests/bench/bench_load.cpp.)

#include "ui/load_controller.h"
#include "ui/main_window.h"
#include "ui/open_url_dialog.h"
#include "ui/resources_init.h"
#include "ui/value_tree_pane.h"

#include <QApplication>
#include <QCommandLineParser>

#include <cstdio>
#include <cstring>

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
        QStringLiteral("After loading, select the value at an access path, e.g. "
                       "\"ckpt['model']['fc.weight']\"."),
        QStringLiteral("PATH"));
    parser.addOption(select);
    parser.process(app);

    // FILE may be an http(s) URL (File ▸ Open URL… too), with the cache setting.
    ui::OpenUrlDialog::applySettings();
    ui::MainWindow window;
    window.show();

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
