#pragma once

// A 2-D slice of an N-D tensor as a table: which axis runs down the rows, which across the
// columns, and a fixed index for every other axis. Cells are decoded only when painted.

#include <QAbstractTableModel>

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace ui {

class TensorSliceModel : public QAbstractTableModel {
    Q_OBJECT
public:
    using Accessor = std::function<double(std::span<const std::int64_t> coords)>;
    // (real, imaginary) of the element at coords.
    using ComplexAccessor
        = std::function<std::pair<double, double>(std::span<const std::int64_t> coords)>;
    enum class Format { Float, Integer, Bool, Complex };
    // Which number valueAt() (the heatmap, NumberRole) gives for a complex element.
    enum class Part { Real, Imag, Abs };
    enum Role { NumberRole = Qt::UserRole + 1 };

    explicit TensorSliceModel(QObject* parent = nullptr);

    // shape.size() == 0: one cell; 1: a column; >= 2: rowAxis x colAxis.
    void setTensor(std::vector<std::int64_t> shape, Accessor accessor, Format format);
    // A complex tensor: cells read "1+2j"; valueAt() gives the chosen part (|z| by default).
    void setComplexTensor(std::vector<std::int64_t> shape, ComplexAccessor accessor);
    bool isComplex() const { return m_format == Format::Complex; }
    void setPart(Part part);
    Part part() const { return m_part; }
    // The cell's text: "1.5", "True", "1+2j", ...
    QString textAt(int row, int column) const;
    void clear();
    // rowAxis != colAxis; both < rank (for rank >= 2).
    void setAxes(int rowAxis, int colAxis);
    void setFixedIndex(int axis, std::int64_t index);

    int rowAxis() const { return m_rowAxis; }
    int colAxis() const { return m_colAxis; }
    const std::vector<std::int64_t>& shape() const { return m_shape; }
    const std::vector<std::int64_t>& fixedCoords() const { return m_coords; }
    // Shows only rows [rowStart, rowStart + rows) and columns [colStart, colStart + cols) of the
    // slice (a remote tensor: the window fetched); headers keep the slice's indices. setTensor()
    // ends the window.
    void setWindow(
        std::int64_t rowStart, std::int64_t rows, std::int64_t colStart, std::int64_t cols);
    bool isWindowed() const { return m_windowed; }
    std::int64_t rowStart() const { return m_windowed ? m_rowStart : 0; }
    std::int64_t colStart() const { return m_windowed ? m_colStart : 0; }
    // Coordinates of a cell (the fixed indices with row/col filled in).
    std::vector<std::int64_t> coordsOf(int row, int column) const;
    double valueAt(int row, int column) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    static QString formatNumber(double v, Format format);
    // Python's way of writing a complex number, without its parentheses: 1+2j, 0.5-0j, 8j, 0j.
    static QString formatComplex(double real, double imag);

private:
    std::vector<std::int64_t> m_shape;
    std::vector<std::int64_t> m_coords;
    Accessor m_accessor;
    ComplexAccessor m_complex;
    Format m_format = Format::Float;
    Part m_part = Part::Abs;
    int m_rowAxis = 0, m_colAxis = 1;
    bool m_windowed = false;
    std::int64_t m_rowStart = 0, m_rows = 0, m_colStart = 0, m_cols = 0;
};

} // namespace ui
