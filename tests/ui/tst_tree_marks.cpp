// picklescope-cli tree and the window's value tree mark a value shown again the same way: "↗"
// where it was shown in full elsewhere, "↻" where it contains itself (core::repeatMark). The
// fixtures come from tests/value/gen_value_children.py (CPython's pickle and torch.save): a
// tensor under two keys, a list holding itself, shared lists / tuples / bytearrays and four
// cycles; the marks CPython's objects give are in <fixture>.expected.json.

#include "ui/value_tree_model.h"

#include "core/loader.h"

#include "../common/cli_run.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

namespace {

const QString kValueDir = QStringLiteral(PICKLESCOPE_TEST_DATA "/value/");
const QString kShared = QStringLiteral("\u2197"); // ↗
const QString kCycle = QStringLiteral("\u21BB"); // ↻

// "depth label mark" of every marked row of the window's tree, every row expanded (pre-order).
QStringList windowMarks(ui::ValueTreeModel& model)
{
    QStringList out;
    struct Item {
        QModelIndex index;
        int depth;
    };
    std::vector<Item> work { { model.index(0, 0), 0 } };
    while (!work.empty()) {
        const Item item = work.back();
        work.pop_back();
        const QString value
            = item.index.siblingAtColumn(ui::ValueTreeModel::ValueColumn).data().toString();
        if (item.depth > 0 && (value.startsWith(kShared) || value.startsWith(kCycle)))
            out << QStringLiteral("%1 %2 %3")
                       .arg(item.depth)
                       .arg(item.index.data().toString(), value.left(1));
        while (model.canFetchMore(item.index))
            model.fetchMore(item.index);
        for (int r = model.rowCount(item.index) - 1; r >= 0; --r)
            work.push_back({ model.index(r, 0, item.index), item.depth + 1 });
    }
    return out;
}

// The same from `picklescope-cli tree FILE`: two spaces a level, "label: summary  ↗ #K (path)".
QStringList cliMarks(const QByteArray& output)
{
    QStringList out;
    for (const QString& line : QString::fromUtf8(output).split('\n')) {
        const qsizetype indent = line.size() - line.trimmed().size();
        const QString text = line.trimmed();
        for (const QString& sign : { kShared, kCycle }) {
            if (indent > 0 && text.contains(QStringLiteral("  ") + sign + QStringLiteral(" #")))
                out << QStringLiteral("%1 %2 %3")
                           .arg(indent / 2)
                           .arg(text.left(text.indexOf(QStringLiteral(": "))), sign);
        }
    }
    return out;
}

QStringList expectedSigns(const QString& name)
{
    QFile file(kValueDir + name);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QStringList out;
    for (const auto& m : QJsonDocument::fromJson(file.readAll()).object().value("marks").toArray())
        out << (m.toObject().value("mark").toString() == QLatin1String("cycle") ? kCycle : kShared);
    return out;
}

QStringList signsOf(const QStringList& marks)
{
    QStringList out;
    for (const QString& m : marks)
        out << m.right(1);
    return out;
}

} // namespace

class TestTreeMarks : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void theWindowAndTheCliMarkTheSameRows_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("expected");
        QTest::newRow("a torch checkpoint with one tensor under two keys and a list holding itself")
            << "shared_tensor.pt"
            << "shared_tensor.expected.json";
        QTest::newRow("a protocol 2 pickle of shared lists, tuples, bytearrays and four cycles")
            << "children_p2.pkl"
            << "children.expected.json";
        QTest::newRow("the same objects at protocol 5") << "children_p5.pkl"
                                                        << "children.expected.json";
    }

    void theWindowAndTheCliMarkTheSameRows()
    {
        QFETCH(QString, file);
        QFETCH(QString, expected);
        auto loaded = core::loadFile((kValueDir + file).toStdString());
        QVERIFY(loaded.ok());
        ui::LoadedFile opened;
        opened.doc = loaded.value();
        opened.index = ui::DocumentIndex::build(opened.doc);
        ui::ValueTreeModel model;
        model.setDocument(opened);
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QStringList window = windowMarks(model);

        const testing::CliRun run = testing::runCli({ QStringLiteral("tree"), kValueDir + file });
        QCOMPARE(run.exitCode, 0);
        const QStringList cli = cliMarks(run.out);

        const QStringList signs = expectedSigns(expected);
        QVERIFY(!signs.isEmpty());
        QCOMPARE(signsOf(cli), signs); // in CPython's walk order
        QCOMPARE(window, cli);
    }
};

QTEST_MAIN(TestTreeMarks)
#include "tst_tree_marks.moc"
