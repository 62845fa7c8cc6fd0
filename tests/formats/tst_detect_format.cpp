// core::detectFormat, the one detector of the loader, the CLI and the window: every format of
// issue 12 recognised by its bytes (fixtures from gen_format_fixtures.py and the torch suite),
// the file name used only to break ties.

#include "core/formats/detect_format.h"
#include "core/value/byte_source.h"

#include <QtTest>

using namespace core;

class TestDetectFormat : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void detectsByContent_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("format");
        QTest::newRow("safetensors")
            << "formats/dtypes.safetensors" << int(FileFormat::Safetensors);
        QTest::newRow("a safetensors header past the end is still safetensors")
            << "formats/bad_header_past_end.safetensors" << int(FileFormat::Safetensors);
        QTest::newRow("numpy .npy by its \\x93NUMPY magic")
            << "formats/detect.npy" << int(FileFormat::Npy);
        QTest::newRow("a zip whose members are all .npy is an .npz")
            << "formats/detect.npz" << int(FileFormat::Npz);
        QTest::newRow("torch.jit.save is torchscript")
            << "formats/scripted_module.pt" << int(FileFormat::TorchScript);
        QTest::newRow("a lite .ptl is torchscript")
            << "formats/scripted_module.ptl" << int(FileFormat::TorchScript);
        QTest::newRow("a torch.save zip")
            << "formats/sharded_bin/pytorch_model-00001-of-00002.bin" << int(FileFormat::TorchZip);
        QTest::newRow("a Hugging Face index")
            << "formats/sharded_st/model.safetensors.index.json" << int(FileFormat::ShardedIndex);
        QTest::newRow("plain joblib names its array wrapper")
            << "formats/arrays_plain.joblib" << int(FileFormat::Joblib);
        QTest::newRow("zlib joblib") << "formats/arrays_zlib.joblib" << int(FileFormat::Joblib);
        QTest::newRow("gzip joblib") << "formats/arrays_gzip.joblib" << int(FileFormat::Joblib);
        QTest::newRow("bz2 joblib") << "formats/arrays_bz2.joblib" << int(FileFormat::Joblib);
        QTest::newRow("xz joblib") << "formats/arrays_xz.joblib" << int(FileFormat::Joblib);
        QTest::newRow("lzma joblib") << "formats/arrays_lzma.joblib" << int(FileFormat::Joblib);
        QTest::newRow("lz4 joblib") << "formats/arrays_lz4.joblib" << int(FileFormat::Joblib);
        QTest::newRow("a legacy torch.save")
            << "torch/dtypes_legacy.pt" << int(FileFormat::TorchLegacy);
        QTest::newRow("a legacy tar") << "torch/legacy_tar.pt" << int(FileFormat::TorchTar);
        QTest::newRow("a plain pickle") << "torch/numpy_arrays_p2.pkl" << int(FileFormat::Pickle);
    }
    void detectsByContent()
    {
        QFETCH(QString, file);
        QFETCH(int, format);
        auto source
            = ByteSource::mapFile((QStringLiteral(PICKLESCOPE_TEST_DATA "/") + file).toStdString());
        QVERIFY(source.ok());
        // The name never overrides the bytes: the same content under a misleading name.
        QCOMPARE(int(detectFormat(source.value()->bytes(), "misleading.pkl")), format);
        QCOMPARE(int(detectFormat(source.value()->bytes(), file.toStdString())), format);
    }

    void usesTheNameOnlyToBreakTies()
    {
        const QByteArray tiny = QByteArray::fromHex("0500"); // too short for any magic
        const std::span<const std::byte> bytes(
            reinterpret_cast<const std::byte*>(tiny.data()), std::size_t(tiny.size()));
        QCOMPARE(detectFormat(bytes, "x.pkl"), FileFormat::Pickle);
        QCOMPARE(detectFormat(bytes, "model.safetensors"), FileFormat::Safetensors);
        QCOMPARE(detectFormat(bytes, "model.bin.index.json"), FileFormat::ShardedIndex);
        QCOMPARE(detectFormat(bytes, "ckpt/.metadata"), FileFormat::DistributedCheckpoint);
    }

    void findsTheCheckpointInAFolder()
    {
        QVERIFY(
            QString::fromStdString(checkpointInFolder(PICKLESCOPE_TEST_DATA "/formats/sharded_bin"))
                .endsWith("pytorch_model.bin.index.json"));
        QVERIFY(checkpointInFolder(PICKLESCOPE_TEST_DATA "/torch").empty());
    }
};

QTEST_APPLESS_MAIN(TestDetectFormat)
#include "tst_detect_format.moc"
