#pragma once

// A small HTTP/1.1 server for the remote-file suites, on 127.0.0.1 (port 0), running on a thread
// of its own (the client under test blocks the thread that asks for bytes). It serves the files
// of tests/data by path, with keep-alive, and misbehaves on request by the first path segment:
//
//   /ok/PATH        206 for Range requests (200 without), as a good server does
//   /norange/PATH   ignores Range: 200 with the whole file
//   /lie/PATH       after the first request: a Content-Length 100 bytes short of its Content-Range
//   /cut/PATH       after the first request: headers for the whole range, half the body, close
//   /redirect/PATH  302 to /ok/PATH
//   /away/PATH      302 to http://localhost:PORT/ok/PATH (another host name)
//   anything else   404
//
// hold(true) makes it keep every request unanswered until hold(false) (a client blocked on the
// network, deterministically); heldRequests() counts those waiting.

#include <QByteArray>
#include <QFile>
#include <QHash>
#include <QMutex>
#include <QMutexLocker>
#include <QPointer>
#include <QStringList>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>

#include <atomic>
#include <utility>
#include <vector>

class RangeServer : public QObject {
public:
    explicit RangeServer(QString root)
        : m_root(std::move(root))
    {
        moveToThread(&m_thread);
        m_thread.start();
        QMetaObject::invokeMethod(
            this,
            [this] {
                m_server = new QTcpServer(this);
                m_server->listen(QHostAddress::LocalHost, 0);
                m_port = m_server->serverPort();
                connect(m_server, &QTcpServer::newConnection, this, [this] { accept(); });
            },
            Qt::BlockingQueuedConnection);
    }
    ~RangeServer() override
    {
        QMetaObject::invokeMethod(
            this, [this] { delete m_server; }, Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
    }
    RangeServer(const RangeServer&) = delete;
    RangeServer& operator=(const RangeServer&) = delete;

    QString url(const QString& path) const
    {
        return QStringLiteral("http://127.0.0.1:%1/%2").arg(m_port).arg(path);
    }
    qint64 bodyBytesSent() const { return m_sent.load(); }
    int requests() const { return m_requests.load(); }
    // Request header values seen (lower-case name -> values), for the header tests.
    QStringList headerValues(const QByteArray& name) const
    {
        QMutexLocker lock(&m_mutex);
        return m_headers.value(name);
    }

    void hold(bool on)
    {
        QMetaObject::invokeMethod(
            this,
            [this, on] {
                m_holding = on;
                if (on)
                    return;
                const auto held = std::exchange(m_held, {});
                m_heldCount = 0;
                for (const auto& [socket, head] : held)
                    if (socket && !answer(socket, head))
                        m_buffers.remove(socket);
            },
            Qt::BlockingQueuedConnection);
    }
    int heldRequests() const { return m_heldCount.load(); }

private:
    void accept()
    {
        while (QTcpSocket* socket = m_server->nextPendingConnection()) {
            connect(socket, &QTcpSocket::readyRead, this, [this, socket] { serve(socket); });
            connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
                m_buffers.remove(socket);
                socket->deleteLater();
            });
        }
    }

    void serve(QTcpSocket* socket)
    {
        QByteArray& buffer = m_buffers[socket];
        buffer += socket->readAll();
        for (;;) {
            const qsizetype end = buffer.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            const QByteArray head = buffer.left(end);
            buffer.remove(0, end + 4);
            if (m_holding) {
                m_held.emplace_back(QPointer<QTcpSocket>(socket), head);
                ++m_heldCount;
                continue;
            }
            if (!answer(socket, head)) {
                m_buffers.remove(socket);
                return;
            }
        }
    }

    static void reply(QTcpSocket* socket, const QByteArray& status, const QByteArray& headers,
        const QByteArray& body = {})
    {
        socket->write("HTTP/1.1 " + status + "\r\n" + headers
            + "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body);
    }

    // Returns false when the connection was closed.
    bool answer(QTcpSocket* socket, const QByteArray& head)
    {
        const QList<QByteArray> lines = head.split('\n');
        const QList<QByteArray> request = lines.value(0).trimmed().split(' ');
        QByteArray range;
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines[i].trimmed();
            const qsizetype colon = line.indexOf(':');
            if (colon <= 0)
                continue;
            const QByteArray name = line.left(colon).trimmed().toLower();
            const QByteArray value = line.mid(colon + 1).trimmed();
            if (name == "range")
                range = value;
            QMutexLocker lock(&m_mutex);
            m_headers[name].push_back(QString::fromLatin1(value));
        }
        const int count = ++m_requests;
        Q_UNUSED(count);
        const QByteArray target = request.value(1);
        const qsizetype slash = target.indexOf('/', 1);
        const QByteArray mode = slash > 0 ? target.mid(1, slash - 1) : QByteArray();
        const QByteArray path = slash > 0 ? target.mid(slash + 1) : QByteArray();
        if (mode == "redirect") {
            reply(socket, "302 Found", "Location: /ok/" + path + "\r\n");
            return true;
        }
        if (mode == "away") { // the same server under another host name
            reply(socket, "302 Found",
                "Location: http://localhost:" + QByteArray::number(m_port) + "/ok/" + path
                    + "\r\n");
            return true;
        }
        QFile file(m_root + QLatin1Char('/') + QString::fromUtf8(path));
        if ((mode != "ok" && mode != "norange" && mode != "lie" && mode != "cut")
            || path.contains("..") || !file.open(QIODevice::ReadOnly)) {
            reply(socket, "404 Not Found", "");
            return true;
        }
        const QByteArray data = file.readAll();
        const qint64 size = data.size();
        qint64 first = 0, last = size - 1;
        const bool ranged = range.startsWith("bytes=") && mode != "norange";
        if (ranged) {
            const QList<QByteArray> bounds = range.mid(6).split('-');
            first = bounds.value(0).toLongLong();
            last = bounds.value(1).isEmpty()
                ? size - 1
                : std::min<qint64>(bounds.value(1).toLongLong(), size - 1);
            if (first >= size || last < first) {
                reply(socket, "416 Range Not Satisfiable",
                    "Content-Range: bytes */" + QByteArray::number(size) + "\r\n");
                return true;
            }
        }
        QByteArray body = data.mid(first, last - first + 1);
        const bool probe = first == 0 && last == 0;
        QByteArray headers
            = "Accept-Ranges: " + QByteArray(mode == "norange" ? "none" : "bytes") + "\r\n";
        if (ranged)
            headers += "Content-Range: bytes " + QByteArray::number(first) + '-'
                + QByteArray::number(last) + '/' + QByteArray::number(size) + "\r\n";
        if (mode == "lie" && !probe && body.size() > 100) {
            body.chop(100); // Content-Length (from the body) 100 bytes short of the Content-Range
        } else if (mode == "cut" && !probe && body.size() > 1) {
            const QByteArray half = body.left(body.size() / 2);
            socket->write("HTTP/1.1 206 Partial Content\r\n" + headers
                + "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + half);
            m_sent += half.size();
            socket->flush();
            socket->disconnectFromHost();
            return false;
        }
        m_sent += body.size();
        reply(socket, ranged ? "206 Partial Content" : "200 OK", headers, body);
        return true;
    }

    QString m_root;
    QThread m_thread;
    QTcpServer* m_server = nullptr;
    quint16 m_port = 0;
    QHash<QTcpSocket*, QByteArray> m_buffers;
    std::atomic<qint64> m_sent { 0 };
    std::atomic<int> m_requests { 0 };
    mutable QMutex m_mutex;
    QHash<QByteArray, QStringList> m_headers;
    bool m_holding = false; // server thread only
    std::vector<std::pair<QPointer<QTcpSocket>, QByteArray>> m_held;
    std::atomic<int> m_heldCount { 0 };
};
