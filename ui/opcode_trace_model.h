#pragma once

// The opcode trace of one pickle stream: one row per core::OpRecord, text made on demand, so
// millions of rows cost nothing until they are painted.

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
    const OpcodeTrace* trace() const { return m_trace.get(); }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    // The row of the opcode covering an absolute offset, or -1.
    int rowForOffset(std::uint64_t offset) const;
    std::uint64_t offsetAt(int row) const;

private:
    LoadedFile m_file;
    int m_pickle = -1;
    std::shared_ptr<const OpcodeTrace> m_trace;
};

} // namespace ui
