// The unpickling machine's dispatch fast path against its general step: every fixture under
// tests/data, truncated and bit-flipped variants of some, and generated inputs that run into
// the limits, the polls, a cancel and the 4 GiB offset segments, loaded both ways
// (LoadOptions::dispatchFastPath on and off) must give the same graph value by value and the
// same result or error (tests/pickle/machine_equivalence.h).

#include "tests/pickle/machine_equivalence.h"

#include <QtTest>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

using namespace core;
using core::testing::fastPathDifference;

namespace {

std::vector<std::byte> readFile(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    const std::vector<char> chars(
        (std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> out(chars.size());
    if (!chars.empty())
        std::memcpy(out.data(), chars.data(), chars.size());
    return out;
}

std::vector<std::filesystem::path> fixtures(const std::string& under)
{
    std::vector<std::filesystem::path> out;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(under))
        if (entry.is_regular_file() && entry.file_size() < (std::uint64_t(1) << 20))
            out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
}

void put(std::vector<std::byte>& out, std::initializer_list<int> bytes)
{
    for (int b : bytes)
        out.push_back(static_cast<std::byte>(b));
}

void putLittle(std::vector<std::byte>& out, std::uint64_t value, int width)
{
    for (int i = 0; i < width; ++i)
        out.push_back(static_cast<std::byte>((value >> (8 * i)) & 0xff));
}

// A protocol 4 pickle of `count` records, each a dict of the hot kinds (ints of every width,
// floats, None, bools, short text, bytes, a tuple, memo puts and gets), appended in batches
// of 1000 and framed as pickle.py frames (every ~64 KiB), as the records benchmark is.
std::vector<std::byte> framedRecords(std::size_t count, bool cutAnywhere = false)
{
    std::vector<std::byte> body;
    std::vector<std::size_t> cuts; // frame ends: between records, as pickle.py's framer cuts
    put(body, { ']', 0x94 }); // EMPTY_LIST MEMOIZE: memo 0
    std::uint64_t memo = 1;
    for (std::size_t i = 0; i < count; ++i) {
        if (i % 1000 == 0)
            put(body, { '(' });
        put(body, { '}', 0x94, '(' }); // the record: memo 1, 3, ...
        ++memo;
        if (i == 0) { // key "k": SHORT_BINUNICODE + MEMOIZE (memo 2), then BINGET 2
            put(body, { 0x8c, 1, 'k', 0x94 });
            ++memo;
        } else {
            put(body, { 'h', 2 });
        }
        put(body, { 'J' }); // int4
        putLittle(body, static_cast<std::uint64_t>(-static_cast<std::int64_t>(i) * 977), 4);
        put(body,
            { 0x8c, 2, 'i', static_cast<int>('0' + i % 10), 'K', static_cast<int>(i & 0xff) });
        put(body, { 0x8c, 2, 'm', 'w', 'M' });
        putLittle(body, i * 31, 2);
        put(body, { 0x8c, 1, 'f', 'G' }); // float8, big-endian
        const double f = 1.0 / static_cast<double>(i + 3);
        std::uint64_t bits = 0;
        std::memcpy(&bits, &f, 8);
        for (int b = 7; b >= 0; --b)
            body.push_back(static_cast<std::byte>((bits >> (8 * b)) & 0xff));
        put(body, { 0x8c, 1, 'n', 'N', 0x8c, 1, 't', i % 2 ? 0x88 : 0x89 });
        put(body, { 'X' }); // BINUNICODE "éx" -> bytes b"a?" (memoized)
        putLittle(body, 3, 4);
        put(body, { 0xc3, 0xa9, 'x', 'C', 2, 'a', static_cast<int>(i & 0x7f), 0x94 });
        ++memo;
        put(body, { 0x8c, 1, 's', 'X' }); // a lone surrogate (surrogatepass)
        putLittle(body, 3, 4);
        put(body, { 0xed, 0xa0, 0x80 });
        // "z" -> ((None, 1), ((),)); "w" -> (1, 2, 3)
        put(body, { 0x8c, 1, 'z', 'N', 'K', 1, 0x86, ')', 0x85, 0x86 });
        put(body, { 0x8c, 1, 'w', 'K', 1, 'K', 2, 'K', 3, 0x87 });
        // "y" -> (None,), put with LONG_BINPUT, popped, and read back with LONG_BINGET
        put(body, { 0x8c, 1, 'y', 'N', 0x85, 'r' });
        putLittle(body, memo, 4);
        put(body, { '0', 'j' });
        putLittle(body, memo, 4);
        ++memo;
        put(body, { 'u' }); // SETITEMS
        if (i % 1000 == 999 || i + 1 == count)
            put(body, { 'e' }); // APPENDS
        const std::size_t last = cuts.empty() ? 0 : cuts.back();
        if (cutAnywhere ? body.size() - last >= 65536 : body.size() - last >= 65000)
            cuts.push_back(cutAnywhere ? last + 65536 : body.size());
    }
    put(body, { '.' });
    if (cuts.empty() || cuts.back() != body.size())
        cuts.push_back(body.size());
    std::vector<std::byte> out;
    put(out, { 0x80, 4 });
    for (std::size_t c = 0, at = 0; c < cuts.size(); at = cuts[c++]) {
        const std::size_t n = std::min(cuts[c], body.size()) - at;
        put(out, { 0x95 });
        putLittle(out, n, 8);
        out.insert(out.end(), body.begin() + static_cast<std::ptrdiff_t>(at),
            body.begin() + static_cast<std::ptrdiff_t>(at + n));
    }
    return out;
}

// A protocol 2 list of `count` numbers (BININT, BININT1, BININT2, BINFLOAT), APPENDS every
// 1000, as the numbers benchmark is; unframed.
std::vector<std::byte> numbers(std::size_t count)
{
    std::vector<std::byte> out;
    put(out, { 0x80, 2, ']', 'q', 0 });
    for (std::size_t i = 0; i < count; ++i) {
        if (i % 1000 == 0)
            put(out, { '(' });
        switch (i % 4) {
        case 0:
            put(out, { 'J' });
            putLittle(out, static_cast<std::uint64_t>(static_cast<std::int64_t>(i) * -7919), 4);
            break;
        case 1:
            put(out, { 'K', static_cast<int>(i & 0xff) });
            break;
        case 2:
            put(out, { 'M' });
            putLittle(out, i, 2);
            break;
        default:
            put(out, { 'G', 0x3f, 0xf0, 0, 0, 0, 0, static_cast<int>(i & 0xff), 0 });
        }
        if (i % 1000 == 999 || i + 1 == count)
            put(out, { 'e' });
    }
    put(out, { '.' });
    return out;
}

// 2000 nested lists, as the deep benchmark is.
std::vector<std::byte> deep(std::size_t depth)
{
    std::vector<std::byte> out;
    put(out, { 0x80, 2, ']' });
    for (std::size_t i = 0; i < depth; ++i)
        put(out, { '(', ']' });
    for (std::size_t i = 0; i < depth; ++i)
        put(out, { 'e' });
    put(out, { '.' });
    return out;
}

LoadLimits limits(std::size_t values, std::size_t depth, std::size_t memo)
{
    LoadLimits l;
    l.maxValues = values;
    l.maxStackDepth = depth;
    l.maxMemoEntries = memo;
    return l;
}

} // namespace

class TestMachineFastPath : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void loadsEveryFixtureAsTheGeneralStepDoes()
    {
        const auto files = fixtures(PICKLESCOPE_TEST_DATA);
        QVERIFY(files.size() > 1000);
        std::size_t loaded = 0;
        for (const auto& path : files) {
            const auto bytes = readFile(path);
            const std::string diff = fastPathDifference(bytes);
            if (!diff.empty())
                QFAIL(qPrintable(QString::fromStdString(path.string() + ": " + diff)));
            ++loaded;
        }
        QCOMPARE(loaded, files.size());
    }

    void failsTruncatedAndBitFlippedFixturesAsTheGeneralStepDoes()
    {
        // Every 20th pickle fixture: each prefix (small files) or 97 spread prefixes, and 97
        // single-bit flips.
        const auto files = fixtures(std::string(PICKLESCOPE_TEST_DATA) + "/pickle");
        std::size_t variants = 0;
        for (std::size_t f = 0; f < files.size(); f += 20) {
            const auto bytes = readFile(files[f]);
            if (bytes.empty())
                continue;
            const std::size_t step = bytes.size() <= 512 ? 1 : bytes.size() / 97 + 1;
            for (std::size_t n = 0; n < bytes.size(); n += step, ++variants) {
                const std::string diff
                    = fastPathDifference(std::span<const std::byte>(bytes).first(n));
                if (!diff.empty())
                    QFAIL(qPrintable(QString::fromStdString(
                        files[f].string() + " cut at " + std::to_string(n) + ": " + diff)));
            }
            for (std::size_t k = 0; k < 97; ++k, ++variants) {
                auto flipped = bytes;
                const std::size_t at = (k * 7919) % flipped.size();
                flipped[at] ^= static_cast<std::byte>(1u << (k % 8));
                const std::string diff = fastPathDifference(flipped);
                if (!diff.empty())
                    QFAIL(qPrintable(
                        QString::fromStdString(files[f].string() + " bit " + std::to_string(k % 8)
                            + " of byte " + std::to_string(at) + " flipped: " + diff)));
            }
        }
        QVERIFY(variants > 5000);
    }

    void meetsLimitsPollsAndCancelsAsTheGeneralStepDoes_data()
    {
        QTest::addColumn<int>("input");
        QTest::addColumn<qulonglong>("maxValues");
        QTest::addColumn<qulonglong>("maxDepth");
        QTest::addColumn<qulonglong>("maxMemo");
        QTest::addColumn<int>("cancelAt");
        const qulonglong big = qulonglong(1) << 30;
        // input 0: framed records, 1: numbers, 2: deep, 3: records framed mid-opcode
        QTest::newRow("framed records load whole, polled every 4096 opcodes")
            << 0 << big << big << big << 0;
        QTest::newRow("numbers load whole") << 1 << big << big << big << 0;
        QTest::newRow("deep nesting loads whole") << 2 << big << big << big << 0;
        QTest::newRow("records stop at the value limit mid-batch")
            << 0 << 5000ull << big << big << 0;
        QTest::newRow("records stop at a value limit just past a poll")
            << 0 << 4097ull << big << big << 0;
        QTest::newRow("records stop at the memo limit") << 0 << big << big << 3ull << 0;
        QTest::newRow("records stop at a memo limit after many entries")
            << 0 << big << big << 1500ull << 0;
        QTest::newRow("numbers stop at the stack depth limit") << 1 << big << 600ull << big << 0;
        QTest::newRow("numbers stop at the value limit") << 1 << 9000ull << big << big << 0;
        QTest::newRow("deep nesting stops at the stack depth limit")
            << 2 << big << 777ull << big << 0;
        QTest::newRow("a frame that ends inside an argument fails the same way")
            << 3 << big << big << big << 0;
        QTest::newRow("records are cancelled at the first poll") << 0 << big << big << big << 1;
        QTest::newRow("numbers are cancelled at the third poll") << 1 << big << big << big << 3;
    }

    void meetsLimitsPollsAndCancelsAsTheGeneralStepDoes()
    {
        QFETCH(int, input);
        QFETCH(qulonglong, maxValues);
        QFETCH(qulonglong, maxDepth);
        QFETCH(qulonglong, maxMemo);
        QFETCH(int, cancelAt);
        const auto bytes = input == 0 ? framedRecords(3000)
            : input == 1              ? numbers(20000)
            : input == 2              ? deep(2000)
                                      : framedRecords(3000, true);
        LoadOptions options;
        options.limits = limits(maxValues, maxDepth, maxMemo);
        const std::string diff
            = fastPathDifference(bytes, options, static_cast<std::size_t>(cancelAt));
        QVERIFY2(diff.empty(), diff.c_str());
        // The input itself loads (the mid-opcode frames aside), so that the rows above reach
        // their limits or cancels deep in it, not at a bad byte.
        core::testing::MachineRun run;
        core::testing::runMachine(run, bytes, {}, true, 0, 1, 0);
        QCOMPARE(run.outcomes.size(), std::size_t(1));
        QCOMPARE(run.outcomes[0].rfind("value ", 0) == 0, input != 3);
        QVERIFY(run.graph.size() > 2000);
    }

    void keepsOffsetsAcrossTheFourGiBSegmentsAsTheGeneralStepDoes()
    {
        // Values of a pickle that starts just under 4 GiB in its file: offsets cross into a new
        // segment mid-load.
        const auto bytes = framedRecords(1000);
        const std::string diff
            = fastPathDifference(bytes, {}, 0, 3, (std::uint64_t(1) << 32) - bytes.size() / 2);
        QVERIFY2(diff.empty(), diff.c_str());
    }

    void loadsSeveralPicklesInARowAsTheGeneralStepDoes()
    {
        // The memo is kept from one load to the next: BINGETs of the second pickle read the
        // first one's entries.
        auto bytes = framedRecords(50);
        const auto second = numbers(3000);
        bytes.insert(bytes.end(), second.begin(), second.end());
        put(bytes, { 0x80, 2, 'h', 1, 'h', 2, 0x86, '.' });
        const std::string diff = fastPathDifference(bytes, {}, 0, 5);
        QVERIFY2(diff.empty(), diff.c_str());
    }
};

QTEST_APPLESS_MAIN(TestMachineFastPath)
#include "tst_machine_fast_path.moc"
