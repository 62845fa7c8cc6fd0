#pragma once

// The safety pane: every global the file references, classified (core::safety::scan, run on the
// load worker), with the reason and where it is; clicking a row selects its opcode.

#include "ui/document_index.h"
#include "ui/selection.h"

#include <QWidget>

class QLabel;
class QTableWidget;

namespace ui {

class SafetyPane : public QWidget {
    Q_OBJECT
public:
    explicit SafetyPane(QWidget* parent = nullptr);

    void setDocument(const LoadedFile& file);
    void setSelection(const Selection& selection);
    QTableWidget* table() const { return m_table; }
    const LoadedFile& file() const { return m_file; }

    // One line for the banner ("3 dangerous globals: os.system, ..."), empty when safe.
    static QString bannerText(const core::safety::SafetyReport& report);

Q_SIGNALS:
    void selectionRequested(const ui::Selection& selection);

private:
    LoadedFile m_file;
    QLabel* m_summary;
    QTableWidget* m_table;
    bool m_applying = false;
};

} // namespace ui
