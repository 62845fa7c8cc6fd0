#pragma once

// File ▸ Open URL…: asks for an http(s) URL (recent URLs offered), and the status-bar figure of a
// remote file's bytes fetched vs its size, kept current while panes read more of it.

#include <QLabel>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QTimer>

#include <memory>

namespace core {
class ByteSource;
}

namespace ui {

class OpenUrlDialog {
public:
    // Empty when cancelled or not an http(s) URL.
    static QString getUrl(QWidget* parent);
    static QStringList recentUrls();
    static void addRecentUrl(const QString& url);
};

class FetchedLabel : public QLabel {
public:
    explicit FetchedLabel(QWidget* parent = nullptr);
    // Shows "fetched X of Y" for a remote source (refreshed twice a second); hidden otherwise.
    void setSource(std::shared_ptr<const core::ByteSource> source);
    static QString text(const core::ByteSource& source);

private:
    void refresh();
    std::shared_ptr<const core::ByteSource> m_source;
    QTimer m_timer;
};

} // namespace ui
