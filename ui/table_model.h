#pragma once

// A lazy table over core::domain::TableView: only the cells the view asks for are decoded.
// Column headers carry the column name and its dtype; row headers the index labels.

#include "core/domain/table_view.h"
#include "core/value/document.h"

#include <QAbstractTableModel>

#include <memory>
#include <optional>

namespace ui {

class TableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    explicit TableModel(QObject* parent = nullptr);

    // Shows `id` of `doc`; false (and an empty model) when it is not table-like.
    bool setValue(std::shared_ptr<const core::Document> doc, core::ValueId id);
    void clear();
    bool hasTable() const { return m_view.has_value(); }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::shared_ptr<const core::Document> m_doc; // keeps the graph the view reads alive
    std::optional<core::domain::TableView> m_view;
};

} // namespace ui
