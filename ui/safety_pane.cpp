#include "ui/safety_pane.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace ui {

namespace {

QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}

QColor verdictColor(core::safety::Verdict v)
{
    switch (v) {
    case core::safety::Verdict::Dangerous:
        return QColor(0xb9, 0x1c, 0x1c);
    case core::safety::Verdict::Unknown:
        return QColor(0xb4, 0x53, 0x09);
    case core::safety::Verdict::Safe:
        return QColor(0x15, 0x80, 0x3d);
    }
    return {};
}

} // namespace

SafetyPane::SafetyPane(QWidget* parent)
    : QWidget(parent)
    , m_summary(new QLabel(this))
    , m_table(new QTableWidget(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 6, 8, 6);
    m_summary->setWordWrap(true);
    m_summary->setTextFormat(Qt::RichText);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_summary);
    layout->addWidget(m_table, 1);
    m_table->setColumnCount(6);
    m_table->setHorizontalHeaderLabels({ tr("Verdict"), tr("Global"), tr("Reason"), tr("Pickle"), tr("Offset"), tr("Used at") });
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->horizontalHeader()->setStretchLastSection(false);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);
    m_table->setWordWrap(false);
    connect(m_table, &QTableWidget::currentCellChanged, this, [this](int row) {
        if (m_applying || row < 0 || !m_file.safety || !m_file.index)
            return;
        const auto& use = m_file.safety->globals[std::size_t(row)];
        Selection sel;
        sel.offset = use.offset;
        sel.pickle = m_file.index->pickleAt(use.offset);
        if (sel.pickle < 0 && m_file.doc) {
            for (std::size_t i = 0; i < m_file.doc->pickles.size(); ++i) {
                if (m_file.doc->pickles[i].name == use.pickle)
                    sel.pickle = int(i);
            }
        }
        sel.value = m_file.index->valueAt(use.offset);
        Q_EMIT selectionRequested(sel);
    });
}

QString SafetyPane::bannerText(const core::safety::SafetyReport& report)
{
    QStringList dangerous, unknown;
    for (const auto& use : report.globals) {
        const QString name = qs(use.module) + QLatin1Char('.') + qs(use.name);
        if (use.verdict == core::safety::Verdict::Dangerous && !dangerous.contains(name))
            dangerous << name;
        else if (use.verdict == core::safety::Verdict::Unknown && !unknown.contains(name))
            unknown << name;
    }
    auto head = [](QStringList names) {
        if (names.size() > 4)
            return names.mid(0, 4).join(QStringLiteral(", ")) + QStringLiteral(", …");
        return names.join(QStringLiteral(", "));
    };
    if (report.verdict == core::safety::Verdict::Dangerous) {
        if (dangerous.isEmpty())
            return QObject::tr("Dangerous content: %1").arg(report.findings.empty() ? QString() : qs(report.findings.front()));
        return QObject::tr("This file would run code if loaded with pickle/torch.load: %1. "
                           "PickleScope never executes it.")
            .arg(head(dangerous));
    }
    if (report.verdict == core::safety::Verdict::Unknown) {
        if (unknown.isEmpty())
            return report.findings.empty() ? QString() : qs(report.findings.front());
        return QObject::tr("References %n global(s) not known to be safe: %1", nullptr, int(unknown.size())).arg(head(unknown));
    }
    return {};
}

void SafetyPane::setDocument(const LoadedFile& file)
{
    m_file = file;
    m_applying = true;
    m_table->setRowCount(0);
    if (!file.safety) {
        m_summary->setText(tr("No safety report."));
        m_applying = false;
        return;
    }
    const auto& report = *file.safety;
    QString summary = tr("<b>Verdict: <span style='color:%1'>%2</span></b> · %n global(s) referenced", nullptr, int(report.globals.size()))
                          .arg(verdictColor(report.verdict).name(), qs(std::string(core::safety::verdictName(report.verdict))));
    if (!report.weightsOnlyBlockers.empty())
        summary += tr("<br>torch.load(weights_only=True) would refuse: %1")
                       .arg(qs([&] {
                           std::string s;
                           for (const auto& b : report.weightsOnlyBlockers)
                               s += (s.empty() ? "" : ", ") + b;
                           return s;
                       }())
                               .toHtmlEscaped());
    if (!report.addSafeGlobalsLine.empty())
        summary += QStringLiteral("<br><code>%1</code>").arg(qs(report.addSafeGlobalsLine).toHtmlEscaped());
    for (const auto& f : report.findings)
        summary += QStringLiteral("<br>• %1").arg(qs(f).toHtmlEscaped());
    m_summary->setText(summary);
    m_table->setRowCount(int(report.globals.size()));
    for (int r = 0; r < int(report.globals.size()); ++r) {
        const auto& use = report.globals[std::size_t(r)];
        auto* verdict = new QTableWidgetItem(qs(std::string(core::safety::verdictName(use.verdict))));
        verdict->setForeground(verdictColor(use.verdict));
        QFont bold = verdict->font();
        bold.setBold(use.verdict == core::safety::Verdict::Dangerous);
        verdict->setFont(bold);
        m_table->setItem(r, 0, verdict);
        m_table->setItem(r, 1, new QTableWidgetItem(qs(use.module) + QLatin1Char('.') + qs(use.name)));
        m_table->setItem(r, 2, new QTableWidgetItem(qs(use.reason)));
        m_table->setItem(r, 3, new QTableWidgetItem(qs(use.pickle)));
        m_table->setItem(r, 4, new QTableWidgetItem(QString::number(use.offset)));
        m_table->setItem(r, 5, new QTableWidgetItem(qs(use.path)));
    }
    m_applying = false;
}

void SafetyPane::setSelection(const Selection& selection)
{
    if (!m_file.safety || !selection.hasOffset())
        return;
    const auto& globals = m_file.safety->globals;
    for (int r = 0; r < int(globals.size()); ++r) {
        if (globals[std::size_t(r)].offset == selection.offset) {
            m_applying = true;
            m_table->setCurrentCell(r, 1);
            m_applying = false;
            return;
        }
    }
}

} // namespace ui
