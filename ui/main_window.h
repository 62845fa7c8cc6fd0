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

    // The bundled sample checkpoint: embedded resource (copied to a temp file), next to the
    // executable's source tree, or the compiled-in source directory. Empty when none is found.
    static QString samplePath();
    static constexpr int kMaxRecentFiles = 10;
    QStringList recentFiles() const;

    const LoadedFile& file() const { return m_file; }
    Selection selection() const { return m_selection; }
    bool isShowingStartPage() const;
    QString messageText() const;
    bool isMessageVisible() const;

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
    void closeEvent(QCloseEvent* event) override;

private:
    void createActions();
    void createMenusAndToolBar();
    void createCentralWidget();
    void connectPanes();
    void restoreSettings();
    void saveSettings() const;

    void applySelection(const Selection& selection, QObject* source);
    void showDocument(const LoadedFile& file);
    void showMessage(const QString& text, bool error, std::uint64_t offset = Selection::kNoOffset);
    void hideMessage();
    void updateSafetyBanner();
    void updateFileInfo();
    void addRecentFile(const QString& path);
    void updateRecentMenu();
    void updateActions();
    void askExportJson();
    void showAbout();

    LoadController* m_loader;
    JsonExporter* m_exporter;
    LoadedFile m_file;
    Selection m_selection;
    JsonExportOptions m_exportOptions;

    // Actions.
    QAction* m_openAction = nullptr;
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
    ValueTreePane* m_tree = nullptr;
    QTabWidget* m_details = nullptr;
    TensorPreview* m_tensor = nullptr;
    SafetyPane* m_safety = nullptr;
    QTextBrowser* m_info = nullptr;
    CodePane* m_code = nullptr; // TorchScript sources (Code tab)
    OpcodeTracePane* m_trace = nullptr;
    HexView* m_hex = nullptr;
    QLabel* m_statusFile = nullptr;
    QLabel* m_statusPath = nullptr;
    QProgressBar* m_progress = nullptr;
    QToolButton* m_cancelButton = nullptr;
};

} // namespace ui
