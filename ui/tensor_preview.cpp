#include "ui/tensor_preview.h"

#include "ui/tensor_charts.h"
#include "ui/value_tree_model.h"

#include "core/value/value_text.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPromise>
#include <QPushButton>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSlider>
#include <QSpinBox>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryFile>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <cmath>
#include <limits>
#include <optional>

namespace ui {

namespace {

bool isComplex(core::DType t)
{
    return t == core::DType::Complex32 || t == core::DType::Complex64
        || t == core::DType::Complex128;
}

class StatsObserver final : public core::LoadObserver {
public:
    StatsObserver(QPromise<TensorStatsOutcome>& promise, int from, int to)
        : m_promise(promise)
        , m_from(from)
        , m_to(to)
    {
    }
    bool isCancelled() const override { return m_promise.isCanceled(); }
    void progress(std::uint64_t done, std::uint64_t total) override
    {
        if (total)
            m_promise.setProgressValue(
                m_from + int((m_to - m_from) * double(std::min(done, total)) / double(total)));
    }

private:
    QPromise<TensorStatsOutcome>& m_promise;
    int m_from, m_to;
};

void computeTensorStats(QPromise<TensorStatsOutcome>& promise, core::torch::TensorView view)
{
    promise.setProgressRange(0, 1000);
    TensorStatsOutcome out;
    StatsObserver observer(promise, 0, 600);
    if (isComplex(view.dtype())) {
        // Real and imaginary parts and |z|; the histogram is of |z|.
        auto complex = view.complexStats(&observer);
        if (promise.isCanceled())
            return;
        if (!complex) {
            out.error = QString::fromStdString(complex.error().toString());
            promise.addResult(out);
            return;
        }
        out.complex = complex.value();
        out.stats = complex->abs;
        const double lo = complex->abs.min, hi = complex->abs.max;
        out.histogram.assign(TensorPreview::kHistogramBins, 0);
        const std::uint64_t n = view.numel();
        if (n > 0 && std::isfinite(lo) && std::isfinite(hi)) {
            const double span = hi > lo ? hi - lo : 1.0;
            for (std::uint64_t i = 0; i < n; ++i) {
                if ((i & 0xFFFF) == 0) {
                    if (promise.isCanceled())
                        return;
                    promise.setProgressValue(600 + int(400.0 * double(i) / double(n)));
                }
                const auto [re, im] = view.elementComplex(i);
                const double v = std::hypot(re, im);
                if (!std::isfinite(v))
                    continue;
                const int bin = std::clamp(int((v - lo) / span * TensorPreview::kHistogramBins), 0,
                    TensorPreview::kHistogramBins - 1);
                ++out.histogram[std::size_t(bin)];
            }
        }
        promise.addResult(out);
        return;
    }
    auto stats = view.stats(&observer);
    if (promise.isCanceled())
        return;
    if (!stats) {
        out.error = QString::fromStdString(stats.error().toString());
        promise.addResult(out);
        return;
    }
    out.stats = stats.value();
    // Histogram over [min, max] of the finite elements.
    const double lo = stats->min, hi = stats->max;
    out.histogram.assign(TensorPreview::kHistogramBins, 0);
    const std::uint64_t n = view.numel();
    if (n > 0 && std::isfinite(lo) && std::isfinite(hi)) {
        const double span = hi > lo ? hi - lo : 1.0;
        constexpr std::size_t kChunk = 1 << 16;
        std::vector<double> buf(kChunk);
        for (std::uint64_t first = 0; first < n; first += kChunk) {
            if (promise.isCanceled())
                return;
            const std::size_t count = std::size_t(std::min<std::uint64_t>(kChunk, n - first));
            view.read(first, count, buf.data());
            for (std::size_t i = 0; i < count; ++i) {
                const double v = buf[i];
                if (!std::isfinite(v))
                    continue;
                int bin = int((v - lo) / span * TensorPreview::kHistogramBins);
                bin = std::clamp(bin, 0, TensorPreview::kHistogramBins - 1);
                ++out.histogram[std::size_t(bin)];
            }
            promise.setProgressValue(600 + int(400.0 * double(first + count) / double(n)));
        }
    }
    promise.addResult(out);
}

TensorSliceModel::Format formatFor(core::DType t)
{
    switch (t) {
    case core::DType::Bool:
        return TensorSliceModel::Format::Bool;
    case core::DType::UInt8:
    case core::DType::Int8:
    case core::DType::Int16:
    case core::DType::Int32:
    case core::DType::Int64:
    case core::DType::UInt16:
    case core::DType::UInt32:
    case core::DType::UInt64:
    case core::DType::Bits8:
    case core::DType::Bits16:
    case core::DType::UntypedByte:
        return TensorSliceModel::Format::Integer;
    default:
        return TensorSliceModel::Format::Float;
    }
}

QString listText(const std::vector<std::int64_t>& v)
{
    QStringList parts;
    for (auto x : v)
        parts << QString::number(x);
    return QStringLiteral("[") + parts.join(QStringLiteral(", ")) + QStringLiteral("]");
}

QString sizeText(std::uint64_t bytes)
{
    return QLocale::c().formattedDataSize(qint64(bytes), 1, QLocale::DataSizeIecFormat);
}

QString row(const QString& key, const QString& value)
{
    return QStringLiteral(
        "<tr><td style='color:#6b7280; padding-right:12px'>%1</td><td>%2</td></tr>")
        .arg(key, value.toHtmlEscaped());
}

} // namespace

TensorPreview::TensorPreview(QWidget* parent)
    : QWidget(parent)
    , m_stack(new QStackedWidget(this))
    , m_placeholder(new QLabel(this))
    , m_title(new QLabel(this))
    , m_info(new QLabel(this))
    , m_stats(new QLabel(this))
    , m_statsProgress(new QProgressBar(this))
    , m_export(new QPushButton(QIcon(QStringLiteral(":/icons/save.svg")), tr("Export .npy…"), this))
    , m_partBox(new QWidget(this))
    , m_part(new QComboBox(this))
    , m_axesBox(new QWidget(this))
    , m_rowAxis(new QComboBox(this))
    , m_colAxis(new QComboBox(this))
    , m_slidersBox(new QWidget(this))
    , m_slidersLayout(new QGridLayout(m_slidersBox))
    , m_tabs(new QTabWidget(this))
    , m_table(new QTableView(this))
    , m_slice(new TensorSliceModel(this))
    , m_heatmap(new HeatmapWidget(this))
    , m_histogram(new HistogramWidget(this))
    , m_remoteBox(new QWidget(this))
    , m_remoteNote(new QLabel(this))
    , m_rowFrom(new QSpinBox(this))
    , m_colFrom(new QSpinBox(this))
    , m_remoteCancel(new QPushButton(tr("Cancel"), this))
    , m_statsButton(new QPushButton(this))
{
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(m_stack);

    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setWordWrap(true);
    m_placeholder->setStyleSheet(QStringLiteral("color: #6b7280; font-size: 11pt; padding: 24px;"));
    m_placeholder->setText(tr("Select a tensor or ndarray in the tree to preview its values."));
    m_stack->addWidget(m_placeholder);

    auto* page = new QWidget(this);
    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(8, 6, 8, 6);
    layout->setSpacing(6);
    auto* header = new QHBoxLayout;
    m_title->setStyleSheet(QStringLiteral("font-size: 12pt; font-weight: 600;"));
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    header->addWidget(m_title, 1);
    auto* partLayout = new QHBoxLayout(m_partBox);
    partLayout->setContentsMargins(0, 0, 0, 0);
    partLayout->addWidget(new QLabel(tr("Heatmap of:"), m_partBox));
    m_part->addItem(tr("Real"), int(TensorSliceModel::Part::Real));
    m_part->addItem(tr("Imag"), int(TensorSliceModel::Part::Imag));
    m_part->addItem(tr("Abs"), int(TensorSliceModel::Part::Abs));
    m_part->setCurrentIndex(2);
    m_part->setToolTip(
        tr("Which part of the complex values the heatmap draws (the table shows 1+2j)"));
    partLayout->addWidget(m_part);
    m_partBox->hide();
    header->addWidget(m_partBox);
    m_export->setToolTip(tr("Write this tensor as a NumPy .npy file (C order)"));
    header->addWidget(m_export);
    layout->addLayout(header);

    auto* infoRow = new QHBoxLayout;
    m_info->setTextFormat(Qt::RichText);
    m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_info->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_stats->setTextFormat(Qt::RichText);
    m_stats->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_stats->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    infoRow->addWidget(m_info, 1);
    auto* statsCol = new QVBoxLayout;
    statsCol->addWidget(m_stats);
    m_statsProgress->setMaximumHeight(14);
    m_statsProgress->setTextVisible(false);
    statsCol->addWidget(m_statsProgress);
    m_statsButton->setToolTip(
        tr("Read every element of this tensor from the server (on a worker; Cancel stops it)"));
    m_statsButton->hide();
    statsCol->addWidget(m_statsButton, 0, Qt::AlignLeft);
    statsCol->addStretch(1);
    infoRow->addLayout(statsCol, 1);
    layout->addLayout(infoRow);

    auto* axes = new QHBoxLayout(m_axesBox);
    axes->setContentsMargins(0, 0, 0, 0);
    axes->addWidget(new QLabel(tr("Rows:"), m_axesBox));
    axes->addWidget(m_rowAxis);
    axes->addSpacing(8);
    axes->addWidget(new QLabel(tr("Columns:"), m_axesBox));
    axes->addWidget(m_colAxis);
    axes->addStretch(1);
    m_rowAxis->setToolTip(tr("Axis shown down the rows"));
    m_colAxis->setToolTip(tr("Axis shown across the columns"));
    layout->addWidget(m_axesBox);
    m_slidersLayout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_slidersBox);

    // Remote tensors: which window of the slice is shown, and what reading it cost.
    auto* remote = new QHBoxLayout(m_remoteBox);
    remote->setContentsMargins(0, 0, 0, 0);
    m_remoteNote->setWordWrap(true);
    m_remoteNote->setStyleSheet(QStringLiteral("color: #4b5563;"));
    remote->addWidget(m_remoteNote, 1);
    remote->addWidget(new QLabel(tr("From row:"), m_remoteBox));
    m_rowFrom->setSingleStep(kWindowRows);
    m_rowFrom->setToolTip(tr("First row of the window shown (only the window is fetched)"));
    remote->addWidget(m_rowFrom);
    remote->addWidget(new QLabel(tr("column:"), m_remoteBox));
    m_colFrom->setSingleStep(kWindowColumns);
    m_colFrom->setToolTip(tr("First column of the window shown (only the window is fetched)"));
    remote->addWidget(m_colFrom);
    m_remoteCancel->setToolTip(tr("Stop waiting for the server (the result is dropped)"));
    m_remoteCancel->hide();
    remote->addWidget(m_remoteCancel);
    m_remoteBox->hide();
    layout->addWidget(m_remoteBox);

    m_table->setModel(m_slice);
    m_table->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->horizontalHeader()->setDefaultSectionSize(92);
    m_table->verticalHeader()->setDefaultSectionSize(QFontMetrics(m_table->font()).height() + 4);
    m_tabs->addTab(m_heatmap, QIcon(QStringLiteral(":/icons/heatmap.svg")), tr("Heatmap"));
    m_tabs->addTab(m_table, QIcon(QStringLiteral(":/icons/table.svg")), tr("Values"));
    m_tabs->addTab(m_histogram, QIcon(QStringLiteral(":/icons/histogram.svg")), tr("Histogram"));
    layout->addWidget(m_tabs, 1);
    m_stack->addWidget(page);

    connect(m_part, &QComboBox::activated, this,
        [this](int i) { setComplexPart(TensorSliceModel::Part(m_part->itemData(i).toInt())); });
    m_heatmap->setDescriber([this](int r, int c) {
        QStringList parts;
        for (auto x : m_slice->coordsOf(r, c))
            parts << QString::number(x);
        return QStringLiteral("[%1] = %2")
            .arg(parts.join(QStringLiteral(", ")), m_slice->textAt(r, c));
    });
    connect(m_rowAxis, &QComboBox::activated, this,
        [this](int) { setAxes(m_rowAxis->currentIndex(), m_colAxis->currentIndex()); });
    connect(m_colAxis, &QComboBox::activated, this,
        [this](int) { setAxes(m_rowAxis->currentIndex(), m_colAxis->currentIndex()); });
    connect(m_export, &QPushButton::clicked, this, [this] {
        QString suggested = m_title->text().section(QLatin1Char(' '), 0, 0);
        suggested.replace(
            QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]+")), QStringLiteral("_"));
        const QString path = QFileDialog::getSaveFileName(this, tr("Export Tensor"),
            suggested.isEmpty() ? QStringLiteral("tensor.npy") : suggested + QStringLiteral(".npy"),
            tr("NumPy array (*.npy)"));
        if (!path.isEmpty())
            exportNpy(path);
    });
    connect(&m_statsWatcher, &QFutureWatcher<TensorStatsOutcome>::progressValueChanged,
        m_statsProgress, &QProgressBar::setValue);
    connect(&m_statsWatcher, &QFutureWatcher<TensorStatsOutcome>::finished, this,
        &TensorPreview::onStatsFinished);
    connect(m_rowFrom, &QSpinBox::valueChanged, this, [this] { requestWindow(); });
    connect(m_colFrom, &QSpinBox::valueChanged, this, [this] { requestWindow(); });
    connect(m_remoteCancel, &QPushButton::clicked, this, &TensorPreview::cancelReading);
    connect(m_statsButton, &QPushButton::clicked, this, &TensorPreview::computeStats);
    connect(&m_windowWatcher, &QFutureWatcher<SliceWindowData>::finished, this,
        &TensorPreview::onWindowRead);
    m_fetchTimer.setInterval(200);
    connect(&m_fetchTimer, &QTimer::timeout, this, &TensorPreview::updateRemoteNote);
    connect(&m_exportWatcher, &QFutureWatcher<QString>::progressValueChanged, this,
        [this](int value) { Q_EMIT exportProgressChanged(value); });
    connect(&m_exportWatcher, &QFutureWatcher<QString>::finished, this, [this] {
        const QString error
            = m_exportWatcher.future().resultCount() ? m_exportWatcher.result() : tr("cancelled");
        m_export->setEnabled(true);
        Q_EMIT tensorExported(m_exportPath, error);
    });
}

TensorPreview::~TensorPreview()
{
    m_statsWatcher.cancel();
    m_windowWatcher.cancel();
    m_statsWatcher.waitForFinished();
    m_windowWatcher.waitForFinished();
    m_exportWatcher.waitForFinished();
}

// Abandons the statistics and window reads of the tensor shown (their results are dropped).
void TensorPreview::dropReads()
{
    m_statsWatcher.cancel();
    m_windowWatcher.cancel();
    ++m_windowGeneration;
    m_window.reset();
    m_remote = nullptr;
    m_fetchTimer.stop();
    m_remoteBox->hide();
    m_remoteCancel->hide();
    m_statsButton->hide();
}

void TensorPreview::setDocument(const LoadedFile& file)
{
    dropReads();
    m_partBox->hide();
    m_file = file;
    m_value = core::kNullValue;
    m_view.reset();
    m_lastStats.reset();
    m_slice->clear();
    m_heatmap->clear();
    m_histogram->clear();
    showMessage(tr("Select a tensor or ndarray in the tree to preview its values."));
}

void TensorPreview::setSelection(const Selection& selection)
{
    if (!selection.hasValue() || !m_file.doc || selection.value == m_value)
        return;
    const core::ValueKind kind = m_file.doc->graph.kind(selection.value);
    if (kind == core::ValueKind::Tensor || kind == core::ValueKind::NdArray)
        showValue(selection.value);
}

void TensorPreview::showMessage(const QString& text)
{
    m_placeholder->setText(text);
    m_stack->setCurrentIndex(0);
}

bool TensorPreview::showValue(core::ValueId id)
{
    dropReads();
    ++m_generation;
    m_value = id;
    m_view.reset();
    m_lastStats.reset();
    m_dataMissing = false;
    m_partBox->hide();
    m_slice->clear();
    m_heatmap->clear();
    m_histogram->clear();
    if (!m_file.doc || core::isNull(id) || !m_file.doc->graph.valid(id))
        return false;
    const core::ValueGraph& graph = m_file.doc->graph;
    const core::ValueKind kind = graph.kind(id);
    if (kind != core::ValueKind::Tensor && kind != core::ValueKind::NdArray) {
        showMessage(tr("Select a tensor or ndarray in the tree to preview its values."));
        return false;
    }

    // Metadata straight from the graph (available even when the data cannot be read).
    QString info = QStringLiteral("<table>");
    QString path;
    if (m_file.index) {
        // The label of the value's first appearance names it.
        const auto a = m_file.index->firstAppearance(id);
        if (a.parent != DocumentIndex::kNoParent)
            path = QString::fromStdString(
                core::displayChild(graph, core::ValueId(a.parent), a.index).label);
    }
    m_title->setText((path.isEmpty() ? QStringLiteral("#%1").arg(core::indexOf(id)) : path)
        + QStringLiteral("  ·  ") + QString::fromStdString(core::typeLabel(graph, id)));
    if (kind == core::ValueKind::Tensor) {
        const core::TensorRecord& t = graph.tensor(id);
        info += row(tr("dtype"),
            QString::fromLatin1(
                core::dtypeName(t.dtype).data(), qsizetype(core::dtypeName(t.dtype).size())));
        info += row(tr("shape"), listText(t.shape));
        info += row(tr("stride"), listText(t.stride));
        info += row(tr("storage offset"), QString::number(t.storageOffset));
        if (!core::isNull(t.storage) && graph.kind(t.storage) == core::ValueKind::Storage) {
            const core::StorageRecord& s = graph.storage(t.storage);
            info += row(tr("storage"),
                QStringLiteral("key %1 · %2 · %L3 elements · %4")
                    .arg(QString::fromUtf8(s.key.data(), qsizetype(s.key.size())))
                    .arg(QString::fromLatin1(core::dtypeName(s.dtype).data(),
                        qsizetype(core::dtypeName(s.dtype).size())))
                    .arg(s.numel)
                    .arg(QString::fromUtf8(s.location.data(), qsizetype(s.location.size()))));
        }
        info += row(
            tr("requires_grad"), t.requiresGrad ? QStringLiteral("True") : QStringLiteral("False"));
    } else {
        const core::NdArrayRecord& a = graph.ndarray(id);
        info += row(
            tr("dtype"), QString::fromUtf8(a.dtypeText.data(), qsizetype(a.dtypeText.size())));
        info += row(tr("shape"), listText(a.shape));
        info += row(tr("order"), a.fortranOrder ? QStringLiteral("Fortran") : QStringLiteral("C"));
        info += row(tr("item size"), QString::number(a.itemSize));
    }

    auto view = core::torch::TensorView::open(m_file.doc, id);
    if (!view) {
        m_dataMissing = ValueTreeModel::isMissingData(graph, id);
        if (m_dataMissing)
            info += QStringLiteral("<tr><td style='color:#b45309; padding-right:12px'>⚠ %1</td><td "
                                   "style='color:#b45309'>%2</td></tr>")
                        .arg(tr("no data"),
                            tr("the bytes of this tensor's storage are not in the file (cut short "
                               "or damaged): "
                               "only its metadata is shown")
                                .toHtmlEscaped());
        else
            info += row(tr("data"), QString::fromStdString(view.error().toString()));
        info += QStringLiteral("</table>");
        m_info->setText(info);
        m_stats->setText(QString());
        m_statsProgress->hide();
        m_axesBox->hide();
        m_slidersBox->hide();
        m_export->setEnabled(false);
        m_stack->setCurrentIndex(1);
        return false;
    }
    m_view = std::move(view).value();
    const double bytes = double(m_view->numel()) * core::dtypeSize(m_view->dtype());
    info += row(tr("elements"), QLocale().toString(qulonglong(m_view->numel())));
    info += row(tr("bytes"),
        QLocale::c().formattedDataSize(qint64(bytes), 1, QLocale::DataSizeTraditionalFormat));
    info += QStringLiteral("</table>");
    m_info->setText(info);
    m_export->setEnabled(true);

    m_remote = remoteSourceOf(*m_file.doc, id);
    if (m_remote != nullptr) {
        // Values come from the window read on a worker (m_window); nothing is read here.
        auto cell = [this](std::span<const std::int64_t> coords) -> std::optional<std::size_t> {
            if (!m_window)
                return std::nullopt;
            const SliceWindow& w = m_window->window;
            std::int64_t r = 0, c = 0;
            if (coords.size() == 1)
                r = coords[0] - w.rowStart;
            else if (coords.size() >= 2) {
                for (std::size_t k = 0; k < coords.size() && k < w.coords.size(); ++k)
                    if (int(k) != w.rowAxis && int(k) != w.colAxis && coords[k] != w.coords[k])
                        return std::nullopt; // another slice than the one read
                r = coords[std::size_t(w.rowAxis)] - w.rowStart;
                c = coords[std::size_t(w.colAxis)] - w.colStart;
            }
            if (r < 0 || c < 0 || r >= w.rows || c >= w.cols)
                return std::nullopt;
            const auto at = std::size_t(r * w.cols + c);
            return at < m_window->values.size() ? std::optional<std::size_t>(at) : std::nullopt;
        };
        if (isComplex(m_view->dtype())) {
            m_slice->setComplexTensor(
                m_view->shape(), [this, cell](std::span<const std::int64_t> coords) {
                    const auto at = cell(coords);
                    if (!at || *at >= m_window->imag.size())
                        return std::pair { std::nan(""), std::nan("") };
                    return std::pair { m_window->values[*at], m_window->imag[*at] };
                });
            m_slice->setPart(TensorSliceModel::Part(m_part->currentData().toInt()));
        } else {
            m_slice->setTensor(
                m_view->shape(),
                [this, cell](std::span<const std::int64_t> coords) {
                    const auto at = cell(coords);
                    return at ? m_window->values[*at] : std::nan("");
                },
                formatFor(m_view->dtype()));
        }
        m_partBox->setVisible(m_slice->isComplex());
        const QSignalBlocker rowBlock(m_rowFrom), colBlock(m_colFrom);
        m_rowFrom->setValue(0);
        m_colFrom->setValue(0);
        m_remoteBox->show();
        rebuildControls();
        m_stack->setCurrentIndex(1);
        requestWindow();
        showStatsOffer();
        return true;
    }
    const core::torch::TensorView captured = *m_view;
    if (isComplex(m_view->dtype())) {
        m_slice->setComplexTensor(
            m_view->shape(), [captured](std::span<const std::int64_t> coords) {
                // Row-major logical index of the coordinates.
                const auto& shape = captured.shape();
                std::uint64_t index = 0;
                for (std::size_t k = 0; k < shape.size() && k < coords.size(); ++k) {
                    if (coords[k] < 0 || coords[k] >= shape[k])
                        return std::pair { std::nan(""), std::nan("") };
                    index = index * std::uint64_t(shape[k]) + std::uint64_t(coords[k]);
                }
                return captured.elementComplex(index);
            });
        m_slice->setPart(TensorSliceModel::Part(m_part->currentData().toInt()));
    } else {
        m_slice->setTensor(
            m_view->shape(),
            [captured](std::span<const std::int64_t> coords) { return captured.elementAt(coords); },
            formatFor(m_view->dtype()));
    }
    m_partBox->setVisible(m_slice->isComplex());
    rebuildControls();
    refreshSlice();
    m_stack->setCurrentIndex(1);
    startStats();
    return true;
}

void TensorPreview::rebuildControls()
{
    for (QSlider* s : m_sliders)
        s->deleteLater();
    m_sliders.clear();
    while (QLayoutItem* item = m_slidersLayout->takeAt(0)) {
        if (item->widget())
            item->widget()->deleteLater();
        delete item;
    }
    const auto& shape = m_slice->shape();
    const int rank = int(shape.size());
    m_rowAxis->clear();
    m_colAxis->clear();
    for (int i = 0; i < rank; ++i) {
        const QString label = tr("dim %1 (%2)").arg(i).arg(shape[std::size_t(i)]);
        m_rowAxis->addItem(label);
        m_colAxis->addItem(label);
    }
    m_axesBox->setVisible(rank >= 2);
    if (rank >= 2) {
        m_rowAxis->setCurrentIndex(m_slice->rowAxis());
        m_colAxis->setCurrentIndex(m_slice->colAxis());
    }
    int gridRow = 0;
    for (int axis = 0; axis < rank; ++axis) {
        if (rank >= 2 && (axis == m_slice->rowAxis() || axis == m_slice->colAxis()))
            continue;
        if (rank < 2)
            continue;
        auto* label = new QLabel(m_slidersBox);
        auto* slider = new QSlider(Qt::Horizontal, m_slidersBox);
        slider->setRange(0, int(std::max<std::int64_t>(0, shape[std::size_t(axis)] - 1)));
        slider->setValue(int(m_slice->fixedCoords()[std::size_t(axis)]));
        slider->setProperty("axis", axis);
        slider->setToolTip(tr("Index along dim %1").arg(axis));
        label->setText(
            tr("dim %1: %2 / %3").arg(axis).arg(slider->value()).arg(shape[std::size_t(axis)] - 1));
        connect(slider, &QSlider::valueChanged, this, [this, axis, label, shape](int value) {
            label->setText(
                tr("dim %1: %2 / %3").arg(axis).arg(value).arg(shape[std::size_t(axis)] - 1));
            setFixedIndex(axis, value);
        });
        m_slidersLayout->addWidget(label, gridRow, 0);
        m_slidersLayout->addWidget(slider, gridRow, 1);
        m_sliders.push_back(slider);
        ++gridRow;
    }
    m_slidersBox->setVisible(gridRow > 0);
    // The window's start: any row / column of the slice (rank 1: rows only).
    const std::int64_t rows
        = rank == 0 ? 1 : shape[std::size_t(rank == 1 ? 0 : m_slice->rowAxis())];
    const std::int64_t cols = rank >= 2 ? shape[std::size_t(m_slice->colAxis())] : 1;
    const QSignalBlocker rowBlock(m_rowFrom), colBlock(m_colFrom);
    m_rowFrom->setRange(
        0, int(std::clamp<std::int64_t>(rows - 1, 0, std::numeric_limits<int>::max())));
    m_colFrom->setRange(
        0, int(std::clamp<std::int64_t>(cols - 1, 0, std::numeric_limits<int>::max())));
    m_colFrom->setEnabled(rank >= 2);
}

void TensorPreview::setAxes(int rowAxis, int colAxis)
{
    if (rowAxis == colAxis) {
        // Swap instead of refusing: picking the other axis's dim exchanges them.
        if (rowAxis == m_slice->colAxis())
            colAxis = m_slice->rowAxis();
        else
            rowAxis = m_slice->colAxis();
    }
    m_slice->setAxes(rowAxis, colAxis);
    rebuildControls();
    refreshSlice();
}

void TensorPreview::setFixedIndex(int axis, std::int64_t index)
{
    m_slice->setFixedIndex(axis, index);
    refreshSlice();
}

void TensorPreview::refreshSlice()
{
    if (m_remote != nullptr)
        requestWindow(); // draws when the window arrives
    else
        drawHeatmap();
}

void TensorPreview::drawHeatmap()
{
    const auto& shape = m_slice->shape();
    if (!m_view) {
        m_heatmap->clear();
        return;
    }
    if (shape.size() == 1) {
        // A vector draws as one strip.
        m_heatmap->setSlice(
            1, m_slice->rowCount(), [this](int, int c) { return m_slice->valueAt(c, 0); });
    } else {
        m_heatmap->setSlice(m_slice->rowCount(), m_slice->columnCount(),
            [this](int r, int c) { return m_slice->valueAt(r, c); });
    }
    applyStatsRange();
}

void TensorPreview::startStats()
{
    if (!m_view)
        return;
    m_stats->setText(tr("<span style='color:#6b7280'>Computing statistics…</span>"));
    m_statsProgress->setRange(0, 1000);
    m_statsProgress->setValue(0);
    m_statsProgress->show();
    m_statsWatcher.setFuture(QtConcurrent::run(computeTensorStats, *m_view));
}

void TensorPreview::onStatsFinished()
{
    if (m_statsWatcher.isCanceled() || m_statsWatcher.future().resultCount() == 0)
        return;
    m_statsProgress->hide();
    m_statsButton->hide();
    if (!isReading()) {
        m_remoteCancel->hide();
        m_fetchTimer.stop();
    }
    const TensorStatsOutcome out = m_statsWatcher.result();
    if (!out.stats) {
        m_stats->setText(tr("<span style='color:#b91c1c'>Statistics failed: %1</span>")
                             .arg(out.error.toHtmlEscaped()));
        Q_EMIT statsFinished(false);
        return;
    }
    m_lastStats = out;
    const core::torch::TensorStats& s = *out.stats;
    auto num = [](double v) {
        return TensorSliceModel::formatNumber(v, TensorSliceModel::Format::Float);
    };
    QString text = QStringLiteral("<table>");
    if (out.complex && s.count > 0) {
        const auto& c = *out.complex;
        auto row3 = [&](const QString& key, double re, double im, double ab) {
            return QStringLiteral(
                "<tr><td style='color:#6b7280; padding-right:12px'>%1</td><td align=right>%2</td>"
                "<td align=right style='padding-left:10px'>%3</td><td align=right "
                "style='padding-left:10px'>%4</td></tr>")
                .arg(key, num(re), num(im), num(ab));
        };
        text += QStringLiteral("<tr><td></td><td align=right style='color:#6b7280'>%1</td><td "
                               "align=right style='color:#6b7280'>%2</td>"
                               "<td align=right style='color:#6b7280'>%3</td></tr>")
                    .arg(tr("real"), tr("imag"), tr("|z|"));
        text += row3(tr("min"), c.real.min, c.imag.min, c.abs.min);
        text += row3(tr("max"), c.real.max, c.imag.max, c.abs.max);
        text += row3(tr("mean"), c.real.mean, c.imag.mean, c.abs.mean);
        text += row3(tr("std"), c.real.stddev, c.imag.stddev, c.abs.stddev);
        text += row(tr("zeros"),
            QStringLiteral("%L1 (%2%)")
                .arg(c.abs.zeroCount)
                .arg(100.0 * double(c.abs.zeroCount) / double(s.count), 0, 'f', 1));
        text += row(tr("NaN / Inf"),
            QStringLiteral("%L1 / %L2")
                .arg(std::max(c.real.nanCount, c.imag.nanCount))
                .arg(std::max(c.real.infCount, c.imag.infCount)));
    } else if (s.count == 0) {
        text += row(tr("elements"), tr("none (empty tensor)"));
    } else {
        text += row(tr("min"), num(s.min));
        text += row(tr("max"), num(s.max));
        text += row(tr("mean"), num(s.mean));
        text += row(tr("std"), num(s.stddev));
        text += row(tr("zeros"),
            QStringLiteral("%L1 (%2%)")
                .arg(s.zeroCount)
                .arg(100.0 * double(s.zeroCount) / double(s.count), 0, 'f', 1));
        text += row(tr("NaN / Inf"), QStringLiteral("%L1 / %L2").arg(s.nanCount).arg(s.infCount));
    }
    text += QStringLiteral("</table>");
    m_stats->setText(text);
    if (s.count > 0)
        m_histogram->setHistogram(out.histogram, s.min, s.max);
    applyStatsRange();
    Q_EMIT statsFinished(true);
}

// When the heatmap shows the whole tensor (rank <= 2), colour it by the statistics' min/max of
// every element, so the legend and the statistics agree.
void TensorPreview::applyStatsRange()
{
    if (!m_lastStats || !m_lastStats->stats || !m_view || m_view->shape().size() > 2
        || m_lastStats->stats->count == 0)
        return;
    const core::torch::TensorStats* s = &*m_lastStats->stats;
    if (m_lastStats->complex) {
        switch (m_slice->part()) {
        case TensorSliceModel::Part::Real:
            s = &m_lastStats->complex->real;
            break;
        case TensorSliceModel::Part::Imag:
            s = &m_lastStats->complex->imag;
            break;
        case TensorSliceModel::Part::Abs:
            s = &m_lastStats->complex->abs;
            break;
        }
    }
    m_heatmap->setRange(s->min, s->max, tr("all elements"));
}

void TensorPreview::setComplexPart(TensorSliceModel::Part part)
{
    const int i = m_part->findData(int(part));
    if (i >= 0)
        m_part->setCurrentIndex(i);
    m_slice->setPart(part);
    drawHeatmap();
    applyStatsRange();
}

QString TensorPreview::infoText() const
{
    return m_info->text();
}

QString TensorPreview::statsText() const
{
    return m_stats->text();
}

void TensorPreview::exportNpy(const QString& path)
{
    if (!m_view) {
        Q_EMIT tensorExported(path, tr("no tensor"));
        return;
    }
    m_export->setEnabled(false);
    m_exportPath = path;
    const core::torch::TensorView view = *m_view;
    m_exportWatcher.setFuture(QtConcurrent::run([view, path](QPromise<QString>& promise) {
        // Through a QSaveFile: written beside the target and renamed over it only when complete,
        // so a cancelled or failed export leaves no partial .npy and the old file intact.
        struct Observer final : core::LoadObserver {
            explicit Observer(QPromise<QString>& p)
                : promise(p)
            {
            }
            bool isCancelled() const override { return promise.isCanceled(); }
            void progress(std::uint64_t done, std::uint64_t total) override
            {
                promise.setProgressValue(total ? int(1000.0 * double(done) / double(total)) : 1000);
            }
            QPromise<QString>& promise;
        } observer(promise);
        promise.setProgressRange(0, 1000);
        QSaveFile out(path);
        if (!out.open(QIODevice::WriteOnly)) {
            promise.addResult(tr("cannot write %1: %2").arg(path, out.errorString()));
            return;
        }
        auto r = view.writeNpy(
            [&out](const char* bytes, std::size_t size) {
                return out.write(bytes, qint64(size)) == qint64(size);
            },
            &observer);
        if (!r) {
            out.cancelWriting();
            if (r.error().code != core::ErrorCode::Cancelled)
                promise.addResult(QString::fromStdString(r.error().toString()));
            return;
        }
        if (!out.commit()) {
            promise.addResult(tr("cannot write %1: %2").arg(path, out.errorString()));
            return;
        }
        promise.addResult(QString());
    }));
}

void TensorPreview::cancelExport()
{
    m_exportWatcher.cancel();
}

bool TensorPreview::isExporting() const
{
    return m_exportWatcher.isRunning();
}

// --- remote tensors ---------------------------------------------------------------------------

bool TensorPreview::isReading() const
{
    return m_windowWatcher.isRunning() && !m_windowWatcher.isCanceled();
}

QString TensorPreview::remoteText() const
{
    return m_remoteNote->text();
}

void TensorPreview::setWindowStart(std::int64_t row, std::int64_t column)
{
    const QSignalBlocker rowBlock(m_rowFrom), colBlock(m_colFrom);
    m_rowFrom->setValue(int(std::clamp<std::int64_t>(row, 0, m_rowFrom->maximum())));
    m_colFrom->setValue(int(std::clamp<std::int64_t>(column, 0, m_colFrom->maximum())));
    refreshSlice();
}

// Starts reading the window of the current slice that the From row / column boxes name; the
// table and heatmap stay empty until it arrives (onWindowRead).
void TensorPreview::requestWindow()
{
    if (!m_view || m_remote == nullptr)
        return;
    m_windowWatcher.cancel();
    const quint64 generation = ++m_windowGeneration;
    const auto& shape = m_view->shape();
    const std::size_t rank = shape.size();
    SliceWindow w;
    w.coords = m_slice->fixedCoords();
    w.rowAxis = rank >= 2 ? m_slice->rowAxis() : 0;
    w.colAxis = rank >= 2 ? m_slice->colAxis() : 0;
    const std::int64_t rows = rank == 0 ? 1 : shape[std::size_t(w.rowAxis)];
    const std::int64_t cols = rank >= 2 ? shape[std::size_t(w.colAxis)] : 1;
    bool empty = false;
    for (auto d : shape)
        empty = empty || d == 0;
    w.rowStart
        = std::clamp<std::int64_t>(m_rowFrom->value(), 0, std::max<std::int64_t>(rows - 1, 0));
    w.colStart
        = std::clamp<std::int64_t>(m_colFrom->value(), 0, std::max<std::int64_t>(cols - 1, 0));
    w.rows = empty ? 0 : std::min<std::int64_t>(kWindowRows, rows - w.rowStart);
    w.cols = empty ? 0 : std::min<std::int64_t>(kWindowColumns, cols - w.colStart);
    m_window.reset();
    m_pendingWindow = w;
    m_slice->setWindow(w.rowStart, 0, w.colStart, 0);
    m_heatmap->clear();
    if (w.rows == 0 || w.cols == 0) {
        auto outcome = std::make_shared<SliceWindowData>();
        outcome->window = w;
        m_window = std::move(outcome);
        updateRemoteNote();
        return;
    }
    m_windowFetchBase = m_remote->bytesFetched();
    const std::shared_ptr<const core::Document> doc = m_file.doc;
    const core::ValueId id = m_value;
    const core::torch::TensorView view = *m_view;
    m_windowWatcher.setFuture(
        QtConcurrent::run([doc, id, view, w, generation](QPromise<SliceWindowData>& promise) {
            SliceWindowData outcome;
            try {
                outcome = readSliceWindow(
                    *doc, id, view, w, [&promise] { return promise.isCanceled(); });
            } catch (const std::bad_alloc&) {
                outcome.window = w;
                outcome.error = QStringLiteral("out of memory");
            }
            outcome.generation = generation;
            promise.addResult(std::move(outcome));
        }));
    m_remoteCancel->show();
    m_fetchTimer.start();
    updateRemoteNote();
}

void TensorPreview::onWindowRead()
{
    if (m_windowWatcher.isCanceled() || m_windowWatcher.future().resultCount() == 0)
        return;
    SliceWindowData outcome = m_windowWatcher.result();
    if (outcome.generation != m_windowGeneration || outcome.cancelled)
        return; // an older window, or one abandoned
    if (!m_statsWatcher.isRunning()) {
        m_remoteCancel->hide();
        m_fetchTimer.stop();
    }
    const bool ok = outcome.error.isEmpty();
    const SliceWindow w = outcome.window;
    m_window = std::make_shared<const SliceWindowData>(std::move(outcome));
    if (ok) {
        m_slice->setWindow(w.rowStart, w.rows, w.colStart, w.cols);
        drawHeatmap();
    }
    updateRemoteNote();
    Q_EMIT sliceRead(ok);
}

void TensorPreview::updateRemoteNote()
{
    if (m_remote == nullptr)
        return;
    const SliceWindow& w = m_window ? m_window->window : m_pendingWindow;
    const std::size_t rank = m_view ? m_view->shape().size() : 0;
    auto span = [](std::int64_t from, std::int64_t count) {
        return count <= 1 ? QString::number(from)
                          : QStringLiteral("%1–%2").arg(from).arg(from + count - 1);
    };
    const QString where = rank >= 2
        ? tr("rows %1, columns %2").arg(span(w.rowStart, w.rows), span(w.colStart, w.cols))
        : tr("elements %1").arg(span(w.rowStart, w.rows));
    if (isReading()) {
        m_remoteNote->setText(
            tr("Reading %1 … (%2 fetched)")
                .arg(where, sizeText(m_remote->bytesFetched() - m_windowFetchBase)));
    } else if (m_window && !m_window->error.isEmpty()) {
        m_remoteNote->setText(tr("Could not read %1: %2").arg(where, m_window->error));
    } else if (m_window && m_window->window.rows * m_window->window.cols == 0) {
        m_remoteNote->setText(tr("Remote file: no elements to show."));
    } else if (m_window) {
        const auto& shape = m_view->shape();
        QStringList dims;
        if (rank >= 2)
            dims << QString::number(shape[std::size_t(w.rowAxis)])
                 << QString::number(shape[std::size_t(w.colAxis)]);
        else if (rank == 1)
            dims << QString::number(shape[0]);
        m_remoteNote->setText(
            tr("Remote file: %1 of %2 shown, fetched %3 for them (only the "
               "window shown is fetched)")
                .arg(where, dims.join(QStringLiteral(" × ")), sizeText(m_window->fetched)));
    } else {
        m_remoteNote->setText(
            tr("Cancelled: nothing read. Move the window or pick another slice to read again."));
    }
    if (m_statsWatcher.isRunning())
        m_stats->setText(tr("<span style='color:#6b7280'>Computing statistics… (%1 fetched)</span>")
                             .arg(sizeText(m_remote->bytesFetched() - m_statsFetchBase)));
}

// Remote: statistics read every element, so they wait for the user's word.
void TensorPreview::showStatsOffer()
{
    if (!m_view || m_remote == nullptr)
        return;
    const std::uint64_t bytes
        = m_view->numel() * std::max<std::uint32_t>(core::dtypeSize(m_view->dtype()), 1);
    m_stats->setText(tr("<span style='color:#6b7280'>Statistics read every element of the tensor "
                        "from the server.</span>"));
    m_statsButton->setText(tr("Compute statistics — fetches up to %1").arg(sizeText(bytes)));
    m_statsButton->show();
    m_statsProgress->hide();
}

void TensorPreview::computeStats()
{
    if (!m_view)
        return;
    m_statsButton->hide();
    if (m_remote != nullptr) {
        m_statsFetchBase = m_remote->bytesFetched();
        m_remoteCancel->show();
        m_fetchTimer.start();
    }
    startStats();
    updateRemoteNote();
}

void TensorPreview::cancelReading()
{
    const bool reading = isReading(), computing = m_statsWatcher.isRunning();
    if (reading) {
        ++m_windowGeneration; // its result, when the worker returns, is dropped
        m_windowWatcher.cancel();
        m_window.reset();
        m_pendingWindow = {};
    }
    if (computing) {
        m_statsWatcher.cancel();
        m_lastStats.reset();
        showStatsOffer();
    }
    m_remoteCancel->hide();
    m_fetchTimer.stop();
    if (reading)
        m_remoteNote->setText(
            tr("Cancelled: nothing read. Move the window or pick another slice to read again."));
}

} // namespace ui
