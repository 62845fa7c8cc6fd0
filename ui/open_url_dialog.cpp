#include "ui/open_url_dialog.h"

#include "core/remote/http_source.h"
#include "core/value/byte_source.h"

#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHash>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSettings>
#include <QSpinBox>
#include <QUrl>
#include <QVBoxLayout>

namespace ui {

namespace {

const char* const kRecentUrlsKey = "recentUrls";
const char* const kCacheLimitKey = "remote/cacheLimitMiB";
constexpr int kMaxRecentUrls = 10;

QHash<QString, QString>& downloads() // local copy -> URL
{
    static QHash<QString, QString> map;
    return map;
}

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

int OpenUrlDialog::cacheLimitMiB()
{
    const int mib = QSettings().value(QLatin1String(kCacheLimitKey), kDefaultCacheLimitMiB).toInt();
    return mib > 0 ? mib : kDefaultCacheLimitMiB;
}

void OpenUrlDialog::setCacheLimitMiB(int mib)
{
    QSettings().setValue(QLatin1String(kCacheLimitKey), std::max(mib, 1));
}

void OpenUrlDialog::applySettings()
{
    core::remote::HttpOptions options = core::remote::installedUrlOptions();
    options.cacheLimit = std::uint64_t(cacheLimitMiB()) << 20;
    core::remote::installUrlOpener(std::move(options));
}

QString OpenUrlDialog::getUrl(QWidget* parent)
{
    QDialog dialog(parent);
    dialog.setWindowTitle(QObject::tr("Open URL"));
    auto* layout = new QVBoxLayout(&dialog);
    auto* intro = new QLabel(
        QObject::tr(
            "URL of a pickle or checkpoint (http:// or https://). Only the parts that are\n"
            "looked at are fetched, with HTTP range requests; nothing else is sent anywhere."),
        &dialog);
    layout->addWidget(intro);
    auto* form = new QFormLayout;
    auto* url = new QComboBox(&dialog);
    url->setEditable(true);
    url->addItems(recentUrls());
    url->setMinimumContentsLength(48);
    url->setObjectName(QStringLiteral("url"));
    form->addRow(QObject::tr("URL:"), url);
    auto* cache = new QSpinBox(&dialog);
    cache->setRange(16, 1 << 20);
    cache->setSuffix(QStringLiteral(" MiB"));
    cache->setValue(cacheLimitMiB());
    cache->setObjectName(QStringLiteral("cacheLimit"));
    cache->setToolTip(QObject::tr("Tensor data fetched and kept in memory per remote file; beyond "
                                  "it the least recently read parts are dropped (and fetched "
                                  "again when read again)"));
    form->addRow(QObject::tr("Cache limit:"), cache);
    layout->addLayout(form);
    auto* buttons
        = new QDialogButtonBox(QDialogButtonBox::Open | QDialogButtonBox::Cancel, &dialog);
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    layout->addWidget(buttons);
    if (dialog.exec() != QDialog::Accepted)
        return {};
    if (cache->value() != cacheLimitMiB()) {
        setCacheLimitMiB(cache->value());
        applySettings();
    }
    const QString text = url->currentText().trimmed();
    const QUrl parsed(text, QUrl::StrictMode);
    if (text.isEmpty() || !parsed.isValid()
        || (parsed.scheme() != QLatin1String("http") && parsed.scheme() != QLatin1String("https")))
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

void FetchedLabel::noteDownload(const QString& localPath, const QString& url)
{
    downloads().insert(localPath, url);
}

void FetchedLabel::setSource(std::shared_ptr<const core::ByteSource> source)
{
    const QString copyOf
        = source ? downloads().value(QString::fromStdString(source->path())) : QString();
    m_source = source && source->isRemote() ? std::move(source) : nullptr;
    setVisible(m_source != nullptr || !copyOf.isEmpty());
    if (m_source)
        m_timer.start();
    else
        m_timer.stop();
    if (!copyOf.isEmpty())
        setText(tr("downloaded copy of %1").arg(copyOf));
    refresh();
}

void FetchedLabel::refresh()
{
    if (m_source)
        setText(text(*m_source));
}

} // namespace ui
