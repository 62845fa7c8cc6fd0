#include "ui/value_tree_pane.h"

#include "ui/value_tree_model.h"

#include "core/value/value_text.h"

#include <QApplication>
#include <QClipboard>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPromise>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <deque>

namespace ui {

namespace {

constexpr std::size_t kMaxMatches = 100000;

// Pre-order walk over first appearances; collects values whose label (key, index, attribute) or
// scalar repr contains `needle` (case-insensitive).
void findValues(QPromise<std::vector<core::ValueId>>& promise,
    std::shared_ptr<const core::Document> doc, QString needle)
{
    std::vector<core::ValueId> matches;
    const core::ValueGraph& graph = doc->graph;
    if (core::isNull(doc->root)) {
        promise.addResult(matches);
        return;
    }
    auto hit = [&](const std::string& text) {
        return !text.empty() && QString::fromStdString(text).contains(needle, Qt::CaseInsensitive);
    };
    std::vector<bool> seen(graph.size(), false);
    struct Frame {
        core::ValueId id;
        std::size_t next, count;
    };
    std::vector<Frame> stack;
    seen[core::indexOf(doc->root)] = true;
    stack.push_back({ doc->root, 0, core::displayChildCount(graph, doc->root) });
    std::size_t steps = 0;
    while (!stack.empty() && matches.size() < kMaxMatches) {
        if ((++steps & 0x3FFF) == 0 && promise.isCanceled())
            return;
        Frame& top = stack.back();
        if (top.next >= top.count) {
            stack.pop_back();
            continue;
        }
        const core::DisplayChild child = core::displayChild(graph, top.id, top.next++);
        if (core::isNull(child.child) || !graph.valid(child.child)
            || seen[core::indexOf(child.child)])
            continue;
        seen[core::indexOf(child.child)] = true;
        const std::size_t count = core::displayChildCount(graph, child.child);
        if (hit(child.label) || (count == 0 && hit(core::summary(graph, child.child, 200))))
            matches.push_back(child.child);
        stack.push_back({ child.child, 0, count });
    }
    promise.addResult(matches);
}

} // namespace

ValueTreePane::ValueTreePane(QWidget* parent)
    : QWidget(parent)
    , m_model(new ValueTreeModel(this))
    , m_view(new QTreeView(this))
    , m_find(new QLineEdit(this))
    , m_findStatus(new QLabel(this))
    , m_prev(new QToolButton(this))
    , m_next(new QToolButton(this))
    , m_crumbs(new QLabel(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);

    auto* findRow = new QHBoxLayout;
    findRow->setContentsMargins(4, 4, 4, 0);
    m_find->setPlaceholderText(tr("Find key or value…"));
    m_find->setClearButtonEnabled(true);
    m_find->setToolTip(
        tr("Search keys, indices, attribute names and scalar values (Ctrl+F, Enter for next)"));
    m_find->addAction(QIcon(QStringLiteral(":/icons/find.svg")), QLineEdit::LeadingPosition);
    m_prev->setIcon(QIcon(QStringLiteral(":/icons/up.svg")));
    m_prev->setToolTip(tr("Previous match (Shift+Enter)"));
    m_next->setIcon(QIcon(QStringLiteral(":/icons/down.svg")));
    m_next->setToolTip(tr("Next match (Enter)"));
    m_prev->setAutoRaise(true);
    m_next->setAutoRaise(true);
    m_findStatus->setMinimumWidth(70);
    m_findStatus->setStyleSheet(QStringLiteral("color: #6b7280;"));
    findRow->addWidget(m_find, 1);
    findRow->addWidget(m_findStatus);
    findRow->addWidget(m_prev);
    findRow->addWidget(m_next);
    layout->addLayout(findRow);
    // Breadcrumb: the selected row's path from the root, each segment a link to its row (past
    // ~12 levels the Name column is indented out of sight); long paths elide their middle.
    m_crumbs->setTextFormat(Qt::RichText);
    m_crumbs->setContentsMargins(6, 0, 6, 0);
    m_crumbs->setTextInteractionFlags(Qt::LinksAccessibleByMouse);
    m_crumbs->setToolTip(tr("Path of the selected value: click a segment to select it"));
    connect(m_crumbs, &QLabel::linkActivated, this, [this](const QString& link) {
        const int up = link.toInt();
        QModelIndex index = m_view->currentIndex().siblingAtColumn(0);
        for (int i = 0; i < up && index.isValid(); ++i)
            index = index.parent();
        if (index.isValid())
            selectIndex(index, true);
    });
    layout->addWidget(m_crumbs);
    layout->addWidget(m_view, 1);

    m_view->setModel(m_model);
    m_view->setUniformRowHeights(true);
    m_view->setAlternatingRowColors(true);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    m_view->header()->setStretchLastSection(false);
    m_view->header()->setSectionResizeMode(ValueTreeModel::ValueColumn, QHeaderView::Stretch);
    m_view->setColumnWidth(ValueTreeModel::NameColumn, 260);
    m_view->setColumnWidth(ValueTreeModel::TypeColumn, 150);
    m_view->setColumnWidth(ValueTreeModel::SizeColumn, 80);

    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
        [this](const QModelIndex& current) { onCurrentChanged(current); });
    connect(m_view, &QTreeView::activated, this, &ValueTreePane::onActivated);
    connect(m_view, &QTreeView::doubleClicked, this, &ValueTreePane::onActivated);
    connect(m_view, &QWidget::customContextMenuRequested, this, &ValueTreePane::showContextMenu);
    connect(m_find, &QLineEdit::returnPressed, this,
        [this] { findNext(QApplication::keyboardModifiers() & Qt::ShiftModifier); });
    connect(m_find, &QLineEdit::textChanged, this, [this] {
        m_matches.clear();
        m_matchIndex = -1;
        m_matchText.clear();
        m_findStatus->clear();
    });
    connect(m_next, &QToolButton::clicked, this, [this] { findNext(false); });
    connect(m_prev, &QToolButton::clicked, this, [this] { findNext(true); });
    connect(&m_findWatcher, &QFutureWatcher<std::vector<core::ValueId>>::finished, this, [this] {
        if (m_findWatcher.isCanceled() || m_findWatcher.future().resultCount() == 0)
            return;
        m_matches = m_findWatcher.result();
        m_matchIndex = -1;
        Q_EMIT findFinished(int(m_matches.size()));
        if (m_matches.empty()) {
            m_findStatus->setText(tr("no match"));
            return;
        }
        findNext(false);
    });
}

ValueTreePane::~ValueTreePane()
{
    m_findWatcher.cancel();
    m_findWatcher.waitForFinished();
}

void ValueTreePane::setDocument(const LoadedFile& file)
{
    m_findWatcher.cancel();
    m_file = file;
    m_matches.clear();
    m_matchIndex = -1;
    m_matchText.clear();
    m_findStatus->clear();
    m_model->setDocument(file);
    const QModelIndex root = m_model->index(0, 0);
    if (root.isValid()) {
        if (m_model->canFetchMore(root))
            m_model->fetchMore(root);
        m_view->expand(root);
        QSignalBlocker block(this);
        m_applying = true;
        m_view->setCurrentIndex(root);
        m_applying = false;
    }
    updateBreadcrumb();
}

void ValueTreePane::setSafety(const LoadedFile& file)
{
    m_file = file;
    m_model->setSafety(file.safety);
    m_view->viewport()->update();
}

void ValueTreePane::setSelection(const Selection& selection)
{
    if (!selection.hasValue())
        return;
    if (m_model->valueAt(m_view->currentIndex()) == selection.value)
        return;
    const QModelIndex index = m_model->indexForValue(selection.value);
    if (!index.isValid())
        return;
    m_applying = true;
    selectIndex(index, false);
    m_applying = false;
}

void ValueTreePane::selectIndex(const QModelIndex& target, bool emitRequest)
{
    const bool was = m_applying;
    m_applying = !emitRequest;
    const QModelIndex index = target.siblingAtColumn(0);
    // QTreeView lays out expanded rows recursively: a row deeper than kViewDepth is shown in a
    // view rooted kViewContext rows above it (the breadcrumb leads back up), so the view never
    // holds a chain of expanded rows deeper than that, however deep the value.
    const int depth = m_model->depth(index);
    QModelIndex viewRoot;
    if (depth >= kViewDepth) {
        viewRoot = index;
        for (int i = 0; i <= kViewContext && viewRoot.isValid(); ++i)
            viewRoot = viewRoot.parent();
    }
    if (m_view->rootIndex() != viewRoot)
        m_view->setRootIndex(viewRoot);
    for (QModelIndex p = index.parent(); p.isValid() && p != viewRoot; p = p.parent())
        m_view->expand(p);
    m_view->setCurrentIndex(index);
    m_view->scrollTo(index, QAbstractItemView::PositionAtCenter);
    m_applying = was;
}

QStringList ValueTreePane::breadcrumb() const
{
    QStringList parts;
    for (QModelIndex i = m_view->currentIndex().siblingAtColumn(0); i.isValid(); i = i.parent())
        parts.prepend(i.data(Qt::DisplayRole).toString());
    return parts;
}

void ValueTreePane::updateBreadcrumb()
{
    // Only the shown segments are named (first 2, last 6): a million-deep row costs one walk up.
    constexpr int kShown = 8;
    std::vector<QModelIndex> chain; // current row first
    for (QModelIndex i = m_view->currentIndex().siblingAtColumn(0); i.isValid(); i = i.parent())
        chain.push_back(i);
    const int n = int(chain.size());
    QStringList html;
    for (int i = 0; i < n; ++i) {
        if (n > kShown && i == 2) {
            html << QStringLiteral("<span style='color:#6b7280'>… %L1 more …</span>")
                        .arg(n - kShown);
            i = n - (kShown - 2) - 1;
            continue;
        }
        const int up = n - 1 - i;
        const QString name
            = chain[std::size_t(up)].data(Qt::DisplayRole).toString().toHtmlEscaped();
        html << (up == 0 ? QStringLiteral("<b>%1</b>").arg(name)
                         : QStringLiteral("<a href='%1' style='text-decoration:none'>%2</a>")
                               .arg(up)
                               .arg(name));
    }
    m_crumbs->setText(html.join(QStringLiteral(" <span style='color:#9ca3af'>›</span> ")));
}

Selection ValueTreePane::currentSelection() const
{
    Selection sel;
    if (!m_file.doc)
        return sel;
    const core::ValueId id = m_model->valueAt(m_view->currentIndex());
    if (core::isNull(id))
        return sel;
    sel.value = id;
    sel.offset = m_file.doc->graph.offset(id);
    sel.pickle = m_file.index ? m_file.index->pickleAt(sel.offset) : -1;
    if (sel.pickle < 0)
        sel.pickle = int(m_file.doc->mainPickle);
    return sel;
}

void ValueTreePane::onCurrentChanged(const QModelIndex& current)
{
    updateBreadcrumb();
    if (m_applying || !m_file.doc || current != m_view->currentIndex())
        return;
    const Selection sel = currentSelection();
    if (sel.hasValue())
        Q_EMIT selectionRequested(sel);
}

void ValueTreePane::onActivated(const QModelIndex& index)
{
    const QVariant link = index.siblingAtColumn(0).data(ValueTreeModel::LinkTargetRole);
    if (!link.isValid())
        return;
    const QModelIndex target = m_model->indexForValue(core::ValueId(link.value<quint32>()));
    if (target.isValid())
        selectIndex(target, true);
}

QString ValueTreePane::currentAccessPath() const
{
    return m_model->accessPath(m_view->currentIndex());
}

void ValueTreePane::copyAccessPath()
{
    const QString path = currentAccessPath();
    if (!path.isEmpty())
        QApplication::clipboard()->setText(path);
}

bool ValueTreePane::expandAll(int maxRows)
{
    bool capped = false;
    QModelIndex start = m_view->currentIndex().siblingAtColumn(0);
    std::deque<std::pair<QModelIndex, int>> queue; // (row, levels below the start)
    if (start.isValid() && m_model->hasChildren(start))
        queue.emplace_back(start, 0);
    else
        queue.emplace_back(m_model->index(0, 0), 0);
    int rows = 0;
    while (!queue.empty() && rows < maxRows) {
        const auto [idx, level] = queue.front();
        queue.pop_front();
        if (!idx.isValid())
            continue;
        if (level >= kViewContext) {
            capped = true; // deeper chains are reached by selecting a row (see selectIndex)
            continue;
        }
        while (m_model->canFetchMore(idx) && m_model->rowCount(idx) + rows < maxRows)
            m_model->fetchMore(idx);
        capped = capped || m_model->canFetchMore(idx);
        m_view->expand(idx);
        const int n = m_model->rowCount(idx);
        rows += n;
        for (int r = 0; r < n; ++r) {
            QModelIndex child = m_model->index(r, 0, idx);
            if (m_model->hasChildren(child))
                queue.emplace_back(child, level + 1);
        }
    }
    return capped || !queue.empty();
}

void ValueTreePane::collapseAll()
{
    m_view->collapseAll();
    const QModelIndex root = m_model->index(0, 0);
    if (root.isValid())
        m_view->expand(root);
}

bool ValueTreePane::selectAccessPath(const QString& path)
{
    const QModelIndex index = m_model->indexForAccessPath(path);
    if (!index.isValid())
        return false;
    selectIndex(index, true);
    return true;
}

void ValueTreePane::startFind()
{
    const QString text = m_find->text().trimmed();
    if (text.isEmpty() || !m_file.doc)
        return;
    m_findWatcher.cancel();
    m_matchText = text;
    m_findStatus->setText(tr("searching…"));
    m_findWatcher.setFuture(QtConcurrent::run(findValues, m_file.doc, text));
}

void ValueTreePane::findNext(bool backwards)
{
    const QString text = m_find->text().trimmed();
    if (text.isEmpty())
        return;
    if (text != m_matchText) {
        startFind();
        return;
    }
    if (m_matches.empty())
        return;
    const int n = int(m_matches.size());
    m_matchIndex
        = backwards ? (m_matchIndex <= 0 ? n - 1 : m_matchIndex - 1) : (m_matchIndex + 1) % n;
    m_findStatus->setText(
        QStringLiteral("%1 / %2%3")
            .arg(m_matchIndex + 1)
            .arg(n)
            .arg(std::size_t(n) >= kMaxMatches ? QStringLiteral("+") : QString()));
    const QModelIndex index = m_model->indexForValue(m_matches[std::size_t(m_matchIndex)]);
    if (index.isValid())
        selectIndex(index, true);
}

void ValueTreePane::showContextMenu(const QPoint& pos)
{
    const QModelIndex index = m_view->indexAt(pos);
    if (!index.isValid())
        return;
    QMenu menu(this);
    menu.addAction(QIcon(QStringLiteral(":/icons/copy.svg")), tr("Copy Access Path"), this,
        [this, index] { QApplication::clipboard()->setText(m_model->accessPath(index)); });
    menu.addAction(tr("Copy Value"), this, [this, index] {
        QApplication::clipboard()->setText(
            index.siblingAtColumn(ValueTreeModel::ValueColumn).data(Qt::ToolTipRole).toString());
    });
    if (index.siblingAtColumn(0).data(ValueTreeModel::LinkTargetRole).isValid())
        menu.addAction(tr("Go to First Appearance"), this, [this, index] { onActivated(index); });
    menu.addSeparator();
    menu.addAction(
        QIcon(QStringLiteral(":/icons/expand.svg")), tr("Expand All Below"), this, [this, index] {
            m_view->setCurrentIndex(index);
            expandAll();
        });
    menu.exec(m_view->viewport()->mapToGlobal(pos));
}

} // namespace ui
