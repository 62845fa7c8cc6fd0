#pragma once

// The Model tab: what the loaded model is made of. The main state dict (found wherever it sits)
// folded into its module tree with parameter count, share, bytes and dtype mix per module and
// dtype and shape per parameter, the torchinfo-style summary line, and the optimizer state.
// Reads no tensor data (core/torch/module_tree.h).

#include "core/value/document.h"

#include <QWidget>

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

private:
    std::shared_ptr<const core::Document> m_doc;
    QLabel* m_summary = nullptr;
    QTreeWidget* m_tree = nullptr;
    QLabel* m_optimizer = nullptr;
};

} // namespace ui
