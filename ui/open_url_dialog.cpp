#include "ui/open_url_dialog.h"

#include "core/value/byte_source.h"

#include <QInputDialog>
#include <QLocale>
#include <QSettings>
#include <QUrl>

namespace ui {

namespace {

const char* const kRecentUrlsKey = "recentUrls";
constexpr int kMaxRecentUrls = 10;

} // namespace

QStringList OpenUrlDialog::recentUrls()
{
    return QSettings().value(QLatin1String(kRecentUrlsKey)).toStringList();
}

void OpenUrlDialog::addRecentUrl(const QString& url)
{
    QStringList urls = recentUrls();
    urls.removeAll(url);
    urls.prepend(url);
    while (urls.size() > kMaxRecentUrls)
        urls.removeLast();
    QSettings().setValue(QLatin1String(kRecentUrlsKey), urls);
}

QString OpenUrlDialog::getUrl(QWidget* parent)
{
    bool ok = false;
    const QString text = QInputDialog::getItem(parent, QObject::tr("Open URL"),
        QObject::tr(
            "URL of a pickle or checkpoint (http:// or https://). Only the parts that are\n"
            "looked at are fetched, with HTTP range requests; nothing else is sent anywhere."),
        recentUrls(), 0, true, &ok)
                             .trimmed();
    if (!ok || text.isEmpty())
        return {};
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid()
        || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")))
        return {};
    return text;
}

FetchedLabel::FetchedLabel(QWidget* parent)
    : QLabel(parent)
{
    setStyleSheet(QStringLiteral("color: #4b5563; padding-right: 6px;"));
    setToolTip(tr("Bytes of the remote file fetched so far (HTTP range requests) and its size"));
    hide();
    m_timer.setInterval(500);
    connect(&m_timer, &QTimer::timeout, this, &FetchedLabel::refresh);
}

QString FetchedLabel::text(const core::ByteSource& source)
{
    const QLocale c = QLocale::c();
    return tr("fetched %1 of %2")
        .arg(c.formattedDataSize(
                 qint64(source.bytesFetched()), 1, QLocale::DataSizeTraditionalFormat),
            c.formattedDataSize(qint64(source.size()), 1, QLocale::DataSizeTraditionalFormat));
}

void FetchedLabel::setSource(std::shared_ptr<const core::ByteSource> source)
{
    m_source = source && source->isRemote() ? std::move(source) : nullptr;
    setVisible(m_source != nullptr);
    if (m_source)
        m_timer.start();
    else
        m_timer.stop();
    refresh();
}

void FetchedLabel::refresh()
{
    if (m_source)
        setText(text(*m_source));
}

} // namespace ui
