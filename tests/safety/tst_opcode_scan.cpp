// The safety scanner's opcode walk (core/safety/opcode_scan.h) beyond tst_safety's fixture check:
// its fast loop over the common opcodes must give exactly the general walk's OpcodeScan on
// every cut and on mutations of every small fixture (ScanWalk::General is the reference), and
// its compact item store (items packed in 8 bytes, binary strings inline up to a 1 TiB offset,
// everything else in a side table; stack and marks in pages) must not change what is found:
// the same file scanned at a base offset past 1 TiB finds the same, shifted; stacks and mark
// runs longer than a page keep every item.

#include "core/safety/opcode_scan.h"
#include "core/safety/safety_report.h"

#include "tests/common/file_bytes.h"

#include <QDirIterator>
#include <QFile>
#include <QTest>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

using namespace core::safety;
using namespace std::string_literals;

namespace {

std::vector<std::byte> bytesOf(std::string_view text)
{
    const auto* begin = reinterpret_cast<const std::byte*>(text.data());
    return std::vector<std::byte>(begin, begin + text.size());
}

// The fixtures under tests/data/<folder> of at most `maxSize` bytes.
QStringList smallFixtures(std::initializer_list<const char*> folders, qint64 maxSize)
{
    QStringList files;
    for (const char* folder : folders) {
        QDirIterator it(QStringLiteral(PICKLESCOPE_TEST_DATA "/") + QString::fromLatin1(folder),
            QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            if (QFileInfo(path).size() <= maxSize)
                files << path;
        }
    }
    files.sort();
    return files;
}

// Everything an OpcodeScan holds, as text, every offset taken relative to `base` (so that the
// scans of one file at two base offsets compare equal). Messages are kept as they are: they
// name offsets only for call results, which the shifted comparison counts instead.
std::string scanText(const OpcodeScan& scan, std::uint64_t base = 0, bool messages = true)
{
    std::string out;
    auto add = [&out](const auto&... parts) {
        ((out += parts), ...);
        out += '\n';
    };
    auto at = [base](std::uint64_t offset) { return std::to_string(offset - base); };
    for (const RawGlobal& g : scan.globals) {
        add("global ", g.module, " ", g.name, " ", std::string(globalOpcodeName(g.opcode)), " @",
            at(g.offset), g.resolved ? " resolved" : " unresolved ", g.unresolvedWhy, " pushes ",
            std::to_string(g.pushes), " calls ", std::to_string(g.recognisedCalls));
        for (std::uint64_t use : g.uses)
            add("  use @", at(use));
        for (const auto& [module, name] : g.staticTargets)
            add("  target ", module, " ", name);
    }
    for (const ScanNote& n : scan.findings)
        add("finding ", std::string(verdictName(n.verdict)), " @", at(n.offset), " ",
            messages ? n.message : std::string());
    for (const ScanNote& n : scan.anomalies)
        add("anomaly @", at(n.offset), " ", messages ? n.message : std::string());
    for (const auto& [op, offset] : scan.weightsOnlyRejected2)
        add("weights-only 2.x refuses ", std::to_string(op), " @", at(offset));
    for (const auto& [op, offset] : scan.weightsOnlyRejected113)
        add("weights-only 1.13 refuses ", std::to_string(op), " @", at(offset));
    add("protocol ", std::to_string(scan.protocol), " end ", at(scan.endOffset),
        scan.stopped ? " stopped" : " not stopped", " opcodes ", std::to_string(scan.opcodeCount),
        " memo writes ", std::to_string(scan.memoWrites), " unread ",
        std::to_string(scan.memoUnread), " persistent ids ", std::to_string(scan.persistentIds));
    if (scan.error)
        add("error @", at(scan.error->offset), messages ? " " + scan.error->message : "");
    return out;
}

// The two walks of `bytes`, compared; an empty string when equal, else both texts.
std::string walksDiffer(std::span<const std::byte> bytes, std::uint64_t base = 0)
{
    const std::string fast = scanText(scanOpcodes(bytes, base, ScanWalk::Fast), base);
    const std::string general = scanText(scanOpcodes(bytes, base, ScanWalk::General), base);
    if (fast == general)
        return {};
    return "fast:\n" + fast + "general:\n" + general;
}

// Opcodes the fast loop takes (and their neighbours): what a mutation writes most often.
constexpr char kFastOpcodes[] = { 'h', 'j', '\x94', 'q', 'r', '(', 'N', '\x88', '\x89', ']', '}',
    ')', '\x8f', 'K', 'M', 'J', 'G', 'C', 'B', '\x8c', 'X', 'e', 'u', 'a', 's', '\x95', '.', '0',
    '1', '2', 't', '\x85', '\x86', '\x87', 'c', '\x93', 'R', 'b', 'p', 'g' };

} // namespace

class TestOpcodeScan : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // Every fixture under 4 KB, cut at up to 96 places (every place in its first 64 bytes): the
    // fast walk meets truncated arguments, open marks and memo misses exactly where the
    // general walk does.
    void fastWalkEqualsTheGeneralWalkOnEveryCutOfEverySmallFixture()
    {
        const QStringList files
            = smallFixtures({ "pickle", "safety", "torch", "export", "fuzz-crashes" }, 4096);
        QVERIFY(files.size() > 1000);
        std::size_t scans = 0;
        for (const QString& path : files) {
            const std::vector<std::byte> data = testing::readFileBytes(path);
            const std::size_t size = data.size();
            for (std::size_t i = 0; i < 96 && i <= size; ++i) {
                const std::size_t cut = i < 64 || size <= 96 ? i : 64 + (size - 64) * (i - 63) / 32;
                if (cut > size)
                    break;
                const std::string diff = walksDiffer(std::span(data).first(cut));
                QVERIFY2(diff.empty(),
                    qPrintable(path + " cut at " + QString::number(cut) + "\n"
                        + QString::fromStdString(diff)));
                ++scans;
            }
        }
        QVERIFY(scans > 50000);
    }

    // Every small fixture mutated 24 times (a byte replaced by an opcode the fast loop takes or
    // by any byte, a byte dropped, a byte doubled), from a fixed seed.
    void fastWalkEqualsTheGeneralWalkOnMutationsOfEverySmallFixture()
    {
        const QStringList files
            = smallFixtures({ "pickle", "safety", "torch", "fuzz-crashes" }, 4096);
        std::mt19937 random(10);
        std::size_t mutants = 0;
        for (const QString& path : files) {
            const std::vector<std::byte> data = testing::readFileBytes(path);
            if (data.size() < 2)
                continue;
            for (int m = 0; m < 24; ++m) {
                std::vector<std::byte> mutant = data;
                const std::size_t at = random() % mutant.size();
                switch (random() % 4) {
                case 0:
                    mutant[at]
                        = static_cast<std::byte>(kFastOpcodes[random() % std::size(kFastOpcodes)]);
                    break;
                case 1:
                    mutant[at] = static_cast<std::byte>(random() & 0xFF);
                    break;
                case 2:
                    mutant.erase(mutant.begin() + static_cast<std::ptrdiff_t>(at));
                    break;
                default:
                    mutant.insert(mutant.begin() + static_cast<std::ptrdiff_t>(at), mutant[at]);
                    break;
                }
                const std::string diff = walksDiffer(mutant);
                QVERIFY2(diff.empty(),
                    qPrintable(path + " mutant " + QString::number(m) + "\n"
                        + QString::fromStdString(diff)));
                ++mutants;
            }
        }
        QVERIFY(mutants > 20000);
    }

    // Binary strings pack inline only up to a 1 TiB offset; past it they go to the side table.
    // The same bytes scanned at offsets on both sides of that line (and straddling it) find the
    // same globals, names resolved through the memo included, at the same relative offsets.
    void aScanPastOneTebibyteFindsTheSameAsAtOffsetZero_data()
    {
        QTest::addColumn<quint64>("base");
        const quint64 tib = quint64(1) << 40;
        QTest::newRow("a file that crosses the 1 TiB line half-way") << tib - 200;
        QTest::newRow("a file starting just past 1 TiB") << tib;
        QTest::newRow("a file at 2^56") << (quint64(1) << 56);
    }
    void aScanPastOneTebibyteFindsTheSameAsAtOffsetZero()
    {
        QFETCH(quint64, base);
        const QStringList files = smallFixtures({ "safety", "pickle" }, 4096);
        std::size_t globals = 0, files_ = 0;
        for (const QString& path : files) {
            const std::vector<std::byte> data = testing::readFileBytes(path);
            for (const ScanWalk walk : { ScanWalk::Fast, ScanWalk::General }) {
                const OpcodeScan atZero = scanOpcodes(data, 0, walk);
                const OpcodeScan shifted = scanOpcodes(data, base, walk);
                const std::string a = scanText(atZero, 0, false);
                const std::string b = scanText(shifted, base, false);
                QVERIFY2(a == b,
                    qPrintable(path + "\nat 0:\n" + QString::fromStdString(a) + "shifted:\n"
                        + QString::fromStdString(b)));
                QCOMPARE(shifted.findings.size(), atZero.findings.size());
                globals += atZero.globals.size();
            }
            ++files_;
        }
        QVERIFY(globals > 200);
    }

    // A stack 20,000 deep (past the stack's and the side table's pages) of plain values, binary
    // strings, call results and globals, a tuple of the top three, then STOP: every item is
    // still there (the leftovers are counted, the discarded call results named).
    void aStackLongerThanAPageKeepsEveryItem()
    {
        std::string pickle = "\x80\x04"s;
        const int rounds = 5000;
        for (int i = 0; i < rounds; ++i) {
            pickle += "K\x07"s; // BININT1: a plain value
            pickle += "\x8c\x01x"s; // SHORT_BINUNICODE: a binary string
            pickle += "\x8c\x02os\x8c\x06system\x93)R"s; // os.system(): a call result
            pickle += "\x8c\x01m\x8c\x01n\x93"s; // m.n: a global
        }
        pickle += "\x87."s; // TUPLE3 of the top three, STOP
        const std::vector<std::byte> bytes = bytesOf(pickle);
        const std::string diff = walksDiffer(bytes);
        QVERIFY2(diff.empty(), diff.c_str());
        const OpcodeScan scan = scanOpcodes(bytes, 0);
        QVERIFY(scan.stopped);
        QVERIFY(!scan.error);
        QCOMPARE(scan.globals.size(), std::size_t(2 * rounds));
        QCOMPARE(scan.globals.front().module, std::string("os"));
        QCOMPARE(scan.globals.back().name, std::string("n"));
        QCOMPARE(scan.globals[2 * rounds - 2].uses.size(), std::size_t(1)); // the last call
        // 4 items a round; the last three in one tuple; the result: 4 * rounds - 3 left.
        bool counted = false;
        std::size_t discarded = 0;
        for (const ScanNote& note : scan.anomalies) {
            if (note.message.find(std::to_string(4 * rounds - 3) + " value(s) left on the stack")
                == 0)
                counted = true;
            if (note.message.find("left on the stack at STOP") != std::string::npos)
                ++discarded;
        }
        QVERIFY(counted);
        // Anomalies are capped (256 per stream): the first call results are named.
        QVERIFY(discarded > 200);
    }

    // 10,000 nested MARKs (past a page of marks), each closed by a TUPLE of a global: the marks
    // come back in order and every tuple is built.
    void markRunsLongerThanAPageCloseInOrder()
    {
        std::string pickle = "\x80\x04]"s;
        const int depth = 10000;
        for (int i = 0; i < depth; ++i)
            pickle += "(\x8c\x01m\x8c\x01n\x93"s;
        for (int i = 0; i < depth; ++i)
            pickle += "t";
        pickle += "a.";
        const std::vector<std::byte> bytes = bytesOf(pickle);
        const std::string diff = walksDiffer(bytes);
        QVERIFY2(diff.empty(), diff.c_str());
        const OpcodeScan scan = scanOpcodes(bytes, 0);
        QVERIFY(scan.stopped);
        QVERIFY2(!scan.error, scan.error ? scan.error->toString().c_str() : "");
        QVERIFY(scan.anomalies.empty());
        QCOMPARE(scan.globals.size(), std::size_t(depth));
    }

    // Memo entries of every kind, stored by the fast loop's MEMOIZE and fetched by its GETs:
    // strings resolve STACK_GLOBAL, a memoised global counts as pushed again, a memoised call
    // result is named when it is called.
    void memoEntriesOfEveryKindComeBackAsStored()
    {
        const std::string pickle = "\x80\x04"s + "\x8c\x08"s
            + "builtins\x94"s // memo 0: a binary string
            + "\x8c\x04"s + "eval\x94"s // memo 1
            + "\x93\x94"s // STACK_GLOBAL builtins.eval, memo 2: a global
            + "h\x00h\x01\x93"s // GET 0, GET 1, STACK_GLOBAL: resolved through the memo
            + "0"s // POP it
            + "h\x02"s // GET 2: the global again
            + "\x8c\x03"s + "1+1\x85R\x94"s // eval(('1+1',)), memo 3: a call result
            + "j\x03\x00\x00\x00)R"s // LONG_BINGET 3, called: a computed callable
            + "0"s // POP
            + "N."s; // NONE, STOP
        const std::vector<std::byte> bytes = bytesOf(pickle);
        const std::string diff = walksDiffer(bytes);
        QVERIFY2(diff.empty(), diff.c_str());
        const OpcodeScan scan = scanOpcodes(bytes, 0);
        QVERIFY2(!scan.error, scan.error ? scan.error->toString().c_str() : "");
        QCOMPARE(scan.globals.size(), std::size_t(2));
        for (const RawGlobal& g : scan.globals) {
            QCOMPARE(g.module, std::string("builtins"));
            QCOMPARE(g.name, std::string("eval"));
        }
        QCOMPARE(scan.globals[0].pushes, std::size_t(2)); // STACK_GLOBAL and GET 2
        QCOMPARE(scan.memoWrites, std::size_t(4));
        QCOMPARE(scan.memoUnread, std::size_t(0));
        bool computed = false;
        for (const ScanNote& note : scan.findings)
            computed
                = computed || note.message.rfind("REDUCE calls a value computed by REDUCE", 0) == 0;
        QVERIFY(computed);
    }
};

QTEST_GUILESS_MAIN(TestOpcodeScan)
#include "tst_opcode_scan.moc"
