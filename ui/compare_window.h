#pragma once

// The compare view (File ▸ Compare With…): two files' values side by side as two trees paired by
// access path, rows coloured by status (same, close, changed, dtype, shape, only in one file),
// a filter "only differences", and for a compared tensor a heatmap of a − b on a 2-D slice
// (leading coordinates chosen with a spin box) and a histogram of the differences. The
// comparison (core/compare/document_compare.h) runs off the UI thread.

#include "core/compare/document_compare.h"

#include <QFutureWatcher>
#include <QWidget>

#include <memory>

class QCheckBox;
class QLabel;
class QSpinBox;
class QTreeWidget;
class QTreeWidgetItem;

namespace ui {

class CompareWindow : public QWidget {
    Q_OBJECT
public:
    explicit CompareWindow(QWidget* parent = nullptr);
    ~CompareWindow() override;

    // Compares a with b on a worker thread; compared() follows.
    void compare(std::shared_ptr<const core::Document> a, std::shared_ptr<const core::Document> b,
        const core::compare::CompareOptions& options = {});
    // Shows a finished comparison (tests, or after compare()).
    void setComparison(std::shared_ptr<const core::Document> a,
        std::shared_ptr<const core::Document> b, core::compare::Comparison comparison);

    const core::compare::Comparison& comparison() const { return m_comparison; }
    void setOnlyDifferences(bool only);
    bool onlyDifferences() const;
    // Selects the entry at this access path in both trees (false when there is none).
    bool selectPath(const QString& path);
    QTreeWidget* treeA() const { return m_treeA; }
    QTreeWidget* treeB() const { return m_treeB; }
    QString summaryText() const;
    // The status colour rows get (background), by status.
    static QColor statusColor(core::compare::Status status);

    // Asks for a second file, loads it off the UI thread and opens a compare window of `a`
    // against it. The window deletes itself when closed.
    static void compareWithFile(QWidget* parent, std::shared_ptr<const core::Document> a);
    // The same without the dialog (a second file dropped with Shift held): the window it opened.
    static CompareWindow* compareWithPath(
        QWidget* parent, std::shared_ptr<const core::Document> a, const QString& path);

Q_SIGNALS:
    void compared();

private:
    void rebuild();
    void applyFilter();
    void showEntry(int index);
    void drawDetails();

    std::shared_ptr<const core::Document> m_a, m_b;
    core::compare::Comparison m_comparison;
    struct Outcome {
        std::shared_ptr<core::compare::Comparison> comparison; // null on error
        QString error;
    };
    QFutureWatcher<Outcome> m_watcher;
    QTreeWidget* m_treeA = nullptr;
    QTreeWidget* m_treeB = nullptr;
    QCheckBox* m_onlyDifferences = nullptr;
    QLabel* m_summary = nullptr;
    QLabel* m_entryText = nullptr;
    QLabel* m_heatmap = nullptr;
    QLabel* m_histogram = nullptr;
    QSpinBox* m_sliceIndex = nullptr;
    int m_current = -1;
    bool m_syncing = false;
};

} // namespace ui
