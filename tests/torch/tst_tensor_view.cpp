// TensorView over hand-made documents: strided access, bounds checks, statistics with cancel,
// quantized and packed types, .npy export.

#include "core/torch/tensor_view.h"

#include <QtTest>

#include <cmath>
#include <cstring>

using namespace core;
using namespace core::torch;

namespace {

struct Fixture {
    std::shared_ptr<Document> doc = std::make_shared<Document>();
    ValueId storage = kNullValue;

    template <typename T>
    Fixture(const std::vector<T>& values, DType dtype, bool bigEndian = false)
    {
        std::vector<std::byte> bytes(values.size() * sizeof(T));
        std::memcpy(bytes.data(), values.data(), bytes.size());
        if (bigEndian)
            for (std::size_t i = 0; i < bytes.size(); i += sizeof(T))
                std::reverse(bytes.begin() + i, bytes.begin() + i + sizeof(T));
        doc->source = ByteSource::fromBuffer(std::move(bytes), "mem");
        StorageRecord s;
        s.key = "0";
        s.dtype = dtype;
        s.numel = values.size();
        s.bytes = { 0, doc->source->size(), -1 };
        s.bytesFound = true;
        s.bigEndian = bigEndian;
        storage = doc->graph.addStorage(s, 0);
    }
    ValueId tensor(std::vector<std::int64_t> shape, std::vector<std::int64_t> stride, std::int64_t offset = 0)
    {
        TensorRecord t;
        t.dtype = doc->graph.storage(storage).dtype;
        t.storage = storage;
        t.shape = std::move(shape);
        t.stride = std::move(stride);
        t.storageOffset = offset;
        return doc->graph.addTensor(std::move(t), 0);
    }
};

std::vector<float> iota(int n)
{
    std::vector<float> v(n);
    for (int i = 0; i < n; ++i)
        v[i] = float(i);
    return v;
}

class CancelAfter : public LoadObserver {
public:
    explicit CancelAfter(int polls)
        : m_left(polls)
    {
    }
    bool isCancelled() const override { return m_left-- <= 0; }
    void progress(std::uint64_t done, std::uint64_t total) override
    {
        last = done;
        lastTotal = total;
    }
    mutable int m_left;
    std::uint64_t last = 0, lastTotal = 0;
};

} // namespace

class TestTensorView : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void readsTransposedAndSlicedViews()
    {
        Fixture f(iota(24), DType::Float32);
        const ValueId t = f.tensor({ 6, 4 }, { 1, 6 }); // (4,6).t()
        auto view = TensorView::open(f.doc, t);
        QVERIFY(view.ok());
        QCOMPARE(view->numel(), 24u);
        QCOMPARE(view->element(1), 6.0);
        QCOMPARE(view->element(4), 1.0);
        const std::int64_t at[2] = { 5, 3 };
        QCOMPARE(view->elementAt(at), 23.0);
        std::vector<double> out(24);
        view->read(0, 24, out.data());
        for (int i = 0; i < 24; ++i)
            QCOMPARE(out[i], double((i % 4) * 6 + i / 4));
        // a slice [1:3, 2:5] of the (4,6) matrix: offset 8, strides (6,1)
        auto slice = TensorView::open(f.doc, f.tensor({ 2, 3 }, { 6, 1 }, 8));
        QVERIFY(slice.ok());
        view->read(0, 0, nullptr);
        std::vector<double> s(6);
        slice->read(2, 4, s.data());
        QCOMPARE(s[0], 10.0);
        QCOMPARE(s[1], 14.0);
        QCOMPARE(s[3], 16.0);
    }

    void handlesScalarsEmptyAndExpanded()
    {
        Fixture f(iota(24), DType::Float32);
        auto scalar = TensorView::open(f.doc, f.tensor({}, {}, 15));
        QVERIFY(scalar.ok());
        QCOMPARE(scalar->numel(), 1u);
        QCOMPARE(scalar->element(0), 15.0);
        auto empty = TensorView::open(f.doc, f.tensor({ 0 }, { 1 }, 24)); // base[24:]
        QVERIFY(empty.ok());
        QCOMPARE(empty->numel(), 0u);
        auto st = empty->stats();
        QVERIFY(st.ok());
        QCOMPARE(st->count, 0u);
        auto expanded = TensorView::open(f.doc, f.tensor({ 3, 4 }, { 1, 0 }, 0));
        QVERIFY(expanded.ok());
        QCOMPARE(expanded->element(7), 1.0);
    }

    void rejectsBadGeometry_data()
    {
        QTest::addColumn<QList<qint64>>("shape");
        QTest::addColumn<QList<qint64>>("stride");
        QTest::addColumn<qint64>("offset");
        QTest::addColumn<int>("code");
        QTest::newRow("strides pointing past the storage") << QList<qint64> { 3, 3 } << QList<qint64> { 12, 1 } << qint64(0) << int(ErrorCode::Format);
        QTest::newRow("offset past the storage") << QList<qint64> { 2 } << QList<qint64> { 1 } << qint64(23) << int(ErrorCode::Format);
        QTest::newRow("element count overflowing 64 bits") << QList<qint64> { 1ll << 40, 1ll << 40 } << QList<qint64> { 0, 0 } << qint64(0) << int(ErrorCode::LimitExceeded);
        QTest::newRow("stride times size overflowing") << QList<qint64> { 4, 4 } << QList<qint64> { 1ll << 62, 1ll << 62 } << qint64(0) << int(ErrorCode::LimitExceeded);
        QTest::newRow("negative stride") << QList<qint64> { 2 } << QList<qint64> { -1 } << qint64(5) << int(ErrorCode::BadValue);
        QTest::newRow("negative size") << QList<qint64> { -2 } << QList<qint64> { 1 } << qint64(0) << int(ErrorCode::BadValue);
        QTest::newRow("rank mismatch") << QList<qint64> { 2, 2 } << QList<qint64> { 1 } << qint64(0) << int(ErrorCode::BadValue);
    }
    void rejectsBadGeometry()
    {
        QFETCH(QList<qint64>, shape);
        QFETCH(QList<qint64>, stride);
        QFETCH(qint64, offset);
        QFETCH(int, code);
        Fixture f(iota(24), DType::Float32);
        auto view = TensorView::open(f.doc, f.tensor({ shape.begin(), shape.end() }, { stride.begin(), stride.end() }, offset));
        QVERIFY(!view.ok());
        QCOMPARE(int(view.error().code), code);
    }

    void rejectsMissingStorageBytes()
    {
        Fixture f(iota(4), DType::Float32);
        f.doc->graph.storage(f.storage).bytes.length = 1000; // record claims more than the file has
        auto view = TensorView::open(f.doc, f.tensor({ 2 }, { 1 }));
        QVERIFY(!view.ok());
        QCOMPARE(view.error().code, ErrorCode::Truncated);
        f.doc->graph.storage(f.storage).bytesFound = false;
        QVERIFY(!TensorView::open(f.doc, f.tensor({ 2 }, { 1 })).ok());
    }

    void computesStatisticsOverManyChunks()
    {
        const int n = int(TensorView::kChunk) * 3 + 17;
        std::vector<float> v(n);
        for (int i = 0; i < n; ++i)
            v[i] = float(i % 1000) - 500.0f;
        v[5] = NAN;
        v[6] = INFINITY;
        v[7] = 0.0f;
        Fixture f(v, DType::Float32);
        auto view = TensorView::open(f.doc, f.tensor({ n }, { 1 }));
        QVERIFY(view.ok());
        auto st = view->stats();
        QVERIFY(st.ok());
        double sum = 0, mn = INFINITY, mx = -INFINITY;
        std::uint64_t zeros = 0;
        for (float x : v) {
            if (std::isnan(x))
                continue;
            sum += x;
            mn = std::min<double>(mn, x);
            mx = std::max<double>(mx, x);
            zeros += x == 0;
        }
        QCOMPARE(st->nanCount, 1u);
        QCOMPARE(st->infCount, 1u);
        QCOMPARE(st->zeroCount, zeros);
        QCOMPARE(st->min, mn);
        QCOMPARE(st->max, mx);
        QCOMPARE(st->sum, sum);
        QCOMPARE(st->first.size(), 16u);
        QVERIFY(std::isnan(st->first[5]));
        QCOMPARE(st->first[8], 3.0 - 500.0 + 5.0);
    }

    void computesMeanAndStandardDeviation()
    {
        std::vector<double> v;
        for (int i = 0; i < 200000; ++i)
            v.push_back(std::sin(i) * 3 + 1);
        Fixture f(v, DType::Float64);
        auto view = TensorView::open(f.doc, f.tensor({ 200000 }, { 1 }));
        QVERIFY(view.ok());
        auto st = view->stats();
        QVERIFY(st.ok());
        double mean = 0;
        for (double x : v)
            mean += x;
        mean /= v.size();
        double m2 = 0;
        for (double x : v)
            m2 += (x - mean) * (x - mean);
        QVERIFY(std::fabs(st->mean - mean) < 1e-12);
        QVERIFY(std::fabs(st->stddev - std::sqrt(m2 / v.size())) < 1e-12);
    }

    void cancelsStatisticsPromptly()
    {
        const int n = int(TensorView::kChunk) * 16 * 4; // progress is polled every 16 chunks
        Fixture f(iota(n), DType::Float32);
        auto view = TensorView::open(f.doc, f.tensor({ n }, { 1 }));
        QVERIFY(view.ok());
        CancelAfter observer(2);
        auto st = view->stats(&observer);
        QVERIFY(!st.ok());
        QCOMPARE(st.error().code, ErrorCode::Cancelled);
        CancelAfter never(1000);
        QVERIFY(view->stats(&never).ok());
        QCOMPARE(never.last, never.lastTotal);
    }

    void readsBigEndianStorages()
    {
        Fixture f(std::vector<std::int32_t> { 1, -2, 70000 }, DType::Int32, true);
        auto view = TensorView::open(f.doc, f.tensor({ 3 }, { 1 }));
        QVERIFY(view.ok());
        QCOMPARE(view->element(1), -2.0);
        QCOMPARE(view->element(2), 70000.0);
    }

    void dequantizesPerTensorAndPacked()
    {
        Fixture f(std::vector<std::int8_t> { -3, 0, 5, 127 }, DType::QInt8);
        TensorRecord t;
        t.dtype = DType::QInt8;
        t.layout = TensorLayout::Quantized;
        t.storage = f.storage;
        t.shape = { 4 };
        t.stride = { 1 };
        t.scale = 0.5;
        t.zeroPoint = 1;
        auto view = TensorView::open(f.doc, f.doc->graph.addTensor(t, 0));
        QVERIFY(view.ok());
        QCOMPARE(view->element(0), -2.0);
        QCOMPARE(view->element(3), 63.0);

        // quint4x2: element i in byte i/2, low nibble first
        Fixture p(std::vector<std::uint8_t> { 0x21, 0xf3 }, DType::QUInt4x2);
        TensorRecord q;
        q.dtype = DType::QUInt4x2;
        q.layout = TensorLayout::Quantized;
        q.storage = p.storage;
        q.shape = { 4 };
        q.stride = { 1 };
        q.scale = 1.0;
        auto packed = TensorView::open(p.doc, p.doc->graph.addTensor(q, 0));
        QVERIFY(packed.ok());
        QCOMPARE(packed->element(0), 1.0);
        QCOMPARE(packed->element(1), 2.0);
        QCOMPARE(packed->element(2), 3.0);
        QCOMPARE(packed->element(3), 15.0);
    }

    void slicesTwoDimensionalWindows()
    {
        Fixture f(iota(24), DType::Float32);
        auto view = TensorView::open(f.doc, f.tensor({ 2, 3, 4 }, { 12, 4, 1 }));
        QVERIFY(view.ok());
        const std::int64_t coords[3] = { 1, 0, 0 };
        auto window = view->slice2D(coords, 1, 2, 1, 2, 2, 2); // [1, 1:3, 2:4]
        QVERIFY(window.ok());
        QCOMPARE(*window, (std::vector<double> { 18, 19, 22, 23 }));
        auto column = view->slice2D(coords, 2, 1, 0, 4, 1, 1); // rows along axis 2, column 1 of axis 1
        QVERIFY(column.ok());
        QCOMPARE(*column, (std::vector<double> { 16, 17, 18, 19 }));
        QVERIFY(!view->slice2D(coords, 1, 2, 2, 2, 0, 1).ok()); // rows 2..3 of 3
    }

    void readsComplexParts()
    {
        Fixture f(std::vector<float> { 1.5f, -2.0f, 3.0f, 4.0f }, DType::Complex64);
        f.doc->graph.storage(f.storage).numel = 2;
        auto view = TensorView::open(f.doc, f.tensor({ 2 }, { 1 }));
        QVERIFY(view.ok());
        QCOMPARE(view->elementComplex(0), (std::pair<double, double> { 1.5, -2.0 }));
        QCOMPARE(view->elementComplex(1), (std::pair<double, double> { 3.0, 4.0 }));
        QCOMPARE(view->element(1), 3.0);
    }

    void writesNpyFiles()
    {
        Fixture f(iota(6), DType::Float32);
        auto view = TensorView::open(f.doc, f.tensor({ 3, 2 }, { 1, 3 })); // transposed (2,3)
        QVERIFY(view.ok());
        QTemporaryDir dir;
        const std::string path = dir.filePath("t.npy").toStdString();
        QVERIFY(view->writeNpy(path).ok());
        QFile file(QString::fromStdString(path));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray all = file.readAll();
        QVERIFY(all.startsWith("\x93NUMPY\x01\x00"));
        const int headerLen = uchar(all[8]) | (uchar(all[9]) << 8);
        QCOMPARE((10 + headerLen) % 64, 0);
        const QByteArray header = all.mid(10, headerLen);
        QVERIFY(header.contains("'descr': '<f4'"));
        QVERIFY(header.contains("'shape': (3, 2)"));
        QVERIFY(header.endsWith('\n'));
        QCOMPARE(all.size(), 10 + headerLen + 24);
        float data[6];
        std::memcpy(data, all.constData() + 10 + headerLen, 24);
        const float expected[6] = { 0, 3, 1, 4, 2, 5 };
        for (int i = 0; i < 6; ++i)
            QCOMPARE(data[i], expected[i]);
    }

    void writesNpyThroughASinkAndStopsWhenCancelled()
    {
        const int n = int(TensorView::kChunk) * 4 + 5;
        Fixture f(iota(n), DType::Float32);
        auto view = TensorView::open(f.doc, f.tensor({ n }, { 1 }));
        QVERIFY(view.ok());
        QTemporaryDir dir;
        const std::string path = dir.filePath("t.npy").toStdString();
        QVERIFY(view->writeNpy(path).ok());
        QFile file(QString::fromStdString(path));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray whole = file.readAll();

        // Through a sink: the same bytes, progress up to every element.
        QByteArray sunk;
        auto sink = [&sunk](const char* data, std::size_t size) {
            sunk.append(data, qsizetype(size));
            return true;
        };
        CancelAfter never(1000);
        QVERIFY(view->writeNpy(sink, &never).ok());
        QCOMPARE(sunk, whole);
        QCOMPARE(never.last, std::uint64_t(n));
        QCOMPARE(never.lastTotal, std::uint64_t(n));

        // Cancelled after two chunks: stops with Cancelled, short of the whole file.
        sunk.clear();
        CancelAfter two(2);
        auto r = view->writeNpy(sink, &two);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, ErrorCode::Cancelled);
        QVERIFY(sunk.size() < whole.size());
        QVERIFY(whole.startsWith(sunk));

        // A sink that fails: an I/O error.
        auto failing = [](const char*, std::size_t) { return false; };
        auto e = view->writeNpy(failing);
        QVERIFY(!e.ok());
        QCOMPARE(e.error().code, ErrorCode::Io);
    }
};

QTEST_APPLESS_MAIN(TestTensorView)
#include "tst_tensor_view.moc"
