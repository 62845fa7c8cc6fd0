#pragma once

// Window "Download and open": a server that cannot send parts of a file (no HTTP range support)
// cannot be read on demand. The window asks "Download N MB and open it?", downloads on a worker
// (core::remote::downloadUrl into core::remote::downloadPath(url)) with progress and Cancel, and
// hands the local copy back to be opened. A cancelled or failed download leaves no file.

#include <QFutureWatcher>
#include <QObject>
#include <QPointer>
#include <QString>

class QMessageBox;
class QProgressDialog;
class QWidget;

namespace ui {

class DownloadOffer : public QObject {
    Q_OBJECT
public:
    // The size named by a "does not serve byte ranges" open error (0: the server did not say), or
    // -1 when `message` is another error.
    static qint64 noRangeFileSize(const QString& message);

    // Parented to `window`, over which its dialogs show (window-modal, not blocking); it deletes
    // itself when done.
    DownloadOffer(QWidget* window, QString url, qint64 size);
    ~DownloadOffer() override; // cancels a running download and waits for its worker

    void start(); // asks the question
    QMessageBox* question() const;
    QProgressDialog* progress() const;
    QString url() const { return m_url; }
    QString localPath() const { return m_path; }

Q_SIGNALS:
    void downloaded(const QString& localPath, const QString& url);
    void failed(const QString& url, const QString& message);
    // Declined, or cancelled (emitted once the worker has ended and removed its partial file).
    void cancelled(const QString& url);

private:
    void download();
    void onFinished();

    QWidget* m_window;
    QString m_url, m_path;
    qint64 m_size;
    QPointer<QMessageBox> m_question;
    QPointer<QProgressDialog> m_progress;
    QFutureWatcher<QString> m_watcher; // the error text ("" when downloaded)
    bool m_cancelled = false;
};

} // namespace ui
