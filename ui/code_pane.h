#pragma once

// The Code tab: the TorchScript sources of an archive (code/**.py members) with Python syntax
// highlighting. A combo box picks the member; the text is read from the mapped archive when
// picked (sources are small). Empty for documents without code.

#include "core/value/document.h"

#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QPlainTextEdit;

namespace ui {

class CodePane : public QWidget {
    Q_OBJECT

public:
    explicit CodePane(QWidget* parent = nullptr);

    void setDocument(std::shared_ptr<const core::Document> doc);
    // Shows the member named `name` ("code/__torch__.py"); false when the archive has none.
    bool showMember(const QString& name);
    QString currentMember() const;
    QString text() const;
    int memberCount() const;

private:
    std::shared_ptr<const core::Document> m_doc;
    QComboBox* m_members = nullptr;
    QLabel* m_empty = nullptr;
    QPlainTextEdit* m_text = nullptr;
};

} // namespace ui
