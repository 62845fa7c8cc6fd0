#pragma once

// The opcode trace of one pickle stream: one row per opcode, text made on demand, so millions of
// rows cost nothing until they are painted. Programs over kPageSize opcodes are shown a page at a
// time (a view's header spends time per row on every reset: a page keeps that under ~10 ms);
// rowForOffset() turns to the page that holds an offset.

#include "ui/document_index.h"

#include <QAbstractTableModel>

namespace ui {

class OpcodeTraceModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { OffsetColumn, ByteColumn, NameColumn, ArgumentColumn, StackColumn, MemoColumn, ColumnCount };
    enum Role { OffsetRole = Qt::UserRole + 1 };

    explicit OpcodeTraceModel(QObject* parent = nullptr);

    // Shows pickle `pickle` of `file` (resets the model).
    void setDocument(const LoadedFile& file, int pickle);
    int pickle() const { return m_pickle; }
    const LoadedFile& file() const { return m_file; }
    const OpcodeTrace* trace() const { return m_trace.get(); }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    static constexpr std::size_t kPageSize = 500'000;

    // The row of the opcode covering an absolute offset, or -1. Turns the page when needed.
    int rowForOffset(std::uint64_t offset);
    std::uint64_t offsetAt(int row) const;

    // Opcodes of the trace (the error row, when reading stopped, is not one of them).
    std::size_t totalRows() const { return m_trace ? m_trace->size() : 0; }
    // Row of the "reading stopped here" line at the end of the last page, or -1 when the trace
    // read to its STOP (or that row is on another page).
    int errorRow() const;
    int pageCount() const { return std::max(1, int((totalRows() + kPageSize - 1) / kPageSize)); }
    int page() const { return int(m_first / kPageSize); }
    void setPage(int page);
    std::size_t firstRow() const { return m_first; } // trace index of row 0

Q_SIGNALS:
    void pageChanged(int page);

private:
    QVariant errorData(int column, int role) const;

    LoadedFile m_file;
    int m_pickle = -1;
    std::shared_ptr<const OpcodeTrace> m_trace;
    std::size_t m_first = 0;
};

} // namespace ui
