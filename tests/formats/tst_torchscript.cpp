// TorchScript archives end to end (torch.jit.save and the lite .ptl of torch 1.13, made by
// gen_format_fixtures.py): the module from data.pkl, constants.pkl's tensor, the debug pickles
// and bytecode.pkl as programs, every member readable by name (the bytes zipfile reads), the
// JSON "programs" object and `picklescope-cli cat`.

#include "core/export/json_writer.h"
#include "core/formats/detect_format.h"
#include "core/loader.h"
#include "core/torch/tensor_view.h"
#include "core/torch/torchscript_reader.h"
#include "tests/common/cli_run.h"

#include <QtTest>

#include <cmath>

using namespace core;

namespace {

const QString kDir = QStringLiteral(PICKLESCOPE_TEST_DATA "/formats/");

QJsonObject expectations()
{
    QFile f(kDir + "expectations.json");
    if (!f.open(QIODevice::ReadOnly))
        qFatal("no expectations.json");
    return QJsonDocument::fromJson(f.readAll()).object();
}

// obj.attr through the BUILD state dict of a generic object.
ValueId attribute(const ValueGraph& g, ValueId object, std::string_view name)
{
    if (!g.valid(object) || g.kind(object) != ValueKind::Object)
        return kNullValue;
    const ValueId state = g.object(object).state;
    if (!g.valid(state) || g.kind(state) != ValueKind::Dict)
        return kNullValue;
    const auto& items = g.items(state);
    for (std::size_t i = 0; i + 1 < items.size(); i += 2)
        if (g.kind(items[i]) == ValueKind::Str && g.text(items[i]) == name)
            return items[i + 1];
    return kNullValue;
}

void compareTensor(const std::shared_ptr<const Document>& doc, ValueId id, const QJsonObject& exp)
{
    QVERIFY(doc->graph.valid(id));
    QCOMPARE(doc->graph.kind(id), ValueKind::Tensor);
    auto view = torch::TensorView::open(doc, id);
    QVERIFY(view.ok());
    QCOMPARE(QString::fromLatin1(dtypeName(view->dtype()).data()), exp["dtype"].toString());
    QJsonArray shape;
    for (auto d : view->shape())
        shape.append(qint64(d));
    QCOMPARE(shape, exp["shape"].toArray());
    const QJsonArray values = exp["values"].toArray();
    QCOMPARE(qsizetype(view->numel()), values.size());
    for (qsizetype k = 0; k < values.size(); ++k)
        QCOMPARE(view->element(std::uint64_t(k)), values[k].toString().toDouble());
}

} // namespace

class TestTorchScript : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void showsModuleConstantsAndPrograms_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("a torch.jit.save archive") << "scripted_module.pt";
        QTest::newRow("a lite-interpreter .ptl") << "scripted_module.ptl";
    }
    void showsModuleConstantsAndPrograms()
    {
        QFETCH(QString, file);
        const QJsonObject exp = expectations()[file].toObject();
        QVERIFY(!exp.isEmpty());
        auto loaded = loadFile((kDir + file).toStdString());
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().toString().c_str());
        std::shared_ptr<const Document> doc = loaded.value();
        QCOMPARE(doc->format, FileFormat::TorchScript);
        QVERIFY(!doc->error);
        QCOMPARE(QString::fromStdString(doc->main().name), QStringLiteral("data.pkl"));
        const ValueGraph& g = doc->graph;
        const ValueId fc = attribute(g, doc->root, "fc");
        QVERIFY(g.valid(fc));
        if (exp.contains("tensors")) {
            const QJsonObject tensors = exp["tensors"].toObject();
            compareTensor(doc, attribute(g, fc, "weight"), tensors["fc.weight"].toObject());
            compareTensor(doc, attribute(g, fc, "bias"), tensors["fc.bias"].toObject());
            compareTensor(doc, attribute(g, doc->root, "scale"), tensors["scale"].toObject());
        }
        // Every pickle of the archive is a program: data.pkl, constants.pkl, the debug pickles
        // (and the lite bytecode.pkl).
        QSet<QString> expectedPrograms;
        const QJsonObject members = exp["members"].toObject();
        for (const QString& key : members.keys())
            if (key.endsWith(".pkl") || key.endsWith(".debug_pkl"))
                expectedPrograms.insert(key);
        QSet<QString> programs;
        for (const PickleStream& s : doc->pickles) {
            QVERIFY2(g.valid(s.root), s.name.c_str());
            programs.insert(QString::fromStdString(s.name));
        }
        QCOMPARE(programs, expectedPrograms);
        // constants.pkl holds the traced constant tensor
        for (const PickleStream& s : doc->pickles)
            if (s.name == "constants.pkl" && exp.contains("constants")) {
                QCOMPARE(g.kind(s.root), ValueKind::Tuple);
                QCOMPARE(g.items(s.root).size(), std::size_t(1));
                compareTensor(doc, g.items(s.root)[0], exp["constants"].toArray()[0].toObject());
            }
    }

    void readsEveryMemberByName()
    {
        for (const QString& file :
            { QStringLiteral("scripted_module.pt"), QStringLiteral("scripted_module.ptl") }) {
            const QJsonObject members = expectations()[file].toObject()["members"].toObject();
            auto loaded = loadFile((kDir + file).toStdString());
            QVERIFY(loaded.ok());
            for (auto it = members.begin(); it != members.end(); ++it) {
                auto bytes
                    = torch::readArchiveMember(*loaded.value(), it.key().toStdString(), 1 << 20);
                QVERIFY2(bytes.ok(), qPrintable(it.key()));
                QCOMPARE(qint64(bytes->size()), it.value().toObject()["size"].toInteger());
                if (it.value().toObject().contains("text"))
                    QCOMPARE(QString::fromUtf8(reinterpret_cast<const char*>(bytes->data()),
                                 qsizetype(bytes->size())),
                        it.value().toObject()["text"].toString());
            }
            QVERIFY(!torch::readArchiveMember(*loaded.value(), "code/nothing.py", 1 << 20).ok());
        }
    }

    void exportsEveryProgramBesideTheRoot()
    {
        auto loaded = loadFile((kDir + "scripted_module.pt").toStdString());
        QVERIFY(loaded.ok());
        const QJsonObject json
            = QJsonDocument::fromJson(QByteArray::fromStdString(toJson(loaded.value()))).object();
        QCOMPARE(json["root"].toObject()["type"].toString(), QStringLiteral("object"));
        const QJsonObject programs = json["programs"].toObject();
        QVERIFY(programs.contains("data.pkl"));
        QCOMPARE(programs["data.pkl"], json["root"]);
        const QJsonArray constants = programs["constants.pkl"].toObject()["items"].toArray();
        QCOMPARE(constants.size(), 1);
        QCOMPARE(constants[0].toObject()["type"].toString(), QStringLiteral("tensor"));
        QCOMPARE(constants[0].toObject()["data"].toObject()["first"].toArray(),
            QJsonArray({ 1.0, -1.0 }));
    }

    void catPrintsACodeMember()
    {
        if (qEnvironmentVariable("PICKLESCOPE_CLI").isEmpty())
            QSKIP("PICKLESCOPE_CLI not set");
        testing::CliRun p
            = testing::runCli({ "cat", kDir + "scripted_module.pt", "code/__torch__.py" });
        QCOMPARE(p.exitCode, 0);
        const QString expected = expectations()["scripted_module.pt"]
                                     .toObject()["members"]
                                     .toObject()["code/__torch__.py"]
                                     .toObject()["text"]
                                     .toString();
        QCOMPARE(QString::fromUtf8(p.out), expected);
        p = testing::runCli({ "cat", kDir + "scripted_module.pt", "code/none.py" });
        QCOMPARE(p.exitCode, 1);
        QVERIFY(p.err.contains("no member 'code/none.py'"));
    }
};

QTEST_APPLESS_MAIN(TestTorchScript)
#include "tst_torchscript.moc"
