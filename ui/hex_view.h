#pragma once

// The bytes pane: hex + ASCII of one pickle stream, painting only the visible rows. The opcode
// of the selection is highlighted; clicking a byte asks for its opcode.

#include "ui/document_index.h"
#include "ui/selection.h"

#include <QAbstractScrollArea>

#include <span>

namespace ui {

class HexView : public QAbstractScrollArea {
    Q_OBJECT
public:
    static constexpr int kBytesPerRow = 16;

    explicit HexView(QWidget* parent = nullptr);

    void setDocument(const LoadedFile& file);
    void setPickle(int pickle);
    void setSelection(const Selection& selection);
    int pickle() const { return m_pickle; }
    const LoadedFile& file() const { return m_file; }
    std::uint64_t highlightBegin() const { return m_hlBegin; }
    std::uint64_t highlightEnd() const { return m_hlEnd; }

    // The absolute offset under a viewport point, or Selection::kNoOffset.
    std::uint64_t offsetAt(const QPoint& viewportPos) const;
    // What a click on the byte at an absolute offset does: highlight its opcode, ask for it.
    void clickOffset(std::uint64_t offset);
    // Scrolls so that the row holding the absolute offset is visible.
    void scrollToOffset(std::uint64_t offset);

    QSize sizeHint() const override;

Q_SIGNALS:
    void selectionRequested(const ui::Selection& selection);

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;

private:
    void updateScrollBar();
    int rowHeight() const;
    int charWidth() const;
    qint64 rowCount() const;

    LoadedFile m_file;
    int m_pickle = -1;
    std::span<const std::byte> m_bytes;
    std::uint64_t m_base = 0;
    std::uint64_t m_hlBegin = 0, m_hlEnd = 0;
    std::uint64_t m_cursor = Selection::kNoOffset;
};

} // namespace ui
