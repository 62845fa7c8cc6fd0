#include "ui/find_bar.h"

#include "ui/match_tree_model.h"
#include "ui/value_tree_model.h"
#include "ui/value_tree_pane.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLayout>
#include <QLineEdit>
#include <QPromise>
#include <QShortcut>
#include <QSplitter>
#include <QStackedWidget>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace ui {

namespace {

constexpr std::size_t kMaxMatches = 100000;

// Shift+Enter in the query box goes back; plain Enter is QLineEdit::returnPressed.
class ShiftEnterFilter : public QObject {
public:
    ShiftEnterFilter(FindBar* bar)
        : QObject(bar)
        , m_bar(bar)
    {
    }
    bool eventFilter(QObject* watched, QEvent* event) override
    {
        if (event->type() == QEvent::KeyPress) {
            const auto* key = static_cast<QKeyEvent*>(event);
            if ((key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter)
                && (key->modifiers() & Qt::ShiftModifier)) {
                m_bar->findPrevious();
                return true;
            }
        }
        return QObject::eventFilter(watched, event);
    }

private:
    FindBar* m_bar;
};

// The layout (at any depth below `root`) that holds `widget` directly, or null.
QLayout* layoutHolding(QLayout* root, QWidget* widget)
{
    std::vector<QLayout*> work;
    if (root)
        work.push_back(root);
    while (!work.empty()) {
        QLayout* l = work.back();
        work.pop_back();
        if (l->indexOf(widget) >= 0)
            return l;
        for (int i = 0; i < l->count(); ++i)
            if (QLayout* sub = l->itemAt(i)->layout())
                work.push_back(sub);
    }
    return nullptr;
}

} // namespace

FindBar::FindBar(ValueTreePane* pane, QWidget* parent)
    : QWidget(parent)
    , m_pane(pane)
    , m_edit(new QLineEdit(this))
    , m_status(new QLabel(this))
    , m_prev(new QToolButton(this))
    , m_next(new QToolButton(this))
    , m_only(new QCheckBox(tr("&Only matches"), this))
    , m_matchView(new QTreeView)
    , m_matchModel(new MatchTreeModel(this))
{
    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(4, 4, 4, 0);
    m_edit->setPlaceholderText(tr("Find: text, or dtype:float16 shape:[*,4096] name:*attn* …"));
    m_edit->setClearButtonEnabled(true);
    m_edit->setToolTip(tr("Plain text, or a query: dtype:, shape:, numel:, name:, class:, type:, "
                          "safety:; spaces = and, | = or, - negates. Enter: find / next, "
                          "Shift+Enter: previous (F3 / Shift+F3)"));
    m_edit->addAction(QIcon(QStringLiteral(":/icons/find.svg")), QLineEdit::LeadingPosition);
    m_edit->installEventFilter(new ShiftEnterFilter(this));
    m_prev->setIcon(QIcon(QStringLiteral(":/icons/up.svg")));
    m_prev->setToolTip(tr("Previous match (Shift+Enter, Shift+F3)"));
    m_next->setIcon(QIcon(QStringLiteral(":/icons/down.svg")));
    m_next->setToolTip(tr("Next match (Enter, F3)"));
    m_prev->setAutoRaise(true);
    m_next->setAutoRaise(true);
    m_status->setMinimumWidth(70);
    m_only->setToolTip(tr("Show only the matches and the values on the way to them (Alt+O)"));
    row->addWidget(m_edit, 1);
    row->addWidget(m_status);
    row->addWidget(m_prev);
    row->addWidget(m_next);
    row->addWidget(m_only);

    m_matchView->setModel(m_matchModel);
    m_matchView->setUniformRowHeights(true);
    m_matchView->setAlternatingRowColors(true);
    m_matchView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_matchView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_matchView->header()->setStretchLastSection(true);
    m_matchView->setColumnWidth(MatchTreeModel::NameColumn, 260);

    connect(m_edit, &QLineEdit::textChanged, this, &FindBar::validate);
    connect(m_edit, &QLineEdit::returnPressed, this, &FindBar::findNext);
    connect(m_next, &QToolButton::clicked, this, &FindBar::findNext);
    connect(m_prev, &QToolButton::clicked, this, &FindBar::findPrevious);
    connect(m_only, &QCheckBox::toggled, this, &FindBar::setOnlyMatches);
    connect(&m_watcher, &QFutureWatcher<Outcome>::finished, this, &FindBar::onFinished);
    // A click in the matches tree selects that value in the value tree (which tells the panes).
    connect(m_matchView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
        [this](const QModelIndex& current) {
            if (m_selecting || !current.isValid())
                return;
            const int match
                = current.siblingAtColumn(0).data(MatchTreeModel::MatchIndexRole).toInt();
            if (match >= 0) {
                go(match);
                return;
            }
            m_pane->selectAccessPath(current.data(MatchTreeModel::AccessPathRole).toString());
        });
    // The pane's document is the one searched: a new (or no) document clears the results.
    connect(m_pane->model(), &QAbstractItemModel::modelReset, this, [this] {
        if (m_pane->file().doc != m_file.doc)
            setDocument(m_pane->file());
    });
    m_file = m_pane->file();
}

FindBar::~FindBar()
{
    m_watcher.cancel();
    m_watcher.waitForFinished();
    if (!m_stack)
        delete m_matchView;
}

FindBar* FindBar::attach(ValueTreePane* pane)
{
    QWidget* holder = pane->parentWidget();
    auto* splitter = qobject_cast<QSplitter*>(holder);
    const int at = splitter ? splitter->indexOf(pane) : -1;
    QLayout* parentLayout = holder ? layoutHolding(holder->layout(), pane) : nullptr;
    const int layoutAt = parentLayout ? parentLayout->indexOf(pane) : -1;

    auto* area = new QWidget;
    area->setObjectName(QStringLiteral("findArea"));
    auto* layout = new QVBoxLayout(area);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    auto* bar = new FindBar(pane, area);
    auto* stack = new QStackedWidget(area);
    layout->addWidget(bar);
    layout->addWidget(stack, 1);
    stack->addWidget(pane); // reparents the pane
    stack->addWidget(bar->m_matchView);
    bar->m_stack = stack;
    if (splitter)
        splitter->insertWidget(at, area);
    else if (auto* box = qobject_cast<QBoxLayout*>(parentLayout))
        box->insertWidget(layoutAt, area, 1);
    else if (holder)
        area->setParent(holder);

    // The pane's own find row (plain text only) gives way to the bar.
    if (QLayout* findRow = layoutHolding(pane->layout(), pane->findBox()))
        for (int i = 0; i < findRow->count(); ++i)
            if (QWidget* w = findRow->itemAt(i)->widget())
                w->hide();
    // F3 / Shift+F3 wherever the focus is in the tree area.
    auto* next = new QShortcut(QKeySequence(Qt::Key_F3), area);
    next->setContext(Qt::WidgetWithChildrenShortcut);
    connect(next, &QShortcut::activated, bar, &FindBar::findNext);
    auto* prev = new QShortcut(QKeySequence(Qt::SHIFT | Qt::Key_F3), area);
    prev->setContext(Qt::WidgetWithChildrenShortcut);
    connect(prev, &QShortcut::activated, bar, &FindBar::findPrevious);
    return bar;
}

void FindBar::setDocument(const LoadedFile& file)
{
    ++m_generation;
    m_watcher.cancel();
    m_file = file;
    m_found.reset();
    m_ranText.clear();
    m_current = -1;
    m_matchModel->clear();
    updateStatus();
}

void FindBar::activate()
{
    m_edit->setFocus(Qt::ShortcutFocusReason);
    m_edit->selectAll();
}

int FindBar::matchCount() const
{
    return m_found ? static_cast<int>(m_found->matches.size()) : 0;
}

void FindBar::validate()
{
    const std::string text = m_edit->text().toStdString();
    auto parsed = core::compare::ValueQuery::parse(text);
    m_error = parsed.ok() ? QString() : QString::fromStdString(parsed.error().message);
    m_edit->setStyleSheet(
        m_error.isEmpty() ? QString() : QStringLiteral("QLineEdit { background: #fff1f2; }"));
    updateStatus();
}

void FindBar::runQuery()
{
    validate();
    const QString text = m_edit->text().trimmed();
    const quint64 generation = ++m_generation;
    m_watcher.cancel();
    m_found.reset();
    m_current = -1;
    m_matchModel->clear();
    m_ranText = text;
    if (!m_error.isEmpty() || text.isEmpty() || !m_file.doc) {
        updateStatus();
        return;
    }
    auto parsed = core::compare::ValueQuery::parse(text.toStdString());
    m_status->setText(tr("searching…"));
    m_watcher.setFuture(QtConcurrent::run(
        [generation](QPromise<Outcome>& promise, std::shared_ptr<const core::Document> doc,
            core::compare::ValueQuery query) {
            auto found
                = std::make_shared<core::compare::TreeFind>(core::compare::findInTree(doc->graph,
                    doc->root, query, kMaxMatches, [&promise] { return promise.isCanceled(); }));
            if (!found->cancelled)
                promise.addResult(Outcome { generation, std::move(found) });
        },
        m_file.doc, std::move(parsed).value()));
}

void FindBar::onFinished()
{
    if (m_watcher.isCanceled() || m_watcher.future().resultCount() == 0)
        return;
    Outcome outcome = m_watcher.result();
    // Results of an older query, or of a document no longer shown, are dropped.
    if (outcome.generation != m_generation || !outcome.found)
        return;
    m_found = std::move(outcome.found);
    m_matchModel->setMatches(m_file.doc, m_found);
    m_matchView->expandAll();
    m_current = -1;
    updateStatus();
    Q_EMIT finished(matchCount());
    if (matchCount() > 0)
        go(0);
}

void FindBar::findNext()
{
    if (m_edit->text().trimmed() != m_ranText || !m_found) {
        if (!m_watcher.isRunning() || m_edit->text().trimmed() != m_ranText)
            runQuery();
        return;
    }
    if (matchCount() > 0)
        go((m_current + 1) % matchCount());
}

void FindBar::findPrevious()
{
    if (m_edit->text().trimmed() != m_ranText || !m_found) {
        findNext();
        return;
    }
    if (matchCount() > 0)
        go(m_current <= 0 ? matchCount() - 1 : m_current - 1);
}

void FindBar::go(int match)
{
    if (!m_found || match < 0 || match >= matchCount())
        return;
    m_current = match;
    updateStatus();
    const core::compare::TreeMatch& m = m_found->matches[std::size_t(match)];
    // The tree's own select-by-path; the display-row path when the text form is ambiguous.
    if (!m_pane->selectAccessPath(QString::fromStdString(m.path))) {
        std::vector<std::size_t> rows;
        for (const core::compare::TreeStep& s : m.steps)
            rows.push_back(s.row);
        const QModelIndex index = m_pane->model()->indexForPath(rows);
        if (index.isValid()) {
            for (QModelIndex p = index.parent(); p.isValid(); p = p.parent())
                m_pane->view()->expand(p);
            m_pane->view()->setCurrentIndex(index);
            m_pane->view()->scrollTo(index);
        }
    }
    m_selecting = true;
    const QModelIndex row = m_matchModel->indexForMatch(match);
    m_matchView->setCurrentIndex(row);
    m_matchView->scrollTo(row);
    m_selecting = false;
}

void FindBar::setOnlyMatches(bool on)
{
    if (m_only->isChecked() != on)
        m_only->setChecked(on); // comes back here through toggled
    else if (m_stack)
        m_stack->setCurrentWidget(
            on ? static_cast<QWidget*>(m_matchView) : static_cast<QWidget*>(m_pane));
}

void FindBar::updateStatus()
{
    QString text;
    QString style = QStringLiteral("color: #6b7280;");
    if (!m_error.isEmpty()) {
        text = m_error;
        style = QStringLiteral("color: #be123c;");
    } else if (m_watcher.isRunning() && !m_found && !m_ranText.isEmpty()) {
        text = tr("searching…");
    } else if (m_found) {
        const int n = matchCount();
        const QString more = m_found->truncated ? QStringLiteral("+") : QString();
        text = n == 0       ? tr("no matches")
            : m_current < 0 ? tr("%L1%2 matches").arg(n).arg(more)
                            : tr("%L1 / %L2%3").arg(m_current + 1).arg(n).arg(more);
    }
    m_status->setText(text);
    m_status->setStyleSheet(style);
    m_prev->setEnabled(matchCount() > 1);
    m_next->setEnabled(matchCount() > 1);
}

} // namespace ui
