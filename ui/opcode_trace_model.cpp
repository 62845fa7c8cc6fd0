#include "ui/opcode_trace_model.h"

#include <QBrush>
#include <QColor>
#include <QFont>

namespace ui {

namespace {

enum class OpClass { Plain, Structure, Memo, Global, Call };

OpClass classify(core::Op op)
{
    using core::Op;
    switch (op) {
    case Op::Mark:
    case Op::Frame:
    case Op::Proto:
    case Op::Stop:
    case Op::PopMark:
        return OpClass::Structure;
    case Op::Put:
    case Op::BinPut:
    case Op::LongBinPut:
    case Op::Memoize:
    case Op::Get:
    case Op::BinGet:
    case Op::LongBinGet:
        return OpClass::Memo;
    case Op::Global:
    case Op::StackGlobal:
    case Op::Inst:
        return OpClass::Global;
    case Op::Reduce:
    case Op::NewObj:
    case Op::NewObjEx:
    case Op::Obj:
    case Op::Build:
    case Op::PersId:
    case Op::BinPersId:
        return OpClass::Call;
    default:
        return OpClass::Plain;
    }
}

} // namespace

OpcodeTraceModel::OpcodeTraceModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void OpcodeTraceModel::setDocument(const LoadedFile& file, int pickle)
{
    beginResetModel();
    m_file = file;
    m_pickle = pickle;
    m_trace = file.trace(pickle);
    m_first = 0;
    endResetModel();
    Q_EMIT pageChanged(0);
}

void OpcodeTraceModel::setPage(int page)
{
    if (page < 0 || page >= pageCount() || page == this->page())
        return;
    beginResetModel();
    m_first = std::size_t(page) * kPageSize;
    endResetModel();
    Q_EMIT pageChanged(page);
}

int OpcodeTraceModel::rowCount(const QModelIndex& parent) const
{
    if (parent.isValid() || !m_trace)
        return 0;
    const int opcodes = int(std::min(m_trace->size() - m_first, kPageSize));
    return opcodes + (m_trace->error() && page() == pageCount() - 1 ? 1 : 0);
}

int OpcodeTraceModel::errorRow() const
{
    if (!m_trace || !m_trace->error() || page() != pageCount() - 1)
        return -1;
    return int(m_trace->size() - m_first);
}

int OpcodeTraceModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant OpcodeTraceModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    if (index.row() == errorRow())
        return errorData(index.column(), role);
    const std::size_t i = m_first + std::size_t(index.row());
    const OpcodeTrace::Row& rec = m_trace->row(i);
    const core::OpcodeInfo* info = m_trace->info(i);
    const core::Op op = info ? info->op : core::Op::Stop;
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case OffsetColumn:
            return QString::number(rec.offset);
        case ByteColumn:
            return QStringLiteral("%1").arg(unsigned(static_cast<std::uint8_t>(op)), 2, 16, QLatin1Char('0'));
        case NameColumn:
            return info ? QString::fromLatin1(info->name.data(), qsizetype(info->name.size()))
                            : QStringLiteral("?");
        case ArgumentColumn: {
            QString text = QString::fromStdString(m_trace->argText(i));
            if (text.size() > 200)
                text = text.left(200) + QStringLiteral("…");
            if (m_trace->markAt(i) >= 0)
                text += (text.isEmpty() ? QString() : QStringLiteral("  ")) + QStringLiteral("(MARK at %1)").arg(m_trace->markAt(i));
            return text;
        }
        case StackColumn:
            return rec.markDepth > 0 ? QStringLiteral("%1 ·%2").arg(rec.stackDepth).arg(rec.markDepth)
                                     : QString::number(rec.stackDepth);
        case MemoColumn:
            return rec.memoIndex >= 0 ? QString::number(rec.memoIndex) : QString();
        default:
            return {};
        }
    case Qt::ToolTipRole:
        if (index.column() == NameColumn && info)
            return QString::fromLatin1(info->doc.data(), qsizetype(info->doc.size()));
        if (index.column() == ArgumentColumn)
            return QString::fromStdString(m_trace->argText(i)).left(4000);
        if (index.column() == StackColumn)
            return tr("%1 items on the stack, %2 open marks").arg(rec.stackDepth).arg(rec.markDepth);
        return {};
    case Qt::ForegroundRole: {
        if (m_file.dangerousOffsets.count(rec.offset))
            return QBrush(QColor(0xb9, 0x1c, 0x1c));
        switch (classify(op)) {
        case OpClass::Structure:
            return QBrush(QColor(0x6b, 0x72, 0x80));
        case OpClass::Memo:
            return QBrush(QColor(0x0f, 0x76, 0x6e));
        case OpClass::Global:
            return QBrush(QColor(0x1d, 0x4e, 0xd8));
        case OpClass::Call:
            return QBrush(QColor(0x7c, 0x3a, 0xed));
        default:
            return {};
        }
    }
    case Qt::BackgroundRole:
        if (m_file.dangerousOffsets.count(rec.offset))
            return QBrush(QColor(0xfe, 0xe2, 0xe2));
        if (op == core::Op::Mark || op == core::Op::Frame)
            return QBrush(QColor(0xf3, 0xf4, 0xf6));
        return {};
    case Qt::FontRole:
        if (index.column() == NameColumn && (classify(op) == OpClass::Global || m_file.dangerousOffsets.count(rec.offset))) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == OffsetColumn || index.column() == StackColumn || index.column() == MemoColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case OffsetRole:
        return QVariant::fromValue(quint64(rec.offset));
    default:
        return {};
    }
}

QVariant OpcodeTraceModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::ToolTipRole && section == StackColumn)
        return tr("Stack depth before the opcode (·N: open marks)");
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case OffsetColumn:
        return tr("Offset");
    case ByteColumn:
        return tr("Op");
    case NameColumn:
        return tr("Opcode");
    case ArgumentColumn:
        return tr("Argument");
    case StackColumn:
        return tr("Stack");
    case MemoColumn:
        return tr("Memo");
    default:
        return {};
    }
}

QVariant OpcodeTraceModel::errorData(int column, int role) const
{
    const core::Error& error = *m_trace->error();
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case OffsetColumn:
            return QString::number(error.offset);
        case NameColumn:
            return tr("reading stopped");
        case ArgumentColumn:
            return QString::fromStdString(error.message);
        default:
            return {};
        }
    case Qt::ToolTipRole:
        return QString::fromStdString(error.toString());
    case Qt::ForegroundRole:
        return QBrush(QColor(0x9f, 0x12, 0x39));
    case Qt::BackgroundRole:
        return QBrush(QColor(0xff, 0xf1, 0xf2));
    case Qt::FontRole:
        if (column == NameColumn) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::TextAlignmentRole:
        if (column == OffsetColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case OffsetRole:
        return QVariant::fromValue(quint64(error.offset));
    default:
        return {};
    }
}

int OpcodeTraceModel::rowForOffset(std::uint64_t offset)
{
    if (!m_file.index || !m_trace)
        return -1;
    const int i = m_file.opcodeRowAt(m_pickle, offset);
    // At or past the byte where reading stopped (and not the start of an opcode read before it):
    // the error row at the end of the trace.
    const bool opcodeStartsHere = i >= 0 && m_trace->row(std::size_t(i)).offset == offset;
    if (m_trace->error() && !opcodeStartsHere && (i < 0 || offset >= m_trace->error()->offset)) {
        if (i < 0 && m_trace->size() > 0 && offset < m_trace->row(0).offset)
            return -1;
        setPage(pageCount() - 1);
        return errorRow();
    }
    if (i < 0)
        return -1;
    setPage(int(std::size_t(i) / kPageSize));
    return int(std::size_t(i) - m_first);
}

std::uint64_t OpcodeTraceModel::offsetAt(int row) const
{
    if (m_trace && row >= 0 && row == errorRow())
        return m_trace->error()->offset;
    if (!m_trace || row < 0 || m_first + std::size_t(row) >= m_trace->size())
        return 0;
    return m_trace->row(m_first + std::size_t(row)).offset;
}

} // namespace ui
