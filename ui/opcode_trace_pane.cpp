#include "ui/opcode_trace_pane.h"

#include "ui/opcode_trace_model.h"

#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSpinBox>
#include <QTableView>
#include <QVBoxLayout>

namespace ui {

OpcodeTracePane::OpcodeTracePane(QWidget* parent)
    : QWidget(parent)
    , m_model(new OpcodeTraceModel(this))
    , m_view(new QTableView(this))
    , m_pickles(new QComboBox(this))
    , m_status(new QLabel(this))
    , m_pageLabel(new QLabel(tr("Page"), this))
    , m_page(new QSpinBox(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    auto* top = new QHBoxLayout;
    top->setContentsMargins(4, 4, 4, 0);
    auto* title = new QLabel(tr("<b>Opcode trace</b>"), this);
    top->addWidget(title);
    top->addSpacing(8);
    m_pickles->setToolTip(tr("Which pickle program of the file to show"));
    m_pickles->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    top->addWidget(m_pickles);
    top->addStretch(1);
    m_page->setToolTip(tr("Long programs are shown %L1 opcodes per page").arg(OpcodeTraceModel::kPageSize));
    top->addWidget(m_pageLabel);
    top->addWidget(m_page);
    m_pageLabel->hide();
    m_page->hide();
    m_status->setStyleSheet(QStringLiteral("color: #6b7280;"));
    top->addWidget(m_status);
    layout->addLayout(top);
    layout->addWidget(m_view, 1);

    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setShowGrid(false);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_view->setFont(mono);
    m_view->verticalHeader()->setDefaultSectionSize(QFontMetrics(mono).height() + 4);
    m_view->horizontalHeader()->setStretchLastSection(false);
    m_view->horizontalHeader()->setSectionResizeMode(OpcodeTraceModel::ArgumentColumn, QHeaderView::Stretch);
    m_view->setColumnWidth(OpcodeTraceModel::OffsetColumn, 80);
    m_view->setColumnWidth(OpcodeTraceModel::ByteColumn, 36);
    m_view->setColumnWidth(OpcodeTraceModel::NameColumn, 150);
    m_view->setColumnWidth(OpcodeTraceModel::StackColumn, 64);
    m_view->setColumnWidth(OpcodeTraceModel::MemoColumn, 56);

    connect(m_pickles, &QComboBox::currentIndexChanged, this, [this](int i) {
        if (m_applying)
            return;
        setPickle(i);
    });
    connect(m_model, &OpcodeTraceModel::pageChanged, this, [this](int page) {
        const bool paged = m_model->pageCount() > 1;
        m_page->setVisible(paged);
        m_pageLabel->setVisible(paged);
        const QSignalBlocker block(m_page);
        m_page->setRange(1, std::max(1, m_model->pageCount()));
        m_page->setSuffix(tr(" of %1").arg(m_model->pageCount()));
        m_page->setValue(page + 1);
    });
    connect(m_page, &QSpinBox::valueChanged, this, [this](int value) { m_model->setPage(value - 1); });
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
        [this](const QModelIndex& current) { onCurrentRowChanged(current.row()); });
}

void OpcodeTracePane::setDocument(const LoadedFile& file)
{
    m_file = file;
    m_applying = true;
    m_pickles->clear();
    if (file.doc) {
        for (const core::PickleStream& s : file.doc->pickles)
            m_pickles->addItem(QString::fromStdString(s.name));
    }
    m_pickles->setVisible(m_pickles->count() > 1);
    m_applying = false;
    // Always re-read the model: the new file's main pickle often has the old one's index.
    showPickle(file.doc && !file.doc->pickles.empty() ? int(file.doc->mainPickle) : -1);
}

QString OpcodeTracePane::statusText() const
{
    return m_status->text();
}

int OpcodeTracePane::pickle() const
{
    return m_model->pickle();
}

void OpcodeTracePane::setPickle(int pickle)
{
    if (pickle == m_model->pickle() && m_model->file().doc == m_file.doc && m_model->trace())
        return;
    showPickle(pickle);
}

void OpcodeTracePane::showPickle(int pickle)
{
    const bool was = m_applying;
    m_applying = true;
    m_model->setDocument(m_file, pickle);
    if (pickle >= 0 && pickle < m_pickles->count())
        m_pickles->setCurrentIndex(pickle);
    m_applying = was;
    const OpcodeTrace* trace = m_model->trace();
    if (!trace) {
        if (m_file.doc && m_file.doc->pickles.empty())
            m_status->setText(tr("no pickle program in this file (nothing to disassemble)"));
        else if (m_file.index && !m_file.hasTraces())
            m_status->setText(tr("building the opcode trace…"));
        else
            m_status->clear();
    } else {
        // The stream's protocol as the status bar gives it (a protocol 0/1 pickle has no PROTO
        // opcode: the disassembler's highest protocol would read -1).
        int protocol = std::max(0, trace->highestProtocol());
        if (m_file.doc && pickle >= 0 && std::size_t(pickle) < m_file.doc->pickles.size())
            protocol = std::max(protocol, m_file.doc->pickles[std::size_t(pickle)].protocol);
        QString text = tr("%L1 opcodes · protocol %2").arg(trace->size()).arg(protocol);
        if (trace->error())
            text += tr(" · stops at byte %1").arg(trace->error()->offset);
        m_status->setText(text);
        m_status->setToolTip(trace->error() ? QString::fromStdString(trace->error()->toString()) : QString());
    }
    Q_EMIT pickleChanged(pickle);
}

void OpcodeTracePane::setSelection(const Selection& selection)
{
    if (!selection.hasOffset() || !m_file.index)
        return;
    if (selection.pickle >= 0 && selection.pickle != m_model->pickle())
        setPickle(selection.pickle);
    const int row = m_model->rowForOffset(selection.offset);
    if (row < 0 || row == m_view->currentIndex().row())
        return;
    m_applying = true;
    const QModelIndex index = m_model->index(row, OpcodeTraceModel::NameColumn);
    m_view->setCurrentIndex(index);
    m_view->scrollTo(index, QAbstractItemView::PositionAtCenter);
    m_applying = false;
}

void OpcodeTracePane::onCurrentRowChanged(int row)
{
    if (m_applying || row < 0 || !m_file.index)
        return;
    Selection sel;
    sel.offset = m_model->offsetAt(row);
    sel.pickle = m_model->pickle();
    sel.value = m_file.index->valueAt(sel.offset);
    Q_EMIT selectionRequested(sel);
}

} // namespace ui
