// The Table tab's lazy model: a DataFrame (tests/data/domain/frames_p4.pkl, pandas 1.5) shows its
// columns with their dtypes, its index as row labels and the cells pandas holds; a structured
// array (tests/data/numpy/arrays_p4.pkl) one column per field; QAbstractItemModelTester checks
// the model's contract.

#include "core/loader.h"
#include "ui/table_model.h"
#include "ui/table_pane.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace core;

namespace {

ValueId member(const Document& doc, std::string_view key)
{
    const auto& items = doc.graph.items(doc.root);
    for (std::size_t i = 0; i + 1 < items.size(); i += 2)
        if (doc.graph.text(items[i]) == key)
            return items[i + 1];
    return kNullValue;
}

} // namespace

class TestTableModel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void showsADataFramesColumnsDtypesIndexAndCells();
    void showsAStructuredArrayByField();
    void refusesPlainNumbersAndKeepsTheContract();
};

void TestTableModel::showsADataFramesColumnsDtypesIndexAndCells()
{
    auto doc = loadFile(PICKLESCOPE_TEST_DATA "/domain/frames_p4.pkl");
    QVERIFY(doc.ok());
    QFile f(QStringLiteral(PICKLESCOPE_TEST_DATA "/domain/frames.expected.json"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject want = QJsonDocument::fromJson(f.readAll()).object().value(QStringLiteral("df")).toObject();
    ui::TableModel model;
    QVERIFY(model.setValue(doc.value(), member(*doc.value(), "df")));
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const QJsonArray shape = want.value(QStringLiteral("shape")).toArray();
    QCOMPARE(model.rowCount(), shape[0].toInt());
    QCOMPARE(model.columnCount(), shape[1].toInt());
    const QJsonArray columns = want.value(QStringLiteral("columns")).toArray();
    const QJsonArray dtypes = want.value(QStringLiteral("dtypes")).toArray();
    for (int c = 0; c < model.columnCount(); ++c)
        QCOMPARE(model.headerData(c, Qt::Horizontal).toString(),
            columns[c].toString() + QStringLiteral("\n") + dtypes[c].toString());
    QCOMPARE(model.headerData(2, Qt::Vertical).toString(), QStringLiteral("2")); // RangeIndex
    const QJsonArray data = want.value(QStringLiteral("data")).toArray();
    // int column: the numbers; str column: Python's repr; category: the label's repr
    for (int r = 0; r < model.rowCount(); ++r)
        QCOMPARE(model.index(r, 0).data().toString(), QString::number(data[0].toArray()[r].toInt()));
    QCOMPARE(model.index(0, 2).data().toString(), QStringLiteral("'a'"));
    QCOMPARE(model.index(1, 2).data().toString(), QStringLiteral("None"));
    QCOMPARE(model.index(0, 5).data().toString(), QStringLiteral("'x'"));
    QCOMPARE(model.index(2, 5).data().toString(), QStringLiteral("NaN")); // a missing category
    QCOMPARE(model.index(0, 4).data().toString(), data[4].toArray()[0].toString());
}

void TestTableModel::showsAStructuredArrayByField()
{
    auto doc = loadFile(PICKLESCOPE_TEST_DATA "/numpy/arrays_p4.pkl");
    QVERIFY(doc.ok());
    ui::TableModel model;
    const ValueId id = member(*doc.value(), "struct");
    QVERIFY(ui::TablePane::isTableValue(doc.value()->graph, id));
    QVERIFY(model.setValue(doc.value(), id));
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(model.columnCount(), 3);
    QCOMPARE(model.headerData(0, Qt::Horizontal).toString(), QStringLiteral("name\n<U8"));
    QCOMPARE(model.headerData(1, Qt::Horizontal).toString(), QStringLiteral("pos\n<f4"));
    QCOMPARE(model.index(0, 0).data().toString(), QStringLiteral("'alice'"));
    QCOMPARE(model.index(1, 1).data().toString(), QStringLiteral("[-1.5, 0.25]"));
    QCOMPARE(model.index(1, 2).data().toString(), QStringLiteral("-9223372036854775808"));
}

void TestTableModel::refusesPlainNumbersAndKeepsTheContract()
{
    auto doc = loadFile(PICKLESCOPE_TEST_DATA "/numpy/arrays_p4.pkl");
    QVERIFY(doc.ok());
    QVERIFY(!ui::TablePane::isTableValue(doc.value()->graph, member(*doc.value(), "f4")));
    QVERIFY(ui::TablePane::isTableValue(doc.value()->graph, member(*doc.value(), "M8_ns")));
    ui::TableModel model;
    QVERIFY(model.setValue(doc.value(), member(*doc.value(), "U_fortran")));
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.columnCount(), 3);
    QCOMPARE(model.index(1, 2).data().toString(), QStringLiteral("'fff'")); // Fortran order read right
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

QTEST_MAIN(TestTableModel)
#include "tst_table_model.moc"
