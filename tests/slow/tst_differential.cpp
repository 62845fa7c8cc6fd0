// Differential test against CPython on cases nobody wrote by hand: tests/slow/random_pickles.py
// builds random objects (nested, shared, recursive, edge-case scalars, the typed classes the
// loader knows), pickles them at random protocols, sometimes optimised, cut or with flipped bytes,
// and records what CPython's pickle.loads and pickletools.dis make of each. Then:
//   - where CPython loads the bytes, we must load them to the same repr (values holding plain
//     objects, which Python prints with an address, are counted and skipped);
//   - our pickletools text must equal pickletools.dis's, byte for byte, and we must fail exactly
//     where it fails.
// Where CPython refuses (a random GLOBAL it cannot import, a persistent id with no hook), we may
// load: those cases are only counted. A read across a FRAME's end, which Debian's 3.11 C unpickler
// allows and pickle.py (and _pickle.c since gh-154848) refuses, we refuse too: counted when
// pickle.py refuses the same bytes with its frame error. Seeds and case count:
// PICKLESCOPE_DIFF_SEEDS ("1,2,3"), PICKLESCOPE_DIFF_CASES (per seed); PICKLESCOPE_DIFF_VERBOSE
// lists the skipped and lenient cases.
// Skips when /usr/bin/python3 is missing.

#include "core/loader.h"
#include "core/pickle/disassembler.h"
#include "tests/common/cli_run.h"
#include "tests/common/python_repr.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using namespace core;

namespace {

const char* kPython = "/usr/bin/python3";

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestDifferential : public QObject {
    Q_OBJECT

    // Our refusal is a frame crossing, and CPython's pure-Python unpickler refuses the same bytes
    // with its frame error.
    static bool crossesAFrameAsPurePythonSays(const Error& error, const QString& file)
    {
        if (error.message.find("end of its frame") == std::string::npos)
            return false;
        const testing::CliRun py = testing::runProcess(kPython,
            { QStringLiteral("-c"),
                QStringLiteral("import pickle, sys\n"
                               "try:\n"
                               "    pickle._loads(open(sys.argv[1], 'rb').read())\n"
                               "except pickle.UnpicklingError as e:\n"
                               "    print(e)\n"),
                file });
        return py.out.contains("exhausted before end of frame");
    }

private Q_SLOTS:
    void randomPicklesMatchCPythonAndPickletools()
    {
        if (!QFile::exists(kPython))
            QSKIP("no /usr/bin/python3");
        const QStringList seeds = qEnvironmentVariable("PICKLESCOPE_DIFF_SEEDS", "1,2").split(',');
        const int cases = qEnvironmentVariableIsSet("PICKLESCOPE_DIFF_CASES") ? qEnvironmentVariableIntValue("PICKLESCOPE_DIFF_CASES") : 1500;
        const bool verbose = qEnvironmentVariableIsSet("PICKLESCOPE_DIFF_VERBOSE"); // list skipped/lenient cases
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        int valuesCompared = 0, objectsSkipped = 0, cpythonRefused = 0, weAlsoRefused = 0, disCompared = 0, disFailures = 0, frameCrossings = 0;
        QStringList mismatches;
        for (const QString& seed : seeds) {
            const QString dir = tmp.path() + "/" + seed;
            testing::RunOptions options;
            options.env.insert("PYTHONHASHSEED", "0"); // the same bytes for the same seed
            options.timeoutMs = 600000;
            const testing::CliRun gen = testing::runProcess(kPython,
                { QStringLiteral(PICKLESCOPE_SOURCE_DIR "/tests/slow/random_pickles.py"), seed,
                    QString::number(cases), dir },
                options);
            QVERIFY2(gen.exitCode == 0, gen.err.constData());
            for (int n = 0; n < cases; ++n) {
                const QString base = dir + "/" + QString::number(n);
                const QString label = QStringLiteral("seed %1 case %2").arg(seed).arg(n);
                const QByteArray data = readAll(base + ".pkl");
                const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data.constData()), static_cast<std::size_t>(data.size()));

                // Values.
                const QByteArray expected = readAll(base + ".repr");
                auto loaded = loadSource(ByteSource::fromBytes(bytes, label.toStdString()), {});
                QVERIFY2(loaded.ok(), qPrintable(label));
                const Document& doc = *loaded.value();
                if (expected == "SKIP") {
                    ++objectsSkipped;
                } else if (expected.startsWith("ERROR ")) {
                    ++cpythonRefused;
                    weAlsoRefused += doc.error ? 1 : 0;
                    if (!doc.error && verbose)
                        qInfo("CPython refused, we load %s: %s", qPrintable(label), expected.constData());
                } else if (doc.error && crossesAFrameAsPurePythonSays(*doc.error, base + ".pkl")) {
                    // Debian's CPython 3.11 C unpickler reads across a FRAME's end; pickle.py refuses,
                    // and so does _pickle.c since gh-154848 (3.13.15 / 3.14.7). We follow the fix.
                    ++frameCrossings;
                } else if (doc.error) {
                    mismatches << label + ": CPython loads it, we fail: " + QString::fromStdString(doc.error->toString());
                } else {
                    std::string ours;
                    std::unordered_set<std::uint32_t> active;
                    if (!testing::pythonRepr(doc.graph, doc.root, ours, active, 0, true) || expected.contains(" at 0x")) {
                        ++objectsSkipped;
                        if (verbose)
                            qInfo("skipped %s: %s", qPrintable(label), expected.left(200).constData());
                    } else {
                        ++valuesCompared;
                        if (QByteArray::fromStdString(ours) != expected)
                            mismatches << label + ": value differs\n  ours:    " + QString::fromStdString(ours).left(400) + "\n  cpython: " + QString::fromUtf8(expected).left(400);
                    }
                }

                // Disassembly.
                const Disassembly dis = disassemble(bytes);
                std::string text = renderPickletools(dis);
                const bool pickletoolsFailed = QFile::exists(base + ".diserr");
                ++disCompared;
                disFailures += pickletoolsFailed ? 1 : 0;
                if (dis.error.has_value() != pickletoolsFailed)
                    mismatches << label + QStringLiteral(": pickletools %1, we %2").arg(pickletoolsFailed ? "fails" : "succeeds", dis.error ? QString::fromStdString(dis.error->toString()) : "succeed");
                else if (QByteArray::fromStdString(text) != readAll(base + ".dis"))
                    mismatches << label + ": dis text differs";
                if (mismatches.size() > 20)
                    break;
            }
        }
        qInfo("values: %d compared with CPython's repr, %d hold objects (skipped); CPython refused %d (we refused %d of them); "
              "%d read across a frame's end (refused, as pickle.py does)",
            valuesCompared, objectsSkipped, cpythonRefused, weAlsoRefused, frameCrossings);
        qInfo("dis: %d programs compared with pickletools (%d of them malformed)", disCompared, disFailures);
        QVERIFY2(mismatches.isEmpty(), qPrintable(mismatches.mid(0, 20).join('\n')));
        QVERIFY(valuesCompared > cases / 2);
    }
};

QTEST_APPLESS_MAIN(TestDifferential)
#include "tst_differential.moc"
