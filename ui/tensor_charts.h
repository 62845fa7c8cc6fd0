#pragma once

// The tensor pane's pictures: a heatmap of a 2-D slice with a colour-scale legend, and a
// histogram of all elements.

#include <QImage>
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

    // Samples at most kMaxSide x kMaxSide cells of a rows x columns slice.
    void setSlice(int rows, int columns, const Sampler& sample);
    void clear();
    const QImage& image() const { return m_image; }
    double low() const { return m_low; }
    double high() const { return m_high; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    QImage m_image;
    int m_rows = 0, m_columns = 0;
    double m_low = 0, m_high = 0;
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
