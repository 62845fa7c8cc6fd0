#include "ui/tensor_slice_model.h"

#include <QBrush>
#include <QColor>

#include <cmath>
#include <limits>

namespace ui {

TensorSliceModel::TensorSliceModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void TensorSliceModel::setTensor(std::vector<std::int64_t> shape, Accessor accessor, Format format)
{
    beginResetModel();
    m_shape = std::move(shape);
    m_coords.assign(m_shape.size(), 0);
    m_accessor = std::move(accessor);
    m_complex = {};
    m_format = format;
    m_rowAxis = 0;
    m_colAxis = m_shape.size() >= 2 ? 1 : -1;
    m_windowed = false;
    endResetModel();
}

void TensorSliceModel::setWindow(
    std::int64_t rowStart, std::int64_t rows, std::int64_t colStart, std::int64_t cols)
{
    beginResetModel();
    m_windowed = true;
    m_rowStart = std::max<std::int64_t>(rowStart, 0);
    m_rows = std::max<std::int64_t>(rows, 0);
    m_colStart = std::max<std::int64_t>(colStart, 0);
    m_cols = std::max<std::int64_t>(cols, 0);
    endResetModel();
}

void TensorSliceModel::setComplexTensor(std::vector<std::int64_t> shape, ComplexAccessor accessor)
{
    // valueAt() goes through m_accessor (the chosen part), so rows/columns work as for reals.
    ComplexAccessor complex = accessor;
    setTensor(
        std::move(shape),
        [this](std::span<const std::int64_t> c) {
            const auto [re, im] = m_complex(c);
            switch (m_part) {
            case Part::Real:
                return re;
            case Part::Imag:
                return im;
            case Part::Abs:
                break;
            }
            return std::hypot(re, im);
        },
        Format::Complex);
    m_complex = std::move(complex);
}

void TensorSliceModel::setPart(Part part)
{
    if (part == m_part)
        return;
    m_part = part;
    if (rowCount() > 0 && columnCount() > 0)
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1), { NumberRole });
}

QString TensorSliceModel::formatComplex(double real, double imag)
{
    QString im = formatNumber(std::fabs(imag), Format::Float);
    if (std::isnan(imag))
        im = QStringLiteral("nan");
    const bool negative = std::signbit(imag) && !std::isnan(imag);
    if (real == 0 && !std::signbit(real)) // as Python writes it: 8j, -3j, 0j
        return (negative ? QStringLiteral("-") : QString()) + im + QLatin1Char('j');
    return formatNumber(real, Format::Float) + (negative ? QLatin1Char('-') : QLatin1Char('+')) + im
        + QLatin1Char('j');
}

QString TensorSliceModel::textAt(int row, int column) const
{
    if (m_format == Format::Complex && m_complex) {
        const std::vector<std::int64_t> c = coordsOf(row, column);
        const auto [re, im] = m_complex(c);
        return formatComplex(re, im);
    }
    return formatNumber(valueAt(row, column), m_format);
}

void TensorSliceModel::clear()
{
    setTensor({}, {}, Format::Float);
}

void TensorSliceModel::setAxes(int rowAxis, int colAxis)
{
    const int rank = int(m_shape.size());
    if (rank < 2 || rowAxis == colAxis || rowAxis < 0 || colAxis < 0 || rowAxis >= rank
        || colAxis >= rank)
        return;
    beginResetModel();
    m_rowAxis = rowAxis;
    m_colAxis = colAxis;
    endResetModel();
}

void TensorSliceModel::setFixedIndex(int axis, std::int64_t index)
{
    if (axis < 0 || std::size_t(axis) >= m_shape.size() || axis == m_rowAxis || axis == m_colAxis)
        return;
    if (index < 0 || index >= m_shape[std::size_t(axis)])
        return;
    m_coords[std::size_t(axis)] = index;
    if (rowCount() > 0 && columnCount() > 0)
        Q_EMIT dataChanged(this->index(0, 0), this->index(rowCount() - 1, columnCount() - 1));
    Q_EMIT headerDataChanged(Qt::Horizontal, 0, std::max(0, columnCount() - 1));
}

std::vector<std::int64_t> TensorSliceModel::coordsOf(int row, int column) const
{
    std::vector<std::int64_t> c = m_coords;
    const std::int64_t r = rowStart() + row, k = colStart() + column;
    if (m_shape.size() == 1)
        c[0] = r;
    else if (m_shape.size() >= 2) {
        c[std::size_t(m_rowAxis)] = r;
        c[std::size_t(m_colAxis)] = k;
    }
    return c;
}

double TensorSliceModel::valueAt(int row, int column) const
{
    if (!m_accessor)
        return std::numeric_limits<double>::quiet_NaN();
    const std::vector<std::int64_t> c = coordsOf(row, column);
    return m_accessor(c);
}

int TensorSliceModel::rowCount(const QModelIndex& parent) const
{
    if (parent.isValid() || !m_accessor)
        return 0;
    if (m_shape.empty())
        return 1;
    if (m_windowed)
        return int(std::min<std::int64_t>(m_rows, std::numeric_limits<int>::max()));
    const std::int64_t n = m_shape.size() == 1 ? m_shape[0] : m_shape[std::size_t(m_rowAxis)];
    return int(std::min<std::int64_t>(n, std::numeric_limits<int>::max()));
}

int TensorSliceModel::columnCount(const QModelIndex& parent) const
{
    if (parent.isValid() || !m_accessor)
        return 0;
    if (m_shape.size() < 2)
        return 1;
    if (m_windowed)
        return int(std::min<std::int64_t>(m_cols, std::numeric_limits<int>::max()));
    // A slice with an empty axis anywhere has no cells.
    for (auto d : m_shape) {
        if (d == 0)
            return 0;
    }
    return int(
        std::min<std::int64_t>(m_shape[std::size_t(m_colAxis)], std::numeric_limits<int>::max()));
}

QString TensorSliceModel::formatNumber(double v, Format format)
{
    if (std::isnan(v))
        return QStringLiteral("nan");
    if (std::isinf(v))
        return v > 0 ? QStringLiteral("inf") : QStringLiteral("-inf");
    switch (format) {
    case Format::Bool:
        return v != 0 ? QStringLiteral("True") : QStringLiteral("False");
    case Format::Integer:
        return QString::number(qint64(v));
    case Format::Float:
    case Format::Complex:
        return QString::number(v, 'g', 6);
    }
    return {};
}

QVariant TensorSliceModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    switch (role) {
    case Qt::DisplayRole:
        return textAt(index.row(), index.column());
    case NumberRole:
        return valueAt(index.row(), index.column());
    case Qt::ToolTipRole: {
        QStringList parts;
        for (auto c : coordsOf(index.row(), index.column()))
            parts << QString::number(c);
        QString value;
        if (m_format == Format::Complex && m_complex) {
            const auto [re, im] = m_complex(coordsOf(index.row(), index.column()));
            value = QString::number(re, 'g', 17)
                + (std::signbit(im) ? QStringLiteral("-") : QStringLiteral("+"))
                + QString::number(std::fabs(im), 'g', 17) + QLatin1Char('j');
        } else {
            value = QString::number(valueAt(index.row(), index.column()), 'g', 17);
        }
        return QStringLiteral("[%1] = %2").arg(parts.join(QStringLiteral(", ")), value);
    }
    case Qt::TextAlignmentRole:
        return int(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ForegroundRole: {
        const double v = valueAt(index.row(), index.column());
        if (std::isnan(v) || std::isinf(v))
            return QBrush(QColor(0xdc, 0x26, 0x26));
        if (v == 0)
            return QBrush(QColor(0x9c, 0xa3, 0xaf));
        return {};
    }
    default:
        return {};
    }
}

QVariant TensorSliceModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole)
        return {};
    return QString::number(section + (orientation == Qt::Vertical ? rowStart() : colStart()));
}

} // namespace ui
