// The tensor pane's slicing: axis choice, fixed indices, 0-d / 1-d / empty tensors, the heatmap,
// and (with the torch reader built in) real tensors from torch.save.

#include "ui_test_support.h"

#include "ui/document_index.h"
#include "ui/tensor_charts.h"
#include "ui/tensor_preview.h"
#include "ui/tensor_slice_model.h"

#include "core/value/value_text.h"

#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QSignalSpy>
#include <QtTest>

namespace {

// value = 100 * i + 10 * j + k for shape [2, 3, 4]
double coded(std::span<const std::int64_t> c)
{
    double v = 0;
    for (auto x : c)
        v = v * 10 + double(x);
    return v;
}

} // namespace

class TestTensorPreview : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void showsTheFirstTwoAxesByDefault()
    {
        ui::TensorSliceModel model;
        model.setTensor({ 2, 3, 4 }, coded, ui::TensorSliceModel::Format::Integer);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.columnCount(), 3);
        QCOMPARE(model.index(1, 2).data().toString(), QStringLiteral("120"));
    }

    void slicesAlongChosenAxesAtAFixedIndex()
    {
        ui::TensorSliceModel model;
        model.setTensor({ 2, 3, 4 }, coded, ui::TensorSliceModel::Format::Integer);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setAxes(2, 0); // rows: k, columns: i; j fixed
        model.setFixedIndex(1, 2);
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.columnCount(), 2);
        QCOMPARE(model.valueAt(3, 1), 123.0); // i=1, j=2, k=3
        QCOMPARE(model.index(0, 0).data().toString(), QStringLiteral("20"));
        // Fixing one of the shown axes, or an index out of range, changes nothing.
        model.setFixedIndex(0, 1);
        model.setFixedIndex(1, 7);
        QCOMPARE(model.fixedCoords()[1], std::int64_t(2));
    }

    void showsAZeroDimensionalTensorAsOneCell()
    {
        ui::TensorSliceModel model;
        model.setTensor({}, [](std::span<const std::int64_t> c) { return c.empty() ? 7.0 : -1.0; },
            ui::TensorSliceModel::Format::Float);
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.columnCount(), 1);
        QCOMPARE(model.index(0, 0).data().toString(), QStringLiteral("7"));
    }

    void showsAVectorAsOneColumn()
    {
        ui::TensorSliceModel model;
        model.setTensor({ 5 }, coded, ui::TensorSliceModel::Format::Float);
        QCOMPARE(model.rowCount(), 5);
        QCOMPARE(model.columnCount(), 1);
        QCOMPARE(model.valueAt(4, 0), 4.0);
    }

    void showsNoCellsForAnEmptyTensor()
    {
        ui::TensorSliceModel model;
        model.setTensor({ 0, 3 }, coded, ui::TensorSliceModel::Format::Float);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount() * model.columnCount(), 0);
    }

    void drawsTheHeatmapOverTheSliceRange()
    {
        ui::HeatmapWidget heatmap;
        heatmap.setSlice(3, 4, [](int r, int c) { return double(r * 4 + c); });
        QCOMPARE(heatmap.image().size(), QSize(4, 3));
        QCOMPARE(heatmap.low(), 0.0);
        QCOMPARE(heatmap.high(), 11.0);
        QCOMPARE(heatmap.image().pixel(0, 0), ui::colorMap(0.0));
        QCOMPARE(heatmap.image().pixel(3, 2), ui::colorMap(1.0));
        heatmap.setSlice(2000, 3000, [](int r, int) { return double(r); });
        QCOMPARE(heatmap.image().size(), QSize(ui::HeatmapWidget::kMaxSide, ui::HeatmapWidget::kMaxSide));
    }

    void previewsRealTensorsFromTorchSave()
    {
        auto loaded = core::loadFile(uitest::dataPath(QStringLiteral("tensors.pt")).toStdString());
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().toString().c_str());
        QVERIFY(!loaded.value()->error);
        QVERIFY(!core::isNull(loaded.value()->root));
        std::shared_ptr<const core::Document> doc = std::move(loaded).value();
        ui::LoadedFile file;
        file.doc = doc;
        file.index = ui::DocumentIndex::build(doc);
        const QJsonObject expected = uitest::readJson(QStringLiteral("tensors.json"));

        ui::TensorPreview pane;
        pane.setDocument(file);
        QSignalSpy stats(&pane, &ui::TensorPreview::statsFinished);
        // Find each tensor by its dict key.
        const core::ValueGraph& g = doc->graph;
        for (std::size_t i = 0; i < core::displayChildCount(g, doc->root); ++i) {
            const core::DisplayChild c = core::displayChild(g, doc->root, i);
            const QString key = QString::fromStdString(c.label).remove(QLatin1Char('\'')).remove(QLatin1Char('"'));
            const QJsonObject want = expected.value(key).toObject();
            QVERIFY2(!want.isEmpty(), qPrintable(key));
            QVERIFY(pane.showValue(c.child));
            QVERIFY(stats.wait(5000));
            const QJsonArray shape = want.value(QStringLiteral("shape")).toArray();
            const QJsonArray values = want.value(QStringLiteral("values")).toArray();
            ui::TensorSliceModel* slice = pane.sliceModel();
            QCOMPARE(slice->shape().size(), std::size_t(shape.size()));
            if (key == QLatin1String("w")) {
                // [2, 3, 4]: rows dim 2, columns dim 1, dim 0 at 1 -> element (1, c, r).
                pane.setAxes(2, 1);
                pane.setFixedIndex(0, 1);
                QCOMPARE(slice->rowCount(), 4);
                QCOMPARE(slice->columnCount(), 3);
                QCOMPARE(slice->valueAt(3, 2), values.at(1 * 12 + 2 * 4 + 3).toDouble());
            } else if (key == QLatin1String("v")) {
                QCOMPARE(slice->rowCount(), 3);
                QCOMPARE(slice->valueAt(2, 0), values.at(2).toDouble());
            } else if (key == QLatin1String("s")) {
                QCOMPARE(slice->rowCount(), 1);
                QCOMPARE(slice->valueAt(0, 0), values.at(0).toDouble());
            } else if (key == QLatin1String("e")) {
                QCOMPARE(slice->rowCount() * slice->columnCount(), 0);
            }
        }
    }
};

QTEST_MAIN(TestTensorPreview)
#include "tst_tensor_preview.moc"
