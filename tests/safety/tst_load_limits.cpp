// Hostile inputs never make loading allocate more than a small multiple of the input: huge
// declared lengths, LONG_BINPUT 0xffffffff, 1,000,000 nested lists, 100,000 open MARKs, DUP and
// memo bombs, zip bombs. LoadLimits turn the bounds into errors; picklescope-cli's peak memory
// is measured on the same inputs.

#include "core/loader.h"
#include "core/safety/safety_report.h"
#include "core/value/byte_source.h"
#include "tests/common/cli_run.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <dlfcn.h>
#include <sys/resource.h>

namespace {

QByteArray le32(std::uint32_t v)
{
    QByteArray out(4, '\0');
    for (int i = 0; i < 4; ++i)
        out[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
    return out;
}

QByteArray le64(std::uint64_t v)
{
    QByteArray out(8, '\0');
    for (int i = 0; i < 8; ++i)
        out[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
    return out;
}

// The adversarial inputs, by name.
QByteArray adversarial(const QString& name)
{
    const QByteArray proto2 = QByteArray::fromHex("8002");
    const QByteArray proto4 = QByteArray::fromHex("8004");
    if (name == "binunicode8 of 2^62 bytes")
        return proto4 + QByteArray::fromHex("8d") + le64(std::uint64_t(1) << 62) + "abc.";
    if (name == "binbytes8 of 2^64-1 bytes")
        return proto4 + QByteArray::fromHex("8e") + le64(~std::uint64_t(0)) + "abc.";
    if (name == "binunicode of 4 GiB")
        return proto2 + "X" + le32(0xFFFFFFFFu) + "abc.";
    if (name == "long4 of 2 GiB")
        return proto2 + QByteArray::fromHex("8b") + le32(0x7FFFFFFFu) + "abc.";
    if (name == "frame of 2^63 bytes")
        return proto4 + QByteArray::fromHex("95") + le64(std::uint64_t(1) << 63) + "N.";
    if (name == "long_binput 0xffffffff")
        return proto2 + "N" + "r" + le32(0xFFFFFFFFu) + "j" + le32(0xFFFFFFFFu)
            + QByteArray::fromHex("86") + ".";
    if (name == "1,000,000 nested lists")
        return proto2 + QByteArray(1000000, ']') + QByteArray(999999, 'a') + ".";
    if (name == "1,000,000 nested tuples")
        return proto2 + QByteArray(1000000, '(') + ")" + QByteArray(999999, 't') + "t.";
    if (name == "100,000 open marks")
        return proto2 + QByteArray(100000, '(') + "N.";
    if (name == "2,000,000 DUPs")
        return proto2 + "]" + QByteArray(2000000, '2') + ".";
    if (name == "200,000 sparse memo keys") {
        QByteArray out = proto2 + "]";
        for (std::uint32_t i = 0; i < 200000; ++i)
            out += "r" + le32(i * 4096u);
        return out + ".";
    }
    return {};
}

const QStringList kNames { "binunicode8 of 2^62 bytes", "binbytes8 of 2^64-1 bytes",
    "binunicode of 4 GiB", "long4 of 2 GiB", "frame of 2^63 bytes", "long_binput 0xffffffff",
    "1,000,000 nested lists", "1,000,000 nested tuples", "100,000 open marks", "2,000,000 DUPs",
    "200,000 sparse memo keys" };

std::shared_ptr<core::ByteSource> sourceOf(const QByteArray& bytes)
{
    const auto* data = reinterpret_cast<const std::byte*>(bytes.constData());
    return core::ByteSource::fromBuffer(
        std::vector<std::byte>(data, data + bytes.size()), "adversarial.pkl");
}

bool underAddressSanitizer()
{
    return dlsym(RTLD_DEFAULT, "__asan_init") != nullptr;
}

constexpr std::size_t kGraphBytesPerInputByte = 64;

} // namespace

class TestLoadLimits : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // First: the peak of a child counts the pages it shares with this process before exec.
    void keepsTheCliPeakMemorySmall()
    {
        const QString cli = testing::cliPath();
        if (cli.isEmpty())
            QSKIP("PICKLESCOPE_CLI is not set (run through ctest)");
        if (underAddressSanitizer())
            QSKIP("peak memory is not meaningful under AddressSanitizer");
        QTemporaryDir dir;
        QStringList files;
        std::int64_t largest = 0;
        for (const QString& name : kNames) {
            const QString path
                = dir.filePath(QString(name).replace(' ', '_').replace(',', "") + ".pkl");
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            const QByteArray bytes = adversarial(name);
            file.write(bytes);
            largest = std::max<std::int64_t>(largest, bytes.size());
            files << path;
        }
        // The bombs last: the peak is a running maximum over the children.
        for (const char* bomb : { "zip_bomb_lying_size.pt", "zip_bomb_storage.pt" }) {
            const QString path
                = QStringLiteral(PICKLESCOPE_TEST_DATA "/safety/adversarial/") + bomb;
            files << path;
            largest = std::max<std::int64_t>(largest, QFileInfo(path).size());
        }
        // A virtual memory cap as well: an unbounded allocation fails instead of swapping.
        const std::int64_t capKiB = 1 << 20; // 1 GiB
        const std::int64_t boundKiB = 64 * 1024 + 80 * largest / 1024;
        for (const QString& path : files) {
            testing::RunOptions options;
            options.timeoutMs = 120000;
            const testing::CliRun run = testing::runProcess("/bin/sh",
                { "-c", QString("ulimit -v %1; exec \"$0\" scan \"$1\" >/dev/null").arg(capKiB),
                    cli, path },
                options);
            QVERIFY2(run.exitCode >= 0, qPrintable(path + ": did not finish, or crashed"));
            const int code = run.exitCode;
            const QByteArray err = run.err;
            QVERIFY2(code == 0 || code == 1 || code == 3, qPrintable(path + ": " + err));
            QVERIFY2(!err.contains("out of memory"), qPrintable(path + ": " + err));
            rusage usage {};
            getrusage(RUSAGE_CHILDREN, &usage);
            qInfo("%s: exit %d, peak so far %ld KiB", qPrintable(QFileInfo(path).fileName()), code,
                usage.ru_maxrss);
            QVERIFY2(usage.ru_maxrss <= boundKiB,
                qPrintable(QString("%1: peak %2 KiB over %3 KiB")
                               .arg(path)
                               .arg(usage.ru_maxrss)
                               .arg(boundKiB)));
        }
    }
    void boundsTheGraphByTheInput_data()
    {
        QTest::addColumn<QString>("name");
        for (const QString& name : kNames)
            QTest::newRow(qPrintable(name)) << name;
    }
    void boundsTheGraphByTheInput()
    {
        QFETCH(QString, name);
        const QByteArray bytes = adversarial(name);
        auto loaded = core::loadSource(sourceOf(bytes));
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().toString().c_str());
        const core::Document& doc = *loaded.value();
        const std::size_t used = doc.graph.memoryUsage();
        QVERIFY2(used <= kGraphBytesPerInputByte * std::size_t(bytes.size()) + (1u << 20),
            qPrintable(
                QString("%1 bytes of graph for %2 bytes of input").arg(used).arg(bytes.size())));
        // The safety walk copes too.
        const core::safety::SafetyReport report = core::safety::scan(doc);
        QVERIFY(report.verdict != core::safety::Verdict::Dangerous);
    }

    void rejectsDeclaredLengthsPastTheEnd_data()
    {
        QTest::addColumn<QString>("name");
        for (const QString& name : kNames.mid(0, 5))
            QTest::newRow(qPrintable(name)) << name;
    }
    void rejectsDeclaredLengthsPastTheEnd()
    {
        QFETCH(QString, name);
        auto loaded = core::loadSource(sourceOf(adversarial(name)));
        QVERIFY(loaded.ok());
        QVERIFY(loaded.value()->error.has_value());
        QCOMPARE(int(loaded.value()->error->code), int(core::ErrorCode::Truncated));
        QCOMPARE(loaded.value()->error->offset, std::uint64_t(2));
    }

    void turnsEachLimitIntoAnError_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("limit");
        QTest::newRow("values: nested lists over 1,000 values") << "1,000,000 nested lists"
                                                                << "values";
        QTest::newRow("stack: 100,000 marks over a depth of 1,000") << "100,000 open marks"
                                                                    << "stack";
        QTest::newRow("stack: nested tuples over a depth of 1,000") << "1,000,000 nested tuples"
                                                                    << "stack";
        QTest::newRow("memo: 200,000 keys over 1,000 entries") << "200,000 sparse memo keys"
                                                               << "memo";
        QTest::newRow("stack: DUPs over a depth of 1,000") << "2,000,000 DUPs"
                                                           << "stack";
    }
    void turnsEachLimitIntoAnError()
    {
        QFETCH(QString, name);
        QFETCH(QString, limit);
        core::LoadOptions options;
        if (limit == "values")
            options.limits.maxValues = 1000;
        else if (limit == "stack")
            options.limits.maxStackDepth = 1000;
        else
            options.limits.maxMemoEntries = 1000;
        auto loaded = core::loadSource(sourceOf(adversarial(name)), options);
        QVERIFY(loaded.ok());
        QVERIFY(loaded.value()->error.has_value());
        QCOMPARE(int(loaded.value()->error->code), int(core::ErrorCode::LimitExceeded));
    }
};

QTEST_APPLESS_MAIN(TestLoadLimits)
#include "tst_load_limits.moc"
