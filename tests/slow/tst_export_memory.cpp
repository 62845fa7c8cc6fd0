// Slow (ctest label "slow", not in the default run): exporting a graph of 20 million values keeps
// memory flat. The writer's own memory (one byte per value for reference counting, a walk stack
// and a 64 KiB buffer) must stay far below the graph's, for the typed and the plain form.

#include "core/export/json_writer.h"

#include <QtTest>

#include <cstdio>
#include <unistd.h>

using namespace core;

namespace {

// Current resident set size (not the process peak, which the graph's construction set).
long rssKiB()
{
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if (f == nullptr)
        return 0;
    long pages = 0, resident = 0;
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    std::fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// Samples the RSS while the export runs (progress is reported every few thousand values).
class RssSampler : public LoadObserver {
public:
    bool isCancelled() const override { return false; }
    void progress(std::uint64_t, std::uint64_t) override
    {
        if (++m_calls % 64 == 0)
            peak = std::max(peak, rssKiB());
    }
    long peak = 0;

private:
    std::uint64_t m_calls = 0;
};

class NullSink : public JsonSink {
public:
    bool write(std::string_view text) override
    {
        bytes += text.size();
        return true;
    }
    std::uint64_t bytes = 0;
};

} // namespace

class TestExportMemory : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void twentyMillionValuesExportWithFlatMemory();
};

void TestExportMemory::twentyMillionValuesExportWithFlatMemory()
{
    // 1,000,000 tuples of 20 fields (ints, floats, a str, None, a shared list) under one list:
    // 20,000,003 values.
    constexpr int records = 1000000;
    auto doc = std::make_shared<Document>();
    ValueGraph& g = doc->graph;
    const ValueId shared = g.addContainer(ValueKind::List, 0, { g.addInt(1, 0) });
    std::vector<ValueId> rows;
    rows.reserve(records);
    for (int r = 0; r < records; ++r) {
        std::vector<ValueId> fields;
        fields.reserve(20);
        for (int i = 0; i < 8; ++i)
            fields.push_back(g.addInt(r * 8 + i, 0));
        for (int i = 0; i < 9; ++i)
            fields.push_back(g.addFloat(r + i / 8.0, 0));
        fields.push_back(g.addStrView("record", 0));
        fields.push_back(g.addNone(0));
        fields.push_back(shared);
        rows.push_back(g.addContainer(ValueKind::Tuple, 0, std::move(fields)));
    }
    doc->root = g.addContainer(ValueKind::List, 0, std::move(rows));
    QVERIFY(g.size() >= 20000000);
    const std::shared_ptr<const Document> constDoc = doc;
    const long before = rssKiB();
    const long graphKiB = static_cast<long>(g.memoryUsage() / 1024);
    for (const bool plain : { false, true }) {
        NullSink sink;
        JsonExportOptions options;
        options.plain = plain;
        QElapsedTimer timer;
        timer.start();
        RssSampler sampler;
        QVERIFY(writeJson(constDoc, sink, options, &sampler).ok());
        const long grown = std::max(sampler.peak, rssKiB()) - before;
        qInfo(
            "%s: %zu values, %.1f MB of JSON in %.2f s; peak RSS grew by %ld KiB (graph: %ld KiB)",
            plain ? "plain" : "typed", g.size(), sink.bytes / 1e6, timer.elapsed() / 1000.0, grown,
            graphKiB);
        QVERIFY(sink.bytes > 150000000ull);
        // Reference counts (20 MB) + walk stack + buffers; nothing per value beyond a byte.
        QVERIFY2(
            grown < 64 * 1024, qPrintable(QStringLiteral("peak RSS grew by %1 KiB").arg(grown)));
    }
}

QTEST_APPLESS_MAIN(TestExportMemory)
#include "tst_export_memory.moc"
