// The value arena's packed layout: 16-byte values whose file offsets are kept relative to offset
// segments (so offsets past 4 GiB and out-of-order offsets come back exact), payload lengths
// kept inline below 65,535 bytes and in the blob table above, and arena growth that keeps
// every value.

#include "core/loader.h"
#include "core/value/value_graph.h"

#include <QtTest>

#include <cstring>
#include <string>

using namespace core;

class TestValueGraph : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void offsetsComeBackExactInAnyOrderAndPast4GiB();
    void payloadLengthsAroundTheInlineLimitAreExact();
    void equalLongKeysCollapseAsInPython();
    void millionsOfValuesSurviveArenaGrowth();
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

QTEST_APPLESS_MAIN(TestValueGraph)
#include "tst_value_graph.moc"
