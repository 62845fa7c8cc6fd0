#include "ui/main_window.h"

#include "ui/compare_window.h"
#include "ui/code_pane.h"
#include "ui/download_offer.h"
#include "ui/find_bar.h"
#include "ui/hex_view.h"
#include "ui/load_controller.h"
#include "ui/model_pane.h"
#include "ui/opcode_trace_pane.h"
#include "ui/open_url_dialog.h"
#include "ui/resources_init.h"
#include "ui/safety_pane.h"
#include "ui/start_page.h"
#include "ui/table_pane.h"
#include "ui/tensor_preview.h"
#include "ui/value_tree_model.h"
#include "ui/value_tree_pane.h"

#include "core/formats/detect_format.h"
#include "core/value/value_text.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QDragEnterEvent>
#include <QElapsedTimer>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QTextBrowser>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

#include <algorithm>

namespace ui {

namespace {

const char* const kRecentKey = "recentFiles";

QIcon icon(const char* name)
{
    return QIcon(QStringLiteral(":/icons/%1.svg").arg(QLatin1String(name)));
}

QString localFileFrom(const QMimeData* mime)
{
    if (!mime || !mime->hasUrls())
        return {};
    for (const QUrl& url : mime->urls()) {
        if (url.isLocalFile()
            && (QFileInfo(url.toLocalFile()).isFile() || !core::checkpointInFolder(url.toLocalFile().toStdString()).empty()))
            return url.toLocalFile();
    }
    return {};
}

} // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , m_loader(new LoadController(this))
    , m_exporter(new JsonExporter(this))
{
    initResources();
    setWindowTitle(tr("PickleScope"));
    setWindowIcon(icon("picklescope"));
    setAcceptDrops(true);
    createActions();
    createCentralWidget();
    createMenusAndToolBar();
    connectPanes();
    restoreSettings();
    updateRecentMenu();
    updateActions();
}

MainWindow::~MainWindow() = default;

// --- construction ------------------------------------------------------------------------------

void MainWindow::createActions()
{
    m_openAction = new QAction(icon("open"), tr("&Open…"), this);
    m_openAction->setShortcut(QKeySequence::Open);
    m_openAction->setToolTip(tr("Open a pickle or checkpoint (Ctrl+O)"));
    connect(m_openAction, &QAction::triggered, this, [this] {
        const QString dir = recentFiles().isEmpty() ? QDir::homePath() : QFileInfo(recentFiles().front()).absolutePath();
        const QString path = QFileDialog::getOpenFileName(this, tr("Open Pickle or Checkpoint"), dir,
            tr("Pickles and checkpoints (*.pkl *.pickle *.pt *.pth *.bin *.ckpt *.ptl *.safetensors *.index.json *.npy *.npz *.joblib *.jbl *.metadata);;All files (*)"));
        if (!path.isEmpty())
            openFile(path);
    });

    m_openUrlAction = new QAction(icon("open"), tr("Open &URL…"), this);
    m_openUrlAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    m_openUrlAction->setToolTip(tr("Open a pickle or checkpoint on an HTTP(S) server, fetching only what is shown"));
    connect(m_openUrlAction, &QAction::triggered, this, [this] { openFile(OpenUrlDialog::getUrl(this)); });
    m_sampleAction = new QAction(icon("sample"), tr("Open &Sample Checkpoint"), this);
    m_sampleAction->setToolTip(tr("Open the small PyTorch checkpoint bundled with PickleScope"));
    connect(m_sampleAction, &QAction::triggered, this, &MainWindow::openSample);

    m_exportAction = new QAction(icon("export"), tr("&Export JSON…"), this);
    m_exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_exportAction->setToolTip(tr("Export the open file as JSON (typed or plain) (Ctrl+E)"));
    connect(m_exportAction, &QAction::triggered, this, &MainWindow::askExportJson);

    m_closeAction = new QAction(icon("close"), tr("&Close"), this);
    m_closeAction->setShortcut(QKeySequence::Close);
    connect(m_closeAction, &QAction::triggered, this, &MainWindow::closeFile);

    m_quitAction = new QAction(tr("&Quit"), this);
    m_quitAction->setShortcut(QKeySequence::Quit);
    m_quitAction->setMenuRole(QAction::QuitRole);
    connect(m_quitAction, &QAction::triggered, this, &QWidget::close);

    m_copyPathAction = new QAction(icon("copy"), tr("&Copy Access Path"), this);
    m_copyPathAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    m_copyPathAction->setToolTip(tr("Copy the selected value's access path, e.g. ckpt['model']['fc.weight'] (Ctrl+Shift+C)"));
    connect(m_copyPathAction, &QAction::triggered, this, [this] {
        m_tree->copyAccessPath();
        const QString path = m_tree->currentAccessPath();
        if (!path.isEmpty())
            statusBar()->showMessage(tr("Copied %1").arg(path), 4000);
    });

    m_findAction = new QAction(icon("find"), tr("&Find…"), this);
    m_findAction->setShortcut(QKeySequence::Find);
    connect(m_findAction, &QAction::triggered, this, [this] {
        m_tree->findBox()->setFocus();
        m_tree->findBox()->selectAll();
    });

    m_expandAction = new QAction(icon("expand"), tr("E&xpand All"), this);
    m_expandAction->setToolTip(tr("Expand everything below the selected row (up to 20,000 rows)"));
    connect(m_expandAction, &QAction::triggered, this, [this] {
        if (m_tree->expandAll())
            statusBar()->showMessage(
                tr("Expand All stopped at %L1 rows or %2 levels: select a row and Expand All "
                   "again to go deeper")
                    .arg(ValueTreePane::kExpandAllRows)
                    .arg(ValueTreePane::kViewContext),
                8000);
    });
    m_collapseAction = new QAction(icon("collapse"), tr("Co&llapse All"), this);
    connect(m_collapseAction, &QAction::triggered, this, [this] { m_tree->collapseAll(); });

    m_cancelAction = new QAction(icon("cancel"), tr("Cancel Loading"), this);
    m_cancelAction->setShortcut(QKeySequence(Qt::Key_Escape));
    // Esc / the status bar's Cancel: the running load, else the running export.
    connect(m_cancelAction, &QAction::triggered, this, [this] {
        if (m_loader->isBusy())
            m_loader->cancel();
        else if (m_exporter->isRunning())
            m_exporter->cancel();
        else if (m_tensor->isExporting())
            m_tensor->cancelExport();
    });

    m_guideAction = new QAction(tr("PickleScope &User Guide"), this);
    m_guideAction->setShortcut(QKeySequence::HelpContents);
    connect(m_guideAction, &QAction::triggered, this, &MainWindow::showUserGuide);
    m_shortcutsAction = new QAction(tr("&Keyboard Shortcuts"), this);
    connect(m_shortcutsAction, &QAction::triggered, this, &MainWindow::showShortcuts);

    // View: panes, layout, font size.
    auto paneToggle = [this](const QString& text, const QString& name) {
        auto* a = new QAction(text, this);
        a->setCheckable(true);
        a->setChecked(true);
        a->setObjectName(name);
        return a;
    };
    m_showDetailsAction
        = paneToggle(tr("Show &Details (Tensor, Safety, File)"), QStringLiteral("details"));
    m_showTraceAction = paneToggle(tr("Show Opcode &Trace"), QStringLiteral("trace"));
    m_showBytesAction = paneToggle(tr("Show &Bytes"), QStringLiteral("bytes"));
    m_resetLayoutAction = new QAction(tr("&Reset Layout"), this);
    connect(m_resetLayoutAction, &QAction::triggered, this, &MainWindow::resetLayout);
    m_biggerAction = new QAction(tr("&Larger Text"), this);
    m_biggerAction->setShortcuts({ QKeySequence::ZoomIn, QKeySequence(Qt::CTRL | Qt::Key_Equal) });
    connect(m_biggerAction, &QAction::triggered, this, [this] { changeFontSize(+1); });
    m_smallerAction = new QAction(tr("S&maller Text"), this);
    m_smallerAction->setShortcut(QKeySequence::ZoomOut);
    connect(m_smallerAction, &QAction::triggered, this, [this] { changeFontSize(-1); });

    m_aboutAction = new QAction(icon("picklescope"), tr("&About PickleScope"), this);
    m_aboutAction->setMenuRole(QAction::AboutRole);
    connect(m_aboutAction, &QAction::triggered, this, &MainWindow::showAbout);
}

void MainWindow::createMenusAndToolBar()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_openAction);
    file->addAction(m_openUrlAction);
    m_recentMenu = file->addMenu(icon("recent"), tr("Open &Recent"));
    file->addAction(m_sampleAction);
    file->addSeparator();
    file->addAction(m_exportAction);
    file->addAction(
        tr("Compare &With…"), this, [this] { CompareWindow::compareWithFile(this, m_file->doc); });
    file->addSeparator();
    file->addAction(m_closeAction);
    file->addAction(m_quitAction);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addAction(m_findAction);
    view->addAction(m_copyPathAction);
    view->addSeparator();
    view->addAction(m_expandAction);
    view->addAction(m_collapseAction);
    view->addSeparator();
    view->addAction(m_showDetailsAction);
    view->addAction(m_showTraceAction);
    view->addAction(m_showBytesAction);
    view->addAction(m_resetLayoutAction);
    view->addSeparator();
    view->addAction(m_biggerAction);
    view->addAction(m_smallerAction);
    connect(m_showDetailsAction, &QAction::toggled, m_details, &QWidget::setVisible);
    connect(m_showTraceAction, &QAction::toggled, this, [this](bool on) {
        m_trace->setVisible(on);
        m_bottomSplitter->setVisible(on || m_showBytesAction->isChecked());
    });
    connect(m_showBytesAction, &QAction::toggled, this, [this](bool on) {
        m_bytesBox->setVisible(on);
        m_bottomSplitter->setVisible(on || m_showTraceAction->isChecked());
    });

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(m_guideAction);
    help->addAction(m_shortcutsAction);
    help->addSeparator();
    help->addAction(m_aboutAction);
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);

    QToolBar* bar = addToolBar(tr("Main"));
    bar->setObjectName(QStringLiteral("mainToolBar"));
    bar->setMovable(false);
    bar->setIconSize(QSize(20, 20));
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->addAction(m_openAction);
    bar->addAction(m_exportAction);
    bar->addSeparator();
    bar->addAction(m_expandAction);
    bar->addAction(m_collapseAction);
    bar->addAction(m_copyPathAction);
}

void MainWindow::createCentralWidget()
{
    auto* central = new QWidget(this);
    central->setObjectName(QStringLiteral("centralArea"));
    central->setAttribute(Qt::WA_StyledBackground, true);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);

    // Safety banner.
    m_banner = new QFrame(central);
    m_banner->setObjectName(QStringLiteral("safetyBanner"));
    auto* bannerLayout = new QHBoxLayout(m_banner);
    bannerLayout->setContentsMargins(12, 6, 12, 6);
    auto* bannerIcon = new QLabel(m_banner);
    bannerIcon->setPixmap(icon("warning").pixmap(20, 20));
    bannerLayout->addWidget(bannerIcon);
    m_bannerText = new QLabel(m_banner);
    m_bannerText->setWordWrap(true);
    bannerLayout->addWidget(m_bannerText, 1);
    auto* bannerMore = new QToolButton(m_banner);
    bannerMore->setText(tr("Details"));
    bannerMore->setAutoRaise(true);
    connect(bannerMore, &QToolButton::clicked, this, [this] { m_details->setCurrentWidget(m_safety); });
    bannerLayout->addWidget(bannerMore);
    m_banner->hide();
    layout->addWidget(m_banner);

    // Non-modal message area (load errors).
    m_message = new QFrame(central);
    m_message->setObjectName(QStringLiteral("messageBar"));
    auto* messageLayout = new QHBoxLayout(m_message);
    messageLayout->setContentsMargins(12, 6, 8, 6);
    m_messageText = new QLabel(m_message);
    m_messageText->setWordWrap(true);
    m_messageText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    messageLayout->addWidget(m_messageText, 1);
    m_messageGoto = new QToolButton(m_message);
    m_messageGoto->setAutoRaise(true);
    connect(m_messageGoto, &QToolButton::clicked, this, [this] {
        if (m_messageOffset != Selection::kNoOffset)
            goToOffset(m_messageOffset);
    });
    messageLayout->addWidget(m_messageGoto);
    auto* messageClose = new QToolButton(m_message);
    messageClose->setIcon(icon("close"));
    messageClose->setAutoRaise(true);
    messageClose->setToolTip(tr("Dismiss"));
    connect(messageClose, &QToolButton::clicked, this, &MainWindow::hideMessage);
    messageLayout->addWidget(messageClose);
    m_message->hide();
    layout->addWidget(m_message);

    m_stack = new QStackedWidget(central);
    m_start = new StartPage(m_stack);
    m_start->setSampleAvailable(!samplePath().isEmpty());
    m_stack->addWidget(m_start);

    // Explorer: (tree | details) over (trace | bytes).
    m_mainSplitter = new QSplitter(Qt::Vertical, m_stack);
    m_mainSplitter->setObjectName(QStringLiteral("mainSplitter"));
    m_topSplitter = new QSplitter(Qt::Horizontal, m_mainSplitter);
    m_topSplitter->setObjectName(QStringLiteral("topSplitter"));
    m_bottomSplitter = new QSplitter(Qt::Horizontal, m_mainSplitter);
    m_bottomSplitter->setObjectName(QStringLiteral("bottomSplitter"));
    m_tree = new ValueTreePane(m_topSplitter);
    m_details = new QTabWidget(m_topSplitter);
    m_details->setDocumentMode(true);
    m_tensor = new TensorPreview(m_details);
    m_safety = new SafetyPane(m_details);
    m_info = new QTextBrowser(m_details);
    m_info->setOpenLinks(false);
    m_details->addTab(m_tensor, icon("tensor"), tr("Tensor"));
    m_details->addTab(new TablePane(m_details), icon("tensor"), tr("Table")); // found by type below
    m_details->addTab(m_safety, icon("shield"), tr("Safety"));
    m_details->addTab(m_info, icon("info"), tr("File"));
    auto* model = new ModelPane(m_details);
    m_details->addTab(model, tr("Model"));
    // The Model tab walks every access path of the document (seconds on a file of millions of
    // values, on the UI thread): it is filled when it is shown, not on every load.
    connect(m_loader, &LoadController::loaded, model,
        [this, model](const std::shared_ptr<const LoadedFile>& f) {
            m_modelPaneDoc = m_details->currentWidget() == model ? f->doc.get() : nullptr;
            model->setDocument(m_modelPaneDoc ? f->doc : nullptr);
        });
    connect(m_details, &QTabWidget::currentChanged, model, [this, model] {
        if (m_details->currentWidget() == model && m_modelPaneDoc != m_file->doc.get()) {
            m_modelPaneDoc = m_file->doc.get();
            model->setDocument(m_file->doc);
        }
    });
    // The find bar above the value tree (plain text or the query language; Ctrl+F): it follows
    // the tree's document and drops a running query when another file starts loading.
    auto* findBar = FindBar::attach(m_tree);
    disconnect(m_findAction, &QAction::triggered, nullptr, nullptr);
    connect(m_findAction, &QAction::triggered, findBar, &FindBar::activate);
    connect(m_loader, &LoadController::started, findBar,
        [this, findBar] { findBar->setDocument(m_tree->file()); });
    m_code = new CodePane(m_details);
    m_details->addTab(m_code, icon("info"), tr("Code"));
    m_trace = new OpcodeTracePane(m_bottomSplitter);
    auto* bytesBox = new QWidget(m_bottomSplitter);
    m_bytesBox = bytesBox;
    auto* bytesLayout = new QVBoxLayout(bytesBox);
    bytesLayout->setContentsMargins(0, 0, 0, 0);
    bytesLayout->setSpacing(4);
    auto* bytesTitle = new QLabel(tr("<b>Bytes</b>"), bytesBox);
    bytesTitle->setContentsMargins(4, 6, 4, 2);
    bytesLayout->addWidget(bytesTitle);
    m_hex = new HexView(bytesBox);
    bytesLayout->addWidget(m_hex, 1);
    m_topSplitter->setStretchFactor(0, 5);
    m_topSplitter->setStretchFactor(1, 4);
    m_bottomSplitter->setStretchFactor(0, 5);
    m_bottomSplitter->setStretchFactor(1, 4);
    m_mainSplitter->setStretchFactor(0, 3);
    m_mainSplitter->setStretchFactor(1, 2);
    m_topSplitter->setSizes({ 760, 620 });
    m_bottomSplitter->setSizes({ 760, 620 });
    m_mainSplitter->setSizes({ 520, 300 });
    m_stack->addWidget(m_mainSplitter);
    layout->addWidget(m_stack, 1);
    setCentralWidget(central);

    m_statusPath = new QLabel(this);
    m_statusPath->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_statusPath->setToolTip(tr("Access path of the selected value (Ctrl+Shift+C copies it)"));
    statusBar()->addWidget(m_statusPath, 1);
    m_statusFile = new QLabel(this);
    m_statusFile->setStyleSheet(QStringLiteral("color: #4b5563; padding-right: 6px;"));
    statusBar()->addPermanentWidget(m_statusFile);
    m_statusFetched = new FetchedLabel(this);
    statusBar()->addPermanentWidget(m_statusFetched);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, LoadController::kProgressMax);
    m_progress->setMaximumWidth(220);
    m_progress->setMaximumHeight(16);
    m_progress->hide();
    statusBar()->addPermanentWidget(m_progress);
    m_cancelButton = new QToolButton(this);
    m_cancelButton->setDefaultAction(m_cancelAction);
    m_cancelButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_cancelButton->setAutoRaise(true);
    m_cancelButton->hide();
    statusBar()->addPermanentWidget(m_cancelButton);

    setStyleSheet(QStringLiteral("QFrame#safetyBanner[verdict=\"dangerous\"] { background: "
                                 "#fee2e2; border-bottom: 1px solid #fca5a5; color: #7f1d1d; }"
                                 "QFrame#safetyBanner[verdict=\"unknown\"] { background: #fef3c7; "
                                 "border-bottom: 1px solid #fcd34d; color: #78350f; }"
                                 "QFrame#messageBar[kind=\"error\"] { background: #fff1f2; "
                                 "border-bottom: 1px solid #fda4af; color: #881337; }"
                                 "QFrame#messageBar[kind=\"info\"] { background: #eff6ff; "
                                 "border-bottom: 1px solid #93c5fd; color: #1e3a8a; }"
                                 "QWidget#centralArea[dropTarget=\"true\"] { border: 3px dashed "
                                 "#2563eb; background: #eff6ff; }"));
}

// The one place the panes are wired: each asks for a selection, the window fans it out.
void MainWindow::connectPanes()
{
    connect(m_tree, &ValueTreePane::selectionRequested, this, [this](const Selection& s) { applySelection(s, m_tree); });
    connect(m_trace, &OpcodeTracePane::selectionRequested, this, [this](const Selection& s) { applySelection(s, m_trace); });
    connect(m_hex, &HexView::selectionRequested, this, [this](const Selection& s) { applySelection(s, m_hex); });
    connect(m_safety, &SafetyPane::selectionRequested, this, [this](const Selection& s) { applySelection(s, m_safety); });
    connect(m_tensor, &TensorPreview::selectionRequested, this, [this](const Selection& s) { applySelection(s, m_tensor); });
    connect(m_trace, &OpcodeTracePane::pickleChanged, m_hex, [this](int pickle) {
        if (m_hex->pickle() != pickle)
            m_hex->setPickle(pickle);
    });
    // Export .npy: the load's progress bar and Cancel (Esc), as the JSON export has them.
    connect(m_tensor, &TensorPreview::exportProgressChanged, this, [this](int permille) {
        if (m_loader->isBusy() || m_exporter->isRunning())
            return; // the bar is theirs
        m_progress->setRange(0, 1000);
        m_progress->setValue(permille);
        m_progress->setFormat(tr("Exporting .npy %p%"));
        m_progress->setTextVisible(true);
        m_progress->show();
        m_cancelAction->setText(tr("Cancel Export"));
        m_cancelButton->show();
        m_cancelAction->setEnabled(true);
    });
    connect(m_tensor, &TensorPreview::tensorExported, this,
        [this](const QString& path, const QString& error) {
            if (!m_loader->isBusy() && !m_exporter->isRunning()) {
                m_progress->hide();
                m_cancelButton->hide();
                m_cancelAction->setText(tr("Cancel Loading"));
            }
            updateActions();
            if (error.isEmpty())
                statusBar()->showMessage(tr("Tensor written to %1").arg(path), 6000);
            else if (error == tr("cancelled"))
                statusBar()->showMessage(
                    tr(".npy export cancelled: nothing was written to %1").arg(path), 6000);
            else
                showMessage(tr("Could not export the tensor: %1").arg(error), true);
        });
    // A remote tensor's window or statistics fetched more: the status bar says so at once.
    connect(m_tensor, &TensorPreview::sliceRead, m_statusFetched, &FetchedLabel::refresh);
    connect(m_tensor, &TensorPreview::statsFinished, m_statusFetched, &FetchedLabel::refresh);

    connect(m_loader, &LoadController::started, this, [this](const QString& path) {
        hideMessage();
        m_statusFile->setText(tr("Loading %1…").arg(QFileInfo(path).fileName()));
    });
    connect(m_loader, &LoadController::busyChanged, this, [this](bool busy) {
        m_progress->setVisible(busy);
        m_cancelButton->setVisible(busy);
        m_progress->setValue(0);
        updateActions();
    });
    connect(m_loader, &LoadController::progressChanged, this, [this](int value, const QString& phase) {
        m_progress->setValue(value);
        m_progress->setFormat(phase + QStringLiteral(" %p%"));
        m_progress->setTextVisible(true);
    });
    connect(m_loader, &LoadController::loaded, this, &MainWindow::showDocument);
    connect(m_loader, &LoadController::tracesReady, this,
        [this](std::shared_ptr<const LoadedFile> file) {
            if (file->doc != m_file->doc)
                return;
            QElapsedTimer timer;
            timer.start();
            const Selection current = m_selection;
            m_file = std::move(file);
            m_trace->setDocument(*m_file);
            m_hex->setDocument(*m_file);
            m_safety->setDocument(*m_file);
            m_tree->setSafety(*m_file);
            updateSafetyBanner();
            QTimer::singleShot(0, this, [this, doc = m_file->doc] {
                if (m_file->doc == doc)
                    updateFileInfo(); // the safety timing (its own event-loop turn)
            });
            if (m_file->safety && m_file->safety->verdict == core::safety::Verdict::Dangerous)
                m_details->setCurrentWidget(m_safety);
            if (current.hasOffset()) {
                m_trace->setSelection(current);
                m_hex->setSelection(current);
            }
            if (qEnvironmentVariableIsSet("PICKLESCOPE_TIMING"))
                qInfo("traces shown in %lld ms", timer.elapsed());
            Q_EMIT tracesReady();
        });
    connect(m_loader, &LoadController::failed, this,
        [this](const QString& path, const QString& message) {
            m_statusFile->setText(m_file->doc ? m_fileStatus : QString());
            // A server without range support: offer to download the file and open the copy.
            if (const qint64 size = DownloadOffer::noRangeFileSize(message);
                size >= 0 && core::ByteSource::isUrl(path.toStdString())) {
                auto* offer = new DownloadOffer(this, path, size);
                connect(offer, &DownloadOffer::downloaded, this, [this](const QString& local, const QString& url) {
                    FetchedLabel::noteDownload(local, url);
                    openFile(local);
                });
                connect(offer, &DownloadOffer::failed, this, [this](const QString& url, const QString& error) {
                    showMessage(tr("Could not download %1: %2").arg(url, error), true);
                });
                offer->start();
                return;
            }
            showMessage(tr("Could not open %1: %2").arg(QFileInfo(path).fileName(), message), true);
        });
    connect(m_loader, &LoadController::cancelled, this, [this](const QString& path) {
        m_statusFile->setText(m_file->doc ? m_fileStatus : QString());
        statusBar()->showMessage(tr("Loading %1 cancelled").arg(QFileInfo(path).fileName()), 5000);
    });

    connect(m_start, &StartPage::openRequested, m_openAction, &QAction::trigger);
    connect(m_start, &StartPage::sampleRequested, this, &MainWindow::openSample);
    connect(m_start, &StartPage::recentRequested, this, &MainWindow::openFile);

    connect(m_exporter, &JsonExporter::progressChanged, this, [this](int value) {
        if (m_loader->isBusy())
            return; // the bar is the load's
        m_progress->setValue(value);
    });
    connect(m_exporter, &JsonExporter::finished, this,
        [this](const QString& path, const QString& error) {
            m_exportAction->setEnabled(m_file->doc != nullptr);
            if (!m_loader->isBusy()) {
                m_progress->hide();
                m_cancelButton->hide();
            }
            m_cancelAction->setText(tr("Cancel Loading"));
            updateActions();
            if (error.isEmpty())
                statusBar()->showMessage(tr("JSON written to %1").arg(path), 6000);
            else if (error == tr("cancelled"))
                statusBar()->showMessage(
                    tr("JSON export cancelled: nothing was written to %1").arg(path), 6000);
            else
                showMessage(tr("JSON export failed: %1").arg(error), true);
            Q_EMIT jsonExported(path, error);
        });
}

void MainWindow::applySelection(const Selection& selection, QObject* source)
{
    if (selection == m_selection)
        return; // an echo
    m_selection = selection;
    if (source != m_tree)
        m_tree->setSelection(selection);
    if (source != m_trace)
        m_trace->setSelection(selection);
    if (source != m_hex)
        m_hex->setSelection(selection);
    if (source != m_safety)
        m_safety->setSelection(selection);
    if (source != m_tensor)
        m_tensor->setSelection(selection);
    if (m_file->doc && selection.hasValue() && m_file->doc->graph.valid(selection.value)) {
        const core::ValueKind kind = m_file->doc->graph.kind(selection.value);
        if (kind == core::ValueKind::Tensor || kind == core::ValueKind::NdArray)
            m_details->setCurrentWidget(m_tensor);
        // A path thousands of levels deep keeps its two ends (Ctrl+Shift+C copies it whole).
        QString path = m_tree->currentAccessPath();
        if (path.size() > 1000)
            path = path.left(200) + QStringLiteral(" … ") + path.right(600);
        m_statusPath->setText(path);
    }
    if (auto* table = m_details->findChild<TablePane*>(); table != nullptr && m_file->doc) {
        table->setDocument(*m_file); // a no-op for the same document
        table->setSelection(selection);
        if (selection.hasValue() && TablePane::isTableValue(m_file->doc->graph, selection.value))
            m_details->setCurrentWidget(table);
    }
    Q_EMIT selectionChanged(selection);
}

void MainWindow::goToOffset(std::uint64_t offset)
{
    if (!m_file->index || !m_file->doc)
        return;
    Selection sel;
    sel.offset = offset;
    sel.pickle = m_file->index->pickleAt(offset);
    if (sel.pickle < 0)
        sel.pickle = int(m_file->doc->mainPickle);
    sel.value = m_file->index->valueAt(offset);
    applySelection(sel, nullptr);
}

// --- documents -------------------------------------------------------------------------------

void MainWindow::openFile(const QString& path)
{
    if (path.isEmpty())
        return;
    m_loader->load(core::ByteSource::isUrl(path.toStdString()) ? path : QFileInfo(path).absoluteFilePath());
}

void MainWindow::openSample()
{
    const QString path = samplePath();
    if (path.isEmpty()) {
        showMessage(tr("The sample checkpoint is not available in this build."), true);
        return;
    }
    openFile(path);
}

QString MainWindow::samplePath()
{
    // Loaded straight from the embedded resource's bytes (LoadController reads ":/" paths into
    // memory): no copy to a temporary path. A build without it looks beside the executable.
    const QString name = QStringLiteral("sample_checkpoint.pt");
    const QString resource = QStringLiteral(":/samples/") + name;
    if (QFile::exists(resource))
        return resource;
    const QString app = QCoreApplication::applicationDirPath();
    const QStringList candidates {
        app + QStringLiteral("/../share/picklescope/samples/") + name,
        app + QStringLiteral("/../../resources/samples/") + name,
    };
    for (const QString& c : candidates) {
        if (QFileInfo(c).isFile())
            return QFileInfo(c).canonicalFilePath();
    }
    return {};
}

void MainWindow::closeFile()
{
    m_loader->cancel();
    m_file = std::make_shared<const LoadedFile>();
    m_selection = Selection {};
    m_tree->setDocument(*m_file);
    m_trace->setDocument(*m_file);
    m_hex->setDocument(*m_file);
    m_tensor->setDocument(*m_file);
    m_safety->setDocument(*m_file);
    m_code->setDocument(nullptr);
    m_info->clear();
    m_banner->hide();
    hideMessage();
    m_statusFile->clear();
    m_statusFetched->setSource(nullptr);
    m_fileStatus.clear();
    m_statusPath->clear();
    setWindowTitle(tr("PickleScope"));
    m_start->setRecentFiles(recentFiles());
    m_stack->setCurrentWidget(m_start);
    updateActions();
}

void MainWindow::showDocument(std::shared_ptr<const LoadedFile> published)
{
    QElapsedTimer timer;
    timer.start();
    m_file = std::move(published);
    const LoadedFile& file = *m_file;
    m_selection = Selection {};
    m_tree->setDocument(file);
    m_trace->setDocument(file);
    m_hex->setDocument(file);
    m_tensor->setDocument(file);
    m_safety->setDocument(file);
    m_code->setDocument(file.doc);
    updateSafetyBanner();
    m_stack->setCurrentWidget(m_mainSplitter);
    m_statusPath->clear();
    const QString name = QFileInfo(file.path).fileName();
    setWindowTitle(tr("%1 — PickleScope").arg(name));
    const core::Document& doc = *file.doc;
    m_statusFile->setText(tr("%1 · %2 · protocol %3 · %L4 values · loaded in %5")
                              .arg(name)
                              .arg(QString::fromLatin1(core::fileFormatName(doc.format).data(), qsizetype(core::fileFormatName(doc.format).size())))
                              .arg(doc.protocol)
                              .arg(doc.graph.size())
                              .arg(file.loadMs + file.indexMs + file.safetyMs < 1
                                      ? tr("< 1 ms")
                                      : tr("%1 ms").arg(qRound(file.loadMs + file.indexMs + file.safetyMs))));
    // Warnings the loader recorded (a storage missing from a damaged archive, ...).
    const core::Diagnostic* firstProblem = nullptr;
    int problems = 0;
    for (const core::Diagnostic& d : doc.diagnostics) {
        if (d.severity == core::Severity::Info)
            continue;
        if (!firstProblem)
            firstProblem = &d;
        ++problems;
    }
    const std::size_t missing = file.missingStorages;
    const QString missingText = missing == 0
        ? QString()
        : tr(" %n storage(s) have no data in the file (marked ⚠ in the tree).", nullptr,
            int(missing));
    if (doc.error) {
        showMessage(tr("Loading stopped at byte %1: %2. Showing what was read before it.")
                        .arg(doc.error->offset)
                        .arg(QString::fromStdString(doc.error->message))
                + missingText,
            true, doc.error->offset);
    } else if (firstProblem || missing > 0) {
        QString text = tr("The file is damaged or incomplete.") + missingText;
        if (firstProblem)
            text += QLatin1Char(' ')
                + tr("First problem at byte %1: %2")
                      .arg(firstProblem->offset)
                      .arg(QString::fromStdString(firstProblem->message))
                + (problems > 1 ? tr(" (and %n more, see the File tab)", nullptr, problems - 1)
                                : QString());
        showMessage(text, true, firstProblem ? firstProblem->offset : Selection::kNoOffset);
    } else {
        hideMessage();
    }
    m_info->clear();
    // The File tab's rich text and the recent-files list (settings, menu, start page) each take
    // tens of milliseconds on big archives: done in their own event-loop turns, so no single
    // stall of the UI thread adds them up.
    QTimer::singleShot(0, this, [this, doc = file.doc, path = file.path] {
        QElapsedTimer t;
        t.start();
        if (m_file->doc == doc)
            updateFileInfo();
        if (qEnvironmentVariableIsSet("PICKLESCOPE_TIMING"))
            qInfo("file tab shown in %lld ms", t.elapsed());
        QTimer::singleShot(0, this, [this, path] {
            QElapsedTimer t2;
            t2.start();
            addRecentFile(path);
            if (qEnvironmentVariableIsSet("PICKLESCOPE_TIMING"))
                qInfo("recent files updated in %lld ms", t2.elapsed());
        });
    });
    m_fileStatus = m_statusFile->text();
    // The initial selection (the root row) behaves as a click: the tensor preview, the trace,
    // the bytes and the status-bar path follow it.
    applySelection(m_tree->currentSelection(), nullptr);
    m_statusFetched->setSource(doc.source);
    if (doc.source && doc.source->isRemote())
        OpenUrlDialog::addRecentUrl(file.path);
    m_details->setCurrentWidget(file.safety && file.safety->verdict == core::safety::Verdict::Dangerous
            ? static_cast<QWidget*>(m_safety)
            : static_cast<QWidget*>(m_tensor));
    updateActions();
    m_tree->view()->setFocus();
    if (qEnvironmentVariableIsSet("PICKLESCOPE_TIMING"))
        qInfo("document shown in %lld ms", timer.elapsed());
    Q_EMIT documentShown(file);
}

void MainWindow::updateSafetyBanner()
{
    if (!m_file->safety) {
        m_banner->hide();
        return;
    }
    const QString text = SafetyPane::bannerText(*m_file->safety);
    if (text.isEmpty() || m_file->safety->verdict == core::safety::Verdict::Safe) {
        m_banner->hide();
        return;
    }
    m_banner->setProperty(
        "verdict", QString::fromLatin1(core::safety::verdictName(m_file->safety->verdict).data()));
    m_banner->style()->unpolish(m_banner);
    m_banner->style()->polish(m_banner);
    m_bannerText->setText(text);
    m_banner->show();
}

void MainWindow::updateFileInfo()
{
    if (!m_file->doc) {
        m_info->clear();
        return;
    }
    const core::Document& doc = *m_file->doc;
    auto esc = [](const std::string& s) { return QString::fromStdString(s).toHtmlEscaped(); };
    QString html = QStringLiteral("<h3>%1</h3><table cellspacing=4>")
                       .arg(QFileInfo(m_file->path).fileName().toHtmlEscaped());
    auto row = [&](const QString& k, const QString& v) {
        html += QStringLiteral("<tr><td style='color:#6b7280'>%1</td><td>%2</td></tr>").arg(k, v);
    };
    row(tr("Path"), m_file->path.toHtmlEscaped());
    row(tr("Size"), QLocale::c().formattedDataSize(qint64(doc.source ? doc.source->size() : 0), 1, QLocale::DataSizeTraditionalFormat));
    row(tr("Format"), QString::fromLatin1(core::fileFormatName(doc.format).data(), qsizetype(core::fileFormatName(doc.format).size())));
    row(tr("Protocol"), QString::number(doc.protocol));
    row(tr("Values"), QLocale().toString(qulonglong(doc.graph.size())));
    row(tr("Timings"),
        tr("load %1 ms · index %2 ms · safety %3 ms")
            .arg(m_file->loadMs, 0, 'f', 1)
            .arg(m_file->indexMs, 0, 'f', 1)
            .arg(m_file->safetyMs, 0, 'f', 1));
    html += QStringLiteral("</table>");
    html += tr("<h4>Pickle programs</h4><table cellspacing=4>");
    for (const core::PickleStream& s : doc.pickles)
        html += QStringLiteral("<tr><td>%1</td><td>offset %2</td><td>%L3 bytes</td><td>protocol %4</td></tr>")
                    .arg(esc(s.name))
                    .arg(s.inflated ? tr("(deflated)") : QString::number(s.offset))
                    .arg(s.bytes.size())
                    .arg(s.protocol);
    html += QStringLiteral("</table>");
    if (!doc.fileMetadata.empty()) {
        html += tr("<h4>Metadata</h4><table cellspacing=4>");
        for (const auto& [key, value] : doc.fileMetadata)
            html += QStringLiteral("<tr><td>%1</td><td>%2</td></tr>").arg(esc(key), esc(value));
        html += QStringLiteral("</table>");
    }
    if (!doc.shards.empty()) {
        html += tr("<h4>Shards</h4><table cellspacing=4>");
        for (const core::ShardFile& shard : doc.shards)
            html += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td></tr>")
                        .arg(esc(shard.name),
                            shard.found ? QLocale::c().formattedDataSize(qint64(shard.size), 1, QLocale::DataSizeTraditionalFormat)
                                        : QStringLiteral("<span style='color:#b91c1c'>%1</span>").arg(esc(shard.error)),
                            tr("%n tensor(s)", nullptr, int(shard.tensors)));
        html += QStringLiteral("</table>");
    }
    if (!doc.entries.empty()) {
        // A rich-text table costs ~70 us a row to lay out: 20,000 entries froze the window for
        // over a second, so the list stops at kMaxInfoRows (the CLI's `info` lists them all).
        constexpr std::size_t kMaxInfoRows = 100;
        html += tr("<h4>Archive entries (%L1)</h4><table cellspacing=4>").arg(doc.entries.size());
        for (std::size_t i = 0; i < doc.entries.size() && i < kMaxInfoRows; ++i) {
            const core::ArchiveEntry& e = doc.entries[i];
            html += QStringLiteral("<tr><td>%1</td><td>%L2 bytes</td><td>%3</td></tr>")
                        .arg(esc(e.name))
                        .arg(e.size)
                        .arg(e.compressed ? tr("compressed") : tr("stored"));
        }
        html += QStringLiteral("</table>");
        if (doc.entries.size() > kMaxInfoRows)
            html += tr("<p>… and %L1 more entries.</p>").arg(doc.entries.size() - kMaxInfoRows);
    }
    if (!doc.diagnostics.empty() || doc.error) {
        html += tr("<h4>Diagnostics</h4><ul>");
        if (doc.error)
            html += QStringLiteral("<li style='color:#b91c1c'>%1</li>").arg(esc(doc.error->toString()));
        for (std::size_t i = 0; i < doc.diagnostics.size() && i < 200; ++i) {
            const core::Diagnostic& d = doc.diagnostics[i];
            html += QStringLiteral("<li>%1 at byte %2: %3</li>")
                        .arg(QString::fromLatin1(core::severityName(d.severity).data(), qsizetype(core::severityName(d.severity).size())))
                        .arg(d.offset)
                        .arg(esc(d.message));
        }
        if (doc.diagnostics.size() > 200)
            html += tr("<li>… and %L1 more</li>").arg(doc.diagnostics.size() - 200);
        html += QStringLiteral("</ul>");
    }
    m_info->setHtml(html);
}

void MainWindow::showMessage(const QString& text, bool error, std::uint64_t offset)
{
    m_message->setProperty("kind", error ? QStringLiteral("error") : QStringLiteral("info"));
    m_message->style()->unpolish(m_message);
    m_message->style()->polish(m_message);
    m_messageText->setText(text);
    m_messageOffset = offset;
    m_messageGoto->setVisible(offset != Selection::kNoOffset);
    m_messageGoto->setText(tr("Go to byte %1").arg(offset));
    m_message->show();
}

void MainWindow::hideMessage()
{
    m_message->hide();
    m_messageOffset = Selection::kNoOffset;
}

bool MainWindow::isMessageVisible() const
{
    return !m_message->isHidden();
}

QString MainWindow::messageText() const
{
    return m_message->isHidden() ? QString() : m_messageText->text();
}

bool MainWindow::isProgressVisible() const
{
    return !m_progress->isHidden();
}

QString MainWindow::statusFileText() const
{
    return m_statusFile->text();
}

QString MainWindow::statusPathText() const
{
    return m_statusPath->text();
}

QString MainWindow::bannerText() const
{
    return m_banner->isHidden() ? QString() : m_bannerText->text();
}

QString MainWindow::fileInfoText() const
{
    return m_info->toPlainText();
}

bool MainWindow::isShowingStartPage() const
{
    return m_stack->currentWidget() == m_start;
}

// --- export --------------------------------------------------------------------------------

void MainWindow::askExportJson()
{
    if (!m_file->doc)
        return;
    JsonExportDialog dialog(this);
    dialog.setOptions(m_exportOptions);
    if (dialog.exec() != QDialog::Accepted)
        return;
    m_exportOptions = dialog.options();
    const QString suggested = QFileInfo(m_file->path).completeBaseName() + QStringLiteral(".json");
    const QString out = QFileDialog::getSaveFileName(this, tr("Export JSON"),
        QFileInfo(m_file->path).absoluteDir().filePath(suggested), tr("JSON (*.json)"));
    if (!out.isEmpty())
        exportJson(out, m_exportOptions);
}

void MainWindow::exportJson(const QString& output, const JsonExportOptions& options)
{
    if (!m_file->doc) {
        Q_EMIT jsonExported(output, tr("no file is open"));
        return;
    }
    m_exportAction->setEnabled(false);
    statusBar()->showMessage(tr("Exporting JSON to %1…").arg(output));
    m_exporter->start(m_file->doc, output, options);
    if (m_exporter->isRunning() && !m_loader->isBusy()) {
        m_progress->setRange(0, JsonExporter::kProgressMax);
        m_progress->setValue(0);
        m_progress->setFormat(tr("Exporting JSON %p%"));
        m_progress->setTextVisible(true);
        m_progress->show();
        m_cancelAction->setText(tr("Cancel Export"));
        m_cancelButton->show();
    }
    updateActions();
}

// --- recent files, settings -----------------------------------------------------------------

QStringList MainWindow::recentFiles() const
{
    return QSettings().value(QLatin1String(kRecentKey)).toStringList();
}

void MainWindow::addRecentFile(const QString& path)
{
    if (path.startsWith(QStringLiteral(":/")))
        return; // the embedded sample is not a recent file
    QStringList files = recentFiles();
    files.removeAll(path);
    files.prepend(path);
    while (files.size() > kMaxRecentFiles)
        files.removeLast();
    QSettings().setValue(QLatin1String(kRecentKey), files);
    updateRecentMenu();
}

void MainWindow::updateRecentMenu()
{
    const QStringList files = recentFiles();
    m_recentMenu->clear();
    for (int i = 0; i < files.size(); ++i) {
        // "name — folder" as the start page shows it, the folder elided in the middle.
        const QFileInfo info(files[i]);
        const QString folder = fontMetrics().elidedText(
            QDir::toNativeSeparators(info.absolutePath()), Qt::ElideMiddle, 360);
        QAction* a = m_recentMenu->addAction(
            QStringLiteral("&%1  %2   —   %3")
                .arg(i + 1)
                .arg(info.fileName().replace(QLatin1Char('&'), QStringLiteral("&&")), folder));
        a->setToolTip(files[i]);
        a->setStatusTip(files[i]);
        const QString path = files[i];
        connect(a, &QAction::triggered, this, [this, path] { openFile(path); });
    }
    if (!files.isEmpty()) {
        m_recentMenu->addSeparator();
        m_recentMenu->addAction(tr("Clear List"), this, [this] {
            QSettings().remove(QLatin1String(kRecentKey));
            updateRecentMenu();
        });
    }
    m_recentMenu->setEnabled(!files.isEmpty());
    m_start->setRecentFiles(files);
}

void MainWindow::updateActions()
{
    const bool open = m_file->doc != nullptr;
    m_exportAction->setEnabled(open && !m_exporter->isRunning());
    m_closeAction->setEnabled(open || m_loader->isBusy());
    m_copyPathAction->setEnabled(open);
    m_findAction->setEnabled(open);
    m_expandAction->setEnabled(open);
    m_collapseAction->setEnabled(open);
    m_cancelAction->setEnabled(
        m_loader->isBusy() || m_exporter->isRunning() || m_tensor->isExporting());
}

void MainWindow::restoreSettings()
{
    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray())) {
        // 1360 x 860 where it fits; else 92% of the screen's available area (a 1366 x 768
        // laptop, 1.5x scaling), centred, so the status bar is on screen.
        QSize size(1360, 860);
        if (const QScreen* screen = QGuiApplication::primaryScreen()) {
            const QRect available = screen->availableGeometry();
            size = size.boundedTo(available.size() * 0.92);
            resize(size);
            move(available.center() - QPoint(size.width() / 2, size.height() / 2));
        } else {
            resize(size);
        }
    }
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    m_mainSplitter->restoreState(settings.value(QStringLiteral("window/mainSplitter")).toByteArray());
    m_topSplitter->restoreState(settings.value(QStringLiteral("window/topSplitter")).toByteArray());
    m_bottomSplitter->restoreState(settings.value(QStringLiteral("window/bottomSplitter")).toByteArray());
}

void MainWindow::saveSettings() const
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/mainSplitter"), m_mainSplitter->saveState());
    settings.setValue(QStringLiteral("window/topSplitter"), m_topSplitter->saveState());
    settings.setValue(QStringLiteral("window/bottomSplitter"), m_bottomSplitter->saveState());
}

// --- events ----------------------------------------------------------------------------------

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (!localFileFrom(event->mimeData()).isEmpty()) {
        event->acceptProposedAction();
        setDropHighlight(true);
    }
}

void MainWindow::dragLeaveEvent(QDragLeaveEvent* event)
{
    setDropHighlight(false);
    QMainWindow::dragLeaveEvent(event);
}

void MainWindow::setDropHighlight(bool on)
{
    if (isDropHighlighted() == on)
        return;
    centralWidget()->setProperty("dropTarget", on);
    centralWidget()->style()->unpolish(centralWidget());
    centralWidget()->style()->polish(centralWidget());
    centralWidget()->update();
}

bool MainWindow::isDropHighlighted() const
{
    return centralWidget()->property("dropTarget").toBool();
}

void MainWindow::dragMoveEvent(QDragMoveEvent* event)
{
    if (!localFileFrom(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    setDropHighlight(false);
    const QString path = localFileFrom(event->mimeData());
    if (path.isEmpty())
        return;
    event->acceptProposedAction();
    if ((event->modifiers() & Qt::ShiftModifier)
        && m_file->doc) { // Shift-drop: compare with the open file
        CompareWindow::compareWithPath(this, m_file->doc, path);
        return;
    }
    openFile(path);
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    m_loader->cancel();
    saveSettings();
    QMainWindow::closeEvent(event);
}

QAction* MainWindow::paneAction(const QString& pane) const
{
    for (QAction* a : { m_showDetailsAction, m_showTraceAction, m_showBytesAction }) {
        if (a->objectName() == pane)
            return a;
    }
    return nullptr;
}

void MainWindow::resetLayout()
{
    for (QAction* a : { m_showDetailsAction, m_showTraceAction, m_showBytesAction })
        a->setChecked(true);
    m_topSplitter->setSizes({ 760, 620 });
    m_bottomSplitter->setSizes({ 760, 620 });
    m_mainSplitter->setSizes({ 520, 300 });
    changeFontSize(-m_fontDelta);
}

void MainWindow::changeFontSize(int delta)
{
    const int next = std::clamp(m_fontDelta + delta, -4, 12);
    if (next == m_fontDelta && delta != 0)
        return;
    m_fontDelta = next;
    QFont f = QApplication::font();
    f.setPointSizeF(std::max(6.0, f.pointSizeF() + m_fontDelta));
    centralWidget()->setFont(f);
    if (m_fontDelta != 0)
        statusBar()->showMessage(tr("Text size %1%2 pt")
                                     .arg(m_fontDelta > 0 ? QStringLiteral("+") : QString())
                                     .arg(m_fontDelta),
            2000);
}

void MainWindow::showUserGuide()
{
    QDialog dialog(this);
    dialog.setWindowTitle(tr("PickleScope User Guide"));
    auto* layout = new QVBoxLayout(&dialog);
    auto* text = new QTextBrowser(&dialog);
    text->setObjectName(QStringLiteral("userGuide"));
    QFile guide(QStringLiteral(":/docs/user-guide.md"));
    if (guide.open(QIODevice::ReadOnly))
        text->setMarkdown(QString::fromUtf8(guide.readAll()));
    else
        text->setPlainText(tr("The user guide is not in this build (docs/user-guide.md)."));
    text->setOpenExternalLinks(false);
    layout->addWidget(text);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, &dialog);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    layout->addWidget(buttons);
    dialog.resize(std::min(900, width() - 40), std::min(800, height() - 40));
    dialog.exec();
}

void MainWindow::showShortcuts()
{
    QString html = tr("<h3>Keyboard shortcuts</h3><table cellspacing=6>");
    const QList<QAction*> actions { m_openAction, m_exportAction, m_closeAction, m_quitAction,
        m_findAction, m_copyPathAction, m_cancelAction, m_biggerAction, m_smallerAction,
        m_guideAction };
    for (QAction* a : actions) {
        if (a->shortcut().isEmpty())
            continue;
        QString name = a->text();
        name.remove(QLatin1Char('&'));
        html += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>")
                    .arg(a->shortcut().toString(QKeySequence::NativeText).toHtmlEscaped(),
                        name.toHtmlEscaped());
    }
    html += tr(
        "<tr><td><b>Enter / Shift+Enter</b></td><td>next / previous match in the find box</td></tr>"
        "<tr><td><b>arrows, ← / →</b></td><td>move in the tree, collapse / expand</td></tr>"
        "<tr><td><b>double-click ↗ / ↻</b></td><td>go to the value's first "
        "appearance</td></tr></table>");
    QMessageBox box(this);
    box.setWindowTitle(tr("Keyboard Shortcuts"));
    box.setText(html);
    box.exec();
}

void MainWindow::showAbout()
{
    QMessageBox box(this);
    box.setWindowTitle(tr("About PickleScope"));
    box.setIconPixmap(icon("picklescope").pixmap(64, 64));
    box.setText(tr("<h3>PickleScope %1</h3>"
                   "<p>An explorer for Python pickles and PyTorch checkpoints.</p>"
                   "<p>PickleScope runs its own unpickling machine: it never imports or executes anything "
                   "from the file. Globals become symbols, calls become inert objects you can inspect.</p>"
                   "<p>Built with Qt %2.</p>")
                    .arg(QStringLiteral(PICKLESCOPE_VERSION), QString::fromLatin1(qVersion())));
    box.exec();
}

} // namespace ui
