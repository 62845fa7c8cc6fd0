#pragma once

// Test data next to the repository (../shared, or $PICKLESCOPE_SHARED_DIR): never copied here.
// A suite that reads it skips when the folder is absent (a clone on its own), but fails when the
// CI environment variable is set and the folder is there without the data the suite reads: CI has
// the folder, so a missing file in it is a broken setup, not a reason to pass.

#include <QDir>
#include <QString>
#include <QTest>

namespace testdata {

inline QString sharedDir()
{
    return qEnvironmentVariable("PICKLESCOPE_SHARED_DIR", QStringLiteral(PICKLESCOPE_SHARED_DIR));
}

inline bool runningInCi()
{
    return !qEnvironmentVariableIsEmpty("CI");
}

// CI with the shared folder beside the clone: every suite's data must then be found in it.
inline bool sharedDataRequired()
{
    return runningInCi() && QDir(sharedDir()).exists();
}

} // namespace testdata

// In a test slot: fails when `present` is false and the data is required, else skips.
#define PS_REQUIRE_SHARED_DATA(present, what)                                                      \
    do {                                                                                           \
        if (!(present)) {                                                                          \
            if (testdata::sharedDataRequired())                                                    \
                QFAIL(qPrintable(                                                                  \
                    QStringLiteral(                                                                \
                        "CI is set and the shared folder exists, but this data is missing: ")      \
                    + QString(what)));                                                             \
            QSKIP(qPrintable(QString(what) + QStringLiteral(" not present")));                     \
        }                                                                                          \
    } while (false)
