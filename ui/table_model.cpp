#include "ui/table_model.h"

#include <limits>

namespace ui {

TableModel::TableModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

bool TableModel::setValue(std::shared_ptr<const core::Document> doc, core::ValueId id)
{
    beginResetModel();
    m_view.reset();
    m_doc = std::move(doc);
    if (m_doc)
        m_view = core::domain::TableView::open(m_doc->graph, id);
    if (!m_view)
        m_doc.reset();
    endResetModel();
    return m_view.has_value();
}

void TableModel::clear()
{
    beginResetModel();
    m_view.reset();
    m_doc.reset();
    endResetModel();
}

int TableModel::rowCount(const QModelIndex& parent) const
{
    if (parent.isValid() || !m_view)
        return 0;
    return static_cast<int>(
        std::min<std::uint64_t>(m_view->rows(), std::numeric_limits<int>::max()));
}

int TableModel::columnCount(const QModelIndex& parent) const
{
    if (parent.isValid() || !m_view)
        return 0;
    return static_cast<int>(
        std::min<std::size_t>(m_view->columns(), std::numeric_limits<int>::max()));
}

QVariant TableModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)
        || !m_view)
        return {};
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole)
        return QString::fromStdString(m_view->cell(
            static_cast<std::uint64_t>(index.row()), static_cast<std::size_t>(index.column())));
    if (role == Qt::TextAlignmentRole)
        return QVariant::fromValue(Qt::Alignment(Qt::AlignRight | Qt::AlignVCenter));
    return {};
}

QVariant TableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (!m_view || role != Qt::DisplayRole || section < 0)
        return {};
    if (orientation == Qt::Horizontal) {
        if (static_cast<std::size_t>(section) >= m_view->columns())
            return {};
        const auto c = static_cast<std::size_t>(section);
        return QString::fromStdString(m_view->columnName(c)) + QStringLiteral("\n")
            + QString::fromStdString(m_view->columnDType(c));
    }
    if (static_cast<std::uint64_t>(section) >= m_view->rows())
        return {};
    return QString::fromStdString(m_view->rowLabel(static_cast<std::uint64_t>(section)));
}

} // namespace ui
