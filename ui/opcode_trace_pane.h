#pragma once

// The opcode trace pane: which pickle stream (data.pkl, constants.pkl, ...) and its opcodes.

#include "ui/document_index.h"
#include "ui/selection.h"

#include <QWidget>

class QComboBox;
class QSpinBox;
class QLabel;
class QTableView;

namespace ui {

class OpcodeTraceModel;

class OpcodeTracePane : public QWidget {
    Q_OBJECT
public:
    explicit OpcodeTracePane(QWidget* parent = nullptr);

    void setDocument(const LoadedFile& file);
    void setSelection(const Selection& selection);
    int pickle() const;
    void setPickle(int pickle);

    OpcodeTraceModel* model() const { return m_model; }
    QTableView* view() const { return m_view; }
    const LoadedFile& file() const { return m_file; }
    QString statusText() const;

Q_SIGNALS:
    void selectionRequested(const ui::Selection& selection);
    void pickleChanged(int pickle);

private:
    void showPickle(int pickle);
    void onCurrentRowChanged(int row);

    LoadedFile m_file;
    OpcodeTraceModel* m_model;
    QTableView* m_view;
    QComboBox* m_pickles;
    QLabel* m_status;
    QLabel* m_pageLabel;
    QSpinBox* m_page;
    bool m_applying = false;
};

} // namespace ui
