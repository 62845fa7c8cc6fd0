// Remote files over HTTP: a checkpoint on a server opens as it does locally while fetching only
// its directory, its pickle and the bytes a tensor view reads; misbehaving servers end in clear
// errors naming the offset. The server is tests/remote/range_server.h, in this process, on
// 127.0.0.1. Unfetched pages are unreadable here (guardUnfetched): a reader that touches bytes
// without ensure() crashes the suite instead of reading zeros.

#include "core/loader.h"
#include "core/remote/http_source.h"
#include "core/safety/scanned_load.h"
#include "core/torch/tensor_table.h"
#include "core/torch/tensor_view.h"
#include "tests/common/cli_run.h"
#include "tests/remote/range_server.h"

#include <QProcess>
#include <QProcessEnvironment>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <sys/mman.h>

namespace {

const QString kData = QStringLiteral(PICKLESCOPE_TEST_DATA);

core::remote::HttpOptions guarded()
{
    core::remote::HttpOptions options;
    options.guardUnfetched = true;
    options.useNetrc = false;
    options.transferTimeoutMs = 5000;
    return options;
}

std::shared_ptr<core::Document> loadLocal(const QString& relative)
{
    auto doc = core::loadFile((kData + QLatin1Char('/') + relative).toStdString());
    return doc.ok() ? doc.value() : nullptr;
}

bool sameDouble(double a, double b)
{
    return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0 || a == b;
}

// picklescope-cli against the server (30 s at most).
testing::CliRun runCli(const QStringList& args,
    const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment())
{
    testing::RunOptions options;
    options.env = env;
    options.timeoutMs = 30000;
    return testing::runCli(args, options);
}

} // namespace

class TestHttpSource : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        m_server = std::make_unique<RangeServer>(kData);
        QVERIFY(m_server->url({}).contains(QLatin1String("127.0.0.1:")));
    }
    void cleanupTestCase() { m_server.reset(); }

    void opensACheckpointFetchingOnlyItsEndRecordsDirectoryAndPickle()
    {
        auto source = core::remote::openUrl(
            m_server->url(QStringLiteral("ok/torch/half_patterns.pt")).toStdString(), guarded());
        QVERIFY2(source.ok(), source.ok() ? "" : source.error().toString().c_str());
        const std::uint64_t size = source.value()->size();
        QCOMPARE(size,
            std::uint64_t(QFileInfo(kData + QStringLiteral("/torch/half_patterns.pt")).size()));
        auto doc = core::loadSource(source.value());
        QVERIFY2(doc.ok(), doc.ok() ? "" : doc.error().toString().c_str());
        const auto local = loadLocal(QStringLiteral("torch/half_patterns.pt"));
        QVERIFY(local);
        const auto remoteTable = core::torch::tensorTable(*doc.value());
        const auto localTable = core::torch::tensorTable(*local);
        QCOMPARE(remoteTable.rows.size(), std::size_t(4));
        QCOMPARE(remoteTable.rows.size(), localTable.rows.size());
        for (std::size_t i = 0; i < localTable.rows.size(); ++i) {
            QCOMPARE(remoteTable.rows[i].path, localTable.rows[i].path);
            QCOMPARE(remoteTable.rows[i].shape, localTable.rows[i].shape);
        }
        // 4 KiB head + the last 64 KiB (end record search) + 4 local-header pages; no tensor data.
        const std::uint64_t fetched = source.value()->bytesFetched();
        QVERIFY2(fetched <= 96 * 1024, std::to_string(fetched).c_str());
        QVERIFY(fetched < size / 8);
        // The head, the end records, then all local headers in one batch (data.pkl and its
        // header share their pages).
        QCOMPARE(source.value()->fetchCount(), std::uint64_t(3));
    }

    void aTensorElementFetchesOnlyThePageItLiesIn()
    {
        auto source = core::remote::openUrl(
            m_server->url(QStringLiteral("ok/torch/half_patterns.pt")).toStdString(), guarded());
        QVERIFY(source.ok());
        auto doc = core::loadSource(source.value());
        QVERIFY(doc.ok());
        const auto local = loadLocal(QStringLiteral("torch/half_patterns.pt"));
        const auto remoteTable = core::torch::tensorTable(*doc.value());
        const auto localTable = core::torch::tensorTable(*local);
        auto remoteView = core::torch::TensorView::open(doc.value(), remoteTable.rows[1].id);
        auto localView = core::torch::TensorView::open(local, localTable.rows[1].id);
        QVERIFY(remoteView.ok() && localView.ok());
        const std::uint64_t before = source.value()->bytesFetched();
        QVERIFY(sameDouble(remoteView->element(30000), localView->element(30000)));
        QVERIFY(sameDouble(remoteView->element(30001), localView->element(30001)));
        QCOMPARE(source.value()->bytesFetched() - before, std::uint64_t(4096));
    }

    void everyFixtureReadsOverHttpAsItDoesLocally_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("a torch zip of every dtype") << QStringLiteral("torch/dtypes_zip.pt");
        QTest::newRow("a zip whose records are deflated")
            << QStringLiteral("torch/deflated_zip.pt");
        QTest::newRow("a big-endian zip") << QStringLiteral("torch/big_endian_zip.pt");
        QTest::newRow("a quantized zip") << QStringLiteral("torch/quantized_zip.pt");
        QTest::newRow("the legacy tar format") << QStringLiteral("torch/legacy_tar.pt");
        QTest::newRow("the legacy stream format") << QStringLiteral("torch/dtypes_legacy.pt");
        QTest::newRow("a plain pickle holding a tensor")
            << QStringLiteral("torch/plain_pickle_tensor.pkl");
        QTest::newRow("a checkpoint of 788 KB") << QStringLiteral("torch/half_patterns.pt");
    }
    void everyFixtureReadsOverHttpAsItDoesLocally()
    {
        QFETCH(QString, file);
        const auto local = loadLocal(file);
        QVERIFY(local);
        auto source = core::remote::openUrl(
            m_server->url(QStringLiteral("ok/") + file).toStdString(), guarded());
        QVERIFY2(source.ok(), source.ok() ? "" : source.error().toString().c_str());
        auto loaded = core::safety::loadAndScan(source.value());
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().toString().c_str());
        const auto& doc = loaded.value().doc;
        QCOMPARE(doc->format, local->format);
        QCOMPARE(doc->graph.size(), local->graph.size());
        QCOMPARE(doc->pickles.size(), local->pickles.size());
        QCOMPARE(doc->diagnostics.size(), local->diagnostics.size());
        const auto remoteTable = core::torch::tensorTable(*doc);
        const auto localTable = core::torch::tensorTable(*local);
        QCOMPARE(remoteTable.rows.size(), localTable.rows.size());
        QVERIFY(!localTable.rows.empty());
        for (std::size_t i = 0; i < localTable.rows.size(); ++i) {
            QCOMPARE(remoteTable.rows[i].path, localTable.rows[i].path);
            auto remoteView = core::torch::TensorView::open(doc, remoteTable.rows[i].id);
            auto localView = core::torch::TensorView::open(local, localTable.rows[i].id);
            QCOMPARE(remoteView.ok(), localView.ok());
            if (!localView.ok())
                continue;
            auto remoteStats = remoteView->stats();
            auto localStats = localView->stats();
            QVERIFY(remoteStats.ok() && localStats.ok());
            QCOMPARE(remoteStats->count, localStats->count);
            QVERIFY2(
                sameDouble(remoteStats->sum, localStats->sum), localTable.rows[i].path.c_str());
            QVERIFY(sameDouble(remoteStats->min, localStats->min));
            QCOMPARE(remoteStats->nanCount, localStats->nanCount);
        }
    }

    // A file larger than the cache limit read end to end: every element of every tensor equals
    // the local file's, and fetched bytes in memory (counted, and pages the kernel holds) stay
    // within the limit once the reads are done.
    void readsAFileLargerThanTheCacheLimitWithinTheLimit()
    {
        const QString file = QStringLiteral("torch/half_patterns.pt");
        const auto local = loadLocal(file);
        QVERIFY(local);
        auto options = guarded();
        options.cacheLimit = 192 * 1024;
        auto source = core::remote::openUrl(
            m_server->url(QStringLiteral("ok/") + file).toStdString(), options);
        QVERIFY(source.ok());
        QVERIFY(source.value()->size() > 4 * options.cacheLimit);
        auto doc = core::loadSource(source.value());
        QVERIFY(doc.ok());
        const auto remoteTable = core::torch::tensorTable(*doc.value());
        const auto localTable = core::torch::tensorTable(*local);
        QCOMPARE(remoteTable.rows.size(), localTable.rows.size());
        const auto& bytes = source.value()->bytes();
        auto pagesInMemory = [&bytes] {
            const std::size_t pages = (bytes.size() + 4095) / 4096;
            std::vector<unsigned char> in(pages);
            if (::mincore(const_cast<std::byte*>(bytes.data()), bytes.size(), in.data()) != 0)
                return std::uint64_t(UINT64_MAX);
            return std::uint64_t(
                std::count_if(in.begin(), in.end(), [](unsigned char c) { return c & 1; }));
        };
        for (int pass = 0; pass < 2; ++pass) {
            for (std::size_t i = 0; i < localTable.rows.size(); ++i) {
                auto remoteView
                    = core::torch::TensorView::open(doc.value(), remoteTable.rows[i].id);
                auto localView = core::torch::TensorView::open(local, localTable.rows[i].id);
                QVERIFY(remoteView.ok() && localView.ok());
                std::vector<double> a(4096), b(4096);
                for (std::uint64_t first = 0; first < localView->numel(); first += a.size()) {
                    const auto n = static_cast<std::size_t>(
                        std::min<std::uint64_t>(a.size(), localView->numel() - first));
                    remoteView->read(first, n, a.data());
                    localView->read(first, n, b.data());
                    QVERIFY2(std::memcmp(a.data(), b.data(), n * sizeof(double)) == 0,
                        localTable.rows[i].path.c_str());
                }
                auto remoteStats = remoteView->stats();
                QVERIFY(remoteStats.ok());
                QVERIFY(sameDouble(remoteStats->sum, localView->stats()->sum));
                QVERIFY2(source.value()->residentBytes() <= options.cacheLimit,
                    std::to_string(source.value()->residentBytes()).c_str());
                QVERIFY2(pagesInMemory() * 4096 <= options.cacheLimit,
                    std::to_string(pagesInMemory()).c_str());
            }
        }
        // Read twice through a cache smaller than the file: pages were dropped and fetched again.
        QVERIFY(source.value()->evictedBytes() > 0);
        QVERIFY(source.value()->bytesFetched() > source.value()->size());
    }

    // Pages a lease pins stay while it lives, even when the cache is over its limit.
    void neverEvictsPagesALeasePins()
    {
        struct Memory : core::RangeFetcher {
            std::vector<std::byte> file;
            core::Result<void> fetch(std::span<const Request> requests) override
            {
                for (const Request& r : requests)
                    std::memcpy(r.into.data(), file.data() + r.offset, r.into.size());
                return {};
            }
        };
        auto fetcher = std::make_unique<Memory>();
        for (int i = 0; i < 64 * 4096; ++i)
            fetcher->file.push_back(std::byte(i % 253));
        core::ByteSource::RemoteOptions options;
        options.guardUnfetched = true;
        options.cacheLimit = 4 * 4096;
        auto made = core::ByteSource::fromFetcher(std::move(fetcher), 64 * 4096, "memory", options);
        QVERIFY(made.ok());
        const auto& source = *made.value();
        auto pinned = source.lease(10 * 4096, 3 * 4096); // 3 pages, pinned
        QVERIFY(pinned.ok());
        for (std::uint64_t page = 20; page < 60; page += 2) { // scattered reads, one page each
            auto lease = source.lease(page * 4096 + 7, 1);
            QVERIFY(lease.ok());
            QCOMPARE(std::to_integer<int>(source.bytes()[page * 4096 + 7]),
                int((page * 4096 + 7) % 253));
        }
        QVERIFY(source.residentBytes() <= 4 * 4096);
        for (std::uint64_t at = 10 * 4096; at < 13 * 4096; at += 997) // still readable
            QCOMPARE(std::to_integer<int>(source.bytes()[at]), int(at % 253));
        // Kept pages (ensure) are never evicted, and a page fetched again reads right.
        QVERIFY(source.ensure(0, 4096).ok());
        pinned = core::ByteSource::Lease {};
        for (std::uint64_t page = 30; page < 40; ++page)
            QVERIFY(source.lease(page * 4096, 4096).ok());
        QCOMPARE(std::to_integer<int>(source.bytes()[100]), 100);
        QVERIFY(source.residentBytes() <= 4 * 4096);
        auto again = source.lease(20 * 4096 + 7, 1);
        QVERIFY(again.ok());
        QCOMPARE(std::to_integer<int>(source.bytes()[20 * 4096 + 7]), int((20 * 4096 + 7) % 253));
        QVERIFY(source.evictedBytes() >= 30 * 4096);
    }

    // Sharded checkpoints over URLs: shard names resolve against the index's URL, each shard is
    // a remote source read lazily, tensors come in the index file's own order (not sorted), and
    // a shard the server does not have (404) is a warning.
    void opensAShardedIndexOverHttpInItsOwnKeyOrder()
    {
        QTemporaryDir dir;
        const QString st = kData + QStringLiteral("/formats/sharded_st/");
        for (const char* shard :
            { "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors" })
            QVERIFY(QFile::copy(st + QLatin1String(shard), dir.filePath(QLatin1String(shard))));
        // Hand-written: keys not sorted; one tensor in a shard the server does not have.
        QFile index(dir.filePath(QStringLiteral("model.safetensors.index.json")));
        QVERIFY(index.open(QIODevice::WriteOnly));
        index.write(R"({"metadata": {"total_size": 118, "note": {"weight_map": "not this one"}},
 "weight_map": {
  "layers.1.weight": "model-00002-of-00002.safetensors",
  "embed.weight": "model-00001-of-00002.safetensors",
  "layers.0.weight": "model-00001-of-00002.safetensors",
  "extra.\u0062ias": "model-00003-of-00003.safetensors",
  "head.bias": "model-00002-of-00002.safetensors",
  "layers.0.bias": "model-00001-of-00002.safetensors"}})");
        index.close();
        const std::vector<std::string> expectedOrder { "$['layers.1.weight']", "$['embed.weight']",
            "$['layers.0.weight']", "$['extra.bias']", "$['head.bias']", "$['layers.0.bias']" };
        const auto reference
            = loadLocal(QStringLiteral("formats/sharded_st/model.safetensors.index.json"));
        QVERIFY(reference);
        const auto referenceTable = core::torch::tensorTable(*reference);

        RangeServer server(dir.path());
        core::remote::installUrlOpener(guarded()); // shards open through ByteSource::mapFile
        for (const bool remote : { false, true }) {
            const std::string path = remote
                ? server.url(QStringLiteral("ok/model.safetensors.index.json")).toStdString()
                : index.fileName().toStdString();
            auto loaded = core::loadFile(path);
            QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().toString().c_str());
            const auto doc = loaded.value();
            QCOMPARE(doc->format, core::FileFormat::ShardedIndex);
            const auto& g = doc->graph;
            const auto& items = g.items(doc->root);
            std::vector<std::string> order;
            for (std::size_t i = 0; i < items.size(); i += 2)
                order.push_back("$['" + std::string(g.text(items[i])) + "']");
            QCOMPARE(order, expectedOrder);
            QCOMPARE(doc->shards.size(), std::size_t(3));
            QVERIFY(!doc->shards[2].found);
            bool warned = false;
            for (const auto& d : doc->diagnostics)
                warned = warned
                    || (d.message.find("model-00003-of-00003.safetensors") != std::string::npos
                        && (!remote || d.message.find("HTTP 404") != std::string::npos));
            QVERIFY(warned);
            // Every tensor's values equal the generator's shards read locally.
            const auto table = core::torch::tensorTable(*doc);
            QCOMPARE(table.rows.size(), referenceTable.rows.size());
            for (const auto& row : table.rows) {
                const auto match = std::find_if(referenceTable.rows.begin(),
                    referenceTable.rows.end(), [&](const auto& r) { return r.path == row.path; });
                QVERIFY(match != referenceTable.rows.end());
                auto view = core::torch::TensorView::open(doc, row.id);
                auto expected = core::torch::TensorView::open(reference, match->id);
                QVERIFY(view.ok() && expected.ok());
                QCOMPARE(view->numel(), expected->numel());
                for (std::uint64_t k = 0; k < view->numel(); ++k)
                    QVERIFY(sameDouble(view->element(k), expected->element(k)));
            }
            if (remote) // the shards were opened as remote sources, not downloaded
                QVERIFY(server.requests() > 0);
        }
    }

    void opensABinShardedIndexOverHttp()
    {
        const QString file = QStringLiteral("formats/sharded_bin/pytorch_model.bin.index.json");
        const auto local = loadLocal(file);
        QVERIFY(local);
        core::remote::installUrlOpener(guarded());
        auto loaded
            = core::safety::loadAndScan(m_server->url(QStringLiteral("ok/") + file).toStdString());
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().toString().c_str());
        const auto& doc = loaded.value().doc;
        QCOMPARE(doc->pickles.size(), local->pickles.size());
        QCOMPARE(doc->diagnostics.size(), local->diagnostics.size());
        const auto remoteTable = core::torch::tensorTable(*doc);
        const auto localTable = core::torch::tensorTable(*local);
        QCOMPARE(remoteTable.rows.size(), localTable.rows.size());
        for (std::size_t i = 0; i < localTable.rows.size(); ++i) {
            QCOMPARE(remoteTable.rows[i].path, localTable.rows[i].path);
            auto remoteStats = core::torch::TensorView::open(doc, remoteTable.rows[i].id)->stats();
            auto localStats = core::torch::TensorView::open(local, localTable.rows[i].id)->stats();
            QVERIFY(remoteStats.ok() && localStats.ok());
            QVERIFY(sameDouble(remoteStats->sum, localStats->sum));
        }
    }

    // A server without range support: with downloadWithoutRanges the whole file is downloaded
    // into the cache folder (with progress; cancel removes it) and opened locally.
    void downloadsAndOpensWhenTheServerHasNoRangeSupport()
    {
        QTemporaryDir cache;
        qputenv("XDG_CACHE_HOME", cache.path().toUtf8());
        const QString file = QStringLiteral("torch/half_patterns.pt");
        const std::string url = m_server->url(QStringLiteral("norange/") + file).toStdString();
        auto options = guarded();
        options.downloadWithoutRanges = true;
        std::uint64_t last = 0, total = 0;
        options.downloadProgress = [&](std::uint64_t received, std::uint64_t of) {
            last = received;
            total = of;
            return true;
        };
        auto source = core::remote::openUrl(url, options);
        QVERIFY2(source.ok(), source.ok() ? "" : source.error().toString().c_str());
        QVERIFY(!source.value()->isRemote());
        QCOMPARE(source.value()->size(), std::uint64_t(788035));
        QCOMPARE(last, std::uint64_t(788035));
        QCOMPARE(total, std::uint64_t(788035));
        QVERIFY(QString::fromStdString(source.value()->path()).startsWith(cache.path()));
        auto doc = core::loadSource(source.value());
        QVERIFY(doc.ok());
        QCOMPARE(core::torch::tensorTable(*doc.value()).rows.size(),
            core::torch::tensorTable(*loadLocal(file)).rows.size());
        // Cancelled half-way: an error, and no file left behind.
        const std::string path = (cache.path() + QStringLiteral("/cancelled.pt")).toStdString();
        auto cancelled = core::remote::downloadUrl(url, path, options,
            [](std::uint64_t received, std::uint64_t) { return received < 100000; });
        QVERIFY(!cancelled.ok());
        QCOMPARE(cancelled.error().code, core::ErrorCode::Cancelled);
        QVERIFY(!QFileInfo::exists(QString::fromStdString(path)));
        // The command line: --download.
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CACHE_HOME"), cache.path());
        const auto run = runCli(
            { QStringLiteral("info"), QStringLiteral("--download"), QString::fromStdString(url) },
            env);
        QCOMPARE(run.exitCode, 0);
        QVERIFY(run.out.contains("tensors:   4"));
        QVERIFY2(run.err.contains("downloaded the whole file (788035 bytes)"), run.err.constData());
        qunsetenv("XDG_CACHE_HOME");
    }

    // https against tests/bench/range_server.py with a self-signed certificate made now by
    // Debian's openssl: refused as untrusted, read once the certificate is given as caFile.
    void readsOverHttpsTrustingTheGivenCertificate()
    {
        const QString openssl = QStandardPaths::findExecutable(QStringLiteral("openssl"));
        if (openssl.isEmpty())
            QSKIP("no openssl to make a certificate (scripts/setup.sh installs it)");
        QTemporaryDir dir;
        const QString cert = dir.filePath(QStringLiteral("cert.pem"));
        const QString key = dir.filePath(QStringLiteral("key.pem"));
        QProcess make;
        make.start(openssl,
            { QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-keyout"),
                key, QStringLiteral("-out"), cert, QStringLiteral("-days"), QStringLiteral("1"),
                QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1"), QStringLiteral("-addext"),
                QStringLiteral("subjectAltName=IP:127.0.0.1") });
        QVERIFY(make.waitForFinished(30000) && make.exitCode() == 0);
        const QString portFile = dir.filePath(QStringLiteral("port"));
        QProcess server;
        server.start(QStringLiteral("/usr/bin/python3"),
            { kData + QStringLiteral("/../bench/range_server.py"), kData + QStringLiteral("/torch"),
                QStringLiteral("--port-file"), portFile, QStringLiteral("--cert"), cert,
                QStringLiteral("--key"), key });
        QVERIFY(server.waitForStarted());
        QByteArray port;
        for (int i = 0; i < 100 && port.isEmpty(); ++i) {
            QThread::msleep(50);
            QFile f(portFile);
            if (f.open(QIODevice::ReadOnly))
                port = f.readAll().trimmed();
        }
        QVERIFY(!port.isEmpty());
        const std::string url = "https://127.0.0.1:" + port.toStdString() + "/half_patterns.pt";
        auto untrusted = core::remote::openUrl(url, guarded());
        QVERIFY(!untrusted.ok());
        QVERIFY2(QString::fromStdString(untrusted.error().message)
                     .contains(QLatin1String("certificate"), Qt::CaseInsensitive)
                || QString::fromStdString(untrusted.error().message).contains(QLatin1String("SSL")),
            untrusted.error().message.c_str());
        auto options = guarded();
        options.caFile = cert.toStdString();
        auto source = core::remote::openUrl(url, options);
        QVERIFY2(source.ok(), source.ok() ? "" : source.error().toString().c_str());
        auto doc = core::loadSource(source.value());
        QVERIFY(doc.ok());
        QVERIFY(source.value()->bytesFetched() < source.value()->size() / 8); // ranges, not all
        const auto local = loadLocal(QStringLiteral("torch/half_patterns.pt"));
        const auto remoteTable = core::torch::tensorTable(*doc.value());
        const auto localTable = core::torch::tensorTable(*local);
        QCOMPARE(remoteTable.rows.size(), localTable.rows.size());
        for (std::size_t i = 0; i < localTable.rows.size(); ++i) {
            auto a = core::torch::TensorView::open(doc.value(), remoteTable.rows[i].id)->stats();
            auto b = core::torch::TensorView::open(local, localTable.rows[i].id)->stats();
            QVERIFY(a.ok() && b.ok());
            QVERIFY(sameDouble(a->sum, b->sum));
        }
        server.terminate();
        QVERIFY(server.waitForFinished(5000));
    }

    // A zip cut before its central directory is recovered from its local headers over HTTP as it
    // is locally. torch.save sets bit 3 (sizes in a data descriptor after the data), so the walk
    // scans each record's data to find its end: here it reads every byte up to the cut, once.
    void recoversACutZipFetchingOnlyWhatTheWalkReads()
    {
        QTemporaryDir dir;
        QFile whole(kData + QStringLiteral("/torch/half_patterns.pt"));
        QVERIFY(whole.open(QIODevice::ReadOnly));
        const QByteArray bytes = whole.readAll();
        QFile cut(dir.filePath(QStringLiteral("cut.pt")));
        QVERIFY(cut.open(QIODevice::WriteOnly));
        cut.write(bytes.left(bytes.size() * 9 / 10)); // inside the last storage's data
        cut.close();
        auto local = core::loadFile(cut.fileName().toStdString());
        QVERIFY(local.ok());
        RangeServer server(dir.path());
        auto source = core::remote::openUrl(
            server.url(QStringLiteral("ok/cut.pt")).toStdString(), guarded());
        QVERIFY(source.ok());
        auto doc = core::loadSource(source.value());
        QVERIFY2(doc.ok(), doc.ok() ? "" : doc.error().toString().c_str());
        QCOMPARE(doc.value()->diagnostics.size(), local.value()->diagnostics.size());
        const auto remoteTable = core::torch::tensorTable(*doc.value());
        const auto localTable = core::torch::tensorTable(*local.value());
        QCOMPARE(remoteTable.rows.size(), localTable.rows.size());
        QVERIFY(!remoteTable.rows.empty());
        for (std::size_t i = 0; i < localTable.rows.size(); ++i)
            QCOMPARE(remoteTable.rows[i].path, localTable.rows[i].path);
        const std::uint64_t fetched = source.value()->bytesFetched();
        QVERIFY2(fetched <= source.value()->size(), std::to_string(fetched).c_str());
    }

    // ByteSource's side alone, through an in-memory fetcher that records each request.
    void fetchesScatteredPagesAloneAndReadsAheadOnSequentialRuns()
    {
        struct Recording : core::RangeFetcher {
            std::vector<std::byte> file;
            std::vector<std::pair<std::uint64_t, std::uint64_t>>* log = nullptr;
            core::Result<void> fetch(std::span<const Request> requests) override
            {
                for (const Request& r : requests) {
                    log->emplace_back(r.offset, r.into.size());
                    std::memcpy(r.into.data(), file.data() + r.offset, r.into.size());
                }
                return {};
            }
        };
        std::vector<std::pair<std::uint64_t, std::uint64_t>> log;
        auto fetcher = std::make_unique<Recording>();
        fetcher->log = &log;
        for (int i = 0; i < 100000; ++i)
            fetcher->file.push_back(std::byte(i % 251));
        auto made = core::ByteSource::fromFetcher(
            std::move(fetcher), 100000, "memory", { true, 4096 * 4 });
        QVERIFY(made.ok());
        const auto& source = *made.value();
        QVERIFY(source.ensure(50000, 10).ok()); // scattered: its one page
        QVERIFY(source.ensure(50000, 10).ok()); // already here: no request
        QVERIFY(source.ensure(0, 100).ok()); // scattered again
        QVERIFY(source.ensure(4096, 1).ok()); // continues: reads ahead 2 pages
        QVERIFY(source.ensure(3 * 4096, 1).ok()); // continues: 4 pages (the split limit is 4 pages)
        QVERIFY(
            source.ensure(7 * 4096, 1).ok()); // continues: 8 wanted, 5 up to page 12, two requests
        const std::vector<std::pair<std::uint64_t, std::uint64_t>> expected { { 12 * 4096, 4096 },
            { 0, 4096 }, { 4096, 8192 }, { 3 * 4096, 4 * 4096 }, { 7 * 4096, 4 * 4096 },
            { 11 * 4096, 4096 } };
        QCOMPARE(log, expected);
        QCOMPARE(source.fetchCount(), std::uint64_t(5));
        QCOMPARE(std::to_integer<int>(source.bytes()[50009]), 50009 % 251);
        QCOMPARE(std::to_integer<int>(source.bytes()[7 * 4096 + 5]), (7 * 4096 + 5) % 251);
        auto past = source.ensure(99990, 11);
        QVERIFY(!past.ok());
        QCOMPARE(past.error().code, core::ErrorCode::Truncated);
        QCOMPARE(past.error().offset, std::uint64_t(99990));
        QVERIFY(source.ensure(99990, 10).ok()); // the last, partial page
        QCOMPARE(log.back(),
            std::make_pair(std::uint64_t(24 * 4096), std::uint64_t(100000 - 24 * 4096)));
    }

    void followsARedirect()
    {
        auto source = core::remote::openUrl(
            m_server->url(QStringLiteral("redirect/torch/dtypes_zip.pt")).toStdString(), guarded());
        QVERIFY2(source.ok(), source.ok() ? "" : source.error().toString().c_str());
        auto doc = core::loadSource(source.value());
        QVERIFY(doc.ok());
        QCOMPARE(core::torch::tensorTable(*doc.value()).rows.size(),
            core::torch::tensorTable(*loadLocal(QStringLiteral("torch/dtypes_zip.pt")))
                .rows.size());
    }

    void reportsAServerWithoutRangeSupportWithTheFileSize()
    {
        auto source = core::remote::openUrl(
            m_server->url(QStringLiteral("norange/torch/half_patterns.pt")).toStdString(),
            guarded());
        QVERIFY(!source.ok());
        const std::string message = source.error().message;
        QVERIFY2(message.find("does not serve byte ranges") != std::string::npos, message.c_str());
        QVERIFY2(message.find("788035 bytes") != std::string::npos, message.c_str());
    }

    void reportsAMissingFile()
    {
        auto source = core::remote::openUrl(
            m_server->url(QStringLiteral("ok/torch/no_such_file.pt")).toStdString(), guarded());
        QVERIFY(!source.ok());
        QCOMPARE(source.error().code, core::ErrorCode::Io);
        QVERIFY2(source.error().message.find("HTTP 404") != std::string::npos,
            source.error().message.c_str());
    }

    void reportsAServerThatLiesAboutLengthsNamingTheOffset()
    {
        auto source = core::remote::openUrl(
            m_server->url(QStringLiteral("lie/torch/half_patterns.pt")).toStdString(), guarded());
        QVERIFY(source.ok()); // the probe is answered honestly
        auto doc = core::loadSource(source.value());
        QVERIFY(!doc.ok());
        QCOMPARE(doc.error().code, core::ErrorCode::Io);
        const std::string message = doc.error().toString();
        QVERIFY2(message.find("Content-Length") != std::string::npos, message.c_str());
        QCOMPARE(doc.error().offset, std::uint64_t(0)); // the first fetch: the head, at byte 0
        QVERIFY2(message.find("at byte 0") != std::string::npos, message.c_str());
    }

    void reportsAConnectionCutMidBlockNamingTheOffset()
    {
        auto source = core::remote::openUrl(
            m_server->url(QStringLiteral("cut/torch/half_patterns.pt")).toStdString(), guarded());
        QVERIFY(source.ok());
        auto doc = core::loadSource(source.value());
        QVERIFY(!doc.ok());
        const core::Error& e = doc.error();
        QCOMPARE(e.code, core::ErrorCode::Io);
        // The head (4096 bytes) is cut at half, and each of the two retries at half of the rest.
        QCOMPARE(e.offset, std::uint64_t(2048 + 1024 + 512));
        QVERIFY2(e.message.find("stopped at byte 3584") != std::string::npos, e.message.c_str());
    }

    void sendsExtraHeadersToTheNamedHostOnly()
    {
        auto options = guarded();
        options.headers.emplace_back("X-Picklescope-Test", "secret-token");
        const int before = m_server->headerValues("x-picklescope-test").size();
        const int requestsBefore = m_server->requests();
        auto source = core::remote::openUrl(
            m_server->url(QStringLiteral("away/torch/dtypes_zip.pt")).toStdString(), options);
        QVERIFY2(source.ok(), source.ok() ? "" : source.error().toString().c_str());
        auto doc = core::loadSource(source.value());
        QVERIFY(doc.ok());
        // The first request (to 127.0.0.1) carried it; the requests redirected to localhost did
        // not.
        QVERIFY(m_server->requests() - requestsBefore >= 3);
        QCOMPARE(m_server->headerValues("x-picklescope-test").size() - before, 1);
    }

    void takesCredentialsFromANetrcFile()
    {
        QTemporaryDir dir;
        QFile netrc(dir.filePath(QStringLiteral("netrc")));
        QVERIFY(netrc.open(QIODevice::WriteOnly));
        netrc.write("machine example.org login other password nope\nmachine 127.0.0.1\n  login "
                    "alice\n  password s3cret\n");
        netrc.close();
        QCOMPARE(core::remote::netrcCredentials(netrc.fileName().toStdString(), "127.0.0.1"),
            std::string("alice:s3cret"));
        QCOMPARE(core::remote::netrcCredentials(netrc.fileName().toStdString(), "example.com"),
            std::string());
        auto options = guarded();
        options.useNetrc = true;
        options.netrcPath = netrc.fileName().toStdString();
        auto source = core::remote::openUrl(
            m_server->url(QStringLiteral("ok/torch/dtypes_zip.pt")).toStdString(), options);
        QVERIFY(source.ok());
        QVERIFY(m_server->headerValues("authorization")
                    .contains(QStringLiteral("Basic YWxpY2U6czNjcmV0")));
    }

    // The command line, against the same server. It reads URLs through its HTTP plugin
    // (core/remote/http_plugin.h), loaded with the first URL: QtNetwork is no start-up cost.
    void cliLinksQtNetworkOnlyThroughItsPlugin()
    {
        const testing::CliRun elf = testing::runProcess(
            QStringLiteral("readelf"), { QStringLiteral("--dynamic"), testing::cliPath() });
        QCOMPARE(elf.exitCode, 0);
        QVERIFY2(elf.out.contains("libQt6Core.so"), elf.out.constData());
        QVERIFY2(!elf.out.contains("libQt6Network"), elf.out.constData());
    }

    void cliInfoOfAUrlListsTheTensorsAndTheBytesFetched()
    {
        const auto run = runCli(
            { QStringLiteral("info"), m_server->url(QStringLiteral("ok/torch/half_patterns.pt")) });
        QCOMPARE(run.exitCode, 0);
        QVERIFY(run.out.contains("tensors:   4"));
        QVERIFY(run.out.contains("$['bf16_as_f32']"));
        QVERIFY2(run.out.contains("remote:    http://127.0.0.1:")
                && run.out.contains(" of 788,035 bytes"),
            run.out.constData());
    }

    void cliScanOfAMaliciousPickleUrlExits3()
    {
        const auto run = runCli({ QStringLiteral("scan"),
            m_server->url(QStringLiteral("ok/safety/malicious/os_system_p2.pkl")) });
        QCOMPARE(run.exitCode, 3);
        QVERIFY(run.out.contains("posix.system"));
    }

    void cliReportsServerProblemsWithExit1_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QByteArray>("message");
        QTest::newRow("a file the server does not have")
            << QStringLiteral("ok/torch/none.pt") << QByteArray("HTTP 404");
        QTest::newRow("a server without range support") << QStringLiteral(
            "norange/torch/dtypes_zip.pt") << QByteArray("does not serve byte ranges");
        QTest::newRow("a server that cuts the connection")
            << QStringLiteral("cut/torch/dtypes_zip.pt") << QByteArray("stopped at byte");
    }
    void cliReportsServerProblemsWithExit1()
    {
        QFETCH(QString, path);
        QFETCH(QByteArray, message);
        for (const QString& command :
            { QStringLiteral("info"), QStringLiteral("scan"), QStringLiteral("dis") }) {
            const auto run = runCli({ command, m_server->url(path) });
            QCOMPARE(run.exitCode, 1);
            QVERIFY2(run.err.contains(message), run.err.constData());
        }
    }

private:
    std::unique_ptr<RangeServer> m_server;
};

QTEST_GUILESS_MAIN(TestHttpSource)
#include "tst_http_source.moc"
