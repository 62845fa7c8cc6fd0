#pragma once

// The explorer window. Owns the panes (value tree, opcode trace, bytes, tensor preview, safety,
// file info) and wires them in one place (connectPanes): every pane speaks ui::Selection, the
// window fans a requested selection out to the others and drops echoes.

#include "ui/document_index.h"
#include "ui/json_export.h"
#include "ui/selection.h"

#include <QMainWindow>

class QAction;
class QFrame;
class QLabel;
class QMenu;
class QProgressBar;
class QSplitter;
class QStackedWidget;
class QTabWidget;
class QTextBrowser;
class QToolButton;

namespace ui {

class HexView;
class LoadController;
class OpcodeTracePane;
class SafetyPane;
class CodePane;
class StartPage;
class TensorPreview;
class ValueTreePane;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    void openFile(const QString& path);
    void openSample();
    void closeFile();
    // Exports the open file as JSON without dialogs (the menu action asks for these first).
    void exportJson(const QString& output, const JsonExportOptions& options);
    JsonExporter* jsonExporter() const { return m_exporter; }
    QAction* cancelAction() const { return m_cancelAction; }
    QMenu* recentMenu() const { return m_recentMenu; }
    // View menu: each pane's show/hide action ("details", "trace", "bytes").
    QAction* paneAction(const QString& pane) const;
    QAction* resetLayoutAction() const { return m_resetLayoutAction; }
    QAction* guideAction() const { return m_guideAction; }
    // The window is outlined while a file is dragged over it.
    bool isDropHighlighted() const;
    bool isProgressVisible() const;

    // The bundled sample checkpoint: the embedded resource (":/samples/...", loaded from its
    // bytes), else one installed beside the executable. Empty when none is found.
    static QString samplePath();
    static constexpr int kMaxRecentFiles = 10;
    QStringList recentFiles() const;

    const LoadedFile& file() const { return *m_file; }
    Selection selection() const { return m_selection; }
    bool isShowingStartPage() const;
    QString messageText() const;
    bool isMessageVisible() const;
    // What the status bar, the safety banner and the File tab show (for tests and tools).
    QString statusFileText() const;
    QString statusPathText() const;
    QString bannerText() const;
    QString fileInfoText() const;
    // Selects the opcode at (or covering) an absolute byte offset, as "Go to byte" does.
    void goToOffset(std::uint64_t offset);
    // The message bar's "Go to byte N" button.
    QToolButton* messageGotoButton() const { return m_messageGoto; }

    LoadController* loadController() const { return m_loader; }
    ValueTreePane* treePane() const { return m_tree; }
    OpcodeTracePane* tracePane() const { return m_trace; }
    HexView* hexView() const { return m_hex; }
    TensorPreview* tensorPreview() const { return m_tensor; }
    SafetyPane* safetyPane() const { return m_safety; }
    StartPage* startPage() const { return m_start; }
    QTabWidget* detailTabs() const { return m_details; }

Q_SIGNALS:
    void documentShown(const ui::LoadedFile& file);
    // The opcode traces of the shown document are built (the trace pane and byte links work).
    void tracesReady();
    void selectionChanged(const ui::Selection& selection);
    void jsonExported(const QString& path, const QString& error);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dragMoveEvent(QDragMoveEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void dragLeaveEvent(QDragLeaveEvent* event) override;
    void closeEvent(QCloseEvent* event) override;

private:
    void createActions();
    void createMenusAndToolBar();
    void createCentralWidget();
    void connectPanes();
    void restoreSettings();
    void saveSettings() const;

    void applySelection(const Selection& selection, QObject* source);
    void showDocument(std::shared_ptr<const LoadedFile> file);
    void showMessage(const QString& text, bool error, std::uint64_t offset = Selection::kNoOffset);
    void hideMessage();
    void updateSafetyBanner();
    void updateFileInfo();
    void addRecentFile(const QString& path);
    void setDropHighlight(bool on);
    void updateRecentMenu();
    void updateActions();
    void askExportJson();
    void showAbout();
    void showUserGuide();
    void showShortcuts();
    void resetLayout();
    void changeFontSize(int delta);

    LoadController* m_loader;
    JsonExporter* m_exporter;
    const core::Document* m_modelPaneDoc = nullptr; // what the Model tab shows (filled when shown)
    std::shared_ptr<const LoadedFile> m_file = std::make_shared<const LoadedFile>(); // never null
    Selection m_selection;
    JsonExportOptions m_exportOptions;

    // Actions.
    QAction* m_openAction = nullptr;
    QAction* m_openUrlAction = nullptr; // File ▸ Open URL… (ui/open_url_dialog)
    QAction* m_sampleAction = nullptr;
    QAction* m_exportAction = nullptr;
    QAction* m_closeAction = nullptr;
    QAction* m_quitAction = nullptr;
    QAction* m_copyPathAction = nullptr;
    QAction* m_findAction = nullptr;
    QAction* m_expandAction = nullptr;
    QAction* m_collapseAction = nullptr;
    QAction* m_cancelAction = nullptr;
    QAction* m_aboutAction = nullptr;
    QAction* m_guideAction = nullptr;
    QAction* m_shortcutsAction = nullptr;
    QAction* m_resetLayoutAction = nullptr;
    QAction* m_biggerAction = nullptr;
    QAction* m_smallerAction = nullptr;
    QAction* m_showDetailsAction = nullptr;
    QAction* m_showTraceAction = nullptr;
    QAction* m_showBytesAction = nullptr;
    int m_fontDelta = 0;
    QMenu* m_recentMenu = nullptr;

    // Widgets.
    QStackedWidget* m_stack = nullptr;
    StartPage* m_start = nullptr;
    QFrame* m_banner = nullptr;
    QLabel* m_bannerText = nullptr;
    QFrame* m_message = nullptr;
    QLabel* m_messageText = nullptr;
    QToolButton* m_messageGoto = nullptr;
    std::uint64_t m_messageOffset = Selection::kNoOffset;
    QSplitter* m_mainSplitter = nullptr; // top (tree | details) over bottom (trace | bytes)
    QSplitter* m_topSplitter = nullptr;
    QSplitter* m_bottomSplitter = nullptr;
    QWidget* m_bytesBox = nullptr;
    ValueTreePane* m_tree = nullptr;
    QTabWidget* m_details = nullptr;
    TensorPreview* m_tensor = nullptr;
    SafetyPane* m_safety = nullptr;
    QTextBrowser* m_info = nullptr;
    CodePane* m_code = nullptr; // TorchScript sources (Code tab)
    OpcodeTracePane* m_trace = nullptr;
    HexView* m_hex = nullptr;
    QLabel* m_statusFile = nullptr;
    class FetchedLabel* m_statusFetched = nullptr; // a remote file's bytes fetched
    QString m_fileStatus; // the open file's status-bar details (restored after a cancelled load)
    QLabel* m_statusPath = nullptr;
    QProgressBar* m_progress = nullptr;
    QToolButton* m_cancelButton = nullptr;
};

} // namespace ui
