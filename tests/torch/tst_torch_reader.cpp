// End to end: every fixture written by torch 1.13 / numpy (gen_torch_fixtures.py) is loaded
// with core::loadFile and compared with what torch.load / pickle.load returned
// (expectations.json): format, dtype, shape, stride, offset, class, requires_grad, storage
// sharing, first elements, sum/min/max, NaN/Inf/zero counts; and bad input gives clear errors.

#include "core/loader.h"
#include "core/numpy/ndarray_reconstruct.h"
#include "core/torch/tensor_table.h"
#include "core/torch/tensor_view.h"
#include "core/torch/torch_reader.h"
#include "core/value/byte_source.h"
#include "tests/common/shared_data.h"

#include "tests/common/json_text.h"

#include <QtTest>

#include <cmath>

using namespace core;
using namespace core::torch;

namespace {

const QString kDir = QStringLiteral(PICKLESCOPE_TEST_DATA "/torch/");

QJsonObject expectations()
{
    static const QJsonObject all = [] {
        QFile f(kDir + "expectations.json");
        if (!f.open(QIODevice::ReadOnly))
            qFatal("no expectations.json");
        return QJsonDocument::fromJson(f.readAll()).object();
    }();
    return all;
}

std::shared_ptr<const Document> load(const QString& name)
{
    auto doc = loadFile((kDir + name).toStdString());
    if (!doc.ok())
        return nullptr;
    return doc.value();
}

std::optional<std::string_view> text(const ValueGraph& g, ValueId id)
{
    if (g.valid(id) && g.kind(id) == ValueKind::Str)
        return g.text(id);
    return std::nullopt;
}

// One path step: dict key (str or int), object attribute (through its BUILD state), index.
ValueId step(const ValueGraph& g, ValueId at, const QJsonValue& key)
{
    if (!g.valid(at))
        return kNullValue;
    ValueKind kind = g.kind(at);
    if (kind == ValueKind::Object) {
        at = g.object(at).state;
        if (!g.valid(at))
            return kNullValue;
        kind = g.kind(at);
    }
    if (kind == ValueKind::Dict) {
        const auto& items = g.items(at);
        for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
            if (key.isString() && text(g, items[i]) == std::optional<std::string_view>(key.toString().toStdString()))
                return items[i + 1];
            if (key.isDouble() && g.kind(items[i]) == ValueKind::Int && g.intValue(items[i]) == key.toInteger())
                return items[i + 1];
        }
        return kNullValue;
    }
    if ((kind == ValueKind::List || kind == ValueKind::Tuple) && key.isDouble()) {
        const auto& items = g.items(at);
        const auto i = key.toInteger();
        return i >= 0 && std::size_t(i) < items.size() ? items[std::size_t(i)] : kNullValue;
    }
    return kNullValue;
}

ValueId walk(const Document& doc, const QJsonArray& path)
{
    ValueId at = doc.root;
    for (const auto& key : path)
        at = step(doc.graph, at, key);
    return at;
}

std::vector<std::int64_t> ints(const QJsonValue& v)
{
    std::vector<std::int64_t> out;
    for (const auto& x : v.toArray())
        out.push_back(x.toInteger());
    return out;
}

bool sameValue(double got, double expected, double relTol)
{
    if (std::isnan(expected))
        return std::isnan(got);
    if (std::isinf(expected))
        return got == expected;
    return std::fabs(got - expected) <= relTol * std::max(1.0, std::fabs(expected));
}

QString describe(const QJsonObject& rec)
{
    return QString::fromUtf8(QJsonDocument(rec["path"].toArray()).toJson(QJsonDocument::Compact));
}

std::string_view layoutName(TensorLayout l)
{
    switch (l) {
    case TensorLayout::SparseCoo: return "sparse_coo";
    case TensorLayout::SparseCsr: return "sparse_csr";
    case TensorLayout::Meta: return "meta";
    case TensorLayout::Nested: return "nested";
    case TensorLayout::Other: return "other";
    default: return "strided";
    }
}

void checkStats(const std::shared_ptr<const Document>& doc, ValueId id, const QJsonObject& rec, double tol)
{
    auto view = TensorView::open(doc, id);
    QVERIFY2(view.ok(), qPrintable(describe(rec) + ": " + QString::fromStdString(view.ok() ? "" : view.error().message)));
    QCOMPARE(view->numel(), std::uint64_t(rec["count"].toInteger()));
    auto st = view->stats();
    QVERIFY(st.ok());
    QCOMPARE(st->nanCount, std::uint64_t(rec["nan"].toInteger()));
    QCOMPARE(st->infCount, std::uint64_t(rec["inf"].toInteger()));
    QCOMPARE(st->zeroCount, std::uint64_t(rec["zero"].toInteger()));
    const auto first = rec["first"].toArray();
    QCOMPARE(st->first.size(), std::size_t(first.size()));
    for (int i = 0; i < first.size(); ++i)
        QVERIFY2(sameValue(st->first[std::size_t(i)], testing::numberText(first[i]), tol),
            qPrintable(describe(rec) + QString(" first[%1] = %2, expected %3").arg(i).arg(st->first[std::size_t(i)]).arg(first[i].toString())));
    if (rec.contains("min")) {
        QVERIFY2(sameValue(st->min, testing::numberText(rec["min"]), tol), qPrintable(describe(rec) + " min"));
        QVERIFY2(sameValue(st->max, testing::numberText(rec["max"]), tol), qPrintable(describe(rec) + " max"));
        QVERIFY2(sameValue(st->sum, testing::numberText(rec["sum"]), std::max(tol, 1e-9)),
            qPrintable(describe(rec) + QString(" sum %1 expected %2").arg(st->sum).arg(rec["sum"].toString())));
    }
}

} // namespace

class TestTorchReader : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matchesTorchLoad_data()
    {
        QTest::addColumn<QString>("file");
        const auto all = expectations();
        for (auto it = all.begin(); it != all.end(); ++it)
            if (!it.key().startsWith('_'))
                QTest::newRow(qPrintable(it.key() + " loads as torch.load saw it")) << it.key();
    }
    void matchesTorchLoad()
    {
        QFETCH(QString, file);
        const QJsonObject exp = expectations()[file].toObject();
        auto loaded = loadFile((kDir + file).toStdString());
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().toString().c_str());
        std::shared_ptr<const Document> doc = loaded.value();
        QVERIFY2(!doc->error, doc->error ? doc->error->toString().c_str() : "");
        QCOMPARE(QString::fromUtf8(fileFormatName(doc->format).data()), exp["format"].toString());
        QVERIFY(!isNull(doc->root));

        std::map<int, ValueId> groups;
        for (const auto& entry : exp["tensors"].toArray()) {
            const QJsonObject rec = entry.toObject();
            const ValueId id = walk(*doc, rec["path"].toArray());
            QVERIFY2(doc->graph.valid(id), qPrintable(describe(rec) + " not found"));
            const ValueGraph& g = doc->graph;
            if (rec["kind"] == "ndarray") {
                QVERIFY2(g.kind(id) == ValueKind::NdArray, qPrintable(describe(rec) + " is no ndarray"));
                const NdArrayRecord& a = g.ndarray(id);
                QCOMPARE(QString::fromUtf8(a.dtypeText.data(), qsizetype(a.dtypeText.size())), rec["dtype"].toString());
                QCOMPARE(a.shape, ints(rec["shape"]));
                QCOMPARE(a.fortranOrder, rec["fortran_order"].toBool());
                if (rec.contains("count"))
                    checkStats(doc, id, rec, 0);
                continue;
            }
            QVERIFY2(g.kind(id) == ValueKind::Tensor, qPrintable(describe(rec) + " is no tensor"));
            const TensorRecord& t = g.tensor(id);
            QCOMPARE(QString::fromUtf8(dtypeName(t.dtype).data()), rec["dtype"].toString());
            QCOMPARE(t.shape, ints(rec["shape"]));
            QCOMPARE(t.requiresGrad, rec["requires_grad"].toBool());
            QCOMPARE(t.cls == TensorClass::Parameter ? QString("torch.nn.Parameter") : QString("torch.Tensor"), rec["class"].toString());
            if (rec.contains("layout")) {
                QCOMPARE(QString::fromUtf8(layoutName(t.layout).data()), rec["layout"].toString());
                continue;
            }
            QCOMPARE(t.stride, ints(rec["stride"]));
            QCOMPARE(t.storageOffset, rec["storage_offset"].toInteger());
            QVERIFY(g.kind(t.storage) == ValueKind::Storage);
            QCOMPARE(g.storage(t.storage).numel, std::uint64_t(rec["storage_numel"].toInteger()));
            // shared storages: one Storage value per torch storage
            const int group = rec["storage_group"].toInt();
            if (groups.count(group))
                QCOMPARE(t.storage, groups[group]);
            for (const auto& [other, sid] : groups)
                if (other != group)
                    QVERIFY2(sid != t.storage, qPrintable(describe(rec) + " shares a storage torch did not share"));
            groups[group] = t.storage;
            if (rec.contains("qscheme")) {
                QCOMPARE(t.layout, TensorLayout::Quantized);
                if (rec.contains("scale")) {
                    QCOMPARE(t.scale, testing::numberText(rec["scale"]));
                    QCOMPARE(t.zeroPoint, rec["zero_point"].toInteger());
                } else {
                    QCOMPARE(t.axis, rec["axis"].toInteger());
                }
            }
            checkStats(doc, id, rec, rec.contains("qscheme") ? 1e-6 : 0);
        }
        // numpy scalars
        const QJsonObject scalars = exp["scalars"].toObject();
        for (auto it = scalars.begin(); it != scalars.end(); ++it) {
            const ValueId id = walk(*doc, QJsonArray { it.key() });
            const auto v = numpy::scalarValue(doc->graph, id);
            QVERIFY2(v.has_value(), qPrintable(it.key()));
            QCOMPARE(*v, testing::numberText(it.value()));
        }
        if (exp.contains("metadata_keys")) {
            const ValueId meta = step(doc->graph, doc->graph.extraState(doc->root), "_metadata");
            QVERIFY(doc->graph.valid(meta));
            for (const auto& key : exp["metadata_keys"].toArray())
                QVERIFY2(doc->graph.valid(step(doc->graph, meta, key)), qPrintable(key.toString()));
        }
    }

    void listsEveryTensorInTheTable_data() { matchesTorchLoad_data(); }
    void listsEveryTensorInTheTable()
    {
        QFETCH(QString, file);
        const QJsonObject exp = expectations()[file].toObject();
        auto doc = load(file);
        QVERIFY(doc);
        const TensorTable table = tensorTable(*doc);
        std::map<int, int> groupSizes;
        for (const auto& entry : exp["tensors"].toArray())
            if (entry.toObject().contains("storage_group"))
                ++groupSizes[entry.toObject()["storage_group"].toInt()];
        for (const auto& entry : exp["tensors"].toArray()) {
            const QJsonObject rec = entry.toObject();
            const ValueId id = walk(*doc, rec["path"].toArray());
            const auto row = std::find_if(table.rows.begin(), table.rows.end(), [&](const TensorRow& r) { return r.id == id; });
            QVERIFY2(row != table.rows.end(), qPrintable(describe(rec) + " not in the table"));
            QCOMPARE(row->shape, ints(rec["shape"]));
            if (rec.contains("storage_group"))
                QCOMPARE(!row->sharedWith.empty(), groupSizes[rec["storage_group"].toInt()] > 1);
        }
    }

    void namesTablePathsLikePython()
    {
        auto doc = load("whole_module_zip.pt");
        QVERIFY(doc);
        QStringList paths;
        for (const auto& row : tensorTable(*doc).rows)
            paths << QString::fromStdString(row.path);
        QVERIFY2(paths.contains("$._modules['0']._parameters['weight']"), qPrintable(paths.join(", ")));
        auto sd = load("state_dict_cnn.pt");
        QVERIFY(sd);
        const TensorTable table = tensorTable(*sd);
        QCOMPARE(QString::fromStdString(table.rows.front().path), QString("$['conv1.weight']"));
        std::uint64_t elements = 0;
        for (const auto& entry : expectations()["state_dict_cnn.pt"].toObject()["tensors"].toArray())
            elements += std::uint64_t(entry.toObject()["count"].toInteger());
        QCOMPARE(table.totalElements, elements);
    }

    void readsFloat16AndBFloat16PatternsThroughTheLoader()
    {
        auto doc = load("half_patterns.pt");
        QVERIFY(doc);
        for (auto [half, ref] : { std::pair { "f16", "f16_as_f32" }, std::pair { "bf16", "bf16_as_f32" } }) {
            auto a = TensorView::open(doc, step(doc->graph, doc->root, half));
            auto b = TensorView::open(doc, step(doc->graph, doc->root, ref));
            QVERIFY(a.ok() && b.ok());
            QCOMPARE(a->numel(), 65536u);
            std::vector<double> x(65536), y(65536);
            a->read(0, x.size(), x.data());
            b->read(0, y.size(), y.data());
            int wrong = 0;
            for (std::size_t i = 0; i < x.size(); ++i)
                wrong += !(std::isnan(y[i]) ? std::isnan(x[i]) : (x[i] == y[i] && std::signbit(x[i]) == std::signbit(y[i])));
            QCOMPARE(wrong, 0);
        }
    }

    void readsTorchScriptArchives_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("tensorCount");
        QTest::addColumn<int>("constantCount");
        // scripted: fc.weight, fc.bias, the offsets buffer; traced: fc.weight, fc.bias + one constant
        QTest::newRow("a scripted module") << "scripted.pt" << 3 << 0;
        QTest::newRow("a traced module with a tensor constant") << "traced.pt" << 3 << 1;
    }
    void readsTorchScriptArchives()
    {
        QFETCH(QString, file);
        QFETCH(int, tensorCount);
        QFETCH(int, constantCount);
        auto doc = load(file);
        QVERIFY(doc);
        QCOMPARE(doc->format, FileFormat::TorchScript);
        QStringList names;
        for (const auto& p : doc->pickles)
            names << QString::fromStdString(p.name);
        QVERIFY(names.contains("constants.pkl"));
        QCOMPARE(QString::fromStdString(doc->main().name), QString("data.pkl"));
        const ValueGraph& g = doc->graph;
        QCOMPARE(g.kind(doc->root), ValueKind::Object);
        const ValueId cls = g.object(doc->root).callable;
        QVERIFY(QString::fromUtf8(g.global(cls).module.data(), qsizetype(g.global(cls).module.size())).startsWith("__torch__"));
        // fc.weight (2,3), fc.bias, offsets buffer: tensors with data under data/; the constant under constants/
        int tensors = 0, constants = 0;
        for (std::size_t i = 0; i < g.size(); ++i) {
            const ValueId id { std::uint32_t(i) };
            if (g.kind(id) != ValueKind::Tensor)
                continue;
            ++tensors;
            auto view = TensorView::open(doc, id);
            QVERIFY(view.ok());
            if (g.storage(g.tensor(id).storage).bytes.offset > 0) {
                const auto& s = g.storage(g.tensor(id).storage);
                for (const auto& e : doc->entries)
                    if (e.offset == s.bytes.offset && QString::fromStdString(e.name).contains("/constants/"))
                        ++constants;
            }
        }
        QCOMPARE(tensors, tensorCount);
        QCOMPARE(constants, constantCount);
        bool hasCode = false;
        for (const auto& e : doc->entries)
            hasCode = hasCode || QString::fromStdString(e.name).contains("/code/");
        QVERIFY(hasCode);
    }

    void rejectsBadTensorsWhenViewed()
    {
        for (const auto& name : expectations()["_bad_tensors"].toArray()) {
            auto doc = load(name.toString());
            QVERIFY2(doc, qPrintable(name.toString()));
            const ValueId t = step(doc->graph, doc->root, "t");
            QVERIFY2(doc->graph.valid(t) && doc->graph.kind(t) == ValueKind::Tensor, qPrintable(name.toString()));
            auto view = TensorView::open(doc, t);
            QVERIFY2(!view.ok(), qPrintable(name.toString()));
            QVERIFY(!view.error().message.empty());
            QVERIFY(view.error().offset > 0); // names where the tensor was built
        }
    }

    void reportsBrokenFiles_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("message");
        QTest::newRow("a zip without data.pkl") << "bad_no_data_pkl.pt"
                                                << "data.pkl";
        QTest::newRow("an empty file") << "bad_empty.pt"
                                       << "empty";
    }
    void reportsBrokenFiles()
    {
        QFETCH(QString, file);
        QFETCH(QString, message);
        auto doc = loadFile((kDir + file).toStdString());
        const std::string error = doc.ok() ? (doc.value()->error ? doc.value()->error->toString() : std::string()) : doc.error().toString();
        QVERIFY2(!error.empty(), qPrintable(file));
        QVERIFY2(QString::fromStdString(error).contains(message), error.c_str());
    }

    void keepsThePartialGraphOfATruncatedLegacyFile()
    {
        // Its main pickle is whole: a recovered document (no error), its last storage cut.
        auto doc = loadFile((kDir + "bad_truncated_legacy.pt").toStdString());
        QVERIFY(doc.ok());
        QVERIFY(!doc.value()->error);
        QVERIFY(doc.value()->recovered);
        QVERIFY(!isNull(doc.value()->root));
        QCOMPARE(doc.value()->graph.kind(doc.value()->root), ValueKind::Dict);
        bool said = false;
        for (const auto& d : doc.value()->diagnostics)
            said = said
                || (d.severity == Severity::Error
                    && QString::fromStdString(d.message).contains("cut short"));
        QVERIFY(said);
    }

    void warnsAboutMissingStorageRecords()
    {
        auto doc = load("bad_missing_record.pt");
        QVERIFY(doc);
        bool warned = false;
        for (const auto& d : doc->diagnostics)
            warned = warned || QString::fromStdString(d.message).contains("no record");
        QVERIFY(warned);
    }

    void survivesTruncationAtEveryByte_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("a zip checkpoint") << "state_dict_cnn.pt";
        QTest::newRow("a legacy checkpoint") << "views_legacy.pt";
        QTest::newRow("a legacy tar checkpoint") << "legacy_tar.pt";
        QTest::newRow("a TorchScript archive") << "traced.pt";
        QTest::newRow("numpy arrays, protocol 5") << "numpy_arrays_p5.pkl";
    }
    void survivesTruncationAtEveryByte()
    {
        QFETCH(QString, file);
        auto whole = ByteSource::mapFile((kDir + file).toStdString());
        QVERIFY(whole.ok());
        const auto bytes = whole.value()->bytes();
        int failures = 0;
        for (std::size_t n = 0; n < bytes.size(); n += (bytes.size() > 4096 ? 3 : 1)) {
            auto loaded = loadSource(ByteSource::fromBytes(bytes.first(n), "cut"));
            if (!loaded.ok() || loaded.value()->error) {
                ++failures;
                const Error& e = loaded.ok() ? *loaded.value()->error : loaded.error();
                QVERIFY(!e.message.empty());
                QVERIFY(e.offset <= bytes.size());
                if (!loaded.ok())
                    continue;
            }
            std::shared_ptr<const Document> doc = loaded.value();
            for (std::size_t i = 0; i < doc->graph.size(); ++i) {
                const ValueId id { std::uint32_t(i) };
                if (doc->graph.kind(id) != ValueKind::Tensor && doc->graph.kind(id) != ValueKind::NdArray)
                    continue;
                auto view = TensorView::open(doc, id); // partial documents never read out of bounds
                if (view.ok())
                    QVERIFY(view->stats().ok());
            }
        }
        QVERIFY(failures > 0);
    }

    void loadsGopickleFixturesWhenPresent()
    {
        const QString dir = testdata::sharedDir() + "/gopickle-testdata/pytorch/testdata";
        const auto files = QDir(dir).entryList({ "*.pt" });
        PS_REQUIRE_SHARED_DATA(!files.isEmpty(), dir);
        for (const auto& f : files) {
            auto doc = loadFile((dir + "/" + f).toStdString());
            QVERIFY2(doc.ok() && !doc.value()->error, qPrintable(f));
            const auto& g = doc.value()->graph;
            const ValueId root = doc.value()->root;
            QVERIFY2(g.kind(root) == ValueKind::Tensor, qPrintable(f));
            QCOMPARE(g.tensor(root).shape, std::vector<std::int64_t> { 4 });
            auto view = TensorView::open(doc.value(), root);
            QVERIFY2(view.ok(), qPrintable(f));
        }
    }
};

QTEST_APPLESS_MAIN(TestTorchReader)
#include "tst_torch_reader.moc"
