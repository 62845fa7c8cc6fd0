// picklescope-cli's options: one table per command (app/cli, linked in here), one parser over it
// (QCommandLineParser) and help texts made from the same table. The help must name every option
// of every command, each command must run with one of its own options, and an option a command
// does not have is a usage error (exit 2) that names it.

#include "app/cli/cli_command.h"
#include "tests/common/cli_run.h"

#include <QJsonDocument>
#include <QTemporaryDir>
#include <QtTest>

#include <set>

using testing::runCli;

namespace {

const QString kData = QStringLiteral(PICKLESCOPE_TEST_DATA "/");
const QString kPickle = kData + QStringLiteral("export/shared_p4.pkl");
const QString kZip = kData + QStringLiteral("torch/params_zip.pt");

QString text(const std::string& s)
{
    return QString::fromStdString(s);
}

// Every option a command accepts: its own, then the global ones.
std::vector<cli::Option> optionsOf(const cli::Command& command)
{
    std::vector<cli::Option> all = command.options;
    for (const cli::OptionSection& section : cli::globalOptions())
        all.insert(all.end(), section.options.begin(), section.options.end());
    return all;
}

// The lines of `help` from the line that starts a command's entry ("  info FILE ...") up to the
// next command's.
QString commandBlock(const QString& help, const cli::Command& command)
{
    const QStringList lines = help.split(QLatin1Char('\n'));
    QString block;
    bool inside = false;
    for (const QString& line : lines) {
        const bool commandLine = line.startsWith(QStringLiteral("  ")) && line.size() > 2
            && line.at(2) != QLatin1Char(' ');
        if (commandLine || line.isEmpty())
            inside = line.startsWith(QStringLiteral("  ") + text(command.synopsis).left(20));
        if (inside)
            block += line + QLatin1Char('\n');
    }
    return block;
}

// One run per command of one of its options, with what shows that the option took effect (in
// stdout, or in stderr when the exit is not 0).
struct OptionRun {
    const char* sentence;
    QStringList args;
    const char* option; // as the table names it
    int exitCode;
    const char* expected;
};

std::vector<OptionRun> optionRuns()
{
    return {
        { "info --stats adds the statistics columns", { "info", kZip, "--stats" }, "stats", 0,
            "  mean  " },
        { "json --indent 2 indents by two spaces", { "json", kPickle, "--indent", "2" }, "indent",
            0, "{\n  \"picklescope\": 1," },
        { "dis --json writes one object per opcode", { "dis", kPickle, "--json" }, "json", 0,
            "\"name\": \"PROTO\"" },
        { "scan --json writes the report as JSON", { "scan", kPickle, "--json" }, "json", 0,
            "{\"picklescope\": 1" },
        { "tree --max-items 1 folds the rest of each container",
            { "tree", kPickle, "--max-items", "1" }, "max-items", 0, "  … 7 more" },
        { "diff --json writes the comparison as JSON", { "diff", kPickle, kPickle, "--json" },
            "json", 0, "\"summary\":{\"same\":" },
        { "cat --max-bytes refuses a member over the limit",
            { "cat", kZip, "data.pkl", "--max-bytes", "10" }, "max-bytes", 1,
            "over the limit of 10" },
    };
}

} // namespace

class TestCliOptions : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        if (qEnvironmentVariable("PICKLESCOPE_CLI").isEmpty())
            QSKIP("PICKLESCOPE_CLI is not set (run through ctest)");
        QVERIFY(cli::commands().size() >= 7);
    }

    void noTwoOptionsOfACommandShareAName()
    {
        for (const auto& [name, command] : cli::commands()) {
            std::set<std::string> seen;
            for (const cli::Option& option : optionsOf(command))
                for (const std::string& n : option.names)
                    QVERIFY2(seen.insert(n).second, (name + ": -" + n + " twice").c_str());
        }
    }

    void programHelpNamesEveryOptionOfEveryCommand()
    {
        const testing::CliRun run = runCli({ QStringLiteral("--help") });
        QCOMPARE(run.exitCode, 0);
        const QString help = QString::fromUtf8(run.out);
        for (const auto& [name, command] : cli::commands()) {
            const QString block = commandBlock(help, command);
            QVERIFY2(block.startsWith(QStringLiteral("  ") + text(name)), qPrintable(text(name)));
            for (const cli::Option& option : command.options)
                QVERIFY2(block.contains(QStringLiteral("    ") + text(option.spelling())),
                    qPrintable(text(name) + QStringLiteral(": ") + text(option.spelling())));
        }
        for (const cli::OptionSection& section : cli::globalOptions()) {
            QVERIFY(help.contains(text(section.title) + QLatin1Char(':')));
            for (const cli::Option& option : section.options)
                QVERIFY2(help.contains(QStringLiteral("\n  ") + text(option.spelling())),
                    qPrintable(text(option.spelling())));
        }
        // The remote-file options the brief names, by hand (the table must hold them).
        for (const char* option :
            { "--cache-limit MIB", "--header", "--ca-file PEM", "--download" })
            QVERIFY2(help.contains(QLatin1String(option)), option);
    }

    void commandHelpNamesItsOwnOptionsOnly_data()
    {
        QTest::addColumn<QString>("command");
        for (const auto& [name, command] : cli::commands())
            QTest::newRow(qPrintable(text(name) + QStringLiteral(" --help names ") + text(name)
                + QStringLiteral("'s options and no other command's")))
                << text(name);
    }
    void commandHelpNamesItsOwnOptionsOnly()
    {
        QFETCH(QString, command);
        const cli::Command& table = cli::commands().at(command.toStdString());
        const testing::CliRun asOption = runCli({ command, QStringLiteral("--help") });
        const testing::CliRun asCommand = runCli({ QStringLiteral("help"), command });
        QCOMPARE(asOption.exitCode, 0);
        QCOMPARE(asCommand.exitCode, 0);
        QCOMPARE(asOption.out, asCommand.out);
        const QString help = QString::fromUtf8(asOption.out);
        QVERIFY(help.startsWith(QStringLiteral("usage: picklescope-cli ") + command));
        std::set<std::string> own;
        for (const cli::Option& option : optionsOf(table)) {
            QVERIFY2(help.contains(QStringLiteral("\n  ") + text(option.spelling())),
                qPrintable(text(option.spelling())));
            own.insert(option.spelling());
        }
        for (const auto& [name, other] : cli::commands())
            for (const cli::Option& option : other.options)
                if (own.count(option.spelling()) == 0)
                    QVERIFY2(!help.contains(QStringLiteral("\n  ") + text(option.spelling())),
                        qPrintable(text(option.spelling())));
    }

    void everyCommandRunsWithOneOfItsOptions_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("option");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("expected");
        for (const OptionRun& run : optionRuns())
            QTest::newRow(run.sentence) << run.args << QString::fromLatin1(run.option)
                                        << run.exitCode << QString::fromUtf8(run.expected);
    }
    void everyCommandRunsWithOneOfItsOptions()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, option);
        QFETCH(int, exitCode);
        QFETCH(QString, expected);
        bool known = false;
        for (const cli::Option& o : optionsOf(cli::commands().at(args.front().toStdString())))
            for (const std::string& name : o.names)
                known = known || text(name) == option;
        QVERIFY2(known, "the option is in the command's table");
        const testing::CliRun run = runCli(args);
        QCOMPARE(run.exitCode, exitCode);
        const QByteArray& where = exitCode == 0 ? run.out : run.err;
        QVERIFY2(where.contains(expected.toUtf8()), where.left(400).constData());
    }

    void everyCommandHasARunOfAnOption()
    {
        std::set<QString> covered;
        for (const OptionRun& run : optionRuns())
            covered.insert(run.args.front());
        for (const auto& [name, command] : cli::commands())
            QVERIFY2(covered.count(text(name)) == 1, name.c_str());
    }

    void anUnknownOptionExitsTwoNamingIt_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("named");
        for (const auto& [name, command] : cli::commands()) {
            QStringList args { text(name), kPickle };
            if (name == "diff" || name == "cat")
                args << kPickle;
            QTest::newRow(qPrintable(text(name) + QStringLiteral(" --no-such-option")))
                << (args << QStringLiteral("--no-such-option")) << "'--no-such-option'";
        }
        QTest::newRow("info does not take dis's --json")
            << QStringList { "info", kPickle, "--json" } << "'--json'";
        QTest::newRow("an unknown option written with a value names the option")
            << QStringList { "tree", kPickle, "--bogus=3" } << "'--bogus'";
        QTest::newRow("an unknown option before the file")
            << QStringList { "json", "-x", kPickle } << "'-x'";
    }
    void anUnknownOptionExitsTwoNamingIt()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, named);
        const testing::CliRun run = runCli(args);
        QCOMPARE(run.exitCode, 2);
        QVERIFY(run.out.isEmpty());
        QVERIFY2(run.err.contains(("unknown option " + named).toUtf8()), run.err.constData());
        QVERIFY2(
            run.err.contains("picklescope-cli help " + args.front().toUtf8()), run.err.constData());
    }

    void aMissingOrUnexpectedValueIsAUsageError_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("--depth with nothing after it")
            << QStringList { "tree", kPickle, "--depth" } << "missing value after '--depth'";
        QTest::newRow("a flag given a value")
            << QStringList { "info", kPickle, "--stats=yes" } << "unexpected value after '--stats'";
        QTest::newRow("help of a command that does not exist")
            << QStringList { "help", "frobnicate" } << "unknown command 'frobnicate'";
    }
    void aMissingOrUnexpectedValueIsAUsageError()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const testing::CliRun run = runCli(args);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(message.toUtf8()), run.err.constData());
    }

    // In process: what the parser hands a command.
    void optionsReachTheCommandUnderEveryName()
    {
        const cli::Command& json = cli::commands().at("json");
        const std::string notUtf8 = "caf\xe9.pkl"; // a file name in Latin-1 bytes
        cli::Args args;
        std::string error;
        QCOMPARE(cli::parseArguments(json,
                     { "--output=out.json", notUtf8, "--header", "A: 1", "--header", "B: 2",
                         "--plain", "--", "--indent" },
                     args, error),
            cli::ParseOutcome::Run);
        QCOMPARE(args.command, std::string("json"));
        QCOMPARE(args.get("-o"), std::string("out.json"));
        QCOMPARE(args.get("--output"), std::string("out.json"));
        QVERIFY(args.has("--plain"));
        QVERIFY(!args.has("--indent")); // after "--": a file name
        QCOMPARE(args.positionals, (std::vector<std::string> { notUtf8, "--indent" }));
        QCOMPARE(args.values("--header"), (std::vector<std::string> { "A: 1", "B: 2" }));

        cli::Args help;
        QCOMPARE(
            cli::parseArguments(json, { "f.pkl", "-h" }, help, error), cli::ParseOutcome::Help);
        cli::Args bad;
        QCOMPARE(cli::parseArguments(json, { "f.pkl", "--stats" }, bad, error),
            cli::ParseOutcome::UsageError);
        QCOMPARE(error, std::string("unknown option '--stats' (see picklescope-cli help json)"));
    }
};

QTEST_APPLESS_MAIN(TestCliOptions)
#include "tst_cli_options.moc"
