#include "ui/hex_view.h"

#include <QFontDatabase>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>

namespace ui {

HexView::HexView(QWidget* parent)
    : QAbstractScrollArea(parent)
{
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    setFont(mono);
    viewport()->setFont(mono);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    setToolTip(tr("Bytes of the pickle program; click a byte to select its opcode"));
    connect(verticalScrollBar(), &QScrollBar::valueChanged, viewport(), qOverload<>(&QWidget::update));
    connect(horizontalScrollBar(), &QScrollBar::valueChanged, viewport(), qOverload<>(&QWidget::update));
}

QSize HexView::sizeHint() const
{
    return QSize(charWidth() * (12 + kBytesPerRow * 3 + 2 + kBytesPerRow) + 24, rowHeight() * 12);
}

int HexView::rowHeight() const
{
    return fontMetrics().height() + 2;
}

int HexView::charWidth() const
{
    return fontMetrics().horizontalAdvance(QLatin1Char('0'));
}

qint64 HexView::rowCount() const
{
    return (qint64(m_bytes.size()) + kBytesPerRow - 1) / kBytesPerRow;
}

void HexView::setDocument(const LoadedFile& file)
{
    m_file = file;
    m_pickle = -1;
    m_bytes = {};
    m_hlBegin = m_hlEnd = 0;
    setPickle(file.doc && !file.doc->pickles.empty() ? int(file.doc->mainPickle) : -1);
}

void HexView::setPickle(int pickle)
{
    m_pickle = pickle;
    if (m_file.doc && pickle >= 0 && std::size_t(pickle) < m_file.doc->pickles.size()) {
        const core::PickleStream& s = m_file.doc->pickles[std::size_t(pickle)];
        m_bytes = s.bytes;
        m_base = s.inflated ? 0 : s.offset;
    } else {
        m_bytes = {};
        m_base = 0;
    }
    verticalScrollBar()->setValue(0);
    updateScrollBar();
    viewport()->update();
}

void HexView::setSelection(const Selection& selection)
{
    if (!selection.hasOffset())
        return;
    if (selection.pickle >= 0 && selection.pickle != m_pickle)
        setPickle(selection.pickle);
    m_hlBegin = m_hlEnd = 0;
    if (m_file.index) {
        const int row = m_file.opcodeRowAt(m_pickle, selection.offset);
        if (row >= 0) {
            const OpcodeTrace& trace = *m_file.trace(m_pickle);
            m_hlBegin = trace.row(std::size_t(row)).offset;
            m_hlEnd = m_hlBegin + std::max<std::uint32_t>(trace.length(std::size_t(row)), 1);
        }
    }
    if (m_hlEnd == 0) {
        m_hlBegin = selection.offset;
        m_hlEnd = selection.offset + 1;
    }
    m_cursor = selection.offset;
    scrollToOffset(m_hlBegin);
    viewport()->update();
}

void HexView::scrollToOffset(std::uint64_t offset)
{
    if (offset < m_base)
        return;
    const qint64 row = qint64((offset - m_base) / kBytesPerRow);
    const int visible = std::max(1, viewport()->height() / rowHeight());
    QScrollBar* bar = verticalScrollBar();
    if (row < bar->value() || row >= bar->value() + visible)
        bar->setValue(int(std::max<qint64>(0, row - visible / 3)));
}

void HexView::updateScrollBar()
{
    const int visible = std::max(1, viewport()->height() / rowHeight());
    verticalScrollBar()->setRange(0, int(std::max<qint64>(0, rowCount() - visible)));
    verticalScrollBar()->setPageStep(visible);
    const int width = charWidth() * (12 + kBytesPerRow * 3 + 2 + kBytesPerRow + 2);
    horizontalScrollBar()->setRange(0, std::max(0, width - viewport()->width()));
    horizontalScrollBar()->setPageStep(viewport()->width());
}

void HexView::resizeEvent(QResizeEvent* event)
{
    QAbstractScrollArea::resizeEvent(event);
    updateScrollBar();
}

std::uint64_t HexView::offsetAt(const QPoint& pos) const
{
    const int cw = charWidth();
    const int x = pos.x() + horizontalScrollBar()->value();
    const qint64 row = verticalScrollBar()->value() + pos.y() / rowHeight();
    const int hexStart = cw * 12;
    const int asciiStart = hexStart + cw * (kBytesPerRow * 3 + 2);
    int col = -1;
    if (x >= hexStart && x < hexStart + cw * kBytesPerRow * 3)
        col = (x - hexStart) / (cw * 3);
    else if (x >= asciiStart && x < asciiStart + cw * kBytesPerRow)
        col = (x - asciiStart) / cw;
    if (col < 0 || row < 0)
        return Selection::kNoOffset;
    const std::uint64_t i = std::uint64_t(row) * kBytesPerRow + std::uint64_t(col);
    if (i >= m_bytes.size())
        return Selection::kNoOffset;
    return m_base + i;
}

void HexView::mousePressEvent(QMouseEvent* event)
{
    const std::uint64_t offset = offsetAt(event->position().toPoint());
    if (offset == Selection::kNoOffset || !m_file.index) {
        QAbstractScrollArea::mousePressEvent(event);
        return;
    }
    clickOffset(offset);
}

void HexView::clickOffset(std::uint64_t offset)
{
    if (!m_file.index)
        return;
    Selection sel;
    sel.pickle = m_pickle;
    const int row = m_file.opcodeRowAt(m_pickle, offset);
    sel.offset = row >= 0 ? m_file.trace(m_pickle)->row(std::size_t(row)).offset : offset;
    sel.value = m_file.index->valueAt(sel.offset);
    setSelection(sel);
    Q_EMIT selectionRequested(sel);
}

void HexView::paintEvent(QPaintEvent*)
{
    QPainter p(viewport());
    const QPalette& pal = palette();
    p.fillRect(viewport()->rect(), pal.base());
    if (m_bytes.empty()) {
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(viewport()->rect(), Qt::AlignCenter, tr("No bytes to show"));
        return;
    }
    const int cw = charWidth();
    const int rh = rowHeight();
    const int ascent = fontMetrics().ascent();
    const int dx = -horizontalScrollBar()->value();
    const qint64 first = verticalScrollBar()->value();
    const qint64 visible = viewport()->height() / rh + 2;
    const int hexStart = cw * 12;
    const int asciiStart = hexStart + cw * (kBytesPerRow * 3 + 2);
    const QColor offsetColor(0x6b, 0x72, 0x80);
    const QColor hlColor(0xbf, 0xdb, 0xfe);
    const QColor cursorColor(0x25, 0x63, 0xeb);
    const QColor zeroColor(0x9c, 0xa3, 0xaf);
    p.fillRect(QRect(0, 0, hexStart - cw + dx, viewport()->height()), pal.alternateBase());
    static const char* hexDigits = "0123456789abcdef";
    for (qint64 r = first; r < std::min(rowCount(), first + visible); ++r) {
        const int y = int(r - first) * rh;
        const std::uint64_t rowStart = std::uint64_t(r) * kBytesPerRow;
        p.setPen(offsetColor);
        p.drawText(dx + cw, y + ascent + 1, QStringLiteral("%1").arg(m_base + rowStart, 10, 10, QLatin1Char(' ')));
        for (int c = 0; c < kBytesPerRow; ++c) {
            const std::uint64_t i = rowStart + std::uint64_t(c);
            if (i >= m_bytes.size())
                break;
            const std::uint64_t abs = m_base + i;
            const auto b = static_cast<unsigned char>(m_bytes[i]);
            const int hx = dx + hexStart + c * cw * 3;
            const int ax = dx + asciiStart + c * cw;
            const bool hl = abs >= m_hlBegin && abs < m_hlEnd;
            if (hl) {
                p.fillRect(QRect(hx - cw / 2, y, cw * 3, rh), hlColor);
                p.fillRect(QRect(ax, y, cw, rh), hlColor);
            }
            const QChar hex[2] = { QLatin1Char(hexDigits[b >> 4]), QLatin1Char(hexDigits[b & 15]) };
            p.setPen(abs == m_cursor ? cursorColor : b == 0 ? zeroColor : pal.color(QPalette::Text));
            p.drawText(hx, y + ascent + 1, QString(hex, 2));
            const QChar ch = (b >= 0x20 && b < 0x7f) ? QLatin1Char(char(b)) : QLatin1Char('.');
            p.setPen(b >= 0x20 && b < 0x7f ? pal.color(QPalette::Text) : zeroColor);
            p.drawText(ax, y + ascent + 1, QString(ch));
        }
    }
}

} // namespace ui
