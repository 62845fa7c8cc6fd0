#pragma once

// The Table tab: DataFrames, Series, structured arrays and 1-D / 2-D non-numeric arrays as a
// table (ui::TableModel, decoded cell by cell as the view scrolls).

#include "ui/document_index.h"
#include "ui/selection.h"

#include <QWidget>

class QLabel;
class QTableView;

namespace ui {

class TableModel;

class TablePane : public QWidget {
    Q_OBJECT
public:
    explicit TablePane(QWidget* parent = nullptr);

    void setDocument(const LoadedFile& file);
    void setSelection(const Selection& selection);
    // Whether the value is shown as a table (DataFrame, Series, structured / non-numeric array).
    static bool isTableValue(const core::ValueGraph& graph, core::ValueId id);

    TableModel* model() const { return m_model; }
    QTableView* view() const { return m_view; }

private:
    std::shared_ptr<const core::Document> m_doc;
    TableModel* m_model = nullptr;
    QTableView* m_view = nullptr;
    QLabel* m_caption = nullptr;
};

} // namespace ui
