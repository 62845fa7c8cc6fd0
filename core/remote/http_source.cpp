#include "core/remote/http_source.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QSaveFile>
#include <QSslConfiguration>
#include <QStandardPaths>
#include <QThread>
#include <QTimer>
#include <QUrl>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>

namespace core::remote {

namespace {

std::string str(const QString& s)
{
    return s.toStdString();
}

// "bytes 0-99/1234" -> (0, 99, 1234); total may be "*" (-> nullopt).
struct ContentRange {
    std::uint64_t first = 0, last = 0;
    std::optional<std::uint64_t> total;
};
std::optional<ContentRange> parseContentRange(const QByteArray& value)
{
    const QByteArray v = value.trimmed();
    if (!v.startsWith("bytes "))
        return std::nullopt;
    const qsizetype dash = v.indexOf('-'), slash = v.indexOf('/');
    if (dash < 0 || slash < dash)
        return std::nullopt;
    bool ok1 = false, ok2 = false;
    ContentRange r;
    r.first = v.mid(6, dash - 6).trimmed().toULongLong(&ok1);
    r.last = v.mid(dash + 1, slash - dash - 1).trimmed().toULongLong(&ok2);
    if (!ok1 || !ok2 || r.last < r.first)
        return std::nullopt;
    const QByteArray total = v.mid(slash + 1).trimmed();
    if (total != "*") {
        bool ok3 = false;
        r.total = total.toULongLong(&ok3);
        if (!ok3)
            return std::nullopt;
    }
    return r;
}

std::string statusLine(QNetworkReply* reply)
{
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QString reason = reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString();
    return "HTTP " + std::to_string(status) + (reason.isEmpty() ? "" : " " + str(reason));
}

// https with HttpOptions::caFile: its certificates trusted besides the system's.
void applyCaFile(QNetworkRequest& req, const HttpOptions& options)
{
    if (options.caFile.empty() || req.url().scheme() != QLatin1String("https"))
        return;
    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    config.addCaCertificates(QString::fromStdString(options.caFile), QSsl::Pem);
    req.setSslConfiguration(config);
}

// A GET of `url` with what every request carries; the user's headers and netrc credentials
// only when `url` is on the scheme, host and port the user named (`origin`).
QNetworkRequest baseRequest(const QUrl& url, const QUrl& origin, const HttpOptions& options)
{
    QNetworkRequest req(url);
    req.setAttribute(
        QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    req.setTransferTimeout(options.transferTimeoutMs);
    applyCaFile(req, options);
    req.setRawHeader("Accept-Encoding", "identity"); // ranges count raw bytes: no gzip
    req.setRawHeader("User-Agent", "PickleScope/" PICKLESCOPE_VERSION);
    if (url.host() != origin.host() || url.port() != origin.port()
        || url.scheme() != origin.scheme())
        return req;
    bool authorization = false;
    for (const auto& [name, value] : options.headers) {
        req.setRawHeader(QByteArray::fromStdString(name), QByteArray::fromStdString(value));
        authorization
            = authorization || QByteArray::fromStdString(name).toLower() == "authorization";
    }
    if (!authorization && options.useNetrc) {
        const std::string credentials = netrcCredentials(options.netrcPath, str(url.host()));
        if (!credentials.empty())
            req.setRawHeader(
                "Authorization", "Basic " + QByteArray::fromStdString(credentials).toBase64());
    }
    return req;
}

bool isRedirect(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// The network side: lives on its own thread, owns the QNetworkAccessManager.
class Client : public QObject {
public:
    Client(HttpOptions options, QUrl url)
        : m_options(std::move(options))
        , m_url(std::move(url))
        , m_origin(m_url)
    {
    }

    // One ranged GET, followed through redirects, data written into `into` as it arrives.
    struct Part {
        std::uint64_t offset = 0;
        std::span<std::byte> into;
        std::uint64_t got = 0;
        int attempts = 0;
        int redirects = 0;
        QPointer<QNetworkReply> reply;
        bool done = false;
    };
    struct Job {
        std::vector<Part> parts;
        std::size_t next = 0, running = 0, finished = 0;
        bool probe = false; // the opening request: learn the size, check ranges
        std::optional<std::uint64_t> size; // probe's answer
        std::optional<Error> error;
        bool complete = false;
        std::mutex mutex;
        std::condition_variable cv;
    };

    std::uint64_t expectedSize = 0; // set after the probe

    void start(const std::shared_ptr<Job>& job)
    {
        if (m_manager == nullptr) {
            m_manager = new QNetworkAccessManager(this);
            m_manager->setProxy(QNetworkProxy::NoProxy);
            m_manager->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
        }
        pump(job);
    }

private:
    QNetworkRequest request(const Part& part) const
    {
        QNetworkRequest req = baseRequest(m_url, m_origin, m_options);
        const std::uint64_t first = part.offset + part.got;
        const std::uint64_t last = part.offset + std::max<std::uint64_t>(part.into.size(), 1) - 1;
        req.setRawHeader("Range",
            QByteArray("bytes=") + QByteArray::number(qulonglong(first)) + '-'
                + QByteArray::number(qulonglong(last)));
        return req;
    }

    void pump(const std::shared_ptr<Job>& job)
    {
        while (!job->error && job->next < job->parts.size()
            && job->running < static_cast<std::size_t>(std::max(m_options.maxInFlight, 1))) {
            const std::size_t index = job->next++;
            ++job->running;
            send(job, index);
        }
        if (!job->complete && (job->error ? job->running == 0 : job->finished == job->parts.size()))
            complete(job);
    }

    void send(const std::shared_ptr<Job>& job, std::size_t index)
    {
        Part& part = job->parts[index];
        QNetworkReply* reply = m_manager->get(request(part));
        part.reply = reply;
        connect(reply, &QNetworkReply::metaDataChanged, this,
            [this, job, index, reply] { onHeaders(job, index, reply); });
        connect(reply, &QNetworkReply::readyRead, this,
            [this, job, index, reply] { onData(job, index, reply); });
        connect(reply, &QNetworkReply::finished, this,
            [this, job, index, reply] { onFinished(job, index, reply); });
    }

    void fail(const std::shared_ptr<Job>& job, std::uint64_t offset, std::string message)
    {
        if (!job->error)
            job->error = makeError(ErrorCode::Io, offset, std::move(message));
        // Stop the other transfers (queued: this may run inside one of their signals); each
        // running part ends in onFinished.
        for (Part& p : job->parts)
            if (p.reply && !p.done && !p.reply->isFinished())
                QMetaObject::invokeMethod(
                    p.reply.data(), &QNetworkReply::abort, Qt::QueuedConnection);
    }

    // Headers: a 206 whose Content-Range is the range asked for, of a file of the expected size.
    void onHeaders(const std::shared_ptr<Job>& job, std::size_t index, QNetworkReply* reply)
    {
        Part& part = job->parts[index];
        if (part.reply != reply || job->error)
            return;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status == 0 || isRedirect(status))
            return; // redirects are followed in onFinished
        const std::uint64_t first = part.offset + part.got;
        if (status == 200) {
            const qint64 length = reply->header(QNetworkRequest::ContentLengthHeader).toLongLong();
            fail(job, first,
                "the server does not serve byte ranges (it answered 200 to a Range request"
                    + (length > 0 ? "; the file is " + std::to_string(length) + " bytes"
                                  : std::string())
                    + "): download the file and open it locally (picklescope-cli --download "
                      "does that)");
            return;
        }
        if (status != 206) {
            fail(job, first, statusLine(reply));
            return;
        }
        const auto range = parseContentRange(reply->rawHeader("Content-Range"));
        const std::uint64_t last = part.offset + std::max<std::uint64_t>(part.into.size(), 1) - 1;
        if (!range || !range->total) {
            fail(job, first,
                "the server answered a range request without a usable Content-Range ('"
                    + reply->rawHeader("Content-Range").toStdString() + "')");
            return;
        }
        if (job->probe) {
            job->size = *range->total;
            if (range->first != 0) {
                fail(job, 0,
                    "the server answered range 0-0 with '"
                        + reply->rawHeader("Content-Range").toStdString() + "'");
                return;
            }
            return;
        }
        if (*range->total != expectedSize) {
            fail(job, first,
                "the file changed on the server: it is now " + std::to_string(*range->total)
                    + " bytes, was " + std::to_string(expectedSize));
            return;
        }
        if (range->first != first || range->last != last) {
            fail(job, first,
                "asked for bytes " + std::to_string(first) + "-" + std::to_string(last)
                    + ", the server sent " + std::to_string(range->first) + "-"
                    + std::to_string(range->last));
            return;
        }
        const qint64 length = reply->header(QNetworkRequest::ContentLengthHeader).toLongLong();
        if (length >= 0 && static_cast<std::uint64_t>(length) != last - first + 1)
            fail(job, first,
                "the server's Content-Length " + std::to_string(length)
                    + " does not match its Content-Range " + std::to_string(range->first) + "-"
                    + std::to_string(range->last) + " (at byte " + std::to_string(first) + ")");
    }

    void onData(const std::shared_ptr<Job>& job, std::size_t index, QNetworkReply* reply)
    {
        Part& part = job->parts[index];
        if (part.reply != reply || job->error)
            return;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status != 206 || job->probe) {
            reply->readAll(); // a redirect's body, or the probe's byte
            return;
        }
        while (reply->bytesAvailable() > 0) {
            const std::uint64_t room = part.into.size() - part.got;
            if (room == 0) {
                fail(job, part.offset + part.got,
                    "the server sent more bytes than the range asked for (at byte "
                        + std::to_string(part.offset + part.got) + ")");
                return;
            }
            const qint64 n = reply->read(reinterpret_cast<char*>(part.into.data() + part.got),
                static_cast<qint64>(std::min<std::uint64_t>(room, std::uint64_t(1) << 30)));
            if (n <= 0)
                break;
            part.got += static_cast<std::uint64_t>(n);
        }
    }

    void onFinished(const std::shared_ptr<Job>& job, std::size_t index, QNetworkReply* reply)
    {
        reply->deleteLater();
        Part& part = job->parts[index];
        if (part.reply != reply)
            return;
        part.reply = nullptr;
        auto end = [&] {
            part.done = true;
            --job->running;
            ++job->finished;
            pump(job);
        };
        if (job->error)
            return end();
        onData(job, index, reply);
        if (job->error)
            return end();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const std::uint64_t at = part.offset + part.got;
        if (isRedirect(status)) {
            const QUrl target
                = reply->attribute(QNetworkRequest::RedirectionTargetAttribute).toUrl();
            const QUrl next = m_url.resolved(target);
            if (target.isEmpty() || (next.scheme() != "http" && next.scheme() != "https"))
                fail(job, at, statusLine(reply) + " without a usable Location");
            else if (++part.redirects > m_options.maxRedirects)
                fail(job, at, "more than " + std::to_string(m_options.maxRedirects) + " redirects");
            else if (m_origin.scheme() == "https" && next.scheme() == "http")
                fail(job, at, "refusing a redirect from https to http");
            else {
                m_url = next; // later requests go straight there
                send(job, index);
                return;
            }
            return end();
        }
        const QNetworkReply::NetworkError error = reply->error();
        if (job->probe) {
            if (error != QNetworkReply::NoError && error != QNetworkReply::OperationCanceledError
                && !job->size && !job->error)
                fail(job, 0, status != 0 ? statusLine(reply) : str(reply->errorString()));
            return end();
        }
        const bool transport = status == 0 || error == QNetworkReply::RemoteHostClosedError
            || error == QNetworkReply::TimeoutError
            || error == QNetworkReply::TemporaryNetworkFailureError
            || error == QNetworkReply::NetworkSessionFailedError
            || error == QNetworkReply::UnknownNetworkError
            || error == QNetworkReply::OperationCanceledError;
        if (error != QNetworkReply::NoError || part.got < part.into.size()) {
            if ((transport || error == QNetworkReply::NoError)
                && part.attempts < m_options.retries) {
                ++part.attempts; // resume from the first byte not received
                send(job, index);
                return;
            }
            fail(job, at,
                "the transfer of " + std::to_string(part.into.size()) + " bytes at offset "
                    + std::to_string(part.offset) + " stopped at byte " + std::to_string(at) + " ("
                    + std::to_string(part.got) + " received"
                    + (error != QNetworkReply::NoError
                            ? ": " + str(reply->errorString())
                            : std::string(": the server closed the response"))
                    + ")");
            return end();
        }
        end();
    }

    void complete(const std::shared_ptr<Job>& job)
    {
        const std::lock_guard lock(job->mutex);
        job->complete = true;
        job->cv.notify_all();
    }

    HttpOptions m_options;
    QUrl m_url; // where requests go (after redirects)
    const QUrl m_origin; // the URL the user named: extra headers and credentials go there only
    QNetworkAccessManager* m_manager = nullptr;
};

class HttpFetcher final : public RangeFetcher {
public:
    HttpFetcher(const HttpOptions& options, const QUrl& url)
    {
        m_client = new Client(options, url);
        m_client->moveToThread(&m_thread);
        m_thread.setObjectName(QStringLiteral("picklescope-http"));
        m_thread.start();
    }
    ~HttpFetcher() override
    {
        Client* client = m_client;
        QMetaObject::invokeMethod(
            client, [client] { delete client; }, Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
    }
    HttpFetcher(const HttpFetcher&) = delete;
    HttpFetcher& operator=(const HttpFetcher&) = delete;

    Result<std::uint64_t> probe()
    {
        auto job = std::make_shared<Client::Job>();
        job->probe = true;
        static std::byte one[1];
        Client::Part part;
        part.into = { one, 1 };
        job->parts.push_back(part);
        run(job);
        if (job->error)
            return std::move(*job->error);
        if (!job->size)
            return makeError(ErrorCode::Io, 0, "the server gave no file size");
        m_client->expectedSize = *job->size;
        return *job->size;
    }

    Result<void> fetch(std::span<const Request> requests) override
    {
        auto job = std::make_shared<Client::Job>();
        for (const Request& r : requests) {
            Client::Part part;
            part.offset = r.offset;
            part.into = r.into;
            job->parts.push_back(part);
        }
        run(job);
        if (job->error)
            return std::move(*job->error);
        return {};
    }

private:
    void run(const std::shared_ptr<Client::Job>& job)
    {
        Client* client = m_client;
        QMetaObject::invokeMethod(
            client, [client, job] { client->start(job); }, Qt::QueuedConnection);
        std::unique_lock lock(job->mutex);
        job->cv.wait(lock, [&] { return job->complete; });
    }

    QThread m_thread;
    Client* m_client = nullptr;
};

} // namespace

std::string netrcCredentials(const std::string& netrcPath, const std::string& host)
{
    const QString path = netrcPath.empty() ? QDir::homePath() + QStringLiteral("/.netrc")
                                           : QString::fromStdString(netrcPath);
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QByteArray text = file.read(1 << 20);
    const QList<QByteArray> tokens = text.simplified().split(' ');
    std::string login, password;
    bool inMatch = false, matched = false;
    for (qsizetype i = 0; i < tokens.size(); ++i) {
        const QByteArray& t = tokens[i];
        const QByteArray next = i + 1 < tokens.size() ? tokens[i + 1] : QByteArray();
        if (t == "machine" || t == "default") {
            if (matched)
                break; // the matching entry ended
            inMatch = t == "default" || next.toStdString() == host;
            matched = inMatch;
            if (t == "machine")
                ++i;
        } else if (inMatch && t == "login") {
            login = next.toStdString();
            ++i;
        } else if (inMatch && t == "password") {
            password = next.toStdString();
            ++i;
        }
    }
    return matched && !login.empty() ? login + ":" + password : std::string();
}

Result<std::shared_ptr<ByteSource>> openUrl(const std::string& url, const HttpOptions& options)
{
    const QUrl qurl(QString::fromStdString(url), QUrl::StrictMode);
    if (!qurl.isValid() || (qurl.scheme() != "http" && qurl.scheme() != "https")
        || qurl.host().isEmpty())
        return makeError(ErrorCode::Io, 0, "not an http(s) URL: " + url);
    auto fetcher = std::make_unique<HttpFetcher>(options, qurl);
    auto size = fetcher->probe();
    if (!size.ok()) {
        Error e = size.takeError();
        if (options.downloadWithoutRanges
            && e.message.find("does not serve byte ranges") != std::string::npos) {
            fetcher.reset();
            const std::string path = downloadPath(url);
            PS_TRY(downloadUrl(url, path, options, options.downloadProgress));
            return ByteSource::mapFile(path);
        }
        e.message
            = "cannot open " + str(qurl.toDisplayString(QUrl::RemoveUserInfo)) + ": " + e.message;
        return e;
    }
    ByteSource::RemoteOptions remoteOptions;
    remoteOptions.guardUnfetched = options.guardUnfetched;
    remoteOptions.cacheLimit = options.cacheLimit;
    return ByteSource::fromFetcher(std::move(fetcher), size.value(),
        str(qurl.toDisplayString(QUrl::RemoveUserInfo)), remoteOptions);
}

std::string downloadPath(const std::string& url)
{
    const QUrl qurl(QString::fromStdString(url));
    QString name = QFileInfo(qurl.path()).fileName();
    if (name.isEmpty())
        name = QStringLiteral("download");
    const QString hash = QString::fromLatin1(
        QCryptographicHash::hash(QByteArray::fromStdString(url), QCryptographicHash::Sha256)
            .toHex()
            .left(16));
    QString base = QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation);
    if (base.isEmpty())
        base = QDir::tempPath();
    return str(base + QStringLiteral("/picklescope/downloads/") + hash + QLatin1Char('-') + name);
}

Result<void> downloadUrl(const std::string& url, const std::string& path,
    const HttpOptions& options, const std::function<bool(std::uint64_t, std::uint64_t)>& progress)
{
    const QUrl origin(QString::fromStdString(url), QUrl::StrictMode);
    if (!origin.isValid() || (origin.scheme() != "http" && origin.scheme() != "https"))
        return makeError(ErrorCode::Io, 0, "not an http(s) URL: " + url);
    const QString display = origin.toDisplayString(QUrl::RemoveUserInfo);
    if (!QDir().mkpath(QFileInfo(QString::fromStdString(path)).absolutePath()))
        return makeError(ErrorCode::Io, 0, "cannot create the folder of " + path);
    QSaveFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::WriteOnly))
        return makeError(ErrorCode::Io, 0, "cannot write " + path + ": " + str(file.errorString()));
    QNetworkAccessManager manager;
    manager.setProxy(QNetworkProxy::NoProxy);
    QUrl at = origin;
    std::uint64_t received = 0;
    for (int redirects = 0;; ++redirects) {
        const QNetworkRequest req = baseRequest(at, origin, options);
        QNetworkReply* reply = manager.get(req);
        QEventLoop loop;
        bool cancelled = false, writeFailed = false;
        QObject::connect(reply, &QNetworkReply::readyRead, &loop, [&] {
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            const QByteArray data = reply->readAll();
            if (status != 200)
                return;
            if (file.write(data) != data.size()) {
                writeFailed = true;
                reply->abort();
                return;
            }
            received += static_cast<std::uint64_t>(data.size());
            const qint64 total = reply->header(QNetworkRequest::ContentLengthHeader).toLongLong();
            if (progress && !progress(received, total > 0 ? std::uint64_t(total) : 0)) {
                cancelled = true;
                reply->abort();
            }
        });
        QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        if (!reply->isFinished())
            loop.exec();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        reply->deleteLater();
        if (cancelled) {
            file.cancelWriting();
            return makeError(ErrorCode::Cancelled, received, "download cancelled");
        }
        if (writeFailed) {
            file.cancelWriting();
            return makeError(
                ErrorCode::Io, received, "cannot write " + path + ": " + str(file.errorString()));
        }
        if (isRedirect(status)) {
            const QUrl next = at.resolved(
                reply->attribute(QNetworkRequest::RedirectionTargetAttribute).toUrl());
            if (redirects >= options.maxRedirects
                || (next.scheme() != "http" && next.scheme() != "https")
                || (origin.scheme() == "https" && next.scheme() == "http")) {
                file.cancelWriting();
                return makeError(
                    ErrorCode::Io, 0, "cannot download " + str(display) + ": bad redirect");
            }
            at = next;
            continue;
        }
        if (reply->error() != QNetworkReply::NoError || status != 200) {
            file.cancelWriting();
            return makeError(ErrorCode::Io, received,
                "cannot download " + str(display) + ": "
                    + (status != 0 && status != 200 ? statusLine(reply) : str(reply->errorString()))
                    + " (after " + std::to_string(received) + " bytes)");
        }
        const qint64 total = reply->header(QNetworkRequest::ContentLengthHeader).toLongLong();
        if (total >= 0 && std::uint64_t(total) != received) {
            file.cancelWriting();
            return makeError(ErrorCode::Io, received,
                "cannot download " + str(display) + ": the transfer stopped at byte "
                    + std::to_string(received) + " of " + std::to_string(total));
        }
        break;
    }
    if (!file.commit())
        return makeError(ErrorCode::Io, 0, "cannot write " + path + ": " + str(file.errorString()));
    return {};
}

namespace {

// The options installUrlOpener set; the window changes them (its cache setting) while loads run.
std::mutex g_installedMutex;
HttpOptions& installedOptions()
{
    static HttpOptions options;
    return options;
}

Result<std::shared_ptr<ByteSource>> openInstalled(const std::string& url)
{
    if (QCoreApplication::instance() == nullptr) {
        static int argc = 1;
        static char name[] = "picklescope";
        static char* argv[] = { name, nullptr };
        new QCoreApplication(argc, argv); // the network thread's event loop needs one; kept to exit
    }
    return openUrl(url, installedUrlOptions());
}

} // namespace

HttpOptions installedUrlOptions()
{
    const std::lock_guard lock(g_installedMutex);
    return installedOptions();
}

void installUrlOpener(HttpOptions options)
{
    {
        const std::lock_guard lock(g_installedMutex);
        installedOptions() = std::move(options);
    }
    ByteSource::setUrlOpener(&openInstalled);
}

} // namespace core::remote
