#include "ui/tensor_charts.h"

#include <QMouseEvent>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace ui {

QRgb colorMap(double t)
{
    // Viridis sampled at 9 points, linearly interpolated.
    static const int stops[9][3] = { { 68, 1, 84 }, { 71, 44, 122 }, { 59, 81, 139 }, { 44, 113, 142 },
        { 33, 144, 141 }, { 39, 173, 129 }, { 92, 200, 99 }, { 170, 220, 50 }, { 253, 231, 37 } };
    if (!(t >= 0))
        t = 0;
    if (t > 1)
        t = 1;
    const double x = t * 8;
    const int i = std::min(7, int(x));
    const double f = x - i;
    auto lerp = [&](int c) { return int(stops[i][c] + (stops[i + 1][c] - stops[i][c]) * f + 0.5); };
    return qRgb(lerp(0), lerp(1), lerp(2));
}

HeatmapWidget::HeatmapWidget(QWidget* parent)
    : QWidget(parent)
{
    setMinimumSize(160, 120);
    setMouseTracking(true);
}

void HeatmapWidget::clear()
{
    m_image = {};
    m_values.clear();
    m_rows = m_columns = 0;
    m_hover.clear();
    m_source.clear();
    update();
}

void HeatmapWidget::setSlice(int rows, int columns, const Sampler& sample)
{
    m_rows = rows;
    m_columns = columns;
    if (rows <= 0 || columns <= 0) {
        m_image = {};
        update();
        return;
    }
    const int h = std::min(rows, kMaxSide);
    const int w = std::min(columns, kMaxSide);
    std::vector<double> values(std::size_t(w) * std::size_t(h));
    double lo = INFINITY, hi = -INFINITY;
    for (int y = 0; y < h; ++y) {
        const int r = int(qint64(y) * rows / h);
        for (int x = 0; x < w; ++x) {
            const int c = int(qint64(x) * columns / w);
            const double v = sample(r, c);
            values[std::size_t(y) * std::size_t(w) + std::size_t(x)] = v;
            if (std::isfinite(v)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
        }
    }
    if (!std::isfinite(lo)) {
        lo = 0;
        hi = 1;
    }
    m_low = lo;
    m_high = hi;
    m_values = std::move(values);
    m_image = QImage(w, h, QImage::Format_RGB32);
    m_source = isSampled() ? tr("range of %1 × %2 samples").arg(h).arg(w) : tr("slice range");
    recolor();
}

void HeatmapWidget::setRange(double low, double high, const QString& source)
{
    if (m_image.isNull() || !std::isfinite(low) || !std::isfinite(high))
        return;
    m_low = low;
    m_high = high;
    m_source = source;
    recolor();
}

void HeatmapWidget::recolor()
{
    const int w = m_image.width(), h = m_image.height();
    const double span = m_high > m_low ? m_high - m_low : 1.0;
    for (int y = 0; y < h; ++y) {
        auto* line = reinterpret_cast<QRgb*>(m_image.scanLine(y));
        for (int x = 0; x < w; ++x) {
            const double v = m_values[std::size_t(y) * std::size_t(w) + std::size_t(x)];
            line[x] = std::isfinite(v) ? colorMap((v - m_low) / span) : qRgb(255, 0, 255);
        }
    }
    update();
}

namespace {
constexpr int kLegendWidth = 112;
}

QRect HeatmapWidget::imageRect() const
{
    if (m_image.isNull())
        return {};
    const QRect area = rect().adjusted(8, 8, -kLegendWidth, -8 - fontMetrics().height());
    if (m_image.height() == 1) { // a single row: a strip, not a line
        const QSize size(area.width(), std::min(area.height(), 48));
        return QRect(area.topLeft() + QPoint(0, (area.height() - size.height()) / 2), size);
    }
    // The slice's own aspect (rows : columns), limited to 1:8 .. 8:1 so a 16 x 3 slice is not a
    // thin line; a square matrix is drawn square.
    const double aspect = std::clamp(double(m_rows) / double(std::max(1, m_columns)), 0.125, 8.0);
    int width = area.width();
    int height = int(width * aspect);
    if (height > area.height()) {
        height = area.height();
        width = int(height / aspect);
    }
    const QSize size(std::max(1, width), std::max(1, height));
    return QRect(area.topLeft()
            + QPoint((area.width() - size.width()) / 2, (area.height() - size.height()) / 2),
        size);
}

QPoint HeatmapWidget::cellAt(const QPoint& pos) const
{
    const QRect target = imageRect();
    if (target.isEmpty() || !target.contains(pos))
        return { -1, -1 };
    const int x
        = std::clamp(int(qint64(pos.x() - target.left()) * m_image.width() / target.width()), 0,
            m_image.width() - 1);
    const int y
        = std::clamp(int(qint64(pos.y() - target.top()) * m_image.height() / target.height()), 0,
            m_image.height() - 1);
    const int row = int(qint64(y) * m_rows / m_image.height());
    const int column = int(qint64(x) * m_columns / m_image.width());
    return { column, row };
}

void HeatmapWidget::mouseMoveEvent(QMouseEvent* event)
{
    const QPoint cell = cellAt(event->position().toPoint());
    const QString text = cell.x() < 0 ? QString()
        : m_describe                  ? m_describe(cell.y(), cell.x())
                                      : QStringLiteral("[%1, %2]").arg(cell.y()).arg(cell.x());
    if (text != m_hover) {
        m_hover = text;
        update();
    }
    QWidget::mouseMoveEvent(event);
}

void HeatmapWidget::leaveEvent(QEvent* event)
{
    if (!m_hover.isEmpty()) {
        m_hover.clear();
        update();
    }
    QWidget::leaveEvent(event);
}

void HeatmapWidget::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    if (m_image.isNull()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter, tr("No slice to draw"));
        return;
    }
    const int legendWidth = kLegendWidth;
    const QRect area = rect().adjusted(8, 8, -legendWidth, -8 - fontMetrics().height());
    const QRect target = imageRect();
    p.setRenderHint(QPainter::SmoothPixmapTransform, false);
    p.drawImage(target, m_image);
    p.setPen(QColor(0xd1, 0xd5, 0xdb));
    p.drawRect(target.adjusted(0, 0, -1, -1));

    // Legend: a vertical colour bar from low (bottom) to high (top).
    const QRect bar(rect().right() - legendWidth + 14, area.top() + 4, 14, std::max(40, area.height() - 8));
    for (int y = 0; y < bar.height(); ++y) {
        p.setPen(QColor(colorMap(1.0 - double(y) / std::max(1, bar.height() - 1))));
        p.drawLine(bar.left(), bar.top() + y, bar.right(), bar.top() + y);
    }
    p.setPen(palette().color(QPalette::Text));
    p.drawRect(bar.adjusted(0, 0, -1, -1));
    const QFontMetrics fm(font());
    p.drawText(bar.right() + 6, bar.top() + fm.ascent() / 2, QString::number(m_high, 'g', 4));
    p.drawText(bar.right() + 6, bar.center().y() + fm.ascent() / 2, QString::number((m_low + m_high) / 2, 'g', 4));
    p.drawText(bar.right() + 6, bar.bottom() + fm.ascent() / 2, QString::number(m_low, 'g', 4));
    p.setPen(palette().color(QPalette::PlaceholderText));
    // Under the legend: which values its range comes from.
    p.drawText(QRect(bar.left() - 10, bar.bottom() + 4, legendWidth - 6, fm.height() * 3),
        Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, m_source);
    QString footer = isSampled() ? tr("%1 × %2, sampled").arg(m_rows).arg(m_columns)
                                 : tr("%1 × %2").arg(m_rows).arg(m_columns);
    if (!m_hover.isEmpty())
        footer += QStringLiteral("   ") + m_hover;
    p.setPen(palette().color(m_hover.isEmpty() ? QPalette::PlaceholderText : QPalette::Text));
    p.drawText(rect().adjusted(8, 0, -legendWidth, -2), Qt::AlignLeft | Qt::AlignBottom, footer);
}

HistogramWidget::HistogramWidget(QWidget* parent)
    : QWidget(parent)
{
    setMinimumSize(160, 100);
}

void HistogramWidget::setHistogram(std::vector<std::uint64_t> bins, double low, double high)
{
    m_bins = std::move(bins);
    m_low = low;
    m_high = high;
    update();
}

void HistogramWidget::clear()
{
    m_bins.clear();
    update();
}

void HistogramWidget::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    if (m_bins.empty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter, tr("Histogram appears when statistics are done"));
        return;
    }
    const QFontMetrics fm(font());
    const QRect area = rect().adjusted(48, 10, -12, -fm.height() - 10);
    const std::uint64_t peak = std::max<std::uint64_t>(1, *std::max_element(m_bins.begin(), m_bins.end()));
    const double bw = double(area.width()) / double(m_bins.size());
    for (std::size_t i = 0; i < m_bins.size(); ++i) {
        const int h = int(double(area.height()) * double(m_bins[i]) / double(peak));
        const QRectF bar(area.left() + bw * double(i), area.bottom() - h, std::max(1.0, bw - 1), h);
        p.fillRect(bar, QColor(colorMap(double(i) / double(std::max<std::size_t>(1, m_bins.size() - 1)))));
    }
    p.setPen(palette().color(QPalette::Text));
    p.drawLine(area.bottomLeft(), area.bottomRight());
    p.drawLine(area.bottomLeft(), area.topLeft());
    p.drawText(QRect(area.left() - 4, area.bottom() + 4, 120, fm.height()), Qt::AlignLeft, QString::number(m_low, 'g', 4));
    p.drawText(QRect(area.right() - 120, area.bottom() + 4, 124, fm.height()), Qt::AlignRight, QString::number(m_high, 'g', 4));
    p.drawText(QRect(0, area.top() - fm.height() / 2, 44, fm.height()), Qt::AlignRight, QString::number(peak));
    p.drawText(QRect(0, area.bottom() - fm.height() / 2, 44, fm.height()), Qt::AlignRight, QStringLiteral("0"));
}

} // namespace ui
