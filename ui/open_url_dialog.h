#pragma once

// File ▸ Open URL…: asks for an http(s) URL (recent URLs offered) and the memory cap on fetched
// data (QSettings "remote/cacheLimitMiB", default 256, passed to HttpOptions::cacheLimit), and the
// status-bar figure of a remote file's bytes fetched vs its size, kept current while panes read
// more of it (or, for a file downloaded because its server has no range support, the URL it is a
// copy of).

#include <QLabel>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QTimer>

#include <memory>

namespace core {
class ByteSource;
}
namespace core::remote {
struct HttpOptions;
}

namespace ui {

class OpenUrlDialog {
public:
    // Empty when cancelled or not an http(s) URL.
    static QString getUrl(QWidget* parent);
    static QStringList recentUrls();
    static void addRecentUrl(const QString& url);

    static constexpr int kDefaultCacheLimitMiB = 256;
    // The cache setting (MiB of fetched data kept in memory per remote file).
    static int cacheLimitMiB();
    static void setCacheLimitMiB(int mib);
    // Installs the URL opener with the settings (the window's HTTP options): at start-up and
    // after the setting changes (files opened from then on use it).
    static void applySettings();
};

class FetchedLabel : public QLabel {
public:
    explicit FetchedLabel(QWidget* parent = nullptr);
    // Shows "fetched X of Y" for a remote source (refreshed twice a second); hidden otherwise.
    void setSource(std::shared_ptr<const core::ByteSource> source);
    static QString text(const core::ByteSource& source);
    // Reads the counter now (after a pane fetched more), not at the next tick.
    void refresh();
    // `localPath` is a download of `url`: while it is shown the label says so.
    static void noteDownload(const QString& localPath, const QString& url);

private:
    std::shared_ptr<const core::ByteSource> m_source;
    QTimer m_timer;
};

} // namespace ui
