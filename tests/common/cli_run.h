#pragma once

// Runs a program — the picklescope-cli that ctest names in $PICKLESCOPE_CLI (runCli), or any other
// (runProcess: python3, a shell) — and keeps its exit code and output. exitCode stays -1 when the
// program is not named, does not finish in time (60 s unless told) or crashes.

#include <QByteArray>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace testing {

struct CliRun {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

struct RunOptions {
    QString workingDir; // empty: the test's
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    int timeoutMs = 60000;
};

inline CliRun runProcess(
    const QString& program, const QStringList& args, const RunOptions& options = {})
{
    CliRun run;
    if (program.isEmpty())
        return run;
    QProcess process;
    if (!options.workingDir.isEmpty())
        process.setWorkingDirectory(options.workingDir);
    process.setProcessEnvironment(options.env);
    process.start(program, args);
    if (!process.waitForFinished(options.timeoutMs) || process.exitStatus() != QProcess::NormalExit)
        return run;
    run.exitCode = process.exitCode();
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

// The path of the picklescope-cli under test (empty outside ctest).
inline QString cliPath()
{
    return qEnvironmentVariable("PICKLESCOPE_CLI");
}

inline CliRun runCli(const QStringList& args, const RunOptions& options)
{
    return runProcess(cliPath(), args, options);
}

inline CliRun runCli(const QStringList& args, const QString& workingDir = {})
{
    RunOptions options;
    options.workingDir = workingDir;
    return runCli(args, options);
}

} // namespace testing
