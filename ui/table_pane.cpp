#include "ui/table_pane.h"

#include "core/numpy/numpy_dtype.h"
#include "core/value/value_text.h"
#include "ui/table_model.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

namespace ui {

TablePane::TablePane(QWidget* parent)
    : QWidget(parent)
    , m_model(new TableModel(this))
    , m_view(new QTableView(this))
    , m_caption(new QLabel(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_caption);
    layout->addWidget(m_view, 1);
    m_view->setModel(m_model);
    m_view->setAlternatingRowColors(true);
    m_view->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    m_caption->setText(tr("Select a DataFrame, Series or structured array."));
}

void TablePane::setDocument(const LoadedFile& file)
{
    if (file.doc == m_doc)
        return;
    m_doc = file.doc;
    m_model->clear();
    m_caption->setText(tr("Select a DataFrame, Series or structured array."));
}

bool TablePane::isTableValue(const core::ValueGraph& g, core::ValueId id)
{
    if (!g.valid(id))
        return false;
    if (g.kind(id) == core::ValueKind::Object) {
        const std::string cls = core::className(g, id);
        return cls == "pandas.core.frame.DataFrame" || cls == "pandas.core.series.Series";
    }
    if (g.kind(id) != core::ValueKind::NdArray)
        return false;
    const auto& a = g.ndarray(id);
    if (a.shape.empty() || a.shape.size() > 2)
        return false;
    const auto d = core::numpy::dtypeFromValue(g, a.dtypeValue);
    if (!d)
        return a.dtype == core::DType::Object;
    const char kind = d->node().kind;
    return d->structured() || kind == 'M' || kind == 'm' || kind == 'U' || kind == 'S'
        || kind == 'V' || kind == 'O';
}

void TablePane::setSelection(const Selection& selection)
{
    if (!m_doc || !selection.hasValue() || !isTableValue(m_doc->graph, selection.value))
        return; // keep the last table
    if (m_model->setValue(m_doc, selection.value))
        m_caption->setText(
            QString::fromStdString(core::summary(m_doc->graph, selection.value, 200)));
    else
        m_caption->setText(tr("This value does not decode as a table."));
}

} // namespace ui
