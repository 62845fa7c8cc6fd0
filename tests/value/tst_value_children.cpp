// The one child enumeration (core/value/value_children.h) and the one reference counter against
// CPython's objects: tests/value/gen_value_children.py pickles containers with shared values and
// cycles (and a torch checkpoint with a shared tensor and a list holding itself) and writes what
// a walk over the Python objects finds: each identity object's appearances and whether it is on
// a cycle, and the mark of every later appearance. Plus: the three ways of reading children
// (count/index, forEach, labels) agree for every ChildSet over every fixture, and the counter
// walks a million-deep cycle without recursion.

#include "core/value/value_children.h"
#include "core/value/value_text.h"

#include "children_fixtures.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <algorithm>
#include <unordered_map>

using namespace core;

namespace {

// The pickles and checkpoints under tests/data/<dir> for each dir.
QStringList fixtureFiles(const QStringList& dirs)
{
    QStringList out;
    for (const QString& dir : dirs) {
        const QDir d(QStringLiteral(PICKLESCOPE_TEST_DATA "/") + dir);
        for (const QString& f : d.entryList({ "*.pkl", "*.pt", "*.pth", "*.joblib" }, QDir::Files))
            out << d.filePath(f);
    }
    return out;
}

// What the generator's walk finds, read from the loaded graph: a pre-order walk over the display
// children that expands an identity value at its first appearance only.
struct Walk {
    QStringList appearances; // "path appearances cycle", sorted by path
    QStringList marks; // "path mark", in walk order
};

Walk walkDisplay(const ValueGraph& g, ValueId root)
{
    const ReferenceCounts counts = referenceCounts(g, root, ChildSet::Display);
    Walk out;
    std::unordered_map<std::uint32_t, bool> seen;
    std::vector<std::uint32_t> onPath(g.size(), 0);
    struct Frame {
        ValueId id;
        std::size_t next;
        QString path;
    };
    std::vector<Frame> stack;
    auto visit = [&](ValueId id, const QString& path) {
        const bool identity = isIdentityValue(g, id);
        const bool first = !identity || seen.find(indexOf(id)) == seen.end();
        const RepeatMark mark = repeatMark(g, id, first, identity && onPath[indexOf(id)] != 0);
        if (mark != RepeatMark::None) {
            out.marks << path + (mark == RepeatMark::Cycle ? " cycle" : " shared");
            return;
        }
        if (identity) {
            seen.emplace(indexOf(id), true);
            out.appearances << QStringLiteral("%1 %2 %3")
                                   .arg(path)
                                   .arg(counts.count(id))
                                   .arg(counts.onCycle(id) ? "true" : "false");
            ++onPath[indexOf(id)];
        }
        stack.push_back({ id, 0, path });
    };
    visit(root, QString());
    while (!stack.empty()) {
        Frame& top = stack.back();
        if (top.next >= displayChildCount(g, top.id)) {
            if (isIdentityValue(g, top.id))
                --onPath[indexOf(top.id)];
            stack.pop_back();
            continue;
        }
        const DisplayChild c = displayChild(g, top.id, top.next++);
        const QString path = top.path + QString::fromStdString(c.pathSegment);
        visit(c.child, path);
    }
    out.appearances.sort();
    return out;
}

Walk expectedWalk(const QJsonObject& expected)
{
    Walk out;
    for (const auto& v : expected.value("appearances").toArray()) {
        const QJsonObject o = v.toObject();
        out.appearances << QStringLiteral("%1 %2 %3")
                               .arg(o.value("path").toString())
                               .arg(o.value("appearances").toInt())
                               .arg(o.value("cycle").toBool() ? "true" : "false");
    }
    for (const auto& v : expected.value("marks").toArray()) {
        const QJsonObject o = v.toObject();
        out.marks << o.value("path").toString() + " " + o.value("mark").toString();
    }
    out.appearances.sort();
    return out;
}

} // namespace

class TestValueChildren : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void sharingAndCyclesMatchPythonsObjects_data();
    void sharingAndCyclesMatchPythonsObjects();
    void countIndexVisitAndLabelsAgree_data();
    void countIndexVisitAndLabelsAgree();
    void theGraphSetReachesEveryValueTheOtherSetsReach();
    void appearancesOnlyCountsWhatTheFullCounterCounts();
    void labelsAreMadeOnlyForTheChildAskedFor();
    void countsAMillionDeepCycleWithoutRecursion();
    void marksAreShownOnlyForRepeatedIdentityValues();
};

void TestValueChildren::sharingAndCyclesMatchPythonsObjects_data()
{
    testing::addChildrenFixtureRows();
}

void TestValueChildren::sharingAndCyclesMatchPythonsObjects()
{
    QFETCH(QString, file);
    QFETCH(QString, expected);
    const auto doc = testing::loadDocument(testing::kValueFixtureDir + file);
    QVERIFY(doc);
    const QJsonObject want = testing::childrenExpectation(expected);
    QVERIFY(!want.isEmpty());
    const Walk got = walkDisplay(doc->graph, doc->root);
    const Walk exp = expectedWalk(want);
    QVERIFY(!exp.marks.isEmpty());
    QCOMPARE(got.appearances, exp.appearances);
    QCOMPARE(got.marks, exp.marks);
}

void TestValueChildren::countIndexVisitAndLabelsAgree_data()
{
    QTest::addColumn<QString>("path");
    for (const QString& path : fixtureFiles({ "value", "export", "torch", "numpy", "domain" }))
        QTest::newRow(qPrintable(path.mid(path.indexOf("/data/") + 6))) << path;
}

void TestValueChildren::countIndexVisitAndLabelsAgree()
{
    QFETCH(QString, path);
    const auto doc = testing::loadDocument(path);
    if (!doc)
        QSKIP("does not load (an error fixture)");
    const ValueGraph& g = doc->graph;
    std::size_t edges = 0;
    for (std::uint32_t i = 0; i < g.size(); ++i) {
        const ValueId id { i };
        for (ChildSet set : { ChildSet::Display, ChildSet::Export, ChildSet::ExportPlain,
                 ChildSet::Graph, ChildSet::Access }) {
            const Children children = childrenOf(g, id, set);
            std::vector<ValueId> visited;
            forEachChild(g, id, set, [&](ValueId c) { visited.push_back(c); });
            QCOMPARE(visited.size(), children.size());
            QCOMPARE(childCount(g, id, set), children.size());
            for (std::size_t k = 0; k < visited.size(); ++k) {
                QCOMPARE(childAt(g, id, k, set), visited[k]);
                if (set == ChildSet::Display && k < 64) // labels: the first rows are enough
                    QCOMPARE(childLabel(g, id, k, set).child, visited[k]);
            }
            QVERIFY(isNull(childAt(g, id, visited.size(), set)));
            QVERIFY(isNull(childLabel(g, id, visited.size(), set).child));
            edges += visited.size();
        }
    }
    QVERIFY(g.size() <= 1 || edges > 0);
}

void TestValueChildren::theGraphSetReachesEveryValueTheOtherSetsReach()
{
    int checked = 0;
    for (const QString& path : fixtureFiles({ "value", "export", "torch" })) {
        const auto doc = testing::loadDocument(path);
        if (!doc)
            continue;
        const ValueGraph& g = doc->graph;
        const ReferenceCounts all = referenceCounts(g, doc->root, ChildSet::Graph);
        for (ChildSet set : { ChildSet::Display, ChildSet::Export, ChildSet::ExportPlain }) {
            const ReferenceCounts some = referenceCounts(g, doc->root, set);
            for (std::uint32_t i = 0; i < g.size(); ++i) {
                if (some.appearances[i] != 0 && all.appearances[i] == 0)
                    QFAIL(qPrintable(QStringLiteral("%1: value %2 is reached by set %3 only")
                                         .arg(path)
                                         .arg(i)
                                         .arg(int(set))));
                // Fewer edges cannot make a cycle the full graph does not have.
                QVERIFY(some.cyclic[i] == 0 || all.cyclic[i] != 0);
            }
        }
        ++checked;
    }
    QVERIFY(checked > 10);
}

void TestValueChildren::appearancesOnlyCountsWhatTheFullCounterCounts()
{
    // The export's mode (CountMode::AppearancesOnly: no cycle bookkeeping) counts each value as
    // Tarjan's walk does, for every set, on every fixture (shared values, cycles, tensors).
    int checked = 0;
    for (const QString& path : fixtureFiles({ "value", "export", "torch" })) {
        const auto doc = testing::loadDocument(path);
        if (!doc)
            continue;
        const ValueGraph& g = doc->graph;
        for (ChildSet set : { ChildSet::Display, ChildSet::Export, ChildSet::ExportPlain,
                 ChildSet::Graph, ChildSet::Access }) {
            const ReferenceCounts full = referenceCounts(g, doc->root, set);
            const ReferenceCounts only
                = referenceCounts(g, doc->root, set, CountMode::AppearancesOnly);
            QVERIFY(only.cyclic.empty());
            QCOMPARE(only.appearances.size(), g.size());
            for (std::uint32_t i = 0; i < g.size(); ++i) {
                if (only.appearances[i] != full.appearances[i])
                    QFAIL(qPrintable(QStringLiteral("%1: set %2, value %3: %4 appearances, not %5")
                                         .arg(path)
                                         .arg(int(set))
                                         .arg(i)
                                         .arg(only.appearances[i])
                                         .arg(full.appearances[i])));
            }
            checked += std::count_if(full.appearances.begin(), full.appearances.end(),
                [](std::uint8_t n) { return n >= 2; });
        }
    }
    QVERIFY(checked > 10); // shared values were compared, not only counts of one
}

void TestValueChildren::labelsAreMadeOnlyForTheChildAskedFor()
{
    const auto doc = testing::loadDocument(testing::kValueFixtureDir + "children_p2.pkl");
    QVERIFY(doc);
    const ValueGraph& g = doc->graph;
    // root['counts']: a defaultdict: its factory first, then the key.
    const ValueId counts = childAt(g, doc->root, 5, ChildSet::Display);
    QCOMPARE(typeLabel(g, counts), std::string("defaultdict"));
    const DisplayChild factory = childLabel(g, counts, 0);
    QCOMPARE(factory.kind, EdgeKind::Field);
    QCOMPARE(factory.label, std::string("default_factory"));
    QCOMPARE(factory.pathSegment, std::string(".default_factory"));
    const DisplayChild k = childLabel(g, counts, 1);
    QCOMPARE(k.kind, EdgeKind::Key);
    QCOMPARE(k.label, std::string("'k'"));
    QCOMPARE(k.pathSegment, std::string("['k']"));
    QCOMPARE(scalarRepr(g, k.child), std::string("1"));
    // The export set writes a dict's keys and values, alternating, labelled by position.
    QCOMPARE(childCount(g, counts, ChildSet::Export), std::size_t(3)); // factory, 'k', 1
    QCOMPARE(childCount(g, counts, ChildSet::ExportPlain), std::size_t(2)); // 'k', 1
    QCOMPARE(childLabel(g, counts, 1, ChildSet::ExportPlain).label, std::string("[1]"));
}

void TestValueChildren::countsAMillionDeepCycleWithoutRecursion()
{
    // list0 -> list1 -> ... -> list999999 -> list0, and a tail list hanging off list0 that is on
    // no cycle.
    constexpr std::uint32_t kDepth = 1'000'000;
    ValueGraph g;
    for (std::uint32_t i = 0; i < kDepth; ++i)
        g.addContainer(ValueKind::List, i, { ValueId { (i + 1) % kDepth } });
    const ValueId tail = g.addContainer(ValueKind::List, kDepth);
    g.appendItem(ValueId { 0 }, tail);
    const ReferenceCounts counts = referenceCounts(g, ValueId { 0 }, ChildSet::Display);
    QCOMPARE(int(counts.count(ValueId { 0 })), 2); // the root and list999999's item
    QCOMPARE(int(counts.count(ValueId { kDepth / 2 })), 1);
    QCOMPARE(int(counts.count(tail)), 1);
    std::size_t cyclic = 0;
    for (std::uint32_t i = 0; i < kDepth; ++i)
        cyclic += counts.onCycle(ValueId { i }) ? 1 : 0;
    QCOMPARE(cyclic, std::size_t(kDepth));
    QVERIFY(!counts.onCycle(tail));
    // Appearances alone: the same counts, its walk a million frames deep (no recursion either).
    const ReferenceCounts only
        = referenceCounts(g, ValueId { 0 }, ChildSet::Display, CountMode::AppearancesOnly);
    QVERIFY(only.appearances == counts.appearances);
    QVERIFY(!only.onCycle(ValueId { 0 }));
}

void TestValueChildren::marksAreShownOnlyForRepeatedIdentityValues()
{
    ValueGraph g;
    const ValueId text = g.addStrCopy("abc", 0);
    const ValueId list = g.addContainer(ValueKind::List, 1, { text, text });
    QCOMPARE(repeatMark(g, text, false, false), RepeatMark::None); // a str is a value
    QCOMPARE(repeatMark(g, list, true, false), RepeatMark::None);
    QCOMPARE(repeatMark(g, list, false, false), RepeatMark::Shared);
    QCOMPARE(repeatMark(g, list, false, true), RepeatMark::Cycle);
    QCOMPARE(repeatMarkSign(RepeatMark::Shared), std::string_view("\xE2\x86\x97"));
    QCOMPARE(repeatMarkSign(RepeatMark::Cycle), std::string_view("\xE2\x86\xBB"));
}

QTEST_APPLESS_MAIN(TestValueChildren)
#include "tst_value_children.moc"
