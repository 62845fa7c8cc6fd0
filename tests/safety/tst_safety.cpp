// The safety report: classification tables, the opcode-stream walk, and the corpus made by
// tests/safety/gen_malicious.py (every malicious file flagged dangerous with the right global, no
// benign file flagged dangerous).

#include "core/loader.h"
#include "core/safety/global_rules.h"
#include "core/safety/opcode_scan.h"
#include "core/safety/safety_report.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QTest>

#include <set>
#include <string>

using namespace core::safety;

namespace {

QString dataDir()
{
    return QStringLiteral(PICKLESCOPE_TEST_DATA "/safety");
}

std::span<const std::byte> bytesOf(const QByteArray& data)
{
    return { reinterpret_cast<const std::byte*>(data.constData()),
        static_cast<std::size_t>(data.size()) };
}

QByteArray readFile(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

struct ManifestRow {
    QString file;
    QStringList fields;
};

QList<ManifestRow> readManifest(const QString& name)
{
    QList<ManifestRow> rows;
    const QList<QByteArray> lines = readFile(dataDir() + "/" + name).split('\n');
    for (const QByteArray& line : lines) {
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        const QStringList parts = QString::fromUtf8(line).split('\t');
        rows.append({ parts.value(0), parts.mid(1) });
    }
    return rows;
}

// Everything an OpcodeScan holds, as text (for comparing two walks).
std::string scanText(const OpcodeScan& scan)
{
    std::string out;
    auto add = [&out](const auto&... parts) {
        ((out += parts), ...);
        out += '\n';
    };
    for (const RawGlobal& g : scan.globals) {
        add("global ", g.module, " ", g.name, " ", std::string(globalOpcodeName(g.opcode)), " @",
            std::to_string(g.offset), g.resolved ? " resolved" : " unresolved ", g.unresolvedWhy,
            " pushes ", std::to_string(g.pushes), " calls ", std::to_string(g.recognisedCalls));
        for (std::uint64_t use : g.uses)
            add("  use @", std::to_string(use));
        for (const auto& [module, name] : g.staticTargets)
            add("  target ", module, " ", name);
    }
    for (const ScanNote& n : scan.findings)
        add("finding ", std::string(verdictName(n.verdict)), " @", std::to_string(n.offset), " ",
            n.message);
    for (const ScanNote& n : scan.anomalies)
        add("anomaly @", std::to_string(n.offset), " ", n.message);
    for (const auto& [op, offset] : scan.weightsOnlyRejected2)
        add("weights-only 2.x refuses ", std::to_string(op), " @", std::to_string(offset));
    for (const auto& [op, offset] : scan.weightsOnlyRejected113)
        add("weights-only 1.13 refuses ", std::to_string(op), " @", std::to_string(offset));
    add("protocol ", std::to_string(scan.protocol), " end ", std::to_string(scan.endOffset),
        scan.stopped ? " stopped" : " not stopped", " opcodes ", std::to_string(scan.opcodeCount),
        " memo writes ", std::to_string(scan.memoWrites), " unread ",
        std::to_string(scan.memoUnread));
    if (scan.error)
        add("error ", scan.error->toString());
    return out;
}

SafetyReport rawReportFor(const QString& path)
{
    return scanBytes(bytesOf(readFile(path)), "pickle");
}

// The report picklescope-cli scan prints: the loaded document's, or the raw bytes' when the
// container cannot be read at all.
SafetyReport reportFor(const QString& path, std::shared_ptr<core::Document>* docOut = nullptr)
{
    auto loaded = core::loadFile(path.toStdString());
    if (!loaded.ok())
        return rawReportFor(path);
    if (docOut != nullptr)
        *docOut = loaded.value();
    return scan(*loaded.value());
}

bool isZip(const QString& path)
{
    return readFile(path).startsWith("PK\x03\x04");
}

// Archives need the torch reader; until it reads them they load as (malformed) plain pickles.
bool archiveUnreadable(const QString& path)
{
    if (!isZip(path) && !path.endsWith(".pt"))
        return false;
    auto loaded = core::loadFile(path.toStdString());
    return !loaded.ok() || loaded.value()->format == core::FileFormat::Pickle;
}

bool hasDangerous(const SafetyReport& report, const QString& expected)
{
    if (expected == "*")
        return report.verdict == Verdict::Dangerous;
    for (const GlobalUse& use : report.globals)
        if (use.verdict == Verdict::Dangerous
            && QString::fromStdString(use.module + "." + use.name) == expected)
            return true;
    return false;
}

QString dangerousList(const SafetyReport& report)
{
    QStringList names;
    for (const GlobalUse& use : report.globals)
        if (use.verdict == Verdict::Dangerous)
            names << QString::fromStdString(use.module + "." + use.name);
    return names.join(", ");
}

} // namespace

class TestSafety : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // The scanner's fast path for common opcodes must change nothing: over every file under a
    // folder (whole, and cut in the middle so that errors are met), the fast walk and the
    // general walk give the same OpcodeScan.
    void fastPathAgreesWithTheGeneralWalk_data()
    {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<bool>("required");
        const QString data = QStringLiteral(PICKLESCOPE_TEST_DATA);
        QTest::newRow("every pickle fixture") << data + "/pickle" << true;
        QTest::newRow("every safety fixture") << data + "/safety" << true;
        QTest::newRow("every torch fixture") << data + "/torch" << true;
        QTest::newRow("every export and ui fixture") << data + "/export" << true;
        QTest::newRow("every fuzz reproducer") << data + "/fuzz-crashes" << true;
        // Present after scripts/fuzz.sh has run (build/fuzz/corpus/<target>/).
        QTest::newRow("the fuzz corpus, when one was grown")
            << data + "/../../build/fuzz/corpus" << false;
    }
    void fastPathAgreesWithTheGeneralWalk()
    {
        QFETCH(QString, folder);
        QFETCH(bool, required);
        if (!QDir(folder).exists()) {
            QVERIFY2(!required, qPrintable(folder));
            QSKIP("no fuzz corpus in this checkout");
        }
        int files = 0;
        QDirIterator it(folder, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QByteArray data = readFile(it.next());
            for (const qsizetype size : { data.size(), data.size() / 2 }) {
                const auto bytes = bytesOf(data).first(static_cast<std::size_t>(size));
                const std::string fast = scanText(scanOpcodes(bytes, 0, ScanWalk::Fast));
                const std::string general = scanText(scanOpcodes(bytes, 0, ScanWalk::General));
                QVERIFY2(fast == general,
                    qPrintable(it.filePath() + " cut at " + QString::number(size) + ":\nfast:\n"
                        + QString::fromStdString(fast) + "general:\n"
                        + QString::fromStdString(general)));
            }
            ++files;
        }
        QVERIFY(files > 0 || folder.endsWith("fuzz-crashes"));
    }

    void classifiesGlobals_data()
    {
        QTest::addColumn<QString>("module");
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("verdict");
        const int safe = int(Verdict::Safe), unknown = int(Verdict::Unknown),
                  dangerous = int(Verdict::Dangerous);
        QTest::newRow("os.system is dangerous") << "os"
                                                << "system" << dangerous;
        QTest::newRow("posix.system is dangerous") << "posix"
                                                   << "system" << dangerous;
        QTest::newRow("nt.system is dangerous") << "nt"
                                                << "system" << dangerous;
        QTest::newRow("a submodule of os inherits its wildcard") << "os.path"
                                                                 << "join" << dangerous;
        QTest::newRow("subprocess.Popen is dangerous") << "subprocess"
                                                       << "Popen" << dangerous;
        QTest::newRow("builtins.eval is dangerous") << "builtins"
                                                    << "eval" << dangerous;
        QTest::newRow("builtins.getattr is dangerous") << "builtins"
                                                       << "getattr" << dangerous;
        QTest::newRow("builtins.__import__ is dangerous") << "builtins"
                                                          << "__import__" << dangerous;
        QTest::newRow("runpy._run_code is dangerous") << "runpy"
                                                      << "_run_code" << dangerous;
        QTest::newRow("operator.attrgetter is dangerous") << "operator"
                                                          << "attrgetter" << dangerous;
        QTest::newRow("functools.partial is dangerous") << "functools"
                                                        << "partial" << dangerous;
        QTest::newRow("torch.load is dangerous") << "torch"
                                                 << "load" << dangerous;
        QTest::newRow("torch._C internals are dangerous")
            << "torch._C"
            << "_load_for_lite_interpreter" << dangerous;
        QTest::newRow("an attribute path through torch to os is dangerous")
            << "torch"
            << "os.system" << dangerous;
        QTest::newRow("a dunder attribute is dangerous") << "numpy"
                                                         << "__builtins__" << dangerous;
        QTest::newRow("an attribute path into torch._C is dangerous") << "torch"
                                                                      << "_C._nn.gelu" << dangerous;
        QTest::newRow("numpy.load is dangerous") << "numpy"
                                                 << "load" << dangerous;
        QTest::newRow("collections.OrderedDict is safe") << "collections"
                                                         << "OrderedDict" << safe;
        QTest::newRow("torch rebuild v2 is safe") << "torch._utils"
                                                  << "_rebuild_tensor_v2" << safe;
        QTest::newRow("a torch storage class is safe") << "torch"
                                                       << "FloatStorage" << safe;
        QTest::newRow("a torch dtype is safe") << "torch"
                                               << "bfloat16" << safe;
        QTest::newRow("copyreg._reconstructor is safe") << "copyreg"
                                                        << "_reconstructor" << safe;
        QTest::newRow("copyreg.__newobj__ is safe despite its dunder") << "copyreg"
                                                                       << "__newobj__" << safe;
        QTest::newRow("numpy _reconstruct is safe") << "numpy.core.multiarray"
                                                    << "_reconstruct" << safe;
        QTest::newRow("numpy scalar types are safe") << "numpy"
                                                     << "float64" << safe;
        QTest::newRow("uuid.UUID is safe though uuid is not") << "uuid"
                                                              << "UUID" << safe;
        QTest::newRow("TorchScript list helpers are safe though torch.jit is not")
            << "torch.jit._pickle"
            << "build_intlist" << safe;
        QTest::newRow("a user class is unknown") << "mymodels"
                                                 << "Net" << unknown;
        QTest::newRow("a pandas internal is unknown") << "pandas._libs.internals"
                                                      << "_unpickle_block" << unknown;
        QTest::newRow("_load_from_bytes is unknown") << "torch.storage"
                                                     << "_load_from_bytes" << unknown;
        QTest::newRow("an empty module is unknown") << ""
                                                    << "x" << unknown;
    }
    void classifiesGlobals()
    {
        QFETCH(QString, module);
        QFETCH(QString, name);
        QFETCH(int, verdict);
        const Classification c = classifyGlobal(module.toStdString(), name.toStdString());
        QCOMPARE(int(c.verdict), verdict);
        QVERIFY(!c.reason.empty());
    }

    void normalisesPython2NamesBeforeClassifying()
    {
        std::string module, name;
        normaliseGlobal("__builtin__", "set", module, name);
        QCOMPARE(module, std::string("builtins"));
        QCOMPARE(int(classifyGlobal(module, name).verdict), int(Verdict::Safe));
        normaliseGlobal("copy_reg", "_reconstructor", module, name);
        QCOMPARE(module, std::string("copyreg"));
        QCOMPARE(int(classifyGlobal(module, name).verdict), int(Verdict::Safe));
        normaliseGlobal("__builtin__", "eval", module, name);
        QCOMPARE(int(classifyGlobal(module, name).verdict), int(Verdict::Dangerous));
    }

    void resolvesStackGlobalOperandsThroughTheMemo()
    {
        // PROTO 4, 'os' MEMOIZE, 'system' MEMOIZE, POP, POP, BINGET 0, BINGET 1, STACK_GLOBAL,
        // 'id', TUPLE1, REDUCE, STOP.
        const QByteArray bytes = QByteArray::fromHex("8004"
                                                     "8c026f7394"
                                                     "8c0673797374656d94"
                                                     "3030"
                                                     "680068019"
                                                     "3"
                                                     "8c02696485"
                                                     "52"
                                                     "2e");
        const OpcodeScan scan = scanOpcodes(bytesOf(bytes));
        QVERIFY(!scan.error);
        QCOMPARE(scan.globals.size(), std::size_t(1));
        QCOMPARE(scan.globals[0].module, std::string("os"));
        QCOMPARE(scan.globals[0].name, std::string("system"));
        QCOMPARE(scan.globals[0].offset, std::uint64_t(22));
        QCOMPARE(scan.globals[0].uses, std::vector<std::uint64_t> { 28 });
    }

    void findsAMemoEntryStoredAheadOfTheOpcodesRead()
    {
        // PROTO 2, NONE, LONG_BINPUT 300 (past the 3 opcodes read), POP, 400 x (NONE POP), NONE,
        // LONG_BINPUT 310, POP, LONG_BINGET 300, STOP: pickle.loads gives None (CPython 3.11).
        QByteArray bytes = QByteArray::fromHex("80024e722c01000030");
        for (int i = 0; i < 400; ++i)
            bytes += "N0";
        bytes += QByteArray::fromHex("4e723601000030"
                                     "6a2c010000"
                                     "2e");
        const OpcodeScan scan = scanOpcodes(bytesOf(bytes));
        QVERIFY2(!scan.error, scan.error ? scan.error->toString().c_str() : "");
        QVERIFY(scan.stopped);
        QCOMPARE(scan.memoWrites, std::size_t(2));
        QCOMPARE(scan.memoUnread, std::size_t(1));
    }

    void flagsNonStringStackGlobalOperands()
    {
        const SafetyReport report
            = reportFor(dataDir() + "/malicious/stack_global_computed_operand.pkl");
        QCOMPARE(int(report.verdict), int(Verdict::Dangerous));
        bool found = false;
        for (const Finding& f : report.findingDetails)
            found = found
                || (f.verdict == Verdict::Dangerous
                    && f.message.find("not plain strings") != std::string::npos);
        QVERIFY(found);
    }

    void keepsWhatWasSeenBeforeAnError()
    {
        // GLOBAL posix system, then a truncated BINUNICODE.
        QByteArray bytes("cposix\nsystem\nX\xff\x00\x00\x00ab", 20);
        const SafetyReport report = scanBytes(bytesOf(bytes));
        QCOMPARE(int(report.verdict), int(Verdict::Dangerous));
        QCOMPARE(report.errors.size(), std::size_t(1));
        QVERIFY(QString::fromStdString(report.errors[0]).contains("runs past the end"));
    }

    void reportsTamperingAnomalies_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("needle");
        QTest::newRow("a call result dropped by POP") << "discarded_call_result.pkl"
                                                      << "discarded by POP";
        QTest::newRow("a PROTO after the first opcode") << "discarded_call_result.pkl"
                                                        << "duplicate PROTO";
        QTest::newRow("a second pickle after STOP") << "second_pickle_payload.pkl"
                                                    << "another pickle follows STOP";
    }
    void reportsTamperingAnomalies()
    {
        QFETCH(QString, file);
        QFETCH(QString, needle);
        const SafetyReport report = reportFor(dataDir() + "/malicious/" + file);
        bool found = false;
        for (const auto& a : report.anomalies)
            found = found || QString::fromStdString(a.message).contains(needle);
        QVERIFY2(found, qPrintable(needle));
    }

    void mapsEachGlobalToThePathOfTheValueItBuilds()
    {
        std::shared_ptr<core::Document> doc;
        const SafetyReport report = reportFor(dataDir() + "/malicious/nested_state_p2.pkl", &doc);
        QVERIFY(doc);
        const GlobalUse* system = nullptr;
        for (const GlobalUse& use : report.globals)
            if (use.module == "posix" && use.name == "system")
                system = &use;
        QVERIFY(system != nullptr);
        QVERIFY(system->reachable);
        const QString path = QString::fromStdString(system->path);
        QVERIFY2(path.startsWith("$['x']") && path.contains("['holder']")
                && path.endsWith("['inner']['config'][2]"),
            qPrintable(path));
        QVERIFY(isDangerousValue(*doc, report, system->value));
        QVERIFY(!isDangerousValue(*doc, report, doc->root));
    }

    // Expected paths follow the structure gen_malicious.py pickles: section 1 wraps each payload
    // as {"weights": [0.5, 1.5], "x": payload}; section 2 pickles the payload itself (or the
    // list [1, [2, [3, payload]]]); section 4 saves {"state_dict": sd, "hook": payload}.
    void fillsTheUsedAtPathOfEveryReachableGlobal_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("global");
        QTest::addColumn<QString>("path");
        for (int proto = 0; proto <= 5; ++proto)
            QTest::addRow("an os.system call stored under 'x' (protocol %d) is at $['x']", proto)
                << QString("os_system_p%1.pkl").arg(proto) << "posix.system"
                << "$['x']";
        QTest::newRow("a call pickled as the whole file is the result itself, $")
            << "builtins_open_p2.pkl"
            << "io.open"
            << "$";
        QTest::newRow("a call pickled at protocol 4 as the whole file is $") << "os_remove_p4.pkl"
                                                                             << "posix.remove"
                                                                             << "$";
        QTest::newRow("a call three lists deep is at $[1][1][1]") << "webbrowser_nested_list_p2.pkl"
                                                                  << "webbrowser.open"
                                                                  << "$[1][1][1]";
        QTest::newRow("a call in an object's state is at the attribute path of the tree")
            << "nested_state_p2.pkl"
            << "posix.system"
            << "$['x'].__dict__['holder'].__dict__['inner']['config'][2]";
        QTest::newRow("a protocol 0 object built by copyreg keeps the same attribute path")
            << "nested_state_p0.pkl"
            << "posix.system"
            << "$['x'].__dict__['holder'].__dict__['inner']['config'][2]";
        QTest::newRow("getattr whose result is called is the callable of $['x']")
            << "getattr_chain_p2.pkl"
            << "builtins.getattr"
            << "$['x'].__callable__";
        QTest::newRow("__import__ feeding getattr is its first argument")
            << "getattr_chain_p2.pkl"
            << "builtins.__import__"
            << "$['x'].__callable__.__args__[0]";
        QTest::newRow("a payload beside a state dict in a zip checkpoint is at $['hook']")
            << "torch_zip_payload.pt"
            << "posix.system"
            << "$['hook']";
        QTest::newRow("a payload beside a state dict in a legacy checkpoint is at $['hook']")
            << "torch_legacy_payload.pt"
            << "posix.system"
            << "$['hook']";
        QTest::newRow("the state dict's OrderedDict of a legacy checkpoint is at $['state_dict']")
            << "torch_legacy_payload.pt"
            << "collections.OrderedDict"
            << "$['state_dict']";
    }

    // A storage type builds no value that stays (persistent_load consumes its persistent id):
    // it is used at the first storage of its type, the first tensor's of the state dict.
    void fillsTheUsedAtPathOfAStorageType_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("a zip checkpoint's FloatStorage is at its first float tensor's storage")
            << "torch_zip_payload.pt";
        QTest::newRow("a legacy checkpoint's FloatStorage is at its first float tensor's storage")
            << "torch_legacy_payload.pt";
    }
    void fillsTheUsedAtPathOfAStorageType()
    {
        QFETCH(QString, file);
        const SafetyReport report = reportFor(dataDir() + "/malicious/" + file);
        const GlobalUse* storage = nullptr;
        for (const GlobalUse& use : report.globals)
            if (use.module == "torch" && use.name == "FloatStorage")
                storage = &use;
        QVERIFY(storage != nullptr);
        QVERIFY(storage->reachable);
        QCOMPARE(QString::fromStdString(storage->path), QString("$['state_dict']['w'].storage"));
    }

    void fillsTheUsedAtPathOfEveryReachableGlobal()
    {
        QFETCH(QString, file);
        QFETCH(QString, global);
        QFETCH(QString, path);
        const SafetyReport report = reportFor(dataDir() + "/malicious/" + file);
        QStringList seen;
        bool found = false;
        for (const GlobalUse& use : report.globals) {
            const QString name = QString::fromStdString(use.module + "." + use.name);
            seen << name + " at " + QString::fromStdString(use.path);
            if (name == global) {
                found = true;
                QVERIFY(use.reachable);
                QCOMPARE(QString::fromStdString(use.path), path);
            }
        }
        QVERIFY2(found, qPrintable(seen.join("; ")));
    }

    void givesEveryReachableGlobalOfTheCorpusAPathFromTheResult()
    {
        QDirIterator it(dataDir() + "/malicious", QDir::Files);
        int reachable = 0;
        while (it.hasNext()) {
            const QString file = it.next();
            const SafetyReport report = reportFor(file);
            for (const GlobalUse& use : report.globals) {
                if (!use.reachable) {
                    QVERIFY2(use.path.empty(), qPrintable(file));
                    continue;
                }
                ++reachable;
                QVERIFY2(use.path.rfind("$", 0) == 0,
                    qPrintable(file + ": " + QString::fromStdString(use.name + " at " + use.path)));
            }
        }
        QVERIFY(reachable > 100);
    }

    void scansEveryPickleOfAStackedFile()
    {
        const SafetyReport report = reportFor(dataDir() + "/malicious/second_pickle_payload.pkl");
        QCOMPARE(report.picklesScanned, std::size_t(2));
        bool inSecond = false;
        for (const GlobalUse& use : report.globals)
            inSecond = inSecond || (use.verdict == Verdict::Dangerous && use.pickle == "pickle 2");
        QVERIFY(inSecond);
    }

    void reportsArchiveAnomalies_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("needle");
        QTest::newRow("a storage record cut short") << "storage_short.pt"
                                                    << "holds 24 bytes but declares 16 x 4 bytes";
        QTest::newRow("a data record nothing references")
            << "unreferenced_record.pt"
            << "'archive/data/7' is not referenced by data.pkl";
    }
    void reportsArchiveAnomalies()
    {
        QFETCH(QString, file);
        QFETCH(QString, needle);
        std::shared_ptr<core::Document> doc;
        const SafetyReport report = reportFor(dataDir() + "/adversarial/" + file, &doc);
        QVERIFY(doc);
        QCOMPARE(int(doc->format), int(core::FileFormat::TorchZip));
        QStringList messages;
        for (const auto& a : report.anomalies)
            messages << QString::fromStdString(a.message);
        QVERIFY2(messages.join("\n").contains(needle), qPrintable(messages.join("\n")));
        QCOMPARE(int(report.verdict), int(Verdict::Safe));
    }

    void flagsEveryMaliciousFile()
    {
        const QList<ManifestRow> rows = readManifest("malicious.tsv");
        QVERIFY(rows.size() >= 100);
        int detected = 0, skipped = 0;
        QStringList missed;
        for (const ManifestRow& row : rows) {
            const QString path = dataDir() + "/malicious/" + row.file;
            if (isZip(path) && archiveUnreadable(path)) {
                ++skipped; // needs the torch archive reader
                continue;
            }
            const SafetyReport report = reportFor(path);
            if (hasDangerous(report, row.fields.value(0)))
                ++detected;
            else
                missed << row.file + " (expected " + row.fields.value(0)
                        + ", got: " + dangerousList(report) + ")";
        }
        qInfo("malicious corpus: %d of %d detected (%d archives skipped: unreadable by the torch "
              "reader)",
            detected, int(rows.size()) - skipped, skipped);
        QVERIFY2(missed.isEmpty(), qPrintable(missed.join("\n")));
    }

    void flagsNoBenignFile()
    {
        const QList<ManifestRow> rows = readManifest("benign.tsv");
        QVERIFY(rows.size() >= 15);
        int falseAlarms = 0, checked = 0;
        QStringList alarms;
        for (const ManifestRow& row : rows) {
            const QString path = dataDir() + "/benign/" + row.file;
            if (archiveUnreadable(path))
                continue;
            ++checked;
            const SafetyReport report = reportFor(path);
            if (report.verdict == Verdict::Dangerous) {
                ++falseAlarms;
                alarms << row.file + ": " + dangerousList(report) + " "
                        + QString::fromStdString(report.findings.empty() ? "" : report.findings[0]);
            }
            QVERIFY2(report.errors.empty(), qPrintable(row.file));
        }
        qInfo("benign corpus: %d false alarms in %d files", falseAlarms, checked);
        QVERIFY2(alarms.isEmpty(), qPrintable(alarms.join("\n")));
    }

    void flagsNoFixtureOfTheOtherSuites()
    {
        // Every pickle and checkpoint the core and torch suites use (malformed ones included):
        // none is dangerous.
        int files = 0;
        QStringList alarms;
        for (const QString& folder : { QStringLiteral("pickle"), QStringLiteral("torch") }) {
            QDirIterator it(QStringLiteral(PICKLESCOPE_TEST_DATA "/") + folder,
                { "*.pkl", "*.pt", "*.pth", "*.bin", "*.ckpt" }, QDir::Files,
                QDirIterator::Subdirectories);
            while (it.hasNext()) {
                const QString path = it.next();
                ++files;
                const SafetyReport report = reportFor(path);
                if (report.verdict == Verdict::Dangerous)
                    alarms << path + ": " + dangerousList(report);
            }
        }
        qInfo(
            "fixtures of the other suites: %d false alarms in %d files", int(alarms.size()), files);
        QVERIFY(files >= 300);
        QVERIFY2(alarms.isEmpty(), qPrintable(alarms.join("\n")));
    }

    void seesTheGlobalsPythonSees()
    {
        // The manifest holds the globals of the first pickle as CPython's pickletools walks them.
        for (const ManifestRow& row : readManifest("benign.tsv")) {
            const QString path = dataDir() + "/benign/" + row.file;
            if (isZip(path))
                continue;
            const OpcodeScan scan = scanOpcodes(bytesOf(readFile(path)));
            std::set<QString> ours;
            for (const RawGlobal& g : scan.globals)
                ours.insert(QString::fromStdString(g.module + "." + g.name));
            std::set<QString> python;
            for (const QString& name : row.fields.value(1).split(',', Qt::SkipEmptyParts))
                python.insert(name);
            QVERIFY2(ours == python, qPrintable(row.file));
        }
    }

    void predictsTorch113WeightsOnlyLoads()
    {
        // The generator asked torch 1.13 itself whether weights_only=True loads each benign file.
        int checked = 0;
        for (const ManifestRow& row : readManifest("benign.tsv")) {
            const QString expected = row.fields.value(0);
            const QString path = dataDir() + "/benign/" + row.file;
            if (expected == "n/a" || isZip(path))
                continue;
            ++checked;
            const SafetyReport report = rawReportFor(path);
            bool opcodeBlocker = false;
            for (const std::string& note : report.weightsOnlyNotes)
                opcodeBlocker = opcodeBlocker || note.find("opcode") != std::string::npos;
            const bool refused = !report.weightsOnlyBlockers113.empty() || opcodeBlocker;
            QCOMPARE(refused ? QString("refused") : QString("ok"), expected);
        }
        QVERIFY(checked >= 1);
    }

    void writesTheAddSafeGlobalsLineForSafeBlockers()
    {
        const SafetyReport report = reportFor(dataDir() + "/benign/numpy_p2.pkl");
        QVERIFY(report.verdict != Verdict::Dangerous);
        const QString line = QString::fromStdString(report.addSafeGlobalsLine);
        QVERIFY2(line.startsWith("torch.serialization.add_safe_globals(["), qPrintable(line));
        QVERIFY2(line.contains("numpy.core.multiarray._reconstruct"), qPrintable(line));
        QVERIFY2(line.contains("numpy.ndarray"), qPrintable(line));
        QVERIFY(std::find(report.weightsOnlyBlockers.begin(), report.weightsOnlyBlockers.end(),
                    "numpy.dtype")
            != report.weightsOnlyBlockers.end());
    }

    void namesOpcodesTheWeightsOnlyUnpicklerRejects()
    {
        // Protocol 4 uses FRAME, SHORT_BINUNICODE, STACK_GLOBAL, MEMOIZE: torch refuses them.
        const SafetyReport report = rawReportFor(dataDir() + "/benign/plain_data_p4.pkl");
        QStringList notes;
        for (const std::string& note : report.weightsOnlyNotes)
            notes << QString::fromStdString(note);
        QVERIFY2(notes.join("\n").contains("STACK_GLOBAL"), qPrintable(notes.join("\n")));
        QVERIFY(notes.join("\n").contains("FRAME"));
    }
};

QTEST_APPLESS_MAIN(TestSafety)
#include "tst_safety.moc"
