// Element decoding: float16 and bfloat16 exact for all 65,536 bit patterns (reference values
// written by torch and checked against numpy's float16 by the generator), float8 spot values.

#include "core/torch/element_decode.h"
#include "core/torch/zip_archive.h"
#include "core/value/byte_source.h"

#include <QtTest>

#include <cmath>
#include <cstring>

using namespace core;
using namespace core::torch;

class TestElementDecode : public QObject {
    Q_OBJECT

    std::shared_ptr<ByteSource> m_source;
    std::span<const std::byte> record(const char* key)
    {
        auto zip = ZipArchive::open(m_source->bytes());
        if (!zip.ok())
            return {};
        const ZipEntry* e = zip->find(std::string("half_patterns/data/") + key);
        if (e == nullptr)
            return {};
        auto b = zip->storedBytes(*e);
        return b.ok() ? b.value() : std::span<const std::byte>();
    }

    void comparePatterns(const char* halfKey, const char* refKey, bool bf16)
    {
        const auto halves = record(halfKey);
        const auto refs = record(refKey);
        QCOMPARE(halves.size(), 65536u * 2);
        QCOMPARE(refs.size(), 65536u * 4);
        int wrong = 0;
        for (std::uint32_t i = 0; i < 65536; ++i) {
            std::uint16_t bits;
            std::memcpy(&bits, halves.data() + 2 * i, 2);
            float expected;
            std::memcpy(&expected, refs.data() + 4 * i, 4);
            const float got = bf16 ? bfloat16ToFloat(bits) : halfToFloat(bits);
            const double viaTable = decodeElement(bf16 ? DType::BFloat16 : DType::Float16, halves.data() + 2 * i, false);
            const bool same = std::isnan(expected) ? (std::isnan(got) && std::isnan(viaTable))
                                                   : (std::memcmp(&got, &expected, 4) == 0 && viaTable == double(expected)
                                                       && std::signbit(viaTable) == std::signbit(expected));
            if (!same && ++wrong < 5)
                qWarning("pattern 0x%04x: got %g expected %g", bits, double(got), double(expected));
        }
        QCOMPARE(wrong, 0);
    }

private Q_SLOTS:
    void initTestCase()
    {
        auto source = ByteSource::mapFile(PICKLESCOPE_TEST_DATA "/torch/half_patterns.pt");
        QVERIFY(source.ok());
        m_source = source.value();
    }

    void decodesEveryFloat16PatternExactly() { comparePatterns("0", "1", false); }
    void decodesEveryBFloat16PatternExactly() { comparePatterns("2", "3", true); }

    void decodesFloat8Formats_data()
    {
        QTest::addColumn<int>("type");
        QTest::addColumn<int>("bits");
        QTest::addColumn<double>("value");
        // values from the OCP FP8 specification tables (ml_dtypes agrees)
        QTest::newRow("e4m3fn largest normal is 448") << int(DType::Float8E4M3Fn) << 0x7e << 448.0;
        QTest::newRow("e4m3fn smallest subnormal is 2^-9") << int(DType::Float8E4M3Fn) << 0x01 << std::ldexp(1.0, -9);
        QTest::newRow("e4m3fn one") << int(DType::Float8E4M3Fn) << 0x38 << 1.0;
        QTest::newRow("e4m3fn negative two") << int(DType::Float8E4M3Fn) << 0xc0 << -2.0;
        QTest::newRow("e5m2 largest normal is 57344") << int(DType::Float8E5M2) << 0x7b << 57344.0;
        QTest::newRow("e5m2 infinity") << int(DType::Float8E5M2) << 0x7c << double(INFINITY);
        QTest::newRow("e5m2 one") << int(DType::Float8E5M2) << 0x3c << 1.0;
        QTest::newRow("e4m3fnuz one") << int(DType::Float8E4M3Fnuz) << 0x40 << 1.0;
        QTest::newRow("e4m3fnuz largest is 240") << int(DType::Float8E4M3Fnuz) << 0x7f << 240.0;
        QTest::newRow("e5m2fnuz one") << int(DType::Float8E5M2Fnuz) << 0x40 << 1.0;
        QTest::newRow("e5m2fnuz largest is 57344") << int(DType::Float8E5M2Fnuz) << 0x7f << 57344.0;
    }
    void decodesFloat8Formats()
    {
        QFETCH(int, type);
        QFETCH(int, bits);
        QFETCH(double, value);
        const std::byte b { static_cast<unsigned char>(bits) };
        QCOMPARE(decodeElement(DType(type), &b, false), value);
    }

    void decodesFloat8NaNs()
    {
        const std::byte e4 { 0x7f }, fnuz { 0x80 };
        QVERIFY(std::isnan(decodeElement(DType::Float8E4M3Fn, &e4, false)));
        QVERIFY(std::isnan(decodeElement(DType::Float8E4M3Fnuz, &fnuz, false)));
        QVERIFY(std::isnan(decodeElement(DType::Float8E5M2Fnuz, &fnuz, false)));
    }

    void swapsBigEndianElements()
    {
        const unsigned char be[4] = { 0x3f, 0xc0, 0x00, 0x00 }; // 1.5f big-endian
        QCOMPARE(decodeElement(DType::Float32, reinterpret_cast<const std::byte*>(be), true), 1.5);
        const unsigned char i16[2] = { 0xff, 0xfe }; // -2 big-endian
        QCOMPARE(decodeElement(DType::Int16, reinterpret_cast<const std::byte*>(i16), true), -2.0);
    }
};

QTEST_APPLESS_MAIN(TestElementDecode)
#include "tst_element_decode.moc"
