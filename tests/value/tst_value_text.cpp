// Value text against CPython: scalarRepr / displayRepr of every item of the export fixtures must
// equal repr() of the item as CPython printed it (tests/data/export/<case>_p<N>.reprs.json, written
// by tests/export/gen_export_fixtures.py), for every protocol. Plus labels, access paths, type
// labels and summaries of the tree.

#include "core/loader.h"
#include "core/value/value_text.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QtTest>

using namespace core;

namespace {

const QString kExportDir = QStringLiteral(PICKLESCOPE_TEST_DATA "/export/");
const QString kPickleDir = QStringLiteral(PICKLESCOPE_TEST_DATA "/pickle/");

std::shared_ptr<Document> load(const QString& path)
{
    auto loaded = loadFile(path.toStdString());
    if (!loaded.ok())
        return nullptr;
    return loaded.value();
}

QStringList readReprs(const QString& stem)
{
    QFile file(kExportDir + stem + QStringLiteral(".reprs.json"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QStringList out;
    for (const auto& v : QJsonDocument::fromJson(file.readAll()).array())
        out << v.toString();
    return out;
}

// Children of a value as (label, pathSegment) pairs, joined for comparison.
QStringList childLabels(const ValueGraph& g, ValueId id)
{
    QStringList out;
    for (std::size_t i = 0; i < displayChildCount(g, id); ++i) {
        const DisplayChild c = displayChild(g, id, i);
        out << QString::fromStdString(c.label + " " + c.pathSegment);
    }
    return out;
}

} // namespace

class TestValueText : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void reprsMatchPython_data();
    void reprsMatchPython();
    void dictChildrenAreLabelledByKeyRepr();
    void objectStateIsOneRowBesideArgs();
    void reconstructorObjectsNameTheirClass();
    void typeLabelsAndSummaries();
    void longTextIsTruncatedWithEllipsis();
    void childAccessIsCheapOnHugeContainers();
};

void TestValueText::reprsMatchPython_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("protocol");
    for (const char* name : { "scalars", "floats", "strings", "bytes", "datetimes", "decimals",
             "arrays", "misc", "numpy_scalars" })
        for (int p = 0; p <= 5; ++p)
            QTest::newRow(qPrintable(QStringLiteral("%1 at protocol %2").arg(QLatin1String(name)).arg(p)))
                << QString::fromLatin1(name) << p;
}

void TestValueText::reprsMatchPython()
{
    QFETCH(QString, name);
    QFETCH(int, protocol);
    const QStringList reprs = readReprs(name + QStringLiteral("_p%1").arg(protocol));
    QVERIFY2(!reprs.isEmpty(), "run tests/export/gen_export_fixtures.py");
    const auto doc = load(kExportDir + name + QStringLiteral("_p%1.pkl").arg(protocol));
    QVERIFY(doc && !doc->error);
    const ValueGraph& g = doc->graph;
    QCOMPARE(g.kind(doc->root), ValueKind::List);
    const auto& items = g.items(doc->root);
    QCOMPARE(qsizetype(items.size()), reprs.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        const ValueId item = items[i];
        std::string got;
        switch (g.kind(item)) {
        case ValueKind::Object:
            got = displayRepr(g, item);
            break;
        case ValueKind::Global:
            got = summary(g, item);
            break;
        default:
            got = scalarRepr(g, item);
            break;
        }
        QVERIFY2(QString::fromStdString(got) == reprs[qsizetype(i)],
            qPrintable(QStringLiteral("item %1: got %2, want %3")
                           .arg(i)
                           .arg(QString::fromStdString(got), reprs[qsizetype(i)])));
        // The tree's summary is the same text when it is short.
        if (reprs[qsizetype(i)].size() < 60 && g.kind(item) != ValueKind::Object)
            QCOMPARE(QString::fromStdString(summary(g, item)), reprs[qsizetype(i)]);
    }
}

void TestValueText::dictChildrenAreLabelledByKeyRepr()
{
    const auto doc = load(kExportDir + QStringLiteral("containers_p4.pkl"));
    QVERIFY(doc && !doc->error);
    const ValueGraph& g = doc->graph;
    const auto& items = g.items(doc->root);
    // {"a": 1, "b": [1, 2], "c": {"d": None}}
    QCOMPARE(childLabels(g, items[7]), (QStringList { "'a' ['a']", "'b' ['b']", "'c' ['c']" }));
    // {1: 1, 2.5: "two", (1, 2): "tuple", None: 0} (True == 1 kept the first key)
    QCOMPARE(childLabels(g, items[8]),
        (QStringList { "1 [1]", "2.5 [2.5]", "(1, 2) [(1, 2)]", "None [None]" }));
    QCOMPARE(childLabels(g, items[6]), (QStringList { "[0] [0]", "[1] [1]", "[2] [2]" }));
    QCOMPARE(displayChild(g, items[7], 1).kind, EdgeKind::Key);
}

void TestValueText::objectStateIsOneRowBesideArgs()
{
    const auto ns = load(kPickleDir + QStringLiteral("namespace_p4.pkl"));
    QVERIFY(ns && !ns->error);
    QCOMPARE(QString::fromStdString(typeLabel(ns->graph, ns->root)),
        QStringLiteral("argparse.Namespace"));
    QCOMPARE(childLabels(ns->graph, ns->root), (QStringList { "state .__dict__" }));
    QCOMPARE(displayChild(ns->graph, ns->root, 0).kind, EdgeKind::Field);
    const ValueId state = displayChild(ns->graph, ns->root, 0).child;
    QCOMPARE(childLabels(ns->graph, state), (QStringList { "'a' ['a']", "'b' ['b']" }));
    QCOMPARE(QString::fromStdString(summary(ns->graph, ns->root)),
        QStringLiteral("argparse.Namespace object"));

    const auto deque = load(kExportDir + QStringLiteral("collections_p2.pkl"));
    QVERIFY(deque && !deque->error);
    const ValueId d = deque->graph.items(deque->root)[4]; // deque([1, 2, 3], maxlen=5)
    QCOMPARE(childLabels(deque->graph, d),
        (QStringList { "args .__args__", "[0] [0]", "[1] [1]", "[2] [2]" }));
}

void TestValueText::reconstructorObjectsNameTheirClass()
{
    ValueGraph g;
    const ValueId cls = g.addGlobal("mymod", "Thing", "mymod", "Thing", 0);
    const ValueId object = g.addGlobal("builtins", "object", "__builtin__", "object", 0);
    // A raw copyreg._reconstructor call (as a hook might leave it) names cls.
    ObjectRecord raw;
    raw.callable = g.addGlobal("copyreg", "_reconstructor", "copy_reg", "_reconstructor", 0);
    raw.args = g.addContainer(ValueKind::Tuple, 0, { cls, object, g.addNone(0) });
    const ValueId rawId = g.addObject(raw, 0);
    QCOMPARE(QString::fromStdString(className(g, rawId)), QStringLiteral("mymod.Thing"));
    // The machine's form: NEWOBJ with callable = cls.
    ObjectRecord newobj;
    newobj.via = ObjectVia::NewObj;
    newobj.callable = cls;
    newobj.args = g.addContainer(ValueKind::Tuple, 0);
    const ValueId newobjId = g.addObject(newobj, 0);
    QCOMPARE(QString::fromStdString(className(g, newobjId)), QStringLiteral("mymod.Thing"));
    QCOMPARE(QString::fromStdString(typeLabel(g, newobjId)), QStringLiteral("mymod.Thing"));
    QCOMPARE(QString::fromStdString(summary(g, newobjId)), QStringLiteral("mymod.Thing object"));
    QCOMPARE(displayChildCount(g, newobjId), std::size_t(0)); // empty args are not shown
    // From a real pickle: uuid at protocol 0 goes through copyreg._reconstructor.
    const auto uuid = load(kExportDir + QStringLiteral("misc_p0.pkl"));
    QVERIFY(uuid && !uuid->error);
    QCOMPARE(QString::fromStdString(className(uuid->graph, uuid->graph.items(uuid->root)[6])),
        QStringLiteral("uuid.UUID"));
}

void TestValueText::typeLabelsAndSummaries()
{
    const auto doc = load(kExportDir + QStringLiteral("collections_p4.pkl"));
    QVERIFY(doc && !doc->error);
    const ValueGraph& g = doc->graph;
    const auto& items = g.items(doc->root);
    QCOMPARE(QString::fromStdString(summary(g, doc->root)), QStringLiteral("list (5 items)"));
    QCOMPARE(QString::fromStdString(typeLabel(g, items[0])), QStringLiteral("OrderedDict"));
    QCOMPARE(QString::fromStdString(summary(g, items[0])), QStringLiteral("OrderedDict (2 items)"));
    QCOMPARE(QString::fromStdString(typeLabel(g, items[1])), QStringLiteral("defaultdict"));
    QCOMPARE(QString::fromStdString(typeLabel(g, items[2])), QStringLiteral("Counter"));
    QCOMPARE(QString::fromStdString(summary(g, items[3])), QStringLiteral("OrderedDict (empty)"));
    QCOMPARE(QString::fromStdString(typeLabel(g, items[4])), QStringLiteral("collections.deque"));
    QCOMPARE(displayChild(g, items[1], 0).label, std::string("default_factory"));

    ValueGraph t;
    TensorRecord rec;
    rec.dtype = DType::Float32;
    rec.shape = { 64, 3, 7, 7 };
    const ValueId tensor = t.addTensor(rec, 0);
    QCOMPARE(
        QString::fromStdString(summary(t, tensor)), QStringLiteral("tensor float32 [64, 3, 7, 7]"));
    QCOMPARE(QString::fromStdString(typeLabel(t, tensor)), QStringLiteral("torch.Tensor"));
    NdArrayRecord arr;
    arr.dtype = DType::Float32;
    arr.shape = { 3, 4 };
    const ValueId nd = t.addNdArray(arr, 0);
    QCOMPARE(QString::fromStdString(summary(t, nd)), QStringLiteral("ndarray float32 (3, 4)"));
    arr.shape = { 5 };
    QCOMPARE(QString::fromStdString(summary(t, t.addNdArray(arr, 0))),
        QStringLiteral("ndarray float32 (5,)"));
}

void TestValueText::longTextIsTruncatedWithEllipsis()
{
    const auto doc = load(kExportDir + QStringLiteral("strings_p4.pkl"));
    QVERIFY(doc && !doc->error);
    const ValueGraph& g = doc->graph;
    const ValueId longest = g.items(doc->root).back(); // 'x' * 300
    const std::string s = summary(g, longest, 20);
    QCOMPARE(QString::fromStdString(s), QStringLiteral("'xxxxxxxxxxxxxxxxxxx…"));
    QCOMPARE(scalarRepr(g, longest).size(), std::size_t(302));
}

void TestValueText::childAccessIsCheapOnHugeContainers()
{
    ValueGraph g;
    std::vector<ValueId> flat;
    constexpr int n = 2000000;
    flat.reserve(2 * n);
    const ValueId value = g.addInt(0, 0);
    for (int i = 0; i < n; ++i) {
        flat.push_back(g.addInt(i, 0));
        flat.push_back(value);
    }
    const ValueId dict = g.addContainer(ValueKind::Dict, 0, std::move(flat));
    // The children are one run viewing the graph's own item vector (values at 1, 3, 5, ...):
    // nothing is copied or walked to count them or to reach the last one.
    const Children children = childrenOf(g, dict, ChildSet::Display);
    QCOMPARE(children.end() - children.begin(), std::ptrdiff_t(1));
    QCOMPARE(children.begin()->data, g.items(dict).data() + 1);
    QCOMPARE(int(children.begin()->stride), 2);
    QCOMPARE(displayChildCount(g, dict), std::size_t(n));
    for (std::size_t i = n - 1000; i < std::size_t(n); ++i)
        QCOMPARE(displayChild(g, dict, i).pathSegment, "[" + std::to_string(i) + "]");
    QCOMPARE(QString::fromStdString(summary(g, dict)), QStringLiteral("dict (2000000 items)"));
}

QTEST_APPLESS_MAIN(TestValueText)
#include "tst_value_text.moc"
