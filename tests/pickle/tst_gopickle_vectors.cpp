// Optional: the disassembler over gopickle's inline vectors in ../shared (never copied here).
// Python cannot run at test time, so this checks robustness and well-formedness only.

#include "core/pickle/disassembler.h"
#include "tests/common/shared_data.h"

#include <QDir>
#include <QFile>
#include <QHash>
#include <QTest>

using namespace core;

class TestGopickleVectors : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void disassemblesEveryVector()
    {
        const QDir dir(
            testdata::sharedDir() + QStringLiteral("/gopickle-testdata/pickle/inline-vectors"));
        PS_REQUIRE_SHARED_DATA(dir.exists(), dir.path());
        // MANIFEST.tsv: file, test, source, size, cpython311_loads_repr, gopickle result.
        QHash<QString, bool> cpythonLoads;
        QFile manifest(dir.filePath(QStringLiteral("MANIFEST.tsv")));
        if (manifest.open(QIODevice::ReadOnly)) {
            manifest.readLine();
            while (!manifest.atEnd()) {
                const QList<QByteArray> cols = manifest.readLine().split('\t');
                if (cols.size() >= 5)
                    cpythonLoads.insert(QString::fromUtf8(cols[0]), !cols[4].startsWith("ERROR"));
            }
        }
        const QStringList files = dir.entryList({ QStringLiteral("*.pkl") }, QDir::Files, QDir::Name);
        QVERIFY(!files.isEmpty());
        for (const QString& name : files) {
            QFile f(dir.filePath(name));
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QByteArray data = f.readAll();
            const std::span<const std::byte> bytes(
                reinterpret_cast<const std::byte*>(data.constData()), static_cast<std::size_t>(data.size()));
            const Disassembly dis = disassemble(bytes);
            const std::string text = renderPickletools(dis);
            QVERIFY2(!text.empty() || dis.error, qPrintable(name));
            if (!dis.error) {
                QVERIFY2(dis.stopped, qPrintable(name));
                QCOMPARE(dis.records.back().info->op, Op::Stop);
                QVERIFY(dis.endOffset <= static_cast<std::uint64_t>(data.size()));
            }
            // What CPython loads, pickletools reads to STOP, except Python 2 str bytes it cannot
            // decode as ASCII.
            if (cpythonLoads.value(name, false) && dis.error)
                QVERIFY2(dis.error->code == ErrorCode::BadArgument, qPrintable(name + QStringLiteral(": ")
                                                                         + QString::fromStdString(dis.error->toString())));
            // Every truncation fails cleanly.
            for (std::size_t cut = 0; cut < dis.endOffset && cut < bytes.size(); ++cut) {
                const Disassembly part = disassemble(bytes.first(cut));
                QVERIFY2(part.error.has_value(), qPrintable(name));
            }
        }
    }
};

QTEST_APPLESS_MAIN(TestGopickleVectors)
#include "tst_gopickle_vectors.moc"
