#pragma once

// The tensor pane's pictures: a heatmap of a 2-D slice with a colour-scale legend, and a
// histogram of all elements.

#include <QImage>
#include <QMouseEvent>
#include <QWidget>

#include <functional>
#include <vector>

namespace ui {

// Viridis-like colour map, t in [0, 1].
QRgb colorMap(double t);

class HeatmapWidget : public QWidget {
    Q_OBJECT
public:
    static constexpr int kMaxSide = 512;
    using Sampler = std::function<double(int row, int column)>;

    explicit HeatmapWidget(QWidget* parent = nullptr);

    // Samples at most kMaxSide x kMaxSide cells of a rows x columns slice. The colour scale is
    // the range of the values drawn (the legend says "sampled" when not every cell was).
    void setSlice(int rows, int columns, const Sampler& sample);
    // Colours by a known range instead (e.g. the statistics' min/max of every element); the
    // legend names it with `source` ("all elements").
    void setRange(double low, double high, const QString& source);
    void clear();
    const QImage& image() const { return m_image; }
    double low() const { return m_low; }
    double high() const { return m_high; }
    bool isSampled() const { return m_rows > m_image.height() || m_columns > m_image.width(); }
    // The words under the legend: "slice range", "range of 512 × 512 samples", "all elements".
    QString rangeSource() const { return m_source; }
    // Where the image is drawn (cells keep the slice's aspect: a square matrix stays square).
    QRect imageRect() const;
    // The slice cell under a widget point, or (-1, -1).
    QPoint cellAt(const QPoint& pos) const;
    // Describes a cell for the hover read-out ("[3, 4] = 1+2j"); set by the tensor pane.
    void setDescriber(std::function<QString(int row, int column)> describe)
    {
        m_describe = std::move(describe);
    }
    QString hoverText() const { return m_hover; }

protected:
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    void recolor();

    QImage m_image;
    std::vector<double> m_values; // the sampled values, row-major image order
    int m_rows = 0, m_columns = 0;
    double m_low = 0, m_high = 0;
    QString m_source;
    std::function<QString(int, int)> m_describe;
    QString m_hover;
};

class HistogramWidget : public QWidget {
    Q_OBJECT
public:
    explicit HistogramWidget(QWidget* parent = nullptr);
    void setHistogram(std::vector<std::uint64_t> bins, double low, double high);
    void clear();

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    std::vector<std::uint64_t> m_bins;
    double m_low = 0, m_high = 0;
};

} // namespace ui
