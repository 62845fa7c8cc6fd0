// The zip and tar containers of torch checkpoints, and format detection, without the machine.

#include "core/formats/detect_format.h"
#include "core/torch/tar_archive.h"
#include "core/torch/torch_reader.h"
#include "core/torch/zip_archive.h"
#include "core/value/byte_source.h"
#include "tests/common/shared_data.h"

#include <QtEndian>
#include <QtTest>

#include <cstring>

using namespace core;
using namespace core::torch;

namespace {

std::shared_ptr<ByteSource> fixture(const char* name)
{
    auto source = ByteSource::mapFile(std::string(PICKLESCOPE_TEST_DATA "/torch/") + name);
    if (!source.ok())
        qFatal("cannot map %s", name);
    return source.value();
}

} // namespace

// A zip local file header (30 bytes + name + extra), little-endian fields.
static QByteArray localHeader(quint16 flags, quint16 method, quint32 compressed, quint32 size,
    const QByteArray& name, const QByteArray& extra = {})
{
    QByteArray h = QByteArray::fromHex("504b0304") + QByteArray(26, 0);
    auto put16 = [&](int at, quint16 v) { qToLittleEndian(v, h.data() + at); };
    auto put32 = [&](int at, quint32 v) { qToLittleEndian(v, h.data() + at); };
    put16(4, 20);
    put16(6, flags);
    put16(8, method);
    put32(18, compressed);
    put32(22, size);
    put16(26, quint16(name.size()));
    put16(28, quint16(extra.size()));
    return h + name + extra;
}

class TestZipArchive : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void detectsFormatsByContent_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("format"); // -1: not a torch container
        QTest::newRow("a torch.save zip is torch-zip")
            << "state_dict_cnn.pt" << int(FileFormat::TorchZip);
        QTest::newRow("a 21-character prefix zip is torch-zip")
            << "prefix_twentyone_char.pt" << int(FileFormat::TorchZip);
        QTest::newRow("a legacy protocol 2 save is torch-legacy")
            << "state_dict_cnn_legacy.pt" << int(FileFormat::TorchLegacy);
        QTest::newRow("a legacy protocol 4 save (FRAME first) is torch-legacy")
            << "state_dict_cnn_legacy_p4.pt" << int(FileFormat::TorchLegacy);
        QTest::newRow("a hand-built tar is torch-tar")
            << "legacy_tar.pt" << int(FileFormat::TorchTar);
        QTest::newRow("a torch.jit.save archive is torchscript")
            << "scripted.pt" << int(FileFormat::TorchScript);
        QTest::newRow("a numpy pickle is a plain pickle") << "numpy_arrays_p2.pkl" << -1;
        QTest::newRow("an empty file is no torch container") << "bad_empty.pt" << -1;
        QTest::newRow("a truncated zip is still a zip")
            << "bad_truncated_zip.pt" << int(FileFormat::TorchZip);
    }
    void detectsFormatsByContent()
    {
        QFETCH(QString, file);
        QFETCH(int, format);
        auto source = fixture(file.toUtf8().constData());
        const FileFormat detected = detectFormat(source->bytes(), file.toStdString());
        QCOMPARE(detected == FileFormat::Pickle ? -1 : int(detected), format);
    }

    void detectsGopickleLegacyProtocolOne()
    {
        const QString path = testdata::sharedDir()
            + "/gopickle-testdata/pytorch/testdata/tensor_float32_proto1.pt";
        PS_REQUIRE_SHARED_DATA(QFile::exists(path), path);
        auto source = ByteSource::mapFile(path.toStdString());
        QVERIFY(source.ok());
        QCOMPARE(detectFormat(source.value()->bytes()), FileFormat::TorchLegacy);
    }

    void listsRecordsUnderAnyPrefix_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("prefix");
        QTest::newRow("prefix is the file stem at save time") << "state_dict_cnn.pt"
                                                              << "state_dict_cnn";
        QTest::newRow("21-character prefix (gopickle's zip64 trailer failure)")
            << "prefix_twentyone_char.pt"
            << "prefix_twentyone_char";
        QTest::newRow("buffer saves use 'archive'") << "big_endian_zip.pt"
                                                    << "archive";
        QTest::newRow("TorchScript archives") << "scripted.pt"
                                              << "scripted";
    }
    void listsRecordsUnderAnyPrefix()
    {
        QFETCH(QString, file);
        QFETCH(QString, prefix);
        auto source = fixture(file.toUtf8().constData());
        auto zip = ZipArchive::open(source->bytes());
        QVERIFY2(zip.ok(), zip.ok() ? "" : zip.error().message.c_str());
        QCOMPARE(QString::fromStdString(zip->prefix()), prefix);
        QVERIFY(zip->find(prefix.toStdString() + "/data.pkl") != nullptr);
        QVERIFY(zip->find(prefix.toStdString() + "/version") != nullptr);
    }

    void storedRecordsAreAlignedAndReadInPlace()
    {
        auto source = fixture("prefix_twentyone_char.pt");
        auto zip = ZipArchive::open(source->bytes());
        QVERIFY(zip.ok());
        const ZipEntry* e = zip->find("prefix_twentyone_char/data/0");
        QVERIFY(e != nullptr);
        QCOMPARE(e->method, std::uint16_t(0));
        QCOMPARE(e->dataOffset % 64, 0u); // torch's 'FB' padding aligns every record
        auto bytes = zip->storedBytes(*e);
        QVERIFY(bytes.ok());
        QCOMPARE(bytes->data(), source->bytes().data() + e->dataOffset); // no copy
        QCOMPARE(bytes->size(), 6u * 4u);
        float values[6];
        std::memcpy(values, bytes->data(), sizeof values);
        for (int i = 0; i < 6; ++i)
            QCOMPARE(values[i], float(i)); // torch.arange(6.)
    }

    void inflatesDeflatedRecordsToTheStoredBytes()
    {
        auto stored = fixture("state_dict_cnn.pt");
        auto deflated = fixture("deflated_zip.pt");
        auto a = ZipArchive::open(stored->bytes());
        auto b = ZipArchive::open(deflated->bytes());
        QVERIFY(a.ok() && b.ok());
        for (const char* rec :
            { "state_dict_cnn/data.pkl", "state_dict_cnn/data/0", "state_dict_cnn/data/3" }) {
            const ZipEntry* ea = a->find(rec);
            const ZipEntry* eb = b->find(rec);
            QVERIFY(ea && eb);
            QCOMPARE(eb->method, std::uint16_t(8));
            auto plain = a->storedBytes(*ea);
            auto inflated = b->inflate(*eb, 1 << 20);
            QVERIFY2(inflated.ok(), inflated.ok() ? "" : inflated.error().message.c_str());
            QVERIFY(plain.ok());
            QCOMPARE(inflated->size(), plain->size());
            QVERIFY(std::memcmp(inflated->data(), plain->data(), plain->size()) == 0);
            QVERIFY(!b->storedBytes(*eb).ok()); // compressed: never read in place
        }
    }

    void refusesToInflatePastTheLimit()
    {
        auto deflated = fixture("deflated_zip.pt");
        auto zip = ZipArchive::open(deflated->bytes());
        QVERIFY(zip.ok());
        const ZipEntry* e = zip->find("state_dict_cnn/data.pkl");
        QVERIFY(e);
        auto r = zip->inflate(*e, 16);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, ErrorCode::LimitExceeded);
    }

    void rejectsBrokenZips_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("empty file") << "bad_empty.pt";
    }

    // Cut zips are read from their local headers (tst_torch_recovery has the end-to-end rows).
    void recoversACutZipFromItsLocalHeaders_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("reason");
        QTest::newRow("cut in the middle: no end record") << "bad_truncated_zip.pt"
                                                          << "end-of-central-directory";
        QTest::newRow("last 10 bytes missing: end record cut") << "bad_truncated_tail.pt"
                                                               << "end-of-central-directory";
    }
    void recoversACutZipFromItsLocalHeaders()
    {
        QFETCH(QString, file);
        QFETCH(QString, reason);
        auto source = fixture(file.toUtf8().constData());
        auto zip = ZipArchive::open(source->bytes());
        QVERIFY2(zip.ok(), zip.ok() ? "" : zip.error().message.c_str());
        QVERIFY(zip->recovery().used);
        QVERIFY(QString::fromStdString(zip->recovery().reason).contains(reason));
        const ZipEntry* data = zip->find("state_dict_cnn/data.pkl");
        QVERIFY(data != nullptr);
        QVERIFY(data->dataOk);
        // Every entry but a cut last one is whole, in file order, without overlap.
        std::uint64_t end = 0;
        for (const ZipEntry& e : zip->entries()) {
            QVERIFY(e.localHeaderOffset >= end);
            QVERIFY(e.dataOk || (&e == &zip->entries().back() && e.cut));
            end = e.dataOffset + (e.cut ? e.availableBytes : e.compressedSize);
        }
        QVERIFY(end <= source->bytes().size());
    }

    void rejectsAZipWithNothingToRecover_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("a local header signature and nothing else")
            << QByteArray::fromHex("504b0304");
        QTest::newRow("a local header cut inside its name")
            << localHeader(0, 0, 0, 0, "abcdefgh").left(33);
        QTest::newRow("a local signature followed by junk")
            << QByteArray::fromHex("504b0304") + QByteArray(40, 'x');
    }
    void rejectsAZipWithNothingToRecover()
    {
        QFETCH(QByteArray, bytes);
        auto zip = ZipArchive::open(
            std::as_bytes(std::span(bytes.constData(), std::size_t(bytes.size()))));
        QVERIFY(!zip.ok());
        QVERIFY2(
            QString::fromStdString(zip.error().message).contains("no entry could be recovered"),
            zip.error().message.c_str());
    }

    void recoversHostileLocalHeadersWithoutCrashing_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("stop");
        QTest::newRow("a deflated entry declaring 2 GiB in 64 bytes is cut, not inflated")
            << localHeader(0, 8, 0x7fffffffu, 0x7fffffffu, "a") + QByteArray(64, 'z')
            << "inside the data of a";
        QTest::newRow("bit 3 without any data descriptor is cut at the end of the file")
            << localHeader(8, 0, 0, 0, "b") + QByteArray(100, 'y') << "inside the data or data descriptor of b";
        QByteArray zip64Extra
            = QByteArray::fromHex("01001000") + QByteArray::fromHex("ffffffffffffff7f").repeated(2);
        QTest::newRow("a zip64 extra field claiming 2^63 bytes is cut")
            << localHeader(0, 0, 0xffffffffu, 0xffffffffu, "c", zip64Extra) + QByteArray(8, 'w')
            << "inside the data of c";
        QByteArray fakeDescriptor = localHeader(8, 0, 0, 0, "d") + "1234"
            + QByteArray::fromHex("504b0708") + QByteArray(4, 0)
            + QByteArray::fromHex("0900000009000000") + "junk";
        QTest::newRow("a data descriptor whose size does not match its distance is not taken")
            << fakeDescriptor << "inside the data or data descriptor of d";
    }
    void recoversHostileLocalHeadersWithoutCrashing()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, stop);
        auto zip = ZipArchive::open(
            std::as_bytes(std::span(bytes.constData(), std::size_t(bytes.size()))));
        QVERIFY2(zip.ok(), zip.ok() ? "" : zip.error().message.c_str());
        QCOMPARE(zip->entries().size(), std::size_t(1));
        const ZipEntry& e = zip->entries().front();
        QVERIFY(e.cut);
        QVERIFY(!e.dataOk);
        QVERIFY(QString::fromStdString(zip->recovery().stopReason).contains(stop));
        QVERIFY(!zip->inflate(e, 1 << 20).ok());
        auto partial = zip->partialBytes(e, 1 << 20); // what is present, never more than the cap
        QVERIFY(!partial.ok() || partial->size() <= std::size_t(1 << 20));
    }
    void rejectsBrokenZips()
    {
        QFETCH(QString, file);
        auto source = fixture(file.toUtf8().constData());
        auto zip = ZipArchive::open(source->bytes());
        QVERIFY(!zip.ok());
        QCOMPARE(zip.error().code, ErrorCode::Format);
        QVERIFY(!zip.error().message.empty());
    }

    void recoversWhenTheDirectoryPointsOutside()
    {
        auto source = fixture("prefix_twentyone_char.pt");
        std::vector<std::byte> bytes(source->bytes().begin(), source->bytes().end());
        // corrupt the zip64 end record's directory offset (last 22 + 20 + 56 bytes)
        const std::size_t z64 = bytes.size() - 22 - 20 - 56;
        QCOMPARE(std::to_integer<int>(bytes[z64]), 0x50);
        for (int i = 0; i < 8; ++i)
            bytes[z64 + 48 + i] = std::byte { 0x7f };
        auto zip = ZipArchive::open(bytes);
        QVERIFY(zip.ok());
        QVERIFY(zip->recovery().used);
        QVERIFY(QString::fromStdString(zip->recovery().reason).contains("outside the file"));
        QVERIFY(!zip->entries().empty());
        for (const ZipEntry& e : zip->entries())
            QVERIFY2(e.dataOk, e.name.c_str());
        QVERIFY(QString::fromStdString(zip->recovery().stopReason).contains("central directory"));
    }

    void readsLegacyTarMembers()
    {
        auto source = fixture("legacy_tar.pt");
        auto members = readTar(source->bytes());
        QVERIFY2(members.ok(), members.ok() ? "" : members.error().message.c_str());
        QStringList names;
        for (const auto& m : *members) {
            names << QString::fromStdString(m.name);
            QCOMPARE(m.offset % 512, 0u);
            QVERIFY(m.offset + m.size <= source->size());
        }
        QCOMPARE(names, QStringList({ "sys_info", "pickle", "tensors", "storages" }));
        // each member is a pickle starting with PROTO 2
        for (const auto& m : *members)
            QCOMPARE(std::to_integer<int>(source->bytes()[m.offset]), 0x80);
    }

    void rejectsTruncatedTar()
    {
        auto source = fixture("legacy_tar.pt");
        auto cut = source->bytes().subspan(0, 1024 + 100);
        auto members = readTar(cut);
        QVERIFY(!members.ok());
        QCOMPARE(members.error().code, ErrorCode::Truncated);
    }
};

QTEST_APPLESS_MAIN(TestZipArchive)
#include "tst_zip_archive.moc"
