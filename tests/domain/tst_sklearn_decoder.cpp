// scikit-learn estimators against scikit-learn 1.2 (tests/domain/gen_sklearn_fixtures.py): the
// estimator line names its parameters and fitted attributes as the generator derived them from
// the fitted objects, and a forest's tree_.nodes reads as a structured table equal to
// tree_.__getstate__()['nodes'].

#include "core/domain/sklearn_decoder.h"
#include "core/export/json_writer.h"
#include "core/loader.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace core;

namespace {

const QString kDir = QStringLiteral(PICKLESCOPE_TEST_DATA "/domain/");

QJsonObject expected()
{
    QFile f(kDir + QStringLiteral("sklearn_models.expected.json"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

} // namespace

class TestSklearnDecoder : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void estimatorLineShowsParametersAndFittedAttributes();
    void forestTreeNodesReadAsAStructuredTable();
};

void TestSklearnDecoder::estimatorLineShowsParametersAndFittedAttributes()
{
    const QJsonObject want = expected().value(QStringLiteral("labels")).toObject();
    QCOMPARE(want.size(), 3);
    auto doc = loadFile((kDir + QStringLiteral("sklearn_models.pkl")).toStdString());
    QVERIFY(doc.ok());
    const ValueGraph& g = doc.value()->graph;
    const auto& items = g.items(doc.value()->root);
    QCOMPARE(qsizetype(items.size() / 2), want.size());
    for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
        const QString name
            = QString::fromUtf8(g.text(items[i]).data(), qsizetype(g.text(items[i]).size()));
        QCOMPARE(QString::fromStdString(domain::estimatorLabel(g, items[i + 1])),
            want.value(name).toString());
    }
}

void TestSklearnDecoder::forestTreeNodesReadAsAStructuredTable()
{
    const QJsonObject want = expected();
    auto doc = loadFile((kDir + QStringLiteral("sklearn_models.pkl")).toStdString());
    QVERIFY(doc.ok());
    JsonExportOptions options;
    options.plain = true;
    options.tensorData = TensorDataMode::Full;
    const QJsonObject root
        = QJsonDocument::fromJson(QByteArray::fromStdString(toJson(doc.value(), options))).object();
    const QJsonArray trees = root.value(QStringLiteral("rf"))
                                 .toObject()
                                 .value(QStringLiteral("state"))
                                 .toObject()
                                 .value(QStringLiteral("estimators_"))
                                 .toArray();
    const QJsonArray wantNodes = want.value(QStringLiteral("nodes")).toArray();
    QCOMPARE(trees.size(), wantNodes.size());
    for (qsizetype t = 0; t < trees.size(); ++t) {
        const QJsonObject nodes = trees[t]
                                      .toObject()
                                      .value(QStringLiteral("state"))
                                      .toObject()
                                      .value(QStringLiteral("tree_"))
                                      .toObject()
                                      .value(QStringLiteral("state"))
                                      .toObject()
                                      .value(QStringLiteral("nodes"))
                                      .toObject();
        QJsonArray names;
        for (const auto& f : nodes.value(QStringLiteral("fields")).toArray())
            names.append(f.toObject().value(QStringLiteral("name")));
        QCOMPARE(names, want.value(QStringLiteral("node_fields")).toArray());
        QCOMPARE(nodes.value(QStringLiteral("data"))
                     .toObject()
                     .value(QStringLiteral("values"))
                     .toArray(),
            wantNodes[t].toArray());
    }
}

QTEST_APPLESS_MAIN(TestSklearnDecoder)
#include "tst_sklearn_decoder.moc"
