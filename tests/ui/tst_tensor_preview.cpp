// The tensor pane's slicing: axis choice, fixed indices, 0-d / 1-d / empty tensors, the heatmap,
// and (with the torch reader built in) real tensors from torch.save; a remote checkpoint's tensors
// over HTTP from tests/remote/range_server.h (read on workers, only the window shown).

#include "ui_test_support.h"

#include "ui/document_index.h"
#include "ui/tensor_charts.h"
#include "ui/tensor_preview.h"
#include "ui/tensor_slice_model.h"

#include "core/remote/http_source.h"
#include "core/value/value_text.h"
#include "tests/remote/range_server.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDir>
#include <QJsonArray>
#include <QMouseEvent>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThreadPool>
#include <QtTest>

#include <cstring>
#include <set>

namespace {

// value = 100 * i + 10 * j + k for shape [2, 3, 4]
double coded(std::span<const std::int64_t> c)
{
    double v = 0;
    for (auto x : c)
        v = v * 10 + double(x);
    return v;
}

// The value under `key` of a document's root dict.
core::ValueId childNamed(const core::Document& doc, const QString& key)
{
    for (std::size_t i = 0; i < core::displayChildCount(doc.graph, doc.root); ++i) {
        const core::DisplayChild c = core::displayChild(doc.graph, doc.root, i);
        if (QString::fromStdString(c.label).remove(QLatin1Char('\'')) == key)
            return c.child;
    }
    return core::kNullValue;
}

// The 4 KiB pages of `doc`'s file that hold the elements (coords with `row`, `col` free) of a
// rows x cols window of a Tensor value: what a remote read of that window has to fetch.
std::set<std::uint64_t> windowPages(const core::Document& doc, core::ValueId id,
    std::vector<std::int64_t> at, int rowAxis, int colAxis, int rows, int cols, int colStart = 0)
{
    const core::TensorRecord& t = doc.graph.tensor(id);
    auto bytes = core::torch::storageBytes(doc, doc.graph.storage(t.storage));
    std::set<std::uint64_t> pages;
    if (!bytes)
        return pages;
    const auto base = std::uint64_t(bytes.value().data() - doc.source->bytes().data());
    const std::uint32_t size = core::dtypeSize(t.dtype);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
            at[std::size_t(rowAxis)] = r;
            at[std::size_t(colAxis)] = colStart + c;
            std::int64_t position = t.storageOffset;
            for (std::size_t k = 0; k < at.size(); ++k)
                position += at[k] * t.stride[k];
            const std::uint64_t first = base + std::uint64_t(position) * size;
            for (std::uint64_t p = first / 4096; p <= (first + size - 1) / 4096; ++p)
                pages.insert(p);
        }
    return pages;
}

// Loads root_tensor.pt (a tensor torch.save wrote as the file's root), indexes it and shows its
// root in `pane`; false when a step fails.
bool showRootTensor(ui::TensorPreview& pane)
{
    auto loaded = core::loadFile(uitest::dataPath(QStringLiteral("root_tensor.pt")).toStdString());
    if (!loaded.ok())
        return false;
    ui::LoadedFile file;
    file.doc = std::move(loaded).value();
    file.index = ui::DocumentIndex::build(file.doc);
    pane.setDocument(file);
    return pane.showValue(file.doc->root);
}

} // namespace

class TestTensorPreview : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void showsTheFirstTwoAxesByDefault()
    {
        ui::TensorSliceModel model;
        model.setTensor({ 2, 3, 4 }, coded, ui::TensorSliceModel::Format::Integer);
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.columnCount(), 3);
        QCOMPARE(model.index(1, 2).data().toString(), QStringLiteral("120"));
    }

    void slicesAlongChosenAxesAtAFixedIndex()
    {
        ui::TensorSliceModel model;
        model.setTensor({ 2, 3, 4 }, coded, ui::TensorSliceModel::Format::Integer);
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
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
        model.setTensor(
            {}, [](std::span<const std::int64_t> c) { return c.empty() ? 7.0 : -1.0; },
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
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
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
        QCOMPARE(heatmap.image().size(),
            QSize(ui::HeatmapWidget::kMaxSide, ui::HeatmapWidget::kMaxSide));
    }

    void showsComplexTensorsAsPythonWritesThem_data()
    {
        QTest::addColumn<QString>("key");
        QTest::newRow("a complex64 2 x 2 matrix") << QStringLiteral("m");
        QTest::newRow("a complex128 vector") << QStringLiteral("z");
    }

    void showsComplexTensorsAsPythonWritesThem()
    {
        QFETCH(QString, key);
        auto loaded = core::loadFile(uitest::dataPath(QStringLiteral("complex.pt")).toStdString());
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().toString().c_str());
        std::shared_ptr<const core::Document> doc = std::move(loaded).value();
        ui::LoadedFile file;
        file.doc = doc;
        file.index = ui::DocumentIndex::build(doc);
        const QJsonObject want = uitest::readJson(QStringLiteral("issue9.json"))
                                     .value(QStringLiteral("complex"))
                                     .toObject()
                                     .value(key)
                                     .toObject();
        QVERIFY(!want.isEmpty());
        core::ValueId id = core::kNullValue;
        for (std::size_t i = 0; i < core::displayChildCount(doc->graph, doc->root); ++i) {
            const core::DisplayChild c = core::displayChild(doc->graph, doc->root, i);
            if (QString::fromStdString(c.label).contains(QStringLiteral("'%1'").arg(key)))
                id = c.child;
        }
        QVERIFY(!core::isNull(id));
        ui::TensorPreview pane;
        pane.setDocument(file);
        QSignalSpy stats(&pane, &ui::TensorPreview::statsFinished);
        QVERIFY(pane.showValue(id));
        QVERIFY(!pane.complexPartBox()->isHidden());
        const ui::TensorSliceModel* slice = pane.sliceModel();
        QAbstractItemModelTester tester(
            pane.sliceModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(slice->isComplex());
        const QJsonArray text = want.value(QStringLiteral("text")).toArray();
        const QJsonArray re = want.value(QStringLiteral("real")).toArray();
        const QJsonArray im = want.value(QStringLiteral("imag")).toArray();
        const int columns = std::max(1, slice->columnCount());
        for (int i = 0; i < text.size(); ++i) {
            const int r = slice->shape().size() >= 2 ? i / columns : i;
            const int c = slice->shape().size() >= 2 ? i % columns : 0;
            QCOMPARE(slice->index(r, c).data().toString(), text.at(i).toString());
            // The heatmap's number: |z| by default, then the part chosen.
            QCOMPARE(slice->valueAt(r, c), std::hypot(re.at(i).toDouble(), im.at(i).toDouble()));
        }
        QVERIFY(stats.wait(5000));
        QCOMPARE(stats.at(0).at(0).toBool(), true);
        QVERIFY(pane.lastStats() && pane.lastStats()->complex);
        const auto& got = *pane.lastStats()->complex;
        const QJsonObject ws = want.value(QStringLiteral("stats")).toObject();
        auto check = [&](const core::torch::TensorStats& s, const QString& part) {
            const QJsonObject w = ws.value(part).toObject();
            QCOMPARE(s.min, w.value(QStringLiteral("min")).toDouble());
            QCOMPARE(s.max, w.value(QStringLiteral("max")).toDouble());
            QVERIFY(qAbs(s.mean - w.value(QStringLiteral("mean")).toDouble()) < 1e-6);
            QVERIFY(qAbs(s.stddev - w.value(QStringLiteral("std")).toDouble()) < 1e-6);
        };
        check(got.real, QStringLiteral("real"));
        check(got.imag, QStringLiteral("imag"));
        check(got.abs, QStringLiteral("abs"));
        QVERIFY(pane.statsText().contains(QStringLiteral("imag")));

        // The heatmap draws the chosen part, coloured by that part's range over every element.
        pane.setComplexPart(ui::TensorSliceModel::Part::Imag);
        QCOMPARE(slice->valueAt(0, 0), im.at(0).toDouble());
        QCOMPARE(pane.heatmap()->low(),
            ws.value(QStringLiteral("imag")).toObject().value(QStringLiteral("min")).toDouble());
        QCOMPARE(pane.heatmap()->high(),
            ws.value(QStringLiteral("imag")).toObject().value(QStringLiteral("max")).toDouble());
        pane.setComplexPart(ui::TensorSliceModel::Part::Real);
        QCOMPARE(slice->valueAt(0, 0), re.at(0).toDouble());
        QCOMPARE(pane.heatmap()->high(),
            ws.value(QStringLiteral("real")).toObject().value(QStringLiteral("max")).toDouble());
    }

    void theHeatmapLegendSaysWhereItsRangeComesFrom()
    {
        ui::HeatmapWidget heatmap;
        heatmap.resize(600, 400);
        heatmap.setSlice(3, 4, [](int r, int c) { return double(r * 4 + c); });
        QVERIFY(!heatmap.isSampled());
        QCOMPARE(heatmap.rangeSource(), QStringLiteral("slice range"));
        // A sampled slice says so: its range is that of the samples, not of every cell.
        heatmap.setSlice(2048, 2048, [](int r, int c) { return double(r - c); });
        QVERIFY(heatmap.isSampled());
        QVERIFY2(heatmap.rangeSource().contains(QStringLiteral("samples")),
            qPrintable(heatmap.rangeSource()));
        QVERIFY(heatmap.high() < 2047.0); // the largest sampled r - c, not the true one
        // The statistics' true range replaces it.
        heatmap.setRange(-2047, 2047, QStringLiteral("all elements"));
        QCOMPARE(heatmap.low(), -2047.0);
        QCOMPARE(heatmap.high(), 2047.0);
        QCOMPARE(heatmap.rangeSource(), QStringLiteral("all elements"));
    }

    void theHeatmapKeepsASquareMatrixSquare()
    {
        ui::HeatmapWidget heatmap;
        heatmap.resize(700, 300);
        heatmap.setSlice(10, 10, [](int r, int c) { return double(r * c); });
        const QRect square = heatmap.imageRect();
        QVERIFY(!square.isEmpty());
        QVERIFY2(qAbs(square.width() - square.height()) <= 1,
            qPrintable(QStringLiteral("%1 x %2").arg(square.width()).arg(square.height())));
        heatmap.setSlice(10, 20, [](int r, int c) { return double(r * c); });
        const QRect wide = heatmap.imageRect();
        QVERIFY(qAbs(wide.width() - 2 * wide.height()) <= 2);
    }

    void theHeatmapShowsTheValueUnderTheMouse()
    {
        ui::TensorSliceModel model;
        model.setTensor({ 4, 5 }, coded, ui::TensorSliceModel::Format::Integer);
        ui::HeatmapWidget heatmap;
        heatmap.resize(500, 400);
        heatmap.setSlice(4, 5, [&](int r, int c) { return model.valueAt(r, c); });
        heatmap.setDescriber([&](int r, int c) {
            return QStringLiteral("[%1, %2] = %3").arg(r).arg(c).arg(model.textAt(r, c));
        });
        const QRect target = heatmap.imageRect();
        // The centre of cell (row 2, column 3).
        const QPoint pos(
            target.left() + target.width() * 7 / 10, target.top() + target.height() * 5 / 8);
        QCOMPARE(heatmap.cellAt(pos), QPoint(3, 2));
        QMouseEvent move(QEvent::MouseMove, QPointF(pos), heatmap.mapToGlobal(QPointF(pos)),
            Qt::NoButton, Qt::NoButton, Qt::NoModifier);
        QApplication::sendEvent(&heatmap, &move);
        QCOMPARE(heatmap.hoverText(), QStringLiteral("[2, 3] = 23"));
        QCOMPARE(heatmap.cellAt(QPoint(-5, -5)), QPoint(-1, -1));
    }

    void coloursAWholeMatrixByItsStatistics()
    {
        ui::TensorPreview pane;
        QSignalSpy stats(&pane, &ui::TensorPreview::statsFinished);
        QVERIFY(showRootTensor(pane));
        QVERIFY(stats.wait(5000));
        const QJsonArray values = uitest::readJson(QStringLiteral("issue9.json"))
                                      .value(QStringLiteral("root_tensor"))
                                      .toObject()
                                      .value(QStringLiteral("values"))
                                      .toArray();
        double lo = INFINITY, hi = -INFINITY;
        for (const auto& v : values) {
            lo = std::min(lo, v.toDouble());
            hi = std::max(hi, v.toDouble());
        }
        QCOMPARE(pane.lastStats()->stats->min, lo);
        QCOMPARE(pane.lastStats()->stats->max, hi);
        QCOMPARE(pane.heatmap()->low(), lo);
        QCOMPARE(pane.heatmap()->high(), hi);
        QVERIFY(pane.heatmap()->rangeSource().contains(QStringLiteral("all elements")));
    }

    void aFailedNpyExportLeavesNoFile()
    {
        ui::TensorPreview pane;
        QVERIFY(showRootTensor(pane));
        QTemporaryDir dir;
        // A folder that does not exist: QSaveFile cannot open, nothing is left anywhere.
        const QString out = dir.filePath(QStringLiteral("missing/t.npy"));
        QSignalSpy exported(&pane, &ui::TensorPreview::tensorExported);
        pane.exportNpy(out);
        QVERIFY(exported.wait(5000));
        QVERIFY(!exported.at(0).at(1).toString().isEmpty());
        QVERIFY(!pane.isExporting());
        QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
            QStringList {});
    }

    void exportsNpyWithoutLeavingATemporaryFile()
    {
        ui::TensorPreview pane;
        QVERIFY(showRootTensor(pane));
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("t.npy"));
        QSignalSpy exported(&pane, &ui::TensorPreview::tensorExported);
        pane.exportNpy(out);
        QVERIFY(exported.wait(5000));
        QCOMPARE(exported.at(0).at(1).toString(), QString());
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden),
            QStringList { QStringLiteral("t.npy") });
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        QVERIFY(bytes.startsWith("\x93NUMPY"));
        const QJsonArray values = uitest::readJson(QStringLiteral("issue9.json"))
                                      .value(QStringLiteral("root_tensor"))
                                      .toObject()
                                      .value(QStringLiteral("values"))
                                      .toArray();
        // The data is the last 12 float32 values.
        const QByteArray data = bytes.right(values.size() * 4);
        for (int i = 0; i < values.size(); ++i) {
            float v;
            std::memcpy(&v, data.constData() + 4 * i, 4);
            QCOMPARE(double(v), values.at(i).toDouble());
        }
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
            const QString key = QString::fromStdString(c.label)
                                    .remove(QLatin1Char('\''))
                                    .remove(QLatin1Char('"'));
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
    void readsOnlyTheShownWindowOfARemoteTensorOnAWorker()
    {
        RangeServer server(QStringLiteral(PICKLESCOPE_TEST_DATA));
        core::remote::HttpOptions options;
        options.useNetrc = false;
        options.guardUnfetched = true; // a read of unfetched bytes crashes instead of giving zeros
        options.cacheLimit = 64 << 10; // windows read earlier are dropped: reading again fetches
        auto source = core::remote::openUrl(
            server.url(QStringLiteral("ok/remote/preview.pt")).toStdString(), options);
        QVERIFY2(source.ok(), source.ok() ? "" : source.error().toString().c_str());
        std::shared_ptr<core::ByteSource> remoteSource = source.value();
        auto remote = core::loadSource(remoteSource);
        QVERIFY2(remote.ok(), remote.ok() ? "" : remote.error().toString().c_str());
        auto local = core::loadFile(PICKLESCOPE_TEST_DATA "/remote/preview.pt");
        QVERIFY(local.ok());
        std::shared_ptr<const core::Document> doc = std::move(remote).value();
        std::shared_ptr<const core::Document> localDoc = std::move(local).value();
        const QJsonObject expected = QJsonDocument::fromJson([] {
            QFile f(QStringLiteral(PICKLESCOPE_TEST_DATA "/remote/preview.json"));
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        }())
                                         .object();
        const core::ValueId matrix = childNamed(*doc, QStringLiteral("matrix"));
        const core::ValueId waves = childNamed(*doc, QStringLiteral("waves"));
        QVERIFY(!core::isNull(matrix) && !core::isNull(waves));
        const core::ValueId localMatrixId = childNamed(*localDoc, QStringLiteral("matrix"));
        auto localMatrix = core::torch::TensorView::open(localDoc, localMatrixId);
        auto localWaves = core::torch::TensorView::open(
            localDoc, childNamed(*localDoc, QStringLiteral("waves")));
        QVERIFY(localMatrix.ok() && localWaves.ok());

        ui::LoadedFile file;
        file.doc = doc;
        file.index = ui::DocumentIndex::build(doc);
        ui::TensorPreview pane;
        pane.resize(900, 700);
        pane.show();
        pane.setDocument(file);
        QSignalSpy read(&pane, &ui::TensorPreview::sliceRead);
        QSignalSpy stats(&pane, &ui::TensorPreview::statsFinished);

        // The server answers nothing until released: showValue returns at once (a read on the UI
        // thread would block it here), the pane says it is reading, the event loop keeps turning.
        std::uint64_t before = remoteSource->bytesFetched();
        server.hold(true);
        QVERIFY(pane.showValue(matrix));
        QVERIFY(pane.isRemote());
        QVERIFY(pane.isReading());
        QVERIFY2(pane.remoteText().startsWith(QStringLiteral("Reading rows 0–23, columns 0–127 …")),
            qPrintable(pane.remoteText()));
        QCOMPARE(pane.sliceModel()->rowCount(), 0);
        QTRY_VERIFY(server.heldRequests() > 0);
        bool turned = false;
        QTimer::singleShot(0, &pane, [&turned] { turned = true; });
        QTRY_VERIFY(turned);
        QVERIFY(pane.isReading());
        server.hold(false);
        QVERIFY(read.wait(10000));
        QCOMPARE(read.takeFirst().at(0).toBool(), true);

        // [24, 8192] float16: rows 0-23, columns 0-127 are shown, and only the pages they lie
        // in were fetched (in one batch, before any element was read): a quarter of the tensor.
        ui::TensorSliceModel* slice = pane.sliceModel();
        QCOMPARE(slice->rowCount(), 24);
        QCOMPARE(slice->columnCount(), 128);
        std::uint64_t fetched = remoteSource->bytesFetched() - before;
        auto pages = windowPages(*localDoc, localMatrixId, { 0, 0 }, 0, 1, 24, 128);
        QCOMPARE(pages.size(), std::size_t(24));
        QVERIFY2(fetched > 0 && fetched <= pages.size() * 4096,
            qPrintable(
                QStringLiteral("fetched %1, window pages %2").arg(fetched).arg(pages.size())));
        const QJsonObject want = expected.value(QStringLiteral("matrix")).toObject();
        const auto tensorBytes = std::uint64_t(want.value(QStringLiteral("bytes")).toInteger());
        QVERIFY(fetched * 2 < tensorBytes);
        for (int r = 0; r < 24; ++r)
            for (int c = 0; c < 128; ++c) {
                const std::int64_t at[] = { r, c };
                QCOMPARE(slice->valueAt(r, c), localMatrix.value().elementAt(at));
            }
        const QJsonArray probes = want.value(QStringLiteral("probes")).toArray();
        QCOMPARE(
            slice->valueAt(0, 0), probes.at(0).toObject().value(QStringLiteral("real")).toDouble());
        QVERIFY2(pane.remoteText().startsWith(
                     QStringLiteral("Remote file: rows 0–23, columns 0–127 of 24 × 8192 shown")),
            qPrintable(pane.remoteText()));
        QCOMPARE(pane.heatmap()->image().size(), QSize(128, 24));
        // Statistics wait to be asked for.
        QVERIFY(!pane.lastStats());
        QVERIFY(pane.statsButton()->isVisible());
        QCOMPARE(pane.statsButton()->text(),
            QStringLiteral("Compute statistics — fetches up to 384.0 KiB"));

        // The window moved to columns 3072-3199: read on a worker, only its pages fetched.
        before = remoteSource->bytesFetched();
        pane.setWindowStart(0, 3072);
        QVERIFY(read.wait(10000));
        QCOMPARE(slice->columnCount(), 128);
        QCOMPARE(slice->headerData(0, Qt::Horizontal, Qt::DisplayRole).toString(),
            QStringLiteral("3072"));
        const std::int64_t middle[] = { 12, 3072 };
        QCOMPARE(slice->valueAt(12, 0), localMatrix.value().elementAt(middle));
        const std::int64_t last[] = { 23, 3199 };
        QCOMPARE(slice->valueAt(23, 127), localMatrix.value().elementAt(last));
        const auto pages3072 = windowPages(*localDoc, localMatrixId, { 0, 0 }, 0, 1, 24, 128, 3072);
        QVERIFY(remoteSource->bytesFetched() - before <= pages3072.size() * 4096);
        // Two windows none of whose pages has been fetched yet (rows are 4 pages long).
        std::set<std::uint64_t> seen = pages;
        seen.insert(pages3072.begin(), pages3072.end());
        std::vector<int> unfetched;
        for (int c0 = 4096; c0 + 128 <= 8192 && unfetched.size() < 2; c0 += 128) {
            const auto more = windowPages(*localDoc, localMatrixId, { 0, 0 }, 0, 1, 24, 128, c0);
            bool fresh = true;
            for (auto p : more)
                fresh = fresh && !seen.count(p);
            if (fresh) {
                unfetched.push_back(c0);
                seen.insert(more.begin(), more.end());
            }
        }
        QCOMPARE(unfetched.size(), std::size_t(2));

        // Cancel abandons a read the server has not answered: nothing arrives, nothing shown.
        read.clear();
        server.hold(true);
        pane.setWindowStart(0, unfetched[0]);
        QTRY_VERIFY(server.heldRequests() > 0);
        QVERIFY(pane.isReading());
        pane.cancelReading();
        QVERIFY(!pane.isReading());
        QVERIFY2(pane.remoteText().startsWith(QStringLiteral("Cancelled")),
            qPrintable(pane.remoteText()));
        server.hold(false);
        QThreadPool::globalInstance()->waitForDone(10000); // the abandoned read has returned
        QCoreApplication::processEvents();
        QCOMPARE(read.count(), 0);
        QCOMPARE(slice->rowCount(), 0);

        // A newer selection drops the older read: the matrix's next window waits at the server,
        // the complex tensor is selected meanwhile; only its window arrives, cut at 128 of 160
        // columns, values as the local file's.
        server.hold(true);
        pane.setWindowStart(0, unfetched[1]);
        QTRY_VERIFY(server.heldRequests() > 0);
        QVERIFY(pane.showValue(waves)); // its read waits for the first (one fetch at a time)
        server.hold(false);
        QVERIFY(read.wait(10000));
        QThreadPool::globalInstance()->waitForDone(10000);
        QCoreApplication::processEvents();
        QCOMPARE(read.count(), 1);
        QCOMPARE(slice->shape(), (std::vector<std::int64_t> { 16, 160 }));
        QCOMPARE(slice->rowCount(), 16);
        QCOMPARE(slice->columnCount(), 128);
        for (int r = 0; r < 16; ++r)
            for (int c = 0; c < 128; c += 7) {
                const auto [re, im] = localWaves.value().elementComplex(std::uint64_t(r * 160 + c));
                QCOMPARE(slice->textAt(r, c), ui::TensorSliceModel::formatComplex(re, im));
            }

        // Statistics on request: the complex tensor's, on a worker, equal to the local file's.
        pane.computeStats();
        QVERIFY(stats.wait(10000));
        QCOMPARE(stats.takeFirst().at(0).toBool(), true);
        QVERIFY(pane.lastStats() && pane.lastStats()->complex);
        auto whole = localWaves.value().complexStats();
        QVERIFY(whole.ok());
        QCOMPARE(pane.lastStats()->complex->real.sum, whole.value().real.sum);
        QCOMPARE(pane.lastStats()->complex->imag.max, whole.value().imag.max);
        QCOMPARE(pane.lastStats()->stats->count, std::uint64_t(16 * 160));

        // The matrix's statistics fetch every element (under the 64 KiB cache cap), say how much
        // so far, and Cancel abandons them.
        read.clear();
        QVERIFY(pane.showValue(matrix));
        QVERIFY(read.wait(10000));
        server.hold(true);
        before = remoteSource->bytesFetched();
        pane.computeStats();
        QVERIFY(!pane.statsButton()->isVisible());
        QTRY_VERIFY(server.heldRequests() > 0);
        QVERIFY2(pane.statsText().contains(QStringLiteral("Computing statistics… (")),
            qPrintable(pane.statsText()));
        pane.cancelReading();
        QVERIFY(pane.statsButton()->isVisible());
        server.hold(false);
        QThreadPool::globalInstance()->waitForDone(10000);
        QCoreApplication::processEvents();
        QCOMPARE(stats.count(), 0);
        QVERIFY(!pane.lastStats());
        pane.computeStats();
        QVERIFY(stats.wait(20000));
        QCOMPARE(stats.takeFirst().at(0).toBool(), true);
        auto matrixStats = localMatrix.value().stats();
        QVERIFY(matrixStats.ok());
        QCOMPARE(pane.lastStats()->stats->sum, matrixStats.value().sum);
        QCOMPARE(pane.lastStats()->stats->min, matrixStats.value().min);
        QCOMPARE(pane.lastStats()->stats->max, matrixStats.value().max);
        QVERIFY(remoteSource->bytesFetched() - before >= tensorBytes / 2);
        QVERIFY(remoteSource->evictedBytes() > 0);
    }
};

QTEST_MAIN(TestTensorPreview)
#include "tst_tensor_preview.moc"
