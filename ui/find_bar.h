#pragma once

// The find bar above the value tree (Ctrl+F): plain text or the query language of
// core/compare/value_query.h (dtype:float16 shape:[*,4096] name:*attn* ...). A query that does
// not parse says where, inline ("unknown key 'dtyp' at 1"). Enter runs the query on a worker
// (QtConcurrent) and selects the first match; Enter / F3 go to the next match, Shift+Enter /
// Shift+F3 to the previous one, each selected in the tree through its select-by-path API, so the
// preview, the trace and the bytes follow. "Only matches" shows, in the tree's place, a tree of
// the matches and their ancestors (ui::MatchTreeModel). Results belong to the document they were
// computed on: a new document cancels the running query and clears them.

#include "ui/document_index.h"

#include "core/compare/value_find.h"

#include <QFutureWatcher>
#include <QWidget>

#include <memory>

class QCheckBox;
class QLabel;
class QLineEdit;
class QStackedWidget;
class QToolButton;
class QTreeView;

namespace ui {

class MatchTreeModel;
class ValueTreePane;

class FindBar : public QWidget {
    Q_OBJECT
public:
    explicit FindBar(ValueTreePane* pane, QWidget* parent = nullptr);
    ~FindBar() override;

    // Puts a find bar above `pane`, in its place in its parent (a splitter or a layout), with the
    // "only matches" tree stacked behind the pane; takes over the pane's own find row (hidden) and
    // follows the pane's document. Returns the bar (owned by the new area).
    static FindBar* attach(ValueTreePane* pane);

    // Forgets the results and cancels a running query; `file` is the document to search next.
    void setDocument(const LoadedFile& file);
    // Focuses the query box with its text selected (Ctrl+F).
    void activate();
    // Runs the query in the box (a no-op when it does not parse).
    void runQuery();
    void findNext();
    void findPrevious();
    void setOnlyMatches(bool on);

    QLineEdit* queryBox() const { return m_edit; }
    QLabel* statusLabel() const { return m_status; }
    QCheckBox* onlyMatchesBox() const { return m_only; }
    QTreeView* matchView() const { return m_matchView; }
    MatchTreeModel* matchModel() const { return m_matchModel; }
    // The parse error of the box's query ("" when it parses).
    QString errorText() const { return m_error; }
    int matchCount() const;
    int currentMatch() const { return m_current; }
    bool isRunning() const { return m_watcher.isRunning(); }
    // Shown in the tree's place when "only matches" is on (null when not attached).
    QStackedWidget* stack() const { return m_stack; }

Q_SIGNALS:
    // A query finished on the current document (count of matches, or -1 when cancelled).
    void finished(int matches);

private:
    void validate();
    void go(int match);
    void onFinished();
    void updateStatus();

    ValueTreePane* m_pane;
    LoadedFile m_file;
    QLineEdit* m_edit;
    QLabel* m_status;
    QToolButton* m_prev;
    QToolButton* m_next;
    QCheckBox* m_only;
    QStackedWidget* m_stack = nullptr;
    QTreeView* m_matchView;
    MatchTreeModel* m_matchModel;
    QString m_error;
    QString m_ranText; // the query the results are for
    std::shared_ptr<const core::compare::TreeFind> m_found;
    int m_current = -1;
    quint64 m_generation = 0;
    bool m_selecting = false;
    struct Outcome {
        quint64 generation = 0;
        std::shared_ptr<const core::compare::TreeFind> found;
    };
    QFutureWatcher<Outcome> m_watcher;
};

} // namespace ui
