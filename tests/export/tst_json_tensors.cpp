// Tensors and arrays in the typed JSON against torch.load / numpy: for every checkpoint of
// tests/data/torch, each tensor the torch generator recorded (tests/data/torch/expectations.json,
// written by tests/torch/gen_torch_fixtures.py from torch.load) is found at its path in the export
// and must carry the same class, dtype, shape, stride, offset, requires_grad, shared storage and
// --tensor-data summary (min, max, sum, nan, inf, first values); --tensor-data full must list the
// same first values, and none must leave "data" out.

#include "core/export/json_writer.h"
#include "core/loader.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <cmath>

using namespace core;

namespace {

const QString kTorchDir = QStringLiteral(PICKLESCOPE_TEST_DATA "/torch/");

QJsonObject expectations()
{
    QFile file(kTorchDir + QStringLiteral("expectations.json"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

// Every typed VALUE that carries an "id", by id (test inputs are small: recursion is fine here).
void indexIds(const QJsonValue& v, QHash<int, QJsonObject>& out)
{
    if (v.isArray()) {
        for (const auto& x : v.toArray())
            indexIds(x, out);
    } else if (v.isObject()) {
        const QJsonObject o = v.toObject();
        if (o.contains(QStringLiteral("id"))
            && o.value(QStringLiteral("type")).toString() != QStringLiteral("ref"))
            out.insert(o.value(QStringLiteral("id")).toInt(), o);
        for (const auto& x : o)
            indexIds(x, out);
    }
}

QJsonObject resolve(const QJsonObject& v, const QHash<int, QJsonObject>& ids)
{
    if (v.value(QStringLiteral("type")).toString() == QStringLiteral("ref"))
        return ids.value(v.value(QStringLiteral("id")).toInt());
    return v;
}

bool keyMatches(const QJsonObject& key, const QJsonValue& step)
{
    const QString type = key.value(QStringLiteral("type")).toString();
    if (step.isString())
        return type == QStringLiteral("str")
            && key.value(QStringLiteral("value")).toString() == step.toString();
    return type == QStringLiteral("int")
        && key.value(QStringLiteral("value")).toInteger() == step.toInteger();
}

// One step of a torch-side path: a dict key, a list index, or an attribute of an object's state.
QJsonObject stepInto(
    const QJsonObject& value, const QJsonValue& step, const QHash<int, QJsonObject>& ids)
{
    const QJsonObject v = resolve(value, ids);
    const QString type = v.value(QStringLiteral("type")).toString();
    if (type == QStringLiteral("dict")) {
        for (const auto& pair : v.value(QStringLiteral("items")).toArray()) {
            const QJsonArray kv = pair.toArray();
            if (keyMatches(resolve(kv[0].toObject(), ids), step))
                return resolve(kv[1].toObject(), ids);
        }
        return {};
    }
    if ((type == QStringLiteral("list") || type == QStringLiteral("tuple")) && step.isDouble()) {
        const QJsonArray items = v.value(QStringLiteral("items")).toArray();
        const int i = step.toInt();
        return i >= 0 && i < items.size() ? resolve(items[i].toObject(), ids) : QJsonObject();
    }
    if (type == QStringLiteral("object") && v.contains(QStringLiteral("state")))
        return stepInto(v.value(QStringLiteral("state")).toObject(), step, ids);
    return {};
}

// A value as float64: complex [re, im] pairs by their real part (what the torch generator
// records), booleans as 0/1.
double number(const QJsonValue& v)
{
    if (v.isArray())
        return number(v.toArray().first());
    if (v.isBool())
        return v.toBool() ? 1.0 : 0.0;
    if (v.isString()) {
        const QString s = v.toString();
        if (s == QStringLiteral("nan"))
            return std::nan("");
        if (s == QStringLiteral("inf"))
            return INFINITY;
        if (s == QStringLiteral("-inf"))
            return -INFINITY;
        return s.toDouble();
    }
    return v.toDouble();
}

bool same(double got, double want, double relative = 0)
{
    if (std::isnan(want))
        return std::isnan(got);
    if (got == want)
        return true;
    if (relative == 0 || !std::isfinite(want))
        return false;
    return std::fabs(got - want) <= relative * std::max(1.0, std::fabs(want));
}

QJsonObject exportOf(const QString& file, TensorDataMode mode)
{
    auto loaded = loadFile((kTorchDir + file).toStdString());
    if (!loaded.ok())
        return {};
    JsonExportOptions options;
    options.tensorData = mode;
    const std::shared_ptr<const Document> doc = loaded.value();
    return QJsonDocument::fromJson(QByteArray::fromStdString(toJson(doc, options))).object();
}

} // namespace

class TestJsonTensors : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void tensorsMatchTorchLoad_data();
    void tensorsMatchTorchLoad();
};

void TestJsonTensors::tensorsMatchTorchLoad_data()
{
    QTest::addColumn<QString>("file");
    const QJsonObject all = expectations();
    QVERIFY2(!all.isEmpty(), "tests/data/torch/expectations.json is missing");
    for (auto it = all.begin(); it != all.end(); ++it) {
        if (it.key().startsWith(QLatin1Char('_'))
            || it.value().toObject().value(QStringLiteral("tensors")).toArray().isEmpty())
            continue;
        QTest::addRow("%s", qPrintable(it.key())) << it.key();
    }
}

void TestJsonTensors::tensorsMatchTorchLoad()
{
    QFETCH(QString, file);
    const QJsonObject expected = expectations().value(file).toObject();
    const QJsonObject summary = exportOf(file, TensorDataMode::Summary);
    const QJsonObject full = exportOf(file, TensorDataMode::Full);
    const QJsonObject none = exportOf(file, TensorDataMode::None);
    QVERIFY(!summary.isEmpty() && !full.isEmpty() && !none.isEmpty());
    QCOMPARE(
        summary.value(QStringLiteral("file")).toObject().value(QStringLiteral("format")).toString(),
        expected.value(QStringLiteral("format")).toString());
    QHash<int, QJsonObject> ids, fullIds, noneIds;
    indexIds(summary.value(QStringLiteral("root")), ids);
    indexIds(full.value(QStringLiteral("root")), fullIds);
    indexIds(none.value(QStringLiteral("root")), noneIds);
    QHash<int, QString> storageOfGroup;
    int checked = 0;
    for (const auto& entry : expected.value(QStringLiteral("tensors")).toArray()) {
        const QJsonObject want = entry.toObject();
        QJsonObject got = summary.value(QStringLiteral("root")).toObject();
        QJsonObject gotFull = full.value(QStringLiteral("root")).toObject();
        QJsonObject gotNone = none.value(QStringLiteral("root")).toObject();
        const QJsonArray path = want.value(QStringLiteral("path")).toArray();
        for (const auto& step : path) {
            got = stepInto(got, step, ids);
            gotFull = stepInto(gotFull, step, fullIds);
            gotNone = stepInto(gotNone, step, noneIds);
        }
        const QString where = QString::fromUtf8(QJsonDocument(path).toJson(QJsonDocument::Compact));
        QVERIFY2(!got.isEmpty(), qPrintable(where + QStringLiteral(": not found in the export")));
        const bool isArray
            = want.value(QStringLiteral("kind")).toString() == QStringLiteral("ndarray");
        QCOMPARE(got.value(QStringLiteral("type")).toString(),
            isArray ? QStringLiteral("ndarray") : QStringLiteral("tensor"));
        QCOMPARE(got.value(QStringLiteral("shape")).toArray(),
            want.value(QStringLiteral("shape")).toArray());
        if (isArray) {
            QCOMPARE(got.value(QStringLiteral("descr")).toString(),
                want.value(QStringLiteral("dtype")).toString());
            QCOMPARE(got.value(QStringLiteral("fortran_order")).toBool(),
                want.value(QStringLiteral("fortran_order")).toBool());
        } else {
            QCOMPARE(got.value(QStringLiteral("class")).toString(),
                want.value(QStringLiteral("class")).toString());
            QCOMPARE(got.value(QStringLiteral("dtype")).toString(),
                want.value(QStringLiteral("dtype")).toString());
            if (want.contains(QStringLiteral("stride"))) { // not recorded for nested/wrapper forms
                QCOMPARE(got.value(QStringLiteral("stride")).toArray(), want.value(QStringLiteral("stride")).toArray());
                QCOMPARE(got.value(QStringLiteral("storage_offset")).toInteger(),
                    want.value(QStringLiteral("storage_offset")).toInteger());
            }
            QCOMPARE(got.value(QStringLiteral("requires_grad")).toBool(),
                want.value(QStringLiteral("requires_grad")).toBool());
            if (want.contains(QStringLiteral("storage_group"))
                && got.value(QStringLiteral("storage")).isObject()) {
                const int group = want.value(QStringLiteral("storage_group")).toInt();
                const QString key = got.value(QStringLiteral("storage"))
                                        .toObject()
                                        .value(QStringLiteral("key"))
                                        .toString();
                if (storageOfGroup.contains(group))
                    QVERIFY2(storageOfGroup.value(group) == key,
                        qPrintable(where + QStringLiteral(": storage not shared")));
                storageOfGroup.insert(group, key);
            }
        }
        QVERIFY2(!gotNone.contains(QStringLiteral("data")), qPrintable(where));
        ++checked;
        if (!want.contains(QStringLiteral("count")))
            continue; // torch recorded no values (meta, sparse, object/structured arrays)
        // Quantized values are dequantized in float32 by torch, in float64 here.
        const double tolerance = want.contains(QStringLiteral("qscheme")) ? 1e-6 : 0;
        const QJsonObject data = got.value(QStringLiteral("data")).toObject();
        QVERIFY2(!data.contains(QStringLiteral("error")),
            qPrintable(
                where + QStringLiteral(": ") + data.value(QStringLiteral("error")).toString()));
        const qint64 count = want.value(QStringLiteral("count")).toInteger();
        QCOMPARE(data.value(QStringLiteral("nan")).toInteger(),
            want.value(QStringLiteral("nan")).toInteger());
        QCOMPARE(data.value(QStringLiteral("inf")).toInteger(),
            want.value(QStringLiteral("inf")).toInteger());
        const bool complex = got.value(QStringLiteral("dtype")).toString().startsWith(QStringLiteral("complex"));
        if (complex && count > 0) {
            // complex: min/max are null, sum and mean [re, im] pairs
            QVERIFY2(data.value(QStringLiteral("min")).isNull(), qPrintable(where + QStringLiteral(" min")));
            QVERIFY2(data.value(QStringLiteral("sum")).toArray().size() == 2, qPrintable(where + QStringLiteral(" sum")));
        }
        if (count > 0 && !complex) {
            QVERIFY2(same(number(data.value(QStringLiteral("min"))),
                         number(want.value(QStringLiteral("min"))), tolerance),
                qPrintable(where + QStringLiteral(" min")));
            QVERIFY2(same(number(data.value(QStringLiteral("max"))),
                         number(want.value(QStringLiteral("max"))), tolerance),
                qPrintable(where + QStringLiteral(" max")));
            QVERIFY2(same(number(data.value(QStringLiteral("sum"))),
                         number(want.value(QStringLiteral("sum"))), std::max(tolerance, 1e-9)),
                qPrintable(where + QStringLiteral(" sum")));
        }
        const QJsonArray first = data.value(QStringLiteral("first")).toArray();
        const QJsonArray wantFirst = want.value(QStringLiteral("first")).toArray();
        QCOMPARE(first.size(), std::min<qsizetype>(wantFirst.size(), 16));
        for (qsizetype i = 0; i < first.size(); ++i)
            QVERIFY2(same(number(first[i]), number(wantFirst[i]), tolerance),
                qPrintable(where + QStringLiteral(" first[%1]").arg(i)));
        // Full values, flattened row-major, start with the same elements.
        QJsonArray flat;
        QList<QJsonValue> stack {
            gotFull.value(QStringLiteral("data")).toObject().value(QStringLiteral("values"))
        };
        while (!stack.isEmpty()) {
            const QJsonValue v = stack.takeFirst();
            const bool pair = complex && v.isArray() && v.toArray().size() == 2 && !v.toArray().first().isArray()
                && !v.toArray().first().isObject();
            if (v.isArray() && !pair) {
                const QJsonArray a = v.toArray();
                for (qsizetype i = a.size(); i-- > 0;)
                    stack.prepend(a[i]);
            } else {
                flat.append(v);
            }
        }
        QCOMPARE(flat.size(), qsizetype(count));
        for (qsizetype i = 0; i < first.size(); ++i)
            QVERIFY2(same(number(flat[i]), number(wantFirst[i]), tolerance),
                qPrintable(where + QStringLiteral(" values[%1]").arg(i)));
    }
    QVERIFY(checked > 0);
}

QTEST_APPLESS_MAIN(TestJsonTensors)
#include "tst_json_tensors.moc"
