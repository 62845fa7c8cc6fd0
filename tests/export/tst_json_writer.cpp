// The JSON writer against CPython: for every fixture of tests/data/export (all protocols) the
// typed and plain exports must equal what tests/export/gen_export_fixtures.py computed from
// pickle.loads. Plus sharing and cycles, a 1,000,000-deep list, cancel, sink failures and
// pretty-printing.

#include "core/export/json_writer.h"
#include "core/loader.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace core;

namespace {

const QString kDataDir = QStringLiteral(PICKLESCOPE_TEST_DATA "/export/");

QJsonDocument parse(const std::string& text)
{
    QJsonParseError error {};
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(text), &error);
    if (error.error != QJsonParseError::NoError)
        qWarning("JSON parse error at %d: %s", error.offset, qPrintable(error.errorString()));
    return doc;
}

QJsonDocument readJson(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll());
}

// The first difference between two JSON values, as a path, or empty.
QString firstDifference(
    const QJsonValue& got, const QJsonValue& want, const QString& path = QStringLiteral("$"))
{
    if (got.type() != want.type())
        return path + QStringLiteral(": got ")
            + QString::fromUtf8(QJsonDocument(QJsonArray { got }).toJson(QJsonDocument::Compact))
            + QStringLiteral(", want ")
            + QString::fromUtf8(QJsonDocument(QJsonArray { want }).toJson(QJsonDocument::Compact));
    if (got.isObject()) {
        const QJsonObject g = got.toObject(), w = want.toObject();
        QStringList keys = g.keys() + w.keys();
        keys.removeDuplicates();
        for (const QString& key : keys) {
            if (!g.contains(key) || !w.contains(key))
                return path + QStringLiteral(": member '") + key
                    + QStringLiteral("' only on one side");
            const QString d
                = firstDifference(g.value(key), w.value(key), path + QLatin1Char('.') + key);
            if (!d.isEmpty())
                return d;
        }
        return {};
    }
    if (got.isArray()) {
        const QJsonArray g = got.toArray(), w = want.toArray();
        if (g.size() != w.size())
            return path + QStringLiteral(": %1 items, want %2").arg(g.size()).arg(w.size());
        for (qsizetype i = 0; i < g.size(); ++i) {
            const QString d
                = firstDifference(g.at(i), w.at(i), path + QStringLiteral("[%1]").arg(i));
            if (!d.isEmpty())
                return d;
        }
        return {};
    }
    if (got != want)
        return path + QStringLiteral(": got ") + got.toVariant().toString()
            + QStringLiteral(", want ") + want.toVariant().toString();
    return {};
}

std::shared_ptr<Document> documentFor(ValueGraph graph, ValueId root)
{
    auto doc = std::make_shared<Document>();
    doc->graph = std::move(graph);
    doc->root = root;
    doc->fileName = "hand.pkl";
    return doc;
}

class CancelAfter : public LoadObserver {
public:
    explicit CancelAfter(int polls)
        : m_left(polls)
    {
    }
    bool isCancelled() const override { return --m_left < 0; }
    void progress(std::uint64_t, std::uint64_t) override { ++progressCalls; }
    int progressCalls = 0;

private:
    mutable int m_left;
};

class FailingSink : public JsonSink {
public:
    bool write(std::string_view) override { return false; }
};

// Counts bytes and a substring's occurrences without keeping the text.
class CountingSink : public JsonSink {
public:
    explicit CountingSink(std::string needle)
        : m_needle(std::move(needle))
    {
    }
    bool write(std::string_view text) override
    {
        bytes += text.size();
        m_carry.append(text);
        std::size_t pos = 0;
        while ((pos = m_carry.find(m_needle, pos)) != std::string::npos) {
            ++hits;
            pos += m_needle.size();
        }
        const std::size_t keep = std::min(m_carry.size(), m_needle.size() - 1);
        m_carry.erase(0, m_carry.size() - keep);
        return true;
    }
    std::uint64_t bytes = 0;
    std::uint64_t hits = 0;

private:
    std::string m_needle;
    std::string m_carry;
};

} // namespace

class TestJsonWriter : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matchesCPythonValues_data();
    void matchesCPythonValues();
    void sharedValuesGetAnIdAtFirstOccurrenceAndRefsAfter();
    void cyclesEndInRefs();
    void scalarsAreNeverRefs();
    void plainFormWrapsSharedValues();
    void plainFormPutsIdsInsideSharedObjects();
    void intsBeyond2To53AreStrings();
    void loneSurrogatesAreEscaped();
    void defaultdictFactoryAndDictStateAreWritten();
    void millionDeepNestedListExportsWithoutRecursion();
    void prettyPrintingParsesToTheSameValue();
    void cancelStopsTheExport();
    void sinkFailureIsAnIoError();
    void tensorAndNdArrayRecordsAreWritten();
};

void TestJsonWriter::matchesCPythonValues_data()
{
    QTest::addColumn<QString>("stem");
    QTest::addColumn<bool>("plain");
    QFile manifest(kDataDir + QStringLiteral("MANIFEST.txt"));
    QVERIFY2(manifest.open(QIODevice::ReadOnly), "tests/data/export/MANIFEST.txt is missing");
    int rows = 0;
    while (!manifest.atEnd()) {
        const QString line = QString::fromUtf8(manifest.readLine()).trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')))
            continue;
        QTest::addRow("%s typed", qPrintable(line)) << line << false;
        QTest::addRow("%s plain", qPrintable(line)) << line << true;
        ++rows;
    }
    QVERIFY(rows >= 60);
}

void TestJsonWriter::matchesCPythonValues()
{
    QFETCH(QString, stem);
    QFETCH(bool, plain);
    auto loaded = loadFile((kDataDir + stem + QStringLiteral(".pkl")).toStdString());
    QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().toString().c_str());
    const std::shared_ptr<const Document> doc = loaded.value();
    QVERIFY(!doc->error);
    JsonExportOptions options;
    options.plain = plain;
    const QJsonDocument got = parse(toJson(doc, options));
    QVERIFY(!got.isNull());
    const QJsonDocument want = readJson(
        kDataDir + stem + (plain ? QStringLiteral(".plain.json") : QStringLiteral(".json")));
    QVERIFY(!want.isNull());
    const QString difference
        = firstDifference(got.isObject() ? QJsonValue(got.object()) : QJsonValue(got.array()),
            want.isObject() ? QJsonValue(want.object()) : QJsonValue(want.array()));
    QVERIFY2(difference.isEmpty(), qPrintable(difference));
}

void TestJsonWriter::sharedValuesGetAnIdAtFirstOccurrenceAndRefsAfter()
{
    ValueGraph g;
    const ValueId one = g.addInt(1, 0);
    const ValueId a = g.addContainer(ValueKind::List, 0, { one });
    const ValueId b = g.addContainer(ValueKind::Tuple, 0, { a });
    const ValueId root = g.addContainer(ValueKind::List, 0, { b, a, b, a });
    const auto doc = documentFor(std::move(g), root);
    const QJsonArray items
        = parse(toJson(doc)).object().value("root").toObject().value("items").toArray();
    QCOMPARE(items.size(), 4);
    // b first (id 1), then a inside it (id 2); later occurrences are refs.
    QCOMPARE(items[0].toObject().value("id").toInt(), 1);
    QCOMPARE(items[0].toObject().value("items").toArray()[0].toObject().value("id").toInt(), 2);
    QCOMPARE(items[1].toObject(), (QJsonObject { { "type", "ref" }, { "id", 2 } }));
    QCOMPARE(items[2].toObject(), (QJsonObject { { "type", "ref" }, { "id", 1 } }));
    QCOMPARE(items[3].toObject(), (QJsonObject { { "type", "ref" }, { "id", 2 } }));
}

void TestJsonWriter::cyclesEndInRefs()
{
    ValueGraph g;
    const ValueId list = g.addContainer(ValueKind::List, 0);
    const ValueId key = g.addStrCopy("self", 0);
    const ValueId dict = g.addContainer(ValueKind::Dict, 0, { key, list });
    g.replaceItems(list, std::vector<ValueId> { dict, list });
    const auto doc = documentFor(std::move(g), list);
    const QJsonObject root = parse(toJson(doc)).object().value("root").toObject();
    QCOMPARE(root.value("id").toInt(), 1);
    const QJsonArray items = root.value("items").toArray();
    QCOMPARE(items[1].toObject(), (QJsonObject { { "type", "ref" }, { "id", 1 } }));
    const QJsonArray pair = items[0].toObject().value("items").toArray()[0].toArray();
    QCOMPARE(pair[1].toObject(), (QJsonObject { { "type", "ref" }, { "id", 1 } }));
    QVERIFY(!items[0].toObject().contains("id")); // the dict is reached once
}

void TestJsonWriter::scalarsAreNeverRefs()
{
    ValueGraph g;
    const ValueId s = g.addStrCopy("memoized", 0);
    const ValueId root = g.addContainer(ValueKind::List, 0, { s, s });
    const auto doc = documentFor(std::move(g), root);
    const QJsonArray items
        = parse(toJson(doc)).object().value("root").toObject().value("items").toArray();
    QCOMPARE(items[0].toObject(), items[1].toObject());
    QCOMPARE(items[1].toObject().value("value").toString(), QStringLiteral("memoized"));
}

void TestJsonWriter::plainFormWrapsSharedValues()
{
    ValueGraph g;
    const ValueId a = g.addContainer(ValueKind::List, 0, { g.addInt(7, 0) });
    const ValueId root = g.addContainer(ValueKind::List, 0, { a, a });
    const auto doc = documentFor(std::move(g), root);
    JsonExportOptions options;
    options.plain = true;
    const QJsonArray items = parse(toJson(doc, options)).array();
    QCOMPARE(items[0].toObject(), (QJsonObject { { "$id", 1 }, { "$value", QJsonArray { 7 } } }));
    QCOMPARE(items[1].toObject(), (QJsonObject { { "$ref", 1 } }));
}

void TestJsonWriter::plainFormPutsIdsInsideSharedObjects()
{
    ValueGraph g;
    const ValueId dict = g.addContainer(ValueKind::Dict, 0);
    g.replaceItems(dict,
        std::vector<ValueId> {
            g.addStrCopy("text", 0), g.addStrCopy("hello", 0), g.addStrCopy("self", 0), dict });
    const auto doc = documentFor(std::move(g), dict);
    JsonExportOptions options;
    options.plain = true;
    const std::string text = toJson(doc, options);
    QCOMPARE(text, std::string("{\"$id\":1,\"text\":\"hello\",\"self\":{\"$ref\":1}}\n"));
}

void TestJsonWriter::intsBeyond2To53AreStrings()
{
    ValueGraph g;
    const ValueId small = g.addInt((std::int64_t(1) << 53) - 1, 0);
    const ValueId edge = g.addInt(std::int64_t(1) << 53, 0);
    const ValueId big = g.addIntFromDecimal("-123456789012345678901234567890", 0);
    const ValueId root = g.addContainer(ValueKind::List, 0, { small, edge, big });
    const auto doc = documentFor(std::move(g), root);
    const std::string text = toJson(doc);
    QVERIFY(text.find("{\"type\":\"int\",\"value\":9007199254740991}") != std::string::npos);
    QVERIFY(text.find("{\"type\":\"int\",\"value\":\"9007199254740992\"}") != std::string::npos);
    QVERIFY(text.find("{\"type\":\"int\",\"value\":\"-123456789012345678901234567890\"}")
        != std::string::npos);
}

void TestJsonWriter::loneSurrogatesAreEscaped()
{
    ValueGraph g;
    // 'a' U+D800 'b' U+DFFF in WTF-8, then a real emoji and a control character.
    const ValueId s = g.addStrCopy(std::string("a\xED\xA0\x80"
                                               "b\xED\xBF\xBF\xF0\x9F\x98\x80\x01"),
        0, FlagLoneSurrogate);
    const auto doc = documentFor(std::move(g), s);
    const std::string text = toJson(doc);
    QVERIFY2(text.find("\"a\\ud800b\\udfff\xF0\x9F\x98\x80\\u0001\"") != std::string::npos,
        text.c_str());
}

void TestJsonWriter::defaultdictFactoryAndDictStateAreWritten()
{
    ValueGraph g;
    const ValueId factory = g.addGlobal("builtins", "list", "__builtin__", "list", 0);
    const ValueId dict
        = g.addContainer(ValueKind::Dict, 0, { g.addStrCopy("k", 0), g.addInt(1, 0) });
    g.retypeAsDict(dict, DictClass::DefaultDict, g.items(dict));
    g.setDefaultFactory(dict, factory);
    g.setExtraState(dict, g.addNone(0));
    const auto doc = documentFor(std::move(g), dict);
    const QJsonObject root = parse(toJson(doc)).object().value("root").toObject();
    QCOMPARE(root.value("class").toString(), QStringLiteral("collections.defaultdict"));
    QCOMPARE(
        root.value("default_factory").toObject().value("name").toString(), QStringLiteral("list"));
    QCOMPARE(root.value("default_factory").toObject().value("pickled_module").toString(),
        QStringLiteral("__builtin__"));
    QCOMPARE(root.value("items").toArray().size(), 1);
    QCOMPARE(root.value("state").toObject().value("type").toString(), QStringLiteral("none"));
}

void TestJsonWriter::millionDeepNestedListExportsWithoutRecursion()
{
    // PROTO 2, 1,000,000 EMPTY_LISTs, 999,999 APPENDs, STOP: CPython loads it as a nested list.
    constexpr int depth = 1000000;
    std::vector<std::byte> bytes;
    bytes.reserve(2 * depth + 4);
    bytes.push_back(std::byte { 0x80 });
    bytes.push_back(std::byte { 0x02 });
    bytes.insert(bytes.end(), depth, std::byte { ']' });
    bytes.insert(bytes.end(), depth - 1, std::byte { 'a' });
    bytes.push_back(std::byte { '.' });
    auto loaded = loadSource(ByteSource::fromBuffer(std::move(bytes), "deep.pkl"));
    QVERIFY(loaded.ok());
    const std::shared_ptr<const Document> doc = loaded.value();
    QVERIFY(!doc->error);
    for (const bool plain : { false, true }) {
        CountingSink sink(plain ? "[" : "\"type\":\"list\"");
        JsonExportOptions options;
        options.plain = plain;
        QVERIFY(writeJson(doc, sink, options).ok());
        // typed: one "type":"list" per level; plain: one '[' per level.
        QCOMPARE(sink.hits, std::uint64_t(depth));
        QVERIFY(sink.bytes > std::uint64_t(depth) * 2);
    }
}

void TestJsonWriter::prettyPrintingParsesToTheSameValue()
{
    auto loaded = loadFile((kDataDir + QStringLiteral("containers_p4.pkl")).toStdString());
    QVERIFY(loaded.ok());
    const std::shared_ptr<const Document> doc = loaded.value();
    JsonExportOptions pretty;
    pretty.indent = 2;
    const std::string text = toJson(doc, pretty);
    QCOMPARE(parse(text), parse(toJson(doc)));
    QVERIFY(text.find("\n  \"root\": {\n    \"type\": \"list\",") != std::string::npos);
    QVERIFY(text.find("\"items\": []") != std::string::npos); // empty containers stay on one line
}

void TestJsonWriter::cancelStopsTheExport()
{
    ValueGraph g;
    std::vector<ValueId> items;
    for (int i = 0; i < 100000; ++i)
        items.push_back(g.addInt(i, 0));
    const ValueId root = g.addContainer(ValueKind::List, 0, std::move(items));
    const auto doc = documentFor(std::move(g), root);
    StringJsonSink sink;
    CancelAfter observer(3);
    const auto result = writeJson(doc, sink, {}, &observer);
    QVERIFY(!result.ok());
    QCOMPARE(result.error().code, ErrorCode::Cancelled);
    QCOMPARE(observer.progressCalls, 3);
}

void TestJsonWriter::sinkFailureIsAnIoError()
{
    ValueGraph g;
    const ValueId root = g.addStrCopy("x", 0);
    const auto doc = documentFor(std::move(g), root);
    FailingSink sink;
    const auto result = writeJson(doc, sink);
    QVERIFY(!result.ok());
    QCOMPARE(result.error().code, ErrorCode::Io);
}

void TestJsonWriter::tensorAndNdArrayRecordsAreWritten()
{
    ValueGraph g;
    StorageRecord storage;
    storage.key = "0";
    storage.dtype = DType::Float32;
    storage.numel = 6;
    storage.location = "cpu";
    storage.typeName = "FloatStorage";
    const ValueId st = g.addStorage(storage, 0);
    TensorRecord t;
    t.cls = TensorClass::Parameter;
    t.dtype = DType::Float32;
    t.storage = st;
    t.storageOffset = 1;
    t.shape = { 2, 2 };
    t.stride = { 2, 1 };
    t.requiresGrad = true;
    const ValueId tensor = g.addTensor(t, 0);
    NdArrayRecord a;
    a.dtype = DType::Float64;
    a.byteOrder = '<';
    a.shape = { 3 };
    a.dtypeText = "<f8";
    const ValueId array = g.addNdArray(a, 0);
    const ValueId root = g.addContainer(ValueKind::List, 0, { tensor, array });
    const auto doc = documentFor(std::move(g), root);
    JsonExportOptions options;
    options.tensorData = TensorDataMode::None;
    const QJsonArray items
        = parse(toJson(doc, options)).object().value("root").toObject().value("items").toArray();
    const QJsonObject tj = items[0].toObject();
    QCOMPARE(tj.value("type").toString(), QStringLiteral("tensor"));
    QCOMPARE(tj.value("class").toString(), QStringLiteral("torch.nn.Parameter"));
    QCOMPARE(tj.value("dtype").toString(), QStringLiteral("float32"));
    QCOMPARE(tj.value("shape").toArray(), (QJsonArray { 2, 2 }));
    QCOMPARE(tj.value("stride").toArray(), (QJsonArray { 2, 1 }));
    QCOMPARE(tj.value("storage_offset").toInt(), 1);
    QCOMPARE(tj.value("requires_grad").toBool(), true);
    QCOMPARE(tj.value("storage").toObject().value("key").toString(), QStringLiteral("0"));
    QCOMPARE(tj.value("storage").toObject().value("numel").toInt(), 6);
    QVERIFY(!tj.contains("data"));
    const QJsonObject aj = items[1].toObject();
    QCOMPARE(aj.value("type").toString(), QStringLiteral("ndarray"));
    QCOMPARE(aj.value("dtype").toString(), QStringLiteral("float64"));
    QCOMPARE(aj.value("byteorder").toString(), QStringLiteral("<"));
    QCOMPARE(aj.value("shape").toArray(), (QJsonArray { 3 }));
    QCOMPARE(aj.value("fortran_order").toBool(), false);
}

QTEST_APPLESS_MAIN(TestJsonWriter)
#include "tst_json_writer.moc"
