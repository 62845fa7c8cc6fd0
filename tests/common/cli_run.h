#pragma once

// Runs the picklescope-cli that ctest names in $PICKLESCOPE_CLI and keeps its exit code and
// output. exitCode stays -1 when the variable is unset, the process does not finish in 60 s or
// it crashes.

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace testing {

struct CliRun {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

inline CliRun runCli(const QStringList& args, const QString& workingDir = {})
{
    CliRun run;
    const QString cli = qEnvironmentVariable("PICKLESCOPE_CLI");
    if (cli.isEmpty())
        return run;
    QProcess process;
    if (!workingDir.isEmpty())
        process.setWorkingDirectory(workingDir);
    process.start(cli, args);
    if (!process.waitForFinished(60000) || process.exitStatus() != QProcess::NormalExit)
        return run;
    run.exitCode = process.exitCode();
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

} // namespace testing
