#pragma once

// The value tree pane: a find box over keys and values, the lazy tree, copy-path and
// expand/collapse actions. Knows nothing of other panes: setSelection() in, selectionRequested()
// out.

#include "ui/document_index.h"
#include "ui/selection.h"

#include <QFutureWatcher>
#include <QStringList>
#include <QWidget>

class QLabel;
class QLineEdit;
class QToolButton;
class QTreeView;

namespace ui {

class ValueTreeModel;

class ValueTreePane : public QWidget {
    Q_OBJECT
public:
    explicit ValueTreePane(QWidget* parent = nullptr);
    ~ValueTreePane() override;

    void setDocument(const LoadedFile& file);
    void setSelection(const Selection& selection);
    // The safety report arrived after the document (marks dangerous values red).
    void setSafety(const LoadedFile& file);

    ValueTreeModel* model() const { return m_model; }
    QTreeView* view() const { return m_view; }
    QLineEdit* findBox() const { return m_find; }
    const LoadedFile& file() const { return m_file; }

    QString currentAccessPath() const;
    // The selection a click on the current row asks for (empty when there is none).
    Selection currentSelection() const;
    // The Name of each row from the root down to the current one (the breadcrumb's segments).
    QStringList breadcrumb() const;
    QLabel* breadcrumbLabel() const { return m_crumbs; }
    void copyAccessPath();
    static constexpr int kExpandAllRows = 20000;
    // A row at least kViewDepth deep is shown in a view rooted kViewContext rows above it (the
    // view lays out expanded rows recursively); Expand All stops kViewContext levels down.
    static constexpr int kViewDepth = 256;
    static constexpr int kViewContext = 64;
    // Expands everything below the current row, up to maxRows rows; true when it stopped there
    // with rows left unexpanded (the window says so in the status bar).
    bool expandAll(int maxRows = kExpandAllRows);
    void collapseAll();
    // Selects the row at an access path; returns false when there is none.
    bool selectAccessPath(const QString& path);
    void findNext(bool backwards = false);

Q_SIGNALS:
    void selectionRequested(const ui::Selection& selection);
    void findFinished(int matches);

private:
    void onCurrentChanged(const QModelIndex& current);
    void onActivated(const QModelIndex& index);
    void startFind();
    void selectIndex(const QModelIndex& index, bool emitRequest);
    void showContextMenu(const QPoint& pos);
    void updateBreadcrumb();

    LoadedFile m_file;
    ValueTreeModel* m_model;
    QTreeView* m_view;
    QLineEdit* m_find;
    QLabel* m_findStatus;
    QToolButton* m_prev;
    QToolButton* m_next;
    QLabel* m_crumbs;
    bool m_applying = false;
    QFutureWatcher<std::vector<core::ValueId>> m_findWatcher;
    std::vector<core::ValueId> m_matches;
    int m_matchIndex = -1;
    QString m_matchText;
};

} // namespace ui
