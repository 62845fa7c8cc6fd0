// zip64 past 4 GiB: a sparse archive whose first record is a 5 GiB hole, so that data.pkl and
// the storage sit at offsets above 4 GiB (central directory with zip64 extra fields, zip64 end
// records). The pickle and storage bytes come from prefix_twentyone_char.pt (written by torch);
// the large archive must give the same tensor.

#include "core/loader.h"
#include "core/torch/tensor_view.h"
#include "core/torch/zip_archive.h"

#include <QtTest>

using namespace core;
using namespace core::torch;

namespace {

void put16(QByteArray& b, quint16 v)
{
    b.append(char(v & 0xFF)).append(char(v >> 8));
}
void put32(QByteArray& b, quint32 v)
{
    put16(b, quint16(v & 0xFFFF));
    put16(b, quint16(v >> 16));
}
void put64(QByteArray& b, quint64 v)
{
    put32(b, quint32(v & 0xFFFFFFFFu));
    put32(b, quint32(v >> 32));
}

struct Record {
    QByteArray name;
    QByteArray data; // empty with holeSize > 0: a sparse hole
    quint64 holeSize = 0;
    quint64 offset = 0;
    quint64 size() const { return holeSize ? holeSize : quint64(data.size()); }
};

QByteArray localHeader(const Record& r)
{
    QByteArray h;
    const bool big = r.size() >= 0xFFFFFFFFull;
    put32(h, 0x04034b50);
    put16(h, 45); // version needed
    put16(h, 0); // flags
    put16(h, 0); // stored
    put32(h, 0); // time, date
    put32(h, 0); // crc (not checked for stored records read in place)
    put32(h, big ? 0xFFFFFFFFu : quint32(r.size()));
    put32(h, big ? 0xFFFFFFFFu : quint32(r.size()));
    put16(h, quint16(r.name.size()));
    put16(h, big ? 20 : 0);
    h.append(r.name);
    if (big) {
        put16(h, 0x0001);
        put16(h, 16);
        put64(h, r.size());
        put64(h, r.size());
    }
    return h;
}

QByteArray centralEntry(const Record& r)
{
    const bool bigSize = r.size() >= 0xFFFFFFFFull;
    const bool bigOffset = r.offset >= 0xFFFFFFFFull;
    QByteArray extra;
    if (bigSize || bigOffset) {
        put16(extra, 0x0001);
        put16(extra, quint16((bigSize ? 16 : 0) + (bigOffset ? 8 : 0)));
        if (bigSize) {
            put64(extra, r.size());
            put64(extra, r.size());
        }
        if (bigOffset)
            put64(extra, r.offset);
    }
    QByteArray c;
    put32(c, 0x02014b50);
    put16(c, 45);
    put16(c, 45);
    put16(c, 0);
    put16(c, 0);
    put32(c, 0);
    put32(c, 0);
    put32(c, bigSize ? 0xFFFFFFFFu : quint32(r.size()));
    put32(c, bigSize ? 0xFFFFFFFFu : quint32(r.size()));
    put16(c, quint16(r.name.size()));
    put16(c, quint16(extra.size()));
    put16(c, 0); // comment
    put16(c, 0); // disk
    put16(c, 0); // internal attributes
    put32(c, 0); // external attributes
    put32(c, bigOffset ? 0xFFFFFFFFu : quint32(r.offset));
    c.append(r.name).append(extra);
    return c;
}

} // namespace

class TestZip64Large : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void readsRecordsPastFourGigabytes()
    {
        const std::string small = PICKLESCOPE_TEST_DATA "/torch/prefix_twentyone_char.pt";
        auto source = ByteSource::mapFile(small);
        QVERIFY(source.ok());
        auto zip = ZipArchive::open(source.value()->bytes());
        QVERIFY(zip.ok());
        auto pickle = zip->storedBytes(*zip->find("prefix_twentyone_char/data.pkl"));
        auto storage = zip->storedBytes(*zip->find("prefix_twentyone_char/data/0"));
        QVERIFY(pickle.ok() && storage.ok());

        QTemporaryDir dir;
        QFile file(dir.filePath("large.pt"));
        QVERIFY(file.open(QIODevice::WriteOnly));
        std::vector<Record> records(3);
        records[0].name = "large/filler";
        records[0].holeSize = 5ull << 30;
        records[1].name = "large/data.pkl";
        records[1].data = QByteArray(reinterpret_cast<const char*>(pickle->data()), qsizetype(pickle->size()));
        records[2].name = "large/data/0";
        records[2].data = QByteArray(reinterpret_cast<const char*>(storage->data()), qsizetype(storage->size()));
        quint64 pos = 0;
        for (auto& r : records) {
            r.offset = pos;
            QVERIFY(file.seek(qint64(pos)));
            const QByteArray h = localHeader(r);
            QCOMPARE(file.write(h), h.size());
            pos += quint64(h.size());
            if (r.holeSize) {
                pos += r.holeSize; // leave a hole: the file stays sparse
            } else {
                QVERIFY(file.seek(qint64(pos)));
                QCOMPARE(file.write(r.data), r.data.size());
                pos += quint64(r.data.size());
            }
        }
        QVERIFY(records[1].offset > 0xFFFFFFFFull);
        QByteArray tail;
        for (const auto& r : records)
            tail.append(centralEntry(r));
        const quint64 cdOffset = pos, cdSize = quint64(tail.size());
        const quint64 z64 = cdOffset + cdSize;
        put32(tail, 0x06064b50);
        put64(tail, 44);
        put16(tail, 45);
        put16(tail, 45);
        put32(tail, 0);
        put32(tail, 0);
        put64(tail, records.size());
        put64(tail, records.size());
        put64(tail, cdSize);
        put64(tail, cdOffset);
        put32(tail, 0x07064b50);
        put32(tail, 0);
        put64(tail, z64);
        put32(tail, 1);
        put32(tail, 0x06054b50);
        put16(tail, 0);
        put16(tail, 0);
        put16(tail, 0xFFFF);
        put16(tail, 0xFFFF);
        put32(tail, 0xFFFFFFFFu);
        put32(tail, 0xFFFFFFFFu);
        put16(tail, 0);
        QVERIFY(file.seek(qint64(pos)));
        QCOMPARE(file.write(tail), tail.size());
        file.close();

        auto large = loadFile(dir.filePath("large.pt").toStdString());
        QVERIFY2(large.ok(), large.ok() ? "" : large.error().toString().c_str());
        std::shared_ptr<const Document> doc = large.value();
        QVERIFY2(!doc->error, doc->error ? doc->error->toString().c_str() : "");
        QCOMPARE(doc->format, FileFormat::TorchZip);
        QCOMPARE(doc->entries.front().size, 5ull << 30);
        QVERIFY(doc->main().offset > 0xFFFFFFFFull);
        auto reference = loadFile(small);
        QVERIFY(reference.ok());
        const auto& g = doc->graph;
        const auto& items = g.items(doc->root);
        const auto& refItems = reference.value()->graph.items(reference.value()->root);
        QCOMPARE(g.kind(items[1]), ValueKind::Tensor);
        QVERIFY(g.storage(g.tensor(items[1]).storage).bytes.offset > 0xFFFFFFFFull);
        auto view = TensorView::open(doc, items[1]);
        auto refView = TensorView::open(reference.value(), refItems[1]);
        QVERIFY(view.ok() && refView.ok());
        QCOMPARE(view->shape(), refView->shape());
        for (std::uint64_t i = 0; i < view->numel(); ++i)
            QCOMPARE(view->element(i), refView->element(i));
    }
};

QTEST_APPLESS_MAIN(TestZip64Large)
#include "tst_zip64_large.moc"
