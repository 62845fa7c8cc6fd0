// The disassembler against the pickletools output captured by gen_pickle_fixtures.py.

#include "core/pickle/disassembler.h"
#include "core/pickle/text_decoding.h"

#include <QDir>
#include <QFile>
#include <QSet>
#include <QTest>

#include <algorithm>
#include <cmath>

using namespace core;

namespace {

QString dataDir() { return QStringLiteral(PICKLESCOPE_TEST_DATA "/pickle"); }

QByteArray readAll(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

std::span<const std::byte> asBytes(const QByteArray& data)
{
    return { reinterpret_cast<const std::byte*>(data.constData()), static_cast<std::size_t>(data.size()) };
}

QStringList fixturePaths()
{
    QStringList paths;
    for (const QString& folder : { dataDir(), dataDir() + QStringLiteral("/bad") }) {
        const QDir dir(folder);
        for (const QString& name : dir.entryList({ QStringLiteral("*.pkl") }, QDir::Files, QDir::Name))
            paths << dir.filePath(name);
    }
    return paths;
}

QString rowName(const QString& path) { return QDir(dataDir()).relativeFilePath(path); }

} // namespace

class TestDisassembler : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void fixturesAreThere()
    {
        QVERIFY2(fixturePaths().size() > 300, "run tests/pickle/gen_pickle_fixtures.py");
    }

    void rendersExactlyWhatPickletoolsPrints_data()
    {
        QTest::addColumn<QString>("path");
        for (const QString& path : fixturePaths())
            QTest::newRow(qPrintable(rowName(path))) << path;
    }
    void rendersExactlyWhatPickletoolsPrints()
    {
        QFETCH(QString, path);
        const QByteArray data = readAll(path);
        QString base = path;
        base.chop(4);
        const QByteArray expected = readAll(base + QStringLiteral(".dis"));
        const Disassembly dis = disassemble(asBytes(data));
        const std::string text = renderPickletools(dis);
        QCOMPARE(QByteArray::fromStdString(text), expected);

        // Fails exactly when pickletools raised, at the opcode it was handling.
        const QByteArray err = readAll(base + QStringLiteral(".dis.err"));
        QCOMPARE(dis.error.has_value(), !err.isEmpty());
        if (dis.error) {
            const qsizetype at = err.indexOf("offset: ");
            QVERIFY(at >= 0);
            const qulonglong offset = err.mid(at + 8).trimmed().toULongLong();
            QCOMPARE(static_cast<qulonglong>(dis.error->offset), offset);
            QVERIFY(!dis.error->message.empty());
        }
    }

    void neverCrashesOnAnyTruncation_data()
    {
        QTest::addColumn<QString>("path");
        for (const QString& path : fixturePaths())
            QTest::newRow(qPrintable(rowName(path))) << path;
    }
    void neverCrashesOnAnyTruncation()
    {
        QFETCH(QString, path);
        const QByteArray data = readAll(path);
        const Disassembly full = disassemble(asBytes(data));
        const auto programEnd = static_cast<qsizetype>(full.endOffset);
        for (qsizetype cut = 0; cut < data.size(); ++cut) {
            const QByteArray prefix = data.left(cut);
            // Streamed (no record storage) to keep this quadratic sweep quick under ASan; every
            // record must lie inside the prefix, and every 16th cut is rendered too.
            bool inside = true;
            std::string text;
            const bool render = cut % 16 == 0;
            const Disassembly dis = disassemble(asBytes(prefix), 0, [&](const OpRecord& rec) {
                inside = inside && rec.offset + rec.length <= static_cast<std::uint64_t>(cut);
                if (render)
                    appendPickletoolsLine(text, rec);
            });
            QVERIFY2(inside, qPrintable(QStringLiteral("record past cut %1").arg(cut)));
            if (render)
                appendPickletoolsTrailer(text, dis);
            if (cut < programEnd) {
                QVERIFY2(dis.error.has_value(), qPrintable(QStringLiteral("no error at cut %1").arg(cut)));
                QVERIFY(dis.error->offset <= static_cast<std::uint64_t>(cut));
            }
        }
    }

    void coversAllSixtyEightOpcodes()
    {
        QSet<int> seen;
        for (const QString& path : fixturePaths()) {
            if (path.contains(QStringLiteral("/bad/")))
                continue;
            const QByteArray data = readAll(path);
            const Disassembly dis = disassemble(asBytes(data));
            for (const OpRecord& rec : dis.records)
                seen.insert(static_cast<int>(rec.info->op));
        }
        QStringList missing;
        for (const OpcodeInfo& info : kOpcodes)
            if (!seen.contains(static_cast<int>(info.op)))
                missing << QString::fromLatin1(info.name.data(), static_cast<qsizetype>(info.name.size()));
        QVERIFY2(missing.isEmpty(), qPrintable(missing.join(QLatin1Char(' '))));
        QCOMPARE(seen.size(), static_cast<qsizetype>(kOpcodeCount));
    }

    void recordsStackMarkAndMemo()
    {
        // hand_deep_marks is twelve MARKs then twelve LISTs.
        const QByteArray data = readAll(dataDir() + QStringLiteral("/hand_deep_marks.pkl"));
        const Disassembly dis = disassemble(asBytes(data));
        QVERIFY(!dis.error);
        QCOMPARE(dis.records.size(), std::size_t(25));
        QCOMPARE(dis.records[11].markDepth, 11);
        QCOMPARE(dis.records[12].markDepth, 12);
        QCOMPARE(dis.records[12].markAt, std::int64_t(11));
        QCOMPARE(dis.records[13].stackDepth, 1);
        QCOMPARE(dis.records[23].markAt, std::int64_t(0));
        QCOMPARE(dis.records[24].stackDepth, 1);
        QCOMPARE(dis.highestProtocol, 0);

        const QByteArray memo = readAll(dataDir() + QStringLiteral("/hand_memoize_after_put.pkl"));
        const Disassembly m = disassemble(asBytes(memo));
        QVERIFY(!m.error);
        QCOMPARE(m.records[2].memoIndex, std::int64_t(0)); // BINPUT 0
        QCOMPARE(m.records[3].memoIndex, std::int64_t(1)); // MEMOIZE (as 1)
        QCOMPARE(m.records[5].memoIndex, std::int64_t(2));
    }

    void keepsAbsoluteOffsetsForEmbeddedStreams()
    {
        const QByteArray data = readAll(dataDir() + QStringLiteral("/lists_p2.pkl"));
        const QByteArray expected = readAll(dataDir() + QStringLiteral("/lists_p2.dis"));
        const Disassembly dis = disassemble(asBytes(data), 1000);
        QCOMPARE(dis.records.front().offset, std::uint64_t(1000));
        QCOMPARE(QByteArray::fromStdString(renderPickletools(dis, 1000)), expected);
    }

    void readsOnlyTheFirstOfSeveralPickles()
    {
        const QByteArray data = readAll(dataDir() + QStringLiteral("/hand_two_pickles.pkl"));
        const Disassembly dis = disassemble(asBytes(data));
        QVERIFY(!dis.error);
        QVERIFY(dis.endOffset < static_cast<std::uint64_t>(data.size()));
        const Disassembly second = disassemble(asBytes(data).subspan(dis.endOffset), dis.endOffset);
        QVERIFY(!second.error);
        QCOMPARE(second.records.back().info->op, Op::Stop);
    }

    void shortensLongPayloadsOnlyWhenAsked()
    {
        const QByteArray data = readAll(dataDir() + QStringLiteral("/strings_p4.pkl"));
        const Disassembly full = disassemble(asBytes(data));
        std::vector<OpRecord> shortRecords;
        DisassembleOptions options;
        options.maxArgPayload = 16;
        const Disassembly shortened = disassemble(
            asBytes(data), 0, [&](const OpRecord& rec) { shortRecords.push_back(rec); }, options);
        QVERIFY(!full.error && !shortened.error);
        QCOMPARE(shortRecords.size(), full.records.size());
        int cut = 0;
        for (std::size_t i = 0; i < full.records.size(); ++i) {
            const OpRecord& a = full.records[i];
            const OpRecord& b = shortRecords[i];
            QCOMPARE(b.offset, a.offset);
            QCOMPARE(b.stackDepth, a.stackDepth);
            if (a.argLength > 16) {
                ++cut;
                QVERIFY(a.argLength < 64 || b.argText.size() < a.argText.size());
                QVERIFY(QByteArray::fromStdString(b.argText).endsWith(" bytes)"));
            } else {
                QCOMPARE(b.argText, a.argText);
            }
        }
        QVERIFY(cut >= 1); // the 300-character string at least
        const QByteArray x300 = "'" + QByteArray(16, 'x') + "' ... (300 bytes)";
        QVERIFY(std::any_of(shortRecords.begin(), shortRecords.end(),
            [&](const OpRecord& r) { return QByteArray::fromStdString(r.argText) == x300; }));

        // Bad UTF-8 past the shown part still fails the walk.
        const QByteArray bad = readAll(dataDir() + QStringLiteral("/bad/bad_utf8_binunicode.pkl"));
        options.maxArgPayload = 1;
        const Disassembly badShort = disassemble(asBytes(bad), 0, [](const OpRecord&) {}, options);
        QVERIFY(badShort.error.has_value());
        QCOMPARE(badShort.error->offset, disassemble(asBytes(bad)).error->offset);
    }

    void printableMatchesPython()
    {
        // nonprintable.tsv: the ranges str.isprintable() rejects, from CPython 3.11.
        QFile f(dataDir() + QStringLiteral("/nonprintable.tsv"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        f.readLine();
        std::vector<bool> printable(0x110000, true);
        while (!f.atEnd()) {
            const QList<QByteArray> cols = f.readLine().trimmed().split('\t');
            QCOMPARE(cols.size(), 2);
            bool ok1 = false, ok2 = false;
            const uint first = cols[0].toUInt(&ok1, 16), last = cols[1].toUInt(&ok2, 16);
            QVERIFY(ok1 && ok2);
            for (uint c = first; c <= last; ++c)
                printable[c] = false;
        }
        int mismatches = 0;
        for (char32_t c = 0; c < 0x110000; ++c)
            if (pythonIsPrintable(c) != printable[c] && ++mismatches < 5)
                qWarning("U+%04X differs", static_cast<unsigned>(c));
        QCOMPARE(mismatches, 0);
    }

    void floatReprFollowsPython_data()
    {
        QTest::addColumn<double>("value");
        QTest::addColumn<QString>("repr");
        // Values and texts from Python 3.11's repr(float).
        QTest::newRow("one is 1.0") << 1.0 << "1.0";
        QTest::newRow("1e16 switches to exponent") << 1e16 << "1e+16";
        QTest::newRow("1e15 stays fixed") << 1e15 << "1000000000000000.0";
        QTest::newRow("1e-05 uses exponent") << 1e-05 << "1e-05";
        QTest::newRow("0.0001 stays fixed") << 0.0001 << "0.0001";
        QTest::newRow("negative zero") << -0.0 << "-0.0";
        QTest::newRow("shortest round trip") << 0.1 << "0.1";
        QTest::newRow("smallest subnormal") << 5e-324 << "5e-324";
        QTest::newRow("large with digits") << 1.7976931348623157e308 << "1.7976931348623157e+308";
        QTest::newRow("infinity") << HUGE_VAL << "inf";
        QTest::newRow("minus infinity") << -HUGE_VAL << "-inf";
        QTest::newRow("nan") << std::nan("") << "nan";
    }
    void floatReprFollowsPython()
    {
        QFETCH(double, value);
        QFETCH(QString, repr);
        QCOMPARE(QString::fromStdString(pythonFloatRepr(value)), repr);
    }
};

QTEST_APPLESS_MAIN(TestDisassembler)
#include "tst_disassembler.moc"
