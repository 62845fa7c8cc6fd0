// The value arena's packed layout: 16-byte values whose file offsets are kept relative to offset
// segments (so offsets past 4 GiB and out-of-order offsets come back exact), payload lengths
// kept inline below 65,535 bytes and in the blob table above, and arena growth that keeps
// every value. The item pool: every container's items in one block, each container a 16-byte
// run, items that stay right while other containers grow around them (against a model and
// against CPython's reading of pickles written to interleave them), bounded garbage, and the
// memory of 200,000 one-item lists.

#include "core/loader.h"
#include "core/value/value_graph.h"
#include "tests/common/python_repr.h"

#include <QtTest>

#include <cstring>
#include <random>
#include <string>

using namespace core;

class TestValueGraph : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void offsetsComeBackExactInAnyOrderAndPast4GiB();
    void payloadLengthsAroundTheInlineLimitAreExact();
    void equalLongKeysCollapseAsInPython();
    void millionsOfValuesSurviveArenaGrowth();
    void containersKeepTheirItemsWhileOthersGrowAroundThem();
    void aListAtThePoolsEndGrowsInPlace();
    void abandonedRunsStayBoundedByTheLiveItems();
    void itemsOfOneContainerCopyIntoAnotherAcrossAGrowth();
    void twoHundredThousandOneItemListsCostARunEachNotAVector();
    void deepNestingLoadsIntoOnePoolWithoutGarbage();
    void interleavedContainersLoadAsCPythonReadsThem_data();
    void interleavedContainersLoadAsCPythonReadsThem();
};

void TestValueGraph::offsetsComeBackExactInAnyOrderAndPast4GiB()
{
    const std::uint64_t gib = std::uint64_t(1) << 30;
    const std::vector<std::uint64_t> offsets = { 0, 10, 5, 4 * gib - 1, 4 * gib, 5 * gib + 3, 100,
        std::uint64_t(1) << 40, 7, (std::uint64_t(1) << 40) + 0xFFFFFFFFull, 42 };
    ValueGraph g;
    std::vector<ValueId> ids;
    for (std::size_t i = 0; i < offsets.size(); ++i)
        ids.push_back(g.addInt(static_cast<std::int64_t>(i), offsets[i]));
    for (std::size_t i = 0; i < offsets.size(); ++i) {
        QCOMPARE(g.offset(ids[i]), offsets[i]);
        QCOMPARE(g.intValue(ids[i]), static_cast<std::int64_t>(i));
    }
    QCOMPARE(sizeof(Value), std::size_t(16));
}

void TestValueGraph::payloadLengthsAroundTheInlineLimitAreExact()
{
    ValueGraph g;
    for (const std::size_t n : { std::size_t(0), std::size_t(1), std::size_t(65534), std::size_t(65535),
             std::size_t(65536), std::size_t(200000) }) {
        std::string text(n, 'x');
        if (n > 0)
            text.back() = 'y';
        const ValueId s = g.addStrCopy(text, n);
        const ValueId b = g.addBytesCopy(text, ValueKind::Bytes, n + 1);
        QCOMPARE(g.text(s).size(), n);
        QVERIFY(g.text(s) == text);
        QCOMPARE(g.bytes(b).size(), n);
        QVERIFY(n == 0 || std::memcmp(g.bytes(b).data(), text.data(), n) == 0);
        QCOMPARE(g.offset(s), std::uint64_t(n));
        QCOMPARE(g.offset(b), std::uint64_t(n + 1));
    }
}

namespace {

// A protocol-4 pickle of {key1: 1, key2: 2} built opcode by opcode (BINUNICODE keys).
std::vector<std::byte> dictPickle(const std::string& key1, const std::string& key2)
{
    std::vector<std::byte> out;
    auto put = [&](std::initializer_list<int> bytes) {
        for (int b : bytes)
            out.push_back(static_cast<std::byte>(b));
    };
    auto putStr = [&](const std::string& s) {
        const auto n = static_cast<std::uint32_t>(s.size());
        put({ 0x58, int(n & 0xFF), int((n >> 8) & 0xFF), int((n >> 16) & 0xFF), int(n >> 24) }); // BINUNICODE
        for (char c : s)
            out.push_back(static_cast<std::byte>(c));
    };
    put({ 0x80, 4, '}', '(' }); // PROTO 4, EMPTY_DICT, MARK
    putStr(key1);
    put({ 'K', 1 }); // BININT1 1
    putStr(key2);
    put({ 'K', 2 });
    put({ 'u', '.' }); // SETITEMS, STOP
    return out;
}

} // namespace

void TestValueGraph::equalLongKeysCollapseAsInPython()
{
    // Python: {k: 1, k: 2} == {k: 2}. Keys longer than the inline limit compare by content.
    struct Case {
        std::string a, b;
        std::size_t pairs;
    };
    const std::string longA(70000, 'a');
    std::string longB = longA;
    longB.back() = 'b';
    for (const Case& c : { Case { longA, longA, 1 }, Case { longA, longB, 2 },
             Case { longA, longA + "a", 2 }, Case { std::string(65535, 'k'), std::string(65535, 'k'), 1 } }) {
        auto doc = loadSource(ByteSource::fromBuffer(dictPickle(c.a, c.b)), {});
        QVERIFY(doc.ok());
        const Document& d = *doc.value();
        QVERIFY(!d.error);
        QCOMPARE(d.graph.kind(d.root), ValueKind::Dict);
        QCOMPARE(d.graph.itemCount(d.root), c.pairs);
        const auto& items = d.graph.items(d.root);
        QCOMPARE(d.graph.intValue(items.back()), std::int64_t(2));
        QCOMPARE(d.graph.text(items.front()).size(), c.a.size());
    }
}

void TestValueGraph::millionsOfValuesSurviveArenaGrowth()
{
    ValueGraph g;
    const std::int64_t n = 3'000'000;
    for (std::int64_t i = 0; i < n; ++i)
        g.addInt(i * 7, static_cast<std::uint64_t>(i) * 3);
    QCOMPARE(g.size(), std::size_t(n));
    for (std::int64_t i = 0; i < n; i += 99991) {
        const ValueId id { static_cast<std::uint32_t>(i) };
        QCOMPARE(g.intValue(id), i * 7);
        QCOMPARE(g.offset(id), static_cast<std::uint64_t>(i) * 3);
    }
}

namespace {

bool sameItems(const ValueGraph& g, ValueId id, const std::vector<ValueId>& expected)
{
    const auto items = g.items(id);
    return std::equal(items.begin(), items.end(), expected.begin(), expected.end());
}

} // namespace

void TestValueGraph::containersKeepTheirItemsWhileOthersGrowAroundThem()
{
    // Random appends, item sets, replacements and new containers (some copied from another
    // container's items) against a model of one std::vector per container.
    ValueGraph g;
    std::vector<ValueId> ids;
    std::vector<std::vector<ValueId>> model;
    std::mt19937 rng(7);
    auto newId = [&] { return ValueId { static_cast<std::uint32_t>(rng() % 100000) }; };
    for (int step = 0; step < 200000; ++step) {
        const unsigned what = rng() % 100;
        if (ids.empty() || what < 5) {
            std::vector<ValueId> items(rng() % 4);
            for (auto& item : items)
                item = newId();
            ids.push_back(g.addContainer(ValueKind::List, 0, items));
            model.push_back(items);
        } else if (what < 8) {
            const std::size_t from = rng() % ids.size();
            ids.push_back(g.addContainer(ValueKind::Tuple, 0, g.items(ids[from])));
            model.push_back(model[from]);
        } else if (what < 85) {
            const std::size_t i = rng() % ids.size();
            std::vector<ValueId> more(1 + rng() % 5);
            for (auto& item : more)
                item = newId();
            g.appendItems(ids[i], more);
            model[i].insert(model[i].end(), more.begin(), more.end());
        } else if (what < 88) {
            // Another container's items appended to this one (the pool may move under them).
            const std::size_t i = rng() % ids.size(), from = rng() % ids.size();
            g.appendItems(ids[i], g.items(ids[from]));
            const std::vector<ValueId> copy = model[from];
            model[i].insert(model[i].end(), copy.begin(), copy.end());
        } else if (what < 95) {
            const std::size_t i = rng() % ids.size();
            if (!model[i].empty()) {
                const std::size_t at = rng() % model[i].size();
                const ValueId item = newId();
                g.setItem(ids[i], at, item);
                model[i][at] = item;
            }
        } else {
            const std::size_t i = rng() % ids.size();
            std::vector<ValueId> items(rng() % 8);
            for (auto& item : items)
                item = newId();
            g.replaceItems(ids[i], items);
            model[i] = items;
        }
    }
    std::size_t live = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        QVERIFY2(sameItems(g, ids[i], model[i]), qPrintable(QString("container %1").arg(i)));
        live += model[i].size();
    }
    QVERIFY(live > 500000);
    // Abandoned runs never outgrow the rest of the pool (or a floor worth compacting for).
    QVERIFY(g.itemPoolGarbage()
        <= std::max(g.itemPoolSlots() - g.itemPoolGarbage(), std::size_t(1) << 16));
}

void TestValueGraph::aListAtThePoolsEndGrowsInPlace()
{
    // numbers.pkl's shape: one list appended to in batches of 1,000 with numbers between (numbers
    // are not containers): the list never moves, the pool holds exactly its items.
    ValueGraph g;
    const ValueId list = g.addContainer(ValueKind::List, 0);
    std::vector<ValueId> expected;
    for (int batch = 0; batch < 2000; ++batch) {
        std::vector<ValueId> items;
        for (int i = 0; i < 1000; ++i)
            items.push_back(g.addInt(batch * 1000 + i, 0));
        g.appendItems(list, items);
        expected.insert(expected.end(), items.begin(), items.end());
    }
    QVERIFY(sameItems(g, list, expected));
    QCOMPARE(g.itemPoolSlots(), std::size_t(2000000));
    QCOMPARE(g.itemPoolGarbage(), std::size_t(0));
    QCOMPARE(g.intValue(g.items(list)[1234567]), std::int64_t(1234567));
}

void TestValueGraph::abandonedRunsStayBoundedByTheLiveItems()
{
    // Appends that alternate between lists move each to the pool's end in turn (its old run is
    // garbage); capacity doubles on a move, so moves are few, and the pool is compacted before the
    // garbage outgrows the live items.
    ValueGraph g;
    std::vector<ValueId> lists;
    for (int i = 0; i < 64; ++i)
        lists.push_back(g.addContainer(ValueKind::List, 0));
    std::size_t maxGarbageOverLive = 0;
    for (std::uint32_t round = 0; round < 20000; ++round) {
        for (std::uint32_t i = 0; i < lists.size(); ++i)
            g.appendItem(lists[i], ValueId { round * 100 + i });
        const std::size_t garbage = g.itemPoolGarbage();
        const std::size_t rest = g.itemPoolSlots() - garbage;
        if (garbage > rest)
            maxGarbageOverLive = std::max(maxGarbageOverLive, garbage - rest);
    }
    for (std::uint32_t i = 0; i < lists.size(); ++i) {
        const auto items = g.items(lists[i]);
        QCOMPARE(items.size(), std::size_t(20000));
        QCOMPARE(items[0], ValueId { i });
        QCOMPARE(items[19999], ValueId { 19999 * 100 + i });
    }
    QVERIFY2(maxGarbageOverLive <= (std::size_t(1) << 16),
        qPrintable(QString("garbage exceeded the live items by %1 slots").arg(maxGarbageOverLive)));
    // Doubling: live 1.28 M items, the whole pool (with spare room) within a small multiple.
    QVERIFY(g.itemPoolSlots() <= 4 * std::size_t(64 * 20000));
}

void TestValueGraph::itemsOfOneContainerCopyIntoAnotherAcrossAGrowth()
{
    // The source span lies in the pool, which the copy grows (and may move).
    ValueGraph g;
    std::vector<ValueId> big;
    for (std::uint32_t i = 0; i < 300000; ++i)
        big.push_back(ValueId { i });
    const ValueId first = g.addContainer(ValueKind::List, 0, big);
    const ValueId second = g.addContainer(ValueKind::Tuple, 0, g.items(first));
    g.appendItems(second, g.items(first));
    g.appendItems(first, g.items(first)); // onto itself
    QCOMPARE(g.items(second).size(), std::size_t(600000));
    QCOMPARE(g.items(second)[450000], ValueId { 150000 });
    QCOMPARE(g.items(first).size(), std::size_t(600000));
    QCOMPARE(g.items(first)[599999], ValueId { 299999 });
    g.retypeAsDict(second, DictClass::OrderedDict, g.items(second).subspan(0, 4));
    QVERIFY(sameItems(g, second, { ValueId { 0 }, ValueId { 1 }, ValueId { 2 }, ValueId { 3 } }));
    QCOMPARE(g.itemCount(second), std::size_t(2));
    QCOMPARE(g.dictClass(second), DictClass::OrderedDict);
}

void TestValueGraph::twoHundredThousandOneItemListsCostARunEachNotAVector()
{
    // Each list: its 16-byte value, a 16-byte run and its 4-byte item in the pool (a std::vector
    // each cost a 24-byte header and a heap block of its own).
    constexpr std::size_t n = 200000;
    ValueGraph g;
    g.reserve(n, n);
    for (std::uint32_t i = 0; i < n; ++i)
        g.addContainer(ValueKind::List, i, { ValueId { static_cast<std::uint32_t>((i + 1) % n) } });
    QCOMPARE(g.size(), n);
    QCOMPARE(g.items(ValueId { 4321 }).size(), std::size_t(1));
    QCOMPARE(g.items(ValueId { 4321 })[0], ValueId { 4322 });
    // The arena and the run table round their capacity up to 16 x a power of two.
    std::size_t reserved = 16;
    while (reserved < n)
        reserved *= 2;
    const std::size_t bound
        = reserved * (sizeof(Value) + 16) + n * sizeof(ValueId) + (std::size_t(256) << 10);
    QVERIFY2(g.memoryUsage() <= bound,
        qPrintable(QString("%1 bytes, bound %2").arg(g.memoryUsage()).arg(bound)));
}

void TestValueGraph::deepNestingLoadsIntoOnePoolWithoutGarbage()
{
    // deep.pkl of the benchmark: ] then (] x 200,000 then e x 200,000: every list gets its one
    // item while it is the pool's last run.
    constexpr std::size_t depth = 200000;
    std::vector<std::byte> bytes;
    auto put = [&](char c) { bytes.push_back(static_cast<std::byte>(c)); };
    put('\x80');
    put('\x02');
    put(']');
    for (std::size_t i = 0; i < depth; ++i) {
        put('(');
        put(']');
    }
    for (std::size_t i = 0; i < depth; ++i)
        put('e');
    put('.');
    auto doc = loadSource(ByteSource::fromBuffer(std::move(bytes)), {});
    QVERIFY(doc.ok());
    const Document& d = *doc.value();
    QVERIFY(!d.error);
    std::size_t levels = 0;
    for (ValueId cur = d.root; !d.graph.items(cur).empty(); cur = d.graph.items(cur)[0]) {
        QCOMPARE(d.graph.items(cur).size(), std::size_t(1));
        ++levels;
    }
    QCOMPARE(levels, depth);
    QCOMPARE(d.graph.itemPoolSlots(), depth);
    QCOMPARE(d.graph.itemPoolGarbage(), std::size_t(0));
}

void TestValueGraph::interleavedContainersLoadAsCPythonReadsThem_data()
{
    QTest::addColumn<QString>("name");
    QTest::newRow("five lists appended to in rounds between other containers")
        << "lists_interleaved";
    QTest::newRow("dicts reached again after other containers, with repeated keys")
        << "dict_duplicates_later";
    QTest::newRow("sets, a frozenset and typed dicts built between other containers")
        << "sets_and_reconstructors";
    QTest::newRow("a batch with a list for a key is refused") << "unhashable_key";
}

void TestValueGraph::interleavedContainersLoadAsCPythonReadsThem()
{
    // tests/value/gen_item_pool.py: CPython's repr of each pickle, or the error it raised.
    QFETCH(QString, name);
    const QString dir = QStringLiteral(PICKLESCOPE_TEST_DATA "/value/");
    QFile json(dir + "item_pool.expected.json");
    QVERIFY(json.open(QIODevice::ReadOnly));
    const QJsonObject expected
        = QJsonDocument::fromJson(json.readAll()).object().value(name).toObject();
    QVERIFY(!expected.isEmpty());
    auto doc = loadFile((dir + "item_pool_" + name + ".pkl").toStdString(), {});
    QVERIFY(doc.ok());
    const Document& d = *doc.value();
    if (expected.contains("error")) {
        QVERIFY(d.error.has_value());
        QVERIFY2(d.error->message.find("unhashable type: 'list'") != std::string::npos,
            d.error->message.c_str());
        return;
    }
    QVERIFY2(!d.error, d.error ? d.error->toString().c_str() : "");
    std::string ours;
    std::unordered_set<std::uint32_t> active;
    QVERIFY(testing::pythonRepr(d.graph, d.root, ours, active, 0, true));
    QCOMPARE(QString::fromStdString(ours), expected.value("repr").toString());
}

QTEST_APPLESS_MAIN(TestValueGraph)
#include "tst_value_graph.moc"
