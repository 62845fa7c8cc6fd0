// Every input a fuzzer crashed on (tests/data/fuzz-crashes/) is a row: loading it, walking its
// graph, disassembling its pickles and scanning it must end normally, with any error naming an
// offset inside the file. The fuzz targets replay the same folder (ctest label fuzz).

#include "core/loader.h"
#include "core/pickle/disassembler.h"
#include "core/safety/safety_report.h"
#include "core/value/byte_source.h"

#include <QDir>
#include <QFile>
#include <QTest>

namespace {

QString crashDir()
{
    return QStringLiteral(PICKLESCOPE_TEST_DATA "/fuzz-crashes");
}

} // namespace

class TestFuzzRegressions : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void survivesEveryReproducer_data()
    {
        QTest::addColumn<QString>("file");
        const QStringList files
            = QDir(crashDir())
                  .entryList(QDir::Files | QDir::NoDotAndDotDot | QDir::Hidden, QDir::Name);
        for (const QString& file : files)
            if (!file.startsWith('.') && !file.endsWith(".md"))
                QTest::newRow(qPrintable(file)) << file;
        // The inputs the fuzzers are seeded with that once looked risky.
        QTest::newRow("empty input") << QString();
    }
    void survivesEveryReproducer()
    {
        QFETCH(QString, file);
        QByteArray bytes;
        if (!file.isEmpty()) {
            QFile in(crashDir() + "/" + file);
            QVERIFY(in.open(QIODevice::ReadOnly));
            bytes = in.readAll();
        }
        const std::span<const std::byte> span(
            reinterpret_cast<const std::byte*>(bytes.constData()), std::size_t(bytes.size()));
        auto loaded = core::loadSource(core::ByteSource::fromBytes(span, file.toStdString()));
        if (!loaded.ok()) {
            QVERIFY(loaded.error().offset <= std::uint64_t(bytes.size()));
            return;
        }
        const core::Document& doc = *loaded.value();
        if (doc.error)
            QVERIFY2(doc.error->offset <= std::uint64_t(bytes.size()) || !doc.pickles.empty(),
                doc.error->toString().c_str());
        std::size_t edges = 0;
        for (std::size_t i = 0; i < doc.graph.size(); ++i)
            doc.graph.forEachChild(
                core::ValueId { static_cast<std::uint32_t>(i) }, [&](core::ValueId child) {
                    QVERIFY(doc.graph.valid(child));
                    ++edges;
                });
        for (const core::PickleStream& stream : doc.pickles) {
            const core::Disassembly dis = core::disassemble(stream.bytes, stream.offset);
            QVERIFY(dis.records.size() <= stream.bytes.size());
            (void)core::renderPickletools(dis, stream.offset);
        }
        const core::safety::SafetyReport report = core::safety::scan(doc);
        const core::safety::SafetyReport raw = core::safety::scanBytes(span);
        QVERIFY(report.picklesScanned <= doc.pickles.size() + 64
            && raw.picklesScanned <= std::size_t(bytes.size()) + 1);
    }
};

QTEST_APPLESS_MAIN(TestFuzzRegressions)
#include "tst_fuzz_regressions.moc"
