#pragma once

// The Model tab: what the loaded model is made of. The main state dict (found wherever it sits)
// folded into its module tree with parameter count, share, bytes and dtype mix per module and
// dtype and shape per parameter, the torchinfo-style summary line, and the optimizer state.
// Reads no tensor data (core/torch/module_tree.h). A document of more than syncLimit() values is
// folded on a worker (it walks every value's access path: seconds on millions of values); the pane
// says so meanwhile and drops a result that belongs to a document no longer shown.

#include "core/value/document.h"

#include <QFutureWatcher>
#include <QWidget>

#include <cstddef>
#include <cstdint>

#include <memory>

class QLabel;
class QTreeWidget;

namespace ui {

class ModelPane : public QWidget {
    Q_OBJECT
public:
    explicit ModelPane(QWidget* parent = nullptr);

    void setDocument(std::shared_ptr<const core::Document> doc);
    QString summaryText() const;
    QTreeWidget* tree() const { return m_tree; }
    // Documents of at most this many values are folded at once, on the calling thread.
    void setSyncLimit(std::size_t values) { m_syncLimit = values; }
    std::size_t syncLimit() const { return m_syncLimit; }
    bool isComputing() const { return m_watcher.isRunning(); }

    struct Folded; // what the worker computes (model_pane.cpp)

Q_SIGNALS:
    void updated(); // the pane shows its document's model (or that there is none)

private:
    void show(const Folded& folded);

    std::shared_ptr<const core::Document> m_doc;
    QLabel* m_summary = nullptr;
    QTreeWidget* m_tree = nullptr;
    QLabel* m_optimizer = nullptr;
    std::size_t m_syncLimit = 200'000;
    std::uint64_t m_generation = 0;
    QFutureWatcher<std::shared_ptr<const Folded>> m_watcher;
};

} // namespace ui
