#include "ui/compare_window.h"

#include "core/loader.h"
#include "core/torch/tensor_view.h"

#include <QCheckBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHash>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPainter>
#include <QPixmap>
#include <QScrollBar>
#include <QSpinBox>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>

namespace ui {

namespace {

constexpr int kEntryRole = Qt::UserRole + 1;
constexpr int kSliceCells = 64; // heatmap: at most 64 x 64 elements of the slice
constexpr int kHeatmapPixels = 256;
constexpr std::uint64_t kHistogramElements = std::uint64_t(1) << 20;

QString shapeText(const std::vector<std::int64_t>& shape)
{
    QStringList dims;
    for (auto d : shape)
        dims << QString::number(d);
    return "[" + dims.join(", ") + "]";
}

bool isTensorEntry(const core::compare::Entry& e)
{
    return e.kind == core::compare::EntryKind::Tensor
        || e.kind == core::compare::EntryKind::NdArray;
}

QString sideText(const core::compare::Entry& e, const core::compare::EntrySide& s)
{
    if (isTensorEntry(e))
        return QString::fromStdString(s.type) + " " + shapeText(s.shape);
    return QString::fromStdString(s.repr.empty() ? s.type : s.repr);
}

// The entry whose path is the longest proper prefix of `path` ending before a segment.
int parentEntry(const QHash<QString, int>& byPath, const QString& path)
{
    for (qsizetype i = path.size() - 1; i > 0; --i) {
        if (path[i] != '[' && path[i] != '.')
            continue;
        const auto it = byPath.constFind(path.left(i));
        if (it != byPath.constEnd())
            return it.value();
    }
    return -1;
}

} // namespace

CompareWindow::CompareWindow(QWidget* parent)
    : QWidget(parent, Qt::Window)
{
    setWindowTitle(tr("Compare"));
    auto* layout = new QVBoxLayout(this);
    auto* top = new QHBoxLayout;
    m_summary = new QLabel(tr("Comparing…"), this);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_onlyDifferences = new QCheckBox(tr("Only differences"), this);
    top->addWidget(m_summary, 1);
    top->addWidget(m_onlyDifferences);
    layout->addLayout(top);

    auto* split = new QSplitter(Qt::Vertical, this);
    auto* trees = new QSplitter(Qt::Horizontal, split);
    for (QTreeWidget** tree : { &m_treeA, &m_treeB }) {
        *tree = new QTreeWidget(trees);
        (*tree)->setColumnCount(4);
        (*tree)->setHeaderLabels({ tr("Key"), tr("Status"), tr("Value"), tr("max |a−b|") });
        (*tree)->setUniformRowHeights(true);
        (*tree)->header()->setSectionResizeMode(QHeaderView::Interactive);
        (*tree)->setColumnWidth(0, 220);
        (*tree)->setColumnWidth(1, 70);
        (*tree)->setColumnWidth(2, 170);
    }
    auto* details = new QWidget(split);
    auto* dl = new QHBoxLayout(details);
    auto* textColumn = new QVBoxLayout;
    m_entryText = new QLabel(details);
    m_entryText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_entryText->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_entryText->setWordWrap(true);
    auto* sliceRow = new QHBoxLayout;
    sliceRow->addWidget(new QLabel(tr("Slice index (first dimension):"), details));
    m_sliceIndex = new QSpinBox(details);
    m_sliceIndex->setEnabled(false);
    sliceRow->addWidget(m_sliceIndex);
    sliceRow->addStretch(1);
    textColumn->addWidget(m_entryText, 1);
    textColumn->addLayout(sliceRow);
    dl->addLayout(textColumn, 1);
    m_heatmap = new QLabel(details);
    m_heatmap->setMinimumSize(kHeatmapPixels, kHeatmapPixels);
    m_heatmap->setAlignment(Qt::AlignCenter);
    m_heatmap->setToolTip(tr("a − b on the slice: red a > b, blue a < b, white equal"));
    m_histogram = new QLabel(details);
    m_histogram->setMinimumSize(320, 160);
    m_histogram->setAlignment(Qt::AlignCenter);
    m_histogram->setToolTip(tr("Histogram of a − b"));
    dl->addWidget(m_heatmap);
    dl->addWidget(m_histogram);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    layout->addWidget(split, 1);
    resize(1100, 760);

    connect(m_onlyDifferences, &QCheckBox::toggled, this, [this] { applyFilter(); });
    connect(m_sliceIndex, &QSpinBox::valueChanged, this, [this] { drawDetails(); });
    for (QTreeWidget* tree : { m_treeA, m_treeB }) {
        connect(tree, &QTreeWidget::currentItemChanged, this, [this, tree](QTreeWidgetItem* item) {
            if (m_syncing || item == nullptr)
                return;
            const int index = item->data(0, kEntryRole).toInt();
            QTreeWidget* other = tree == m_treeA ? m_treeB : m_treeA;
            m_syncing = true;
            for (QTreeWidgetItemIterator it(other); *it; ++it) {
                if ((*it)->data(0, kEntryRole).toInt() == index) {
                    other->setCurrentItem(*it);
                    other->scrollToItem(*it);
                    break;
                }
            }
            m_syncing = false;
            showEntry(index);
        });
    }
    // the two trees scroll together
    connect(m_treeA->verticalScrollBar(), &QScrollBar::valueChanged, m_treeB->verticalScrollBar(),
        &QScrollBar::setValue);
    connect(m_treeB->verticalScrollBar(), &QScrollBar::valueChanged, m_treeA->verticalScrollBar(),
        &QScrollBar::setValue);
    connect(&m_watcher, &QFutureWatcher<Outcome>::finished, this, [this] {
        const Outcome outcome = m_watcher.result();
        if (!outcome.comparison) {
            m_summary->setText(tr("Could not compare: %1").arg(outcome.error));
            return;
        }
        setComparison(m_a, m_b, std::move(*outcome.comparison));
    });
}

CompareWindow::~CompareWindow()
{
    m_watcher.waitForFinished();
}

QColor CompareWindow::statusColor(core::compare::Status status)
{
    using core::compare::Status;
    switch (status) {
    case Status::Same:
        return QColor(Qt::transparent);
    case Status::Close:
        return QColor(0xd8, 0xf0, 0xd0);
    case Status::Changed:
        return QColor(0xf6, 0xc6, 0xc0);
    case Status::DType:
    case Status::Shape:
        return QColor(0xf8, 0xdc, 0xa8);
    case Status::OnlyA:
    case Status::OnlyB:
        return QColor(0xcc, 0xdc, 0xf4);
    }
    return QColor(Qt::transparent);
}

void CompareWindow::compare(std::shared_ptr<const core::Document> a,
    std::shared_ptr<const core::Document> b, const core::compare::CompareOptions& options)
{
    m_watcher.waitForFinished();
    m_a = std::move(a);
    m_b = std::move(b);
    setWindowTitle(
        tr("Compare %1 with %2")
            .arg(QString::fromStdString(m_a->fileName), QString::fromStdString(m_b->fileName)));
    m_summary->setText(tr("Comparing…"));
    m_watcher.setFuture(QtConcurrent::run([a = m_a, b = m_b, options] {
        auto result = core::compare::compareDocuments(a, b, options);
        Outcome outcome;
        if (result.ok())
            outcome.comparison
                = std::make_shared<core::compare::Comparison>(std::move(result).value());
        else
            outcome.error = QString::fromStdString(result.error().message);
        return outcome;
    }));
}

void CompareWindow::setComparison(std::shared_ptr<const core::Document> a,
    std::shared_ptr<const core::Document> b, core::compare::Comparison comparison)
{
    m_a = std::move(a);
    m_b = std::move(b);
    m_comparison = std::move(comparison);
    setWindowTitle(
        tr("Compare %1 with %2")
            .arg(QString::fromStdString(m_a->fileName), QString::fromStdString(m_b->fileName)));
    rebuild();
    Q_EMIT compared();
}

QString CompareWindow::summaryText() const
{
    return m_summary->text();
}

bool CompareWindow::onlyDifferences() const
{
    return m_onlyDifferences->isChecked();
}

void CompareWindow::setOnlyDifferences(bool only)
{
    m_onlyDifferences->setChecked(only);
}

void CompareWindow::rebuild()
{
    const auto& c = m_comparison;
    QStringList counts;
    for (std::size_t s = 0; s < core::compare::kStatusCount; ++s)
        counts << QStringLiteral("%1 %2")
                      .arg(c.counts[s])
                      .arg(QString::fromUtf8(
                          core::compare::statusName(static_cast<core::compare::Status>(s))));
    m_summary->setText(
        tr("<b>a</b> %1 · <b>b</b> %2 — %3 paths: %4 — %5 tensor pairs, %6 MB in %7 s")
            .arg(QString::fromStdString(m_a->fileName).toHtmlEscaped(),
                QString::fromStdString(m_b->fileName).toHtmlEscaped())
            .arg(c.entries.size())
            .arg(counts.join(", "))
            .arg(c.tensorsCompared)
            .arg(double(c.bytesCompared) / 1e6, 0, 'f', 1)
            .arg(c.seconds, 0, 'f', 3));
    m_treeA->clear();
    m_treeB->clear();
    QHash<QString, int> byPath;
    QHash<int, QTreeWidgetItem*> itemsA, itemsB;
    for (std::size_t i = 0; i < c.entries.size(); ++i) {
        const core::compare::Entry& e = c.entries[i];
        const QString path = QString::fromStdString(e.path);
        const int parent = parentEntry(byPath, path);
        byPath.insert(path, int(i));
        const QString parentPath
            = parent >= 0 ? QString::fromStdString(c.entries[std::size_t(parent)].path) : QString();
        const QString label = parent >= 0 ? path.mid(parentPath.size()) : path;
        const QColor colour = statusColor(e.status);
        const QString status = QString::fromUtf8(core::compare::statusName(e.status));
        const QString maxAbs = e.compared && e.status != core::compare::Status::Same
            ? QString::number(e.maxAbs, 'g', 4)
            : QString();
        for (auto* map : { &itemsA, &itemsB }) {
            const bool sideA = map == &itemsA;
            if ((sideA && e.status == core::compare::Status::OnlyB)
                || (!sideA && e.status == core::compare::Status::OnlyA))
                continue;
            QTreeWidgetItem* parentItem = parent >= 0 ? map->value(parent, nullptr) : nullptr;
            QTreeWidget* tree = sideA ? m_treeA : m_treeB;
            auto* item = parentItem ? new QTreeWidgetItem(parentItem) : new QTreeWidgetItem(tree);
            item->setText(0, label);
            item->setText(1, status);
            item->setText(2, sideText(e, sideA ? e.a : e.b));
            item->setText(3, maxAbs);
            item->setToolTip(0, path);
            item->setData(0, kEntryRole, int(i));
            if (colour.alpha() != 0)
                for (int col = 0; col < 4; ++col)
                    item->setBackground(col, colour);
            map->insert(int(i), item);
        }
    }
    m_treeA->expandAll();
    m_treeB->expandAll();
    applyFilter();
    m_current = -1;
    showEntry(-1);
}

void CompareWindow::applyFilter()
{
    const bool only = m_onlyDifferences->isChecked();
    const auto& entries = m_comparison.entries;
    // an entry stays visible when it or something below it differs (parents come before children)
    std::vector<char> differs(entries.size(), 0);
    QHash<QString, int> byPath;
    std::vector<int> parents(entries.size(), -1);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const QString path = QString::fromStdString(entries[i].path);
        parents[i] = parentEntry(byPath, path);
        byPath.insert(path, int(i));
        differs[i] = entries[i].status != core::compare::Status::Same;
    }
    for (std::size_t i = entries.size(); i-- > 0;)
        if (differs[i] && parents[i] >= 0)
            differs[std::size_t(parents[i])] = 1;
    for (QTreeWidget* tree : { m_treeA, m_treeB })
        for (QTreeWidgetItemIterator it(tree); *it; ++it)
            (*it)->setHidden(only && !differs[std::size_t((*it)->data(0, kEntryRole).toInt())]);
}

bool CompareWindow::selectPath(const QString& path)
{
    for (QTreeWidget* tree : { m_treeA, m_treeB }) {
        for (QTreeWidgetItemIterator it(tree); *it; ++it) {
            const int index = (*it)->data(0, kEntryRole).toInt();
            if (QString::fromStdString(m_comparison.entries[std::size_t(index)].path) == path) {
                tree->setCurrentItem(*it);
                return true;
            }
        }
    }
    return false;
}

void CompareWindow::showEntry(int index)
{
    m_current = index;
    if (index < 0 || std::size_t(index) >= m_comparison.entries.size()) {
        m_entryText->setText(tr("Select a row to see how the two values differ."));
        m_sliceIndex->setEnabled(false);
        drawDetails();
        return;
    }
    const core::compare::Entry& e = m_comparison.entries[std::size_t(index)];
    QString text = "<b>" + QString::fromStdString(e.path).toHtmlEscaped() + "</b><br>"
        + tr("status: %1").arg(QString::fromUtf8(core::compare::statusName(e.status)));
    if (!core::isNull(e.a.id))
        text += "<br>a: " + sideText(e, e.a).toHtmlEscaped();
    if (!core::isNull(e.b.id))
        text += "<br>b: " + sideText(e, e.b).toHtmlEscaped();
    if (e.compared)
        text += "<br>"
            + tr("max |a−b| %1 · max rel %2 · %3 elements out of tolerance")
                  .arg(e.maxAbs, 0, 'g', 6)
                  .arg(e.maxRel, 0, 'g', 6)
                  .arg(e.mismatched);
    if (!e.firstMismatch.empty()) {
        QStringList c;
        for (auto v : e.firstMismatch)
            c << QString::number(v);
        text += "<br>" + tr("first mismatch at [%1]").arg(c.join(", "));
    }
    if (!e.sharedWith.empty())
        text += "<br>"
            + tr("shares its storage with %1")
                  .arg(QString::fromStdString(e.sharedWith).toHtmlEscaped());
    if (!e.note.empty())
        text += "<br>" + QString::fromStdString(e.note).toHtmlEscaped();
    m_entryText->setText(text);
    const bool slices = e.compared && e.a.shape.size() >= 3;
    m_sliceIndex->blockSignals(true);
    m_sliceIndex->setEnabled(slices);
    m_sliceIndex->setRange(0, slices ? int(std::min<std::int64_t>(e.a.shape[0] - 1, 1 << 30)) : 0);
    m_sliceIndex->setValue(0);
    m_sliceIndex->blockSignals(false);
    drawDetails();
}

void CompareWindow::drawDetails()
{
    m_heatmap->setPixmap({});
    m_histogram->setPixmap({});
    m_heatmap->setText(QString());
    m_histogram->setText(QString());
    if (m_current < 0 || std::size_t(m_current) >= m_comparison.entries.size())
        return;
    const core::compare::Entry& e = m_comparison.entries[std::size_t(m_current)];
    if (!e.compared || e.a.shape != e.b.shape || e.a.shape.empty()) {
        m_heatmap->setText(
            isTensorEntry(e) ? tr("(no element-wise difference to draw)") : QString());
        return;
    }
    auto va = core::torch::TensorView::open(m_a, e.a.id);
    auto vb = core::torch::TensorView::open(m_b, e.b.id);
    if (!va.ok() || !vb.ok())
        return;
    const auto& shape = e.a.shape;
    const std::size_t rank = shape.size();
    const std::size_t rowAxis = rank >= 2 ? rank - 2 : 0, colAxis = rank - 1;
    std::vector<std::int64_t> coords(rank, 0);
    if (rank >= 3)
        coords[0] = m_sliceIndex->value();
    const std::int64_t rows = rank >= 2 ? std::min<std::int64_t>(shape[rowAxis], kSliceCells) : 1;
    const std::int64_t cols
        = std::min<std::int64_t>(shape[colAxis], rank >= 2 ? kSliceCells : kSliceCells * 4);
    auto sa = va->slice2D(coords, rowAxis, colAxis, 0, rows, 0, cols);
    auto sb = vb->slice2D(coords, rowAxis, colAxis, 0, rows, 0, cols);
    if (sa.ok() && sb.ok() && rows > 0 && cols > 0) {
        std::vector<double> d(sa->size());
        double maxAbs = 0;
        for (std::size_t i = 0; i < d.size(); ++i) {
            d[i] = (*sa)[i] - (*sb)[i];
            if (std::isfinite(d[i]))
                maxAbs = std::max(maxAbs, std::fabs(d[i]));
        }
        QImage image(int(cols), int(rows), QImage::Format_RGB32);
        for (std::int64_t r = 0; r < rows; ++r) {
            for (std::int64_t c = 0; c < cols; ++c) {
                const double v = d[std::size_t(r * cols + c)];
                QRgb rgb = qRgb(255, 255, 255);
                if (std::isnan(v)) {
                    rgb = qRgb(60, 60, 60);
                } else if (maxAbs > 0 && v != 0) {
                    const double t = std::min(1.0, std::fabs(v) / maxAbs);
                    const int fade = int(255 * (1.0 - t));
                    rgb = v > 0 ? qRgb(255, fade, fade) : qRgb(fade, fade, 255);
                }
                image.setPixel(int(c), int(r), rgb);
            }
        }
        const int scale = std::max(1, kHeatmapPixels / int(std::max(rows, cols)));
        QPixmap pix
            = QPixmap::fromImage(image.scaled(int(cols) * scale, std::max(int(rows) * scale, 8)));
        m_heatmap->setPixmap(pix);
        m_heatmap->setToolTip(tr("a − b on rows 0–%1, columns 0–%2 of the slice; |a − b| up to %3")
                                  .arg(rows - 1)
                                  .arg(cols - 1)
                                  .arg(maxAbs, 0, 'g', 4));
    }
    // histogram of a − b over the first elements of the tensor
    const std::uint64_t n = std::min<std::uint64_t>(va->numel(), kHistogramElements);
    std::vector<double> diffs;
    diffs.reserve(std::size_t(n));
    std::vector<double> bufA(core::torch::TensorView::kChunk),
        bufB(core::torch::TensorView::kChunk);
    for (std::uint64_t first = 0; first < n; first += bufA.size()) {
        const std::size_t k = std::size_t(std::min<std::uint64_t>(bufA.size(), n - first));
        va->read(first, k, bufA.data());
        vb->read(first, k, bufB.data());
        for (std::size_t i = 0; i < k; ++i) {
            const double v = bufA[i] - bufB[i];
            if (std::isfinite(v))
                diffs.push_back(v);
        }
    }
    if (diffs.empty())
        return;
    const auto [lo, hi] = std::minmax_element(diffs.begin(), diffs.end());
    const double low = *lo, high = *hi;
    constexpr int kBins = 40;
    std::vector<std::uint64_t> bins(kBins, 0);
    for (double v : diffs) {
        int b = high > low ? int((v - low) / (high - low) * kBins) : kBins / 2;
        bins[std::size_t(std::clamp(b, 0, kBins - 1))]++;
    }
    const std::uint64_t peak = *std::max_element(bins.begin(), bins.end());
    QPixmap pix(320, 160);
    pix.fill(Qt::white);
    QPainter p(&pix);
    const int plotH = 130, barW = 320 / kBins;
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(0x50, 0x78, 0xb4));
    for (int b = 0; b < kBins; ++b) {
        // log scale: differences are mostly zero with a few outliers
        const double h
            = peak > 0 ? std::log1p(double(bins[std::size_t(b)])) / std::log1p(double(peak)) : 0;
        const int px = int(h * (plotH - 4));
        p.drawRect(b * barW, plotH - px, barW - 1, px);
    }
    p.setPen(Qt::black);
    p.drawLine(0, plotH, 320, plotH);
    p.drawText(QRect(2, plotH + 2, 150, 26), Qt::AlignLeft | Qt::AlignVCenter,
        QString::number(low, 'g', 3));
    p.drawText(QRect(168, plotH + 2, 150, 26), Qt::AlignRight | Qt::AlignVCenter,
        QString::number(high, 'g', 3));
    p.drawText(QRect(60, plotH + 2, 200, 26), Qt::AlignCenter,
        tr("a − b, %1 elements (log)").arg(diffs.size()));
    p.end();
    m_histogram->setPixmap(pix);
}

void CompareWindow::compareWithFile(QWidget* parent, std::shared_ptr<const core::Document> a)
{
    if (!a) {
        QMessageBox::information(
            parent, tr("Compare"), tr("Open a file first, then compare it with another."));
        return;
    }
    const QString path = QFileDialog::getOpenFileName(parent, tr("Compare With"), QString(),
        tr("Pickles and checkpoints (*.pt *.pth *.bin *.ckpt *.pkl *.pickle *.npy *.npz "
           "*.safetensors *.joblib);;All files (*)"));
    if (path.isEmpty())
        return;
    compareWithPath(parent, std::move(a), path);
}

CompareWindow* CompareWindow::compareWithPath(
    QWidget* parent, std::shared_ptr<const core::Document> a, const QString& path)
{
    auto* window = new CompareWindow(parent);
    window->setAttribute(Qt::WA_DeleteOnClose);
    window->show();
    using Loaded = std::pair<std::shared_ptr<const core::Document>, QString>; // document or error
    auto* loading = new QFutureWatcher<Loaded>(window);
    connect(loading, &QFutureWatcher<Loaded>::finished, window, [window, loading, a, path] {
        const Loaded loaded = loading->result();
        loading->deleteLater();
        if (!loaded.first) {
            window->m_summary->setText(tr("Could not open %1: %2").arg(path, loaded.second));
            return;
        }
        window->compare(a, loaded.first);
    });
    loading->setFuture(QtConcurrent::run([p = path.toStdString()] {
        auto result = core::loadFile(p);
        return result.ok() ? Loaded(std::move(result).value(), QString())
                           : Loaded(nullptr, QString::fromStdString(result.error().toString()));
    }));
    return window;
}

} // namespace ui
