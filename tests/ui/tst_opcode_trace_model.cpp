// OpcodeTraceModel / OpcodeTrace against what CPython's pickletools says about the same bytes.

#include "ui_test_support.h"

#include "ui/document_index.h"
#include "ui/opcode_trace.h"
#include "ui/opcode_trace_model.h"

#include <QAbstractItemModelTester>
#include <QDirIterator>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

class TestOpcodeTraceModel : public QObject {
    Q_OBJECT

    static ui::LoadedFile load(const QString& name)
    {
        ui::LoadedFile file;
        auto r = core::loadFile(uitest::dataPath(name).toStdString());
        if (!r.ok())
            return file;
        file.doc = std::move(r).value();
        file.index = ui::DocumentIndex::build(file.doc);
        file.traces = ui::DocumentIndex::buildTraces(*file.doc);
        return file;
    }

private Q_SLOTS:
    void listsEveryOpcodePickletoolsLists()
    {
        const ui::LoadedFile file = load(QStringLiteral("shared_cycle.pkl"));
        QVERIFY(file.doc);
        ui::OpcodeTraceModel model;
        model.setDocument(file, 0);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QJsonArray ops = uitest::readJson(QStringLiteral("shared_cycle.json")).value(QStringLiteral("opcodes")).toArray();
        QCOMPARE(model.rowCount(), int(ops.size()));
        for (int r = 0; r < model.rowCount(); ++r) {
            const QJsonArray op = ops.at(r).toArray();
            QCOMPARE(model.index(r, ui::OpcodeTraceModel::OffsetColumn).data().toString(), QString::number(op.at(0).toInteger()));
            QCOMPARE(model.index(r, ui::OpcodeTraceModel::NameColumn).data().toString(), op.at(1).toString());
            QCOMPARE(model.rowForOffset(quint64(op.at(0).toInteger())), r);
        }
    }

    void decodesArgumentsOnDemand()
    {
        const ui::LoadedFile file = load(QStringLiteral("shared_cycle.pkl"));
        QVERIFY(file.doc);
        ui::OpcodeTraceModel model;
        model.setDocument(file, 0);
        const auto hello = quint64(uitest::readJson(QStringLiteral("shared_cycle.json")).value(QStringLiteral("hello_offset")).toInteger());
        const int row = model.rowForOffset(hello);
        QCOMPARE(model.index(row, ui::OpcodeTraceModel::ArgumentColumn).data().toString(), QStringLiteral("'hello'"));
        // A byte inside the payload belongs to the same opcode.
        QCOMPARE(model.rowForOffset(hello + 4), row);
    }

    void keepsMemoSlotsAndMarks()
    {
        // l = [1, 2]; pickle.dumps((l, l), 2), as CPython 3.11 writes it (pickletools.dis:
        // PROTO, EMPTY_LIST, BINPUT 0, MARK, BININT1 1, BININT1 2, APPENDS (MARK at 5), BINGET 0,
        // TUPLE2, BINPUT 1, STOP).
        const QByteArray bytes = QByteArray::fromHex("80025d7100284b014b026568008671012e");
        auto trace = ui::OpcodeTrace::build(std::as_bytes(std::span(bytes.constData(), std::size_t(bytes.size()))), 100);
        QVERIFY(trace);
        QCOMPARE(trace->size(), std::size_t(11));
        QCOMPARE(std::uint64_t(trace->row(0).offset), std::uint64_t(100));
        QCOMPARE(trace->length(0), std::uint32_t(2));
        QCOMPARE(trace->length(10), std::uint32_t(1));
        QCOMPARE(trace->info(2)->name, std::string_view("BINPUT"));
        QCOMPARE(trace->row(2).memoIndex, 0);
        QCOMPARE(trace->info(6)->name, std::string_view("APPENDS"));
        QCOMPARE(trace->markAt(6), std::int64_t(100 + 5));
        QCOMPARE(trace->info(7)->name, std::string_view("BINGET"));
        QCOMPARE(trace->argText(7), std::string("0"));
    }

    void readsEveryRowOfEveryFixtureFile_data()
    {
        QTest::addColumn<QString>("path");
        for (const char* dir : { "pickle", "torch", "safety", "ui", "fuzz-crashes" }) {
            QDirIterator it(QStringLiteral(PICKLESCOPE_TEST_DATA "/") + QLatin1String(dir), QDir::Files,
                QDirIterator::Subdirectories);
            while (it.hasNext()) {
                const QString path = it.next();
                if (path.endsWith(QLatin1String(".dis")) || path.endsWith(QLatin1String(".err"))
                    || path.endsWith(QLatin1String(".repr")) || path.endsWith(QLatin1String(".json"))
                    || path.endsWith(QLatin1String(".py")) || path.endsWith(QLatin1String(".tsv")))
                    continue;
                QTest::newRow(qPrintable(QDir(QStringLiteral(PICKLESCOPE_TEST_DATA)).relativeFilePath(path))) << path;
            }
        }
    }

    // The argument text decoded again on demand (the trace keeps no text for most rows) is the
    // text the full walk gave that row, for every row of every stream of every fixture.
    void decodesEveryArgumentAsTheFullWalkDid_data() { readsEveryRowOfEveryFixtureFile_data(); }
    void decodesEveryArgumentAsTheFullWalkDid()
    {
        QFETCH(QString, path);
        auto r = core::loadFile(path.toStdString());
        if (!r.ok())
            return;
        for (const core::PickleStream& stream : r.value()->pickles) {
            auto trace = ui::OpcodeTrace::build(stream.bytes, stream.offset);
            QVERIFY(trace);
            std::vector<std::string> expected;
            core::DisassembleOptions options;
            options.maxArgPayload = ui::OpcodeTrace::kMaxArgPayload;
            core::disassemble(stream.bytes, stream.offset, [&](const core::OpRecord& rec) { expected.push_back(rec.argText); }, options);
            QCOMPARE(trace->size(), expected.size());
            for (std::size_t i = 0; i < expected.size(); ++i)
                QCOMPARE(trace->argText(i), expected[i]);
        }
    }

    // Valid, broken and hostile files: every pickle stream's trace can be shown and read, and each
    // row maps back to itself by offset (broken files end with a "reading stopped" row).
    void readsEveryRowOfEveryFixtureFile()
    {
        QFETCH(QString, path);
        auto r = core::loadFile(path.toStdString());
        if (!r.ok())
            return;
        ui::LoadedFile file;
        file.doc = std::move(r).value();
        file.index = ui::DocumentIndex::build(file.doc);
        file.traces = ui::DocumentIndex::buildTraces(*file.doc);
        QVERIFY(file.index);
        for (int p = 0; p < file.index->pickleCount(); ++p) {
            ui::OpcodeTraceModel model;
            model.setDocument(file, p);
            QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
            const int rows = std::min(model.rowCount(), 2000);
            for (int row = 0; row < rows; ++row) {
                for (int c = 0; c < model.columnCount(); ++c)
                    model.index(row, c).data();
                const int back = model.rowForOffset(model.offsetAt(row));
                // The "reading stopped" row at the end names a byte; when an opcode was read
                // starting at that byte, going there selects the opcode.
                if (row == model.errorRow() && back != row)
                    QCOMPARE(model.offsetAt(back), model.offsetAt(row));
                else
                    QCOMPARE(back, row);
            }
        }
    }

    void showsLongProgramsAPageAtATime()
    {
        // PROTO 4, EMPTY_LIST, then 700 x (MARK, 1,000 x BININT1 7, APPENDS), STOP: 702,703 opcodes.
        QByteArray data = QByteArray::fromHex("8004") + ']';
        for (int batch = 0; batch < 700; ++batch) {
            data += '(';
            for (int i = 0; i < 1000; ++i)
                data += QByteArray::fromHex("4b07");
            data += 'e';
        }
        data += '.';
        QTemporaryDir dir;
        QFile f(dir.filePath(QStringLiteral("long.pkl")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(data);
        f.close();
        ui::LoadedFile file;
        auto r = core::loadFile(f.fileName().toStdString());
        QVERIFY(r.ok());
        file.doc = std::move(r).value();
        file.index = ui::DocumentIndex::build(file.doc);
        file.traces = ui::DocumentIndex::buildTraces(*file.doc);
        ui::OpcodeTraceModel model;
        model.setDocument(file, 0);
        QCOMPARE(model.totalRows(), std::size_t(2 + 700 * 1002 + 1));
        QCOMPARE(model.pageCount(), 2);
        QCOMPARE(model.rowCount(), int(ui::OpcodeTraceModel::kPageSize));
        QSignalSpy page(&model, &ui::OpcodeTraceModel::pageChanged);
        // STOP is the last byte: its row is on the second page.
        const int stop = model.rowForOffset(std::uint64_t(data.size() - 1));
        QCOMPARE(page.count(), 1);
        QCOMPARE(model.page(), 1);
        QCOMPARE(std::size_t(model.rowCount()), model.totalRows() - ui::OpcodeTraceModel::kPageSize);
        QCOMPARE(stop, model.rowCount() - 1);
        QCOMPARE(model.index(stop, ui::OpcodeTraceModel::NameColumn).data().toString(), QStringLiteral("STOP"));
        QCOMPARE(model.offsetAt(stop), std::uint64_t(data.size() - 1));
        // And back to the first page for the first opcode.
        QCOMPARE(model.rowForOffset(0), 0);
        QCOMPARE(model.page(), 0);
    }

    void showsNothingWithoutADocument()
    {
        ui::OpcodeTraceModel model;
        model.setDocument(ui::LoadedFile {}, 0);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.rowForOffset(0), -1);
    }
};

QTEST_MAIN(TestOpcodeTraceModel)
#include "tst_opcode_trace_model.moc"
