// The opcode table against pickletools.opcodes (captured into opcodes.tsv by the generator).

#include "core/pickle/opcodes.h"

#include <QFile>
#include <QSet>
#include <QTest>

using namespace core;

class TestOpcodes : public QObject {
    Q_OBJECT

private:
    struct Row {
        QByteArray name, arg, before, after;
        int byte = -1, proto = -1;
    };
    QList<Row> m_rows;

private Q_SLOTS:
    void initTestCase()
    {
        QFile f(QStringLiteral(PICKLESCOPE_TEST_DATA "/pickle/opcodes.tsv"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readLine().trimmed(), QByteArray("name\tbyte\targ\targ_n\tproto\tstack_before\tstack_after"));
        while (!f.atEnd()) {
            QByteArray line = f.readLine();
            line.chop(1);
            const QList<QByteArray> cols = line.split('\t');
            QCOMPARE(cols.size(), 7);
            Row row;
            row.name = cols[0];
            bool ok = false;
            row.byte = cols[1].toInt(&ok, 16);
            QVERIFY(ok);
            row.arg = cols[2];
            row.proto = cols[4].toInt();
            row.before = cols[5];
            row.after = cols[6];
            m_rows << row;
        }
    }

    void hasSixtyEightOpcodesWithUniqueBytesAndNames()
    {
        QCOMPARE(kOpcodes.size(), std::size_t(68));
        QSet<int> bytes;
        QSet<QByteArray> names;
        for (const OpcodeInfo& info : kOpcodes) {
            bytes.insert(static_cast<int>(info.op));
            names.insert(QByteArray(info.name.data(), static_cast<qsizetype>(info.name.size())));
            QCOMPARE(opcodeInfo(static_cast<std::uint8_t>(info.op)), &info);
        }
        QCOMPARE(bytes.size(), 68);
        QCOMPARE(names.size(), 68);
        int unknown = 0;
        for (int b = 0; b < 256; ++b)
            unknown += opcodeInfo(static_cast<std::uint8_t>(b)) == nullptr;
        QCOMPARE(unknown, 256 - 68);
    }

    void matchesPickletoolsInOrder()
    {
        QCOMPARE(m_rows.size(), qsizetype(68));
        for (qsizetype i = 0; i < m_rows.size(); ++i) {
            const Row& row = m_rows[i];
            const OpcodeInfo& info = kOpcodes[static_cast<std::size_t>(i)];
            QCOMPARE(QByteArray(info.name.data(), static_cast<qsizetype>(info.name.size())), row.name);
            QCOMPARE(static_cast<int>(info.op), row.byte);
            const std::string_view arg = argKindName(info.arg);
            QCOMPARE(QByteArray(arg.data(), static_cast<qsizetype>(arg.size())), row.arg);
            QCOMPARE(static_cast<int>(info.proto), row.proto);
        }
    }

    void stackEffectsMatchPickletools()
    {
        for (qsizetype i = 0; i < m_rows.size(); ++i) {
            const Row& row = m_rows[i];
            const OpcodeInfo& info = kOpcodes[static_cast<std::size_t>(i)];
            const QList<QByteArray> before = row.before.isEmpty() ? QList<QByteArray>() : row.before.split(',');
            const QList<QByteArray> after = row.after.isEmpty() ? QList<QByteArray>() : row.after.split(',');
            const qsizetype mark = before.indexOf("mark");
            QVERIFY2(info.stack.popsMark == (mark >= 0), row.name.constData());
            QVERIFY2(info.stack.pops == (mark >= 0 ? mark : before.size()), row.name.constData());
            const bool pushesMark = after.contains("mark");
            QVERIFY2(info.stack.pushesMark == pushesMark, row.name.constData());
            QVERIFY2(info.stack.pushes == (pushesMark ? 0 : after.size()), row.name.constData());
        }
    }
};

QTEST_APPLESS_MAIN(TestOpcodes)
#include "tst_opcodes.moc"
