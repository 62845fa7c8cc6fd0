#include "ui/download_offer.h"

#include "core/remote/http_source.h"

#include <QLocale>
#include <QMessageBox>
#include <QProgressDialog>
#include <QPromise>
#include <QPushButton>
#include <QRegularExpression>
#include <QtConcurrent/QtConcurrentRun>

namespace ui {

namespace {

QString sizeText(qint64 bytes)
{
    return QLocale::c().formattedDataSize(bytes, 1, QLocale::DataSizeIecFormat);
}

} // namespace

qint64 DownloadOffer::noRangeFileSize(const QString& message)
{
    // core/remote/http_source.cpp's words.
    if (!message.contains(QLatin1String("does not serve byte ranges")))
        return -1;
    static const QRegularExpression size(QStringLiteral("the file is (\\d+) bytes"));
    const QRegularExpressionMatch m = size.match(message);
    return m.hasMatch() ? m.captured(1).toLongLong() : 0;
}

DownloadOffer::DownloadOffer(QWidget* window, QString url, qint64 size)
    : QObject(window)
    , m_window(window)
    , m_url(std::move(url))
    , m_path(QString::fromStdString(core::remote::downloadPath(m_url.toStdString())))
    , m_size(size)
{
    connect(&m_watcher, &QFutureWatcher<QString>::finished, this, &DownloadOffer::onFinished);
}

DownloadOffer::~DownloadOffer()
{
    m_watcher.disconnect(this);
    m_watcher.cancel();
    m_watcher.waitForFinished();
}

QMessageBox* DownloadOffer::question() const
{
    return m_question.data();
}

QProgressDialog* DownloadOffer::progress() const
{
    return m_progress.data();
}

void DownloadOffer::start()
{
    m_question = new QMessageBox(QMessageBox::Question, tr("Download and open"),
        m_size > 0 ? tr("This server cannot send parts of the file. Download %1 and open it?")
                         .arg(sizeText(m_size))
                   : tr("This server cannot send parts of the file. Download all of it and "
                        "open it?"),
        QMessageBox::Yes | QMessageBox::Cancel, m_window);
    m_question->setInformativeText(tr("%1\nThe copy is kept in %2.").arg(m_url, m_path));
    m_question->button(QMessageBox::Yes)->setText(tr("Download and open"));
    m_question->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_question, &QMessageBox::finished, this, [this](int result) {
        if (result == QMessageBox::Yes) {
            download();
            return;
        }
        Q_EMIT cancelled(m_url);
        deleteLater();
    });
    m_question->open();
}

void DownloadOffer::download()
{
    m_progress
        = new QProgressDialog(tr("Downloading %1…").arg(m_url), tr("Cancel"), 0, 1000, m_window);
    m_progress->setWindowTitle(tr("Download and open"));
    m_progress->setAttribute(Qt::WA_DeleteOnClose);
    m_progress->setAutoClose(false);
    m_progress->setAutoReset(false);
    m_progress->setMinimumDuration(0);
    m_progress->setValue(0);
    connect(m_progress, &QProgressDialog::canceled, this, [this] {
        // The worker stops at its next block of data; cancelled() follows when it has ended.
        m_cancelled = true;
        m_watcher.cancel();
        if (m_progress) {
            m_progress->disconnect(this); // closing it says canceled() again
            m_progress->close();
        }
    });
    connect(&m_watcher, &QFutureWatcher<QString>::progressValueChanged, this, [this](int value) {
        if (m_progress) {
            m_progress->setValue(value);
            m_progress->setLabelText(
                tr("Downloading %1…\n%2").arg(m_url, m_watcher.progressText()));
        }
    });
    const std::string url = m_url.toStdString(), path = m_path.toStdString();
    const core::remote::HttpOptions options = core::remote::installedUrlOptions();
    const qint64 size = m_size;
    m_watcher.setFuture(QtConcurrent::run([url, path, options, size](QPromise<QString>& promise) {
        promise.setProgressRange(0, 1000);
        auto done = core::remote::downloadUrl(
            url, path, options, [&promise, size](std::uint64_t received, std::uint64_t total) {
                if (total == 0)
                    total = std::uint64_t(std::max<qint64>(size, 0));
                promise.setProgressValueAndText(
                    total ? int(1000.0 * double(std::min(received, total)) / double(total)) : 0,
                    total ? tr("%1 of %2").arg(sizeText(qint64(received)), sizeText(qint64(total)))
                          : sizeText(qint64(received)));
                return !promise.isCanceled();
            });
        if (promise.isCanceled() || (!done.ok() && done.error().code == core::ErrorCode::Cancelled))
            return; // no result: cancelled (downloadUrl removed the partial file)
        promise.addResult(done.ok() ? QString() : QString::fromStdString(done.error().toString()));
    }));
    m_progress->show();
}

void DownloadOffer::onFinished()
{
    if (m_progress) {
        m_progress->disconnect(this); // closing a QProgressDialog says canceled()
        m_progress->close();
    }
    if (m_cancelled || m_watcher.isCanceled() || m_watcher.future().resultCount() == 0) {
        Q_EMIT cancelled(m_url);
    } else if (const QString error = m_watcher.result(); !error.isEmpty()) {
        Q_EMIT failed(m_url, error);
    } else {
        Q_EMIT downloaded(m_path, m_url);
    }
    deleteLater();
}

} // namespace ui
