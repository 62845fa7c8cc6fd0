#include "ui/model_pane.h"

#include "core/torch/module_tree.h"
#include "core/value/number_text.h"

#include <QColor>
#include <QHeaderView>
#include <QLabel>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <vector>

namespace ui {

namespace {

QString shapeText(const std::vector<std::int64_t>& shape)
{
    QStringList dims;
    for (auto d : shape)
        dims << QString::number(d);
    return "[" + dims.join(", ") + "]";
}

} // namespace

struct ModelPane::Folded {
    core::torch::StateDicts dicts;
    core::torch::ModuleTree tree; // of dicts.found[dicts.main], when one was found
    std::vector<core::torch::OptimizerSummary> optimizers;
};

namespace {

std::shared_ptr<const ModelPane::Folded> fold(const core::Document& doc)
{
    auto folded = std::make_shared<ModelPane::Folded>();
    folded->dicts = core::torch::findStateDicts(doc);
    if (!folded->dicts.found.empty()) {
        const auto& main = folded->dicts.found[folded->dicts.main];
        folded->tree = core::torch::moduleTree(doc, main.dict, main.path);
    }
    folded->optimizers = core::torch::findOptimizers(doc);
    return folded;
}

} // namespace

ModelPane::ModelPane(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    m_summary = new QLabel(this);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->setWordWrap(true);
    m_tree = new QTreeWidget(this);
    m_tree->setColumnCount(5);
    m_tree->setHeaderLabels(
        { tr("Module"), tr("Params"), tr("Share"), tr("Bytes"), tr("dtype / shape") });
    m_tree->setUniformRowHeights(true);
    m_tree->setColumnWidth(0, 200);
    m_optimizer = new QLabel(this);
    m_optimizer->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_optimizer->setWordWrap(true);
    layout->addWidget(m_summary);
    layout->addWidget(m_tree, 1);
    layout->addWidget(m_optimizer);
    setDocument(nullptr);
}

QString ModelPane::summaryText() const
{
    return m_summary->text();
}

void ModelPane::setDocument(std::shared_ptr<const core::Document> doc)
{
    m_doc = std::move(doc);
    const std::uint64_t generation = ++m_generation;
    m_tree->clear();
    m_optimizer->clear();
    m_optimizer->setVisible(false);
    if (!m_doc) {
        m_summary->setText(tr("No file."));
        Q_EMIT updated();
        return;
    }
    if (m_doc->graph.size() <= m_syncLimit) {
        show(*fold(*m_doc));
        return;
    }
    m_summary->setText(
        tr("Reading the model from %L1 values…").arg(qulonglong(m_doc->graph.size())));
    // the worker holds the document; a result for an older generation is dropped
    disconnect(&m_watcher, nullptr, this, nullptr);
    connect(&m_watcher, &QFutureWatcher<std::shared_ptr<const Folded>>::finished, this,
        [this, generation] {
            if (generation == m_generation && m_watcher.future().resultCount() > 0)
                show(*m_watcher.result());
        });
    m_watcher.setFuture(QtConcurrent::run([doc = m_doc] { return fold(*doc); }));
}

void ModelPane::show(const Folded& folded)
{
    const core::torch::StateDicts& dicts = folded.dicts;
    if (dicts.found.empty()) {
        m_summary->setText(tr(
            "No state dict found (a dict whose values are mostly tensors keyed by dotted names)."));
    } else {
        const auto& main = dicts.found[dicts.main];
        const core::torch::ModuleTree& tree = folded.tree;
        m_summary->setText((main.module ? tr("<b>%1</b><br>pickled module at %2 (%3 tensors)")
                                        : tr("<b>%1</b><br>state dict at %2 (%3 tensors)"))
                               .arg(QString::fromStdString(tree.summaryLine()).toHtmlEscaped(),
                                   QString::fromStdString(main.path).toHtmlEscaped())
                               .arg(main.tensors));
        // items in file order: nodes come after their parents
        std::vector<QTreeWidgetItem*> items(tree.nodes.size(), nullptr);
        for (std::size_t i = 1; i < tree.nodes.size(); ++i) {
            const core::torch::ModuleNode& n = tree.nodes[i];
            auto* item = n.parent == 0 || items[n.parent] == nullptr
                ? new QTreeWidgetItem(m_tree)
                : new QTreeWidgetItem(items[n.parent]);
            item->setText(0, QString::fromStdString(n.name));
            item->setToolTip(0, QString::fromStdString(n.fullName));
            item->setText(1, QString::fromStdString(core::withThousands(n.params)));
            item->setText(2, QString::number(tree.share(n) * 100.0, 'f', 1) + " %");
            item->setText(3, QString::fromStdString(core::humanBytes(n.bytes)));
            item->setText(4,
                n.parameter ? QString::fromStdString(n.dtype) + " " + shapeText(n.shape)
                            : QString::fromStdString(tree.dtypeMix(n)));
            if (!n.tiedTo.empty()) { // counted once, under the key it is tied to
                item->setText(
                    4, item->text(4) + tr("  tied to %1").arg(QString::fromStdString(n.tiedTo)));
                item->setForeground(1, QColor(0x6b, 0x72, 0x80));
            }
            for (int c = 1; c <= 3; ++c)
                item->setTextAlignment(c, Qt::AlignRight | Qt::AlignVCenter);
            items[i] = item;
        }
        for (std::size_t i = 0; i < items.size(); ++i)
            if (items[i] != nullptr && tree.nodes[i].depth <= 1)
                items[i]->setExpanded(true);
    }
    QStringList lines;
    for (const core::torch::OptimizerSummary& o : folded.optimizers) {
        QStringList keys;
        for (const auto& [key, count] : o.stateKeys)
            keys << QStringLiteral("%1 %2").arg(QString::fromStdString(key)).arg(count);
        lines << tr("<b>Optimizer</b> at %1: state for %2 parameters (%3), %4 elements, %5")
                     .arg(QString::fromStdString(o.path).toHtmlEscaped())
                     .arg(o.paramsWithState)
                     .arg(keys.join(", "),
                         QString::fromStdString(core::withThousands(o.stateElements)),
                         QString::fromStdString(core::humanBytes(o.stateBytes)));
        for (std::size_t g = 0; g < o.groups.size(); ++g) {
            QStringList settings;
            for (const auto& [key, value] : o.groups[g].settings)
                settings << QString::fromStdString(key + "=" + value).toHtmlEscaped();
            lines << tr("param group %1: %2 params · %3")
                         .arg(g)
                         .arg(o.groups[g].params)
                         .arg(settings.join(" · "));
        }
    }
    m_optimizer->setText(lines.join("<br>"));
    m_optimizer->setVisible(!lines.isEmpty());
    Q_EMIT updated();
}

} // namespace ui
