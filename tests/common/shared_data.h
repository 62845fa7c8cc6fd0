#pragma once

// Test data next to the repository (../shared, or $PICKLESCOPE_SHARED_DIR): never copied here.
// A suite that reads it skips when it is absent on a developer's machine, but fails when the
// CI environment variable is set: CI has it, so its absence there is a broken setup, not a
// reason to pass.

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

} // namespace testdata

// In a test slot: skips (developer machine) or fails (CI set) when `present` is false.
#define PS_REQUIRE_SHARED_DATA(present, what)                                                      \
    do {                                                                                           \
        if (!(present)) {                                                                          \
            if (testdata::runningInCi())                                                           \
                QFAIL(qPrintable(QStringLiteral("CI is set but the shared test data is missing: ") \
                    + QString(what)));                                                             \
            QSKIP(qPrintable(QString(what) + QStringLiteral(" not present")));                     \
        }                                                                                          \
    } while (false)
