#include "ui/start_page.h"

#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

namespace ui {

StartPage::StartPage(QWidget* parent)
    : QWidget(parent)
    , m_sample(new QPushButton(QIcon(QStringLiteral(":/icons/sample.svg")), tr("Open Sample Checkpoint"), this))
    , m_recent(new QListWidget(this))
{
    setObjectName(QStringLiteral("startPage"));
    auto* outer = new QHBoxLayout(this);
    outer->addStretch(1);
    auto* column = new QVBoxLayout;
    column->addStretch(1);

    auto* head = new QHBoxLayout;
    auto* logo = new QLabel(this);
    logo->setPixmap(QIcon(QStringLiteral(":/icons/picklescope.svg")).pixmap(72, 72));
    head->addWidget(logo);
    auto* titles = new QVBoxLayout;
    auto* title = new QLabel(tr("PickleScope"), this);
    title->setStyleSheet(QStringLiteral("font-size: 24pt; font-weight: 600;"));
    auto* subtitle = new QLabel(tr("Look inside Python pickles and PyTorch checkpoints — safely. "
                                   "Nothing in the file is ever executed."),
        this);
    subtitle->setWordWrap(true);
    subtitle->setStyleSheet(QStringLiteral("color: #4b5563; font-size: 11pt;"));
    titles->addWidget(title);
    titles->addWidget(subtitle);
    head->addLayout(titles, 1);
    column->addLayout(head);
    column->addSpacing(18);

    auto* buttons = new QHBoxLayout;
    auto* open = new QPushButton(QIcon(QStringLiteral(":/icons/open.svg")), tr("Open File…"), this);
    open->setDefault(true);
    open->setToolTip(tr("Open a .pkl, .pickle, .pt, .pth, .bin or .ckpt file (Ctrl+O)"));
    m_sample->setToolTip(tr("Open the small PyTorch checkpoint bundled with PickleScope"));
    for (QPushButton* b : { open, m_sample }) {
        b->setMinimumHeight(36);
        b->setIconSize(QSize(20, 20));
        buttons->addWidget(b);
    }
    buttons->addStretch(1);
    column->addLayout(buttons);
    column->addSpacing(18);

    auto* recentTitle = new QLabel(tr("<b>Recent files</b>"), this);
    column->addWidget(recentTitle);
    m_recent->setMinimumHeight(160);
    m_recent->setAlternatingRowColors(true);
    m_recent->setToolTip(tr("Double-click to open"));
    column->addWidget(m_recent);
    auto* hint = new QLabel(tr("Tip: drop a file anywhere on this window, or run <code>picklescope FILE</code>."), this);
    hint->setStyleSheet(QStringLiteral("color: #6b7280;"));
    column->addWidget(hint);
    column->addStretch(2);

    auto* holder = new QWidget(this);
    holder->setLayout(column);
    holder->setMaximumWidth(680);
    holder->setMinimumWidth(480);
    outer->addWidget(holder, 3);
    outer->addStretch(1);

    connect(open, &QPushButton::clicked, this, &StartPage::openRequested);
    connect(m_sample, &QPushButton::clicked, this, &StartPage::sampleRequested);
    connect(m_recent, &QListWidget::itemActivated, this,
        [this](QListWidgetItem* item) { Q_EMIT recentRequested(item->data(Qt::UserRole).toString()); });
}

void StartPage::setRecentFiles(const QStringList& files)
{
    m_recent->clear();
    for (const QString& path : files) {
        QFileInfo info(path);
        auto* item = new QListWidgetItem(QIcon(QStringLiteral(":/icons/file.svg")),
            info.fileName() + QStringLiteral("   —   ") + info.absolutePath());
        item->setData(Qt::UserRole, path);
        item->setToolTip(path);
        m_recent->addItem(item);
    }
    if (files.isEmpty()) {
        auto* item = new QListWidgetItem(tr("No recent files yet"));
        item->setFlags(Qt::NoItemFlags);
        m_recent->addItem(item);
    }
}

void StartPage::setSampleAvailable(bool available)
{
    m_sample->setEnabled(available);
    if (!available)
        m_sample->setToolTip(tr("The sample checkpoint was not found (resources/samples/sample_checkpoint.pt)"));
}

} // namespace ui
