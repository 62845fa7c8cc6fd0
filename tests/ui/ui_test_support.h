#pragma once

// Shared by the ui tests: fixture paths, and whether the core pieces a test needs are built in
// (the ui links fallbacks while the core is being written; such tests skip instead of failing).

#include "core/loader.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

namespace uitest {

inline QString dataPath(const QString& name)
{
    return QStringLiteral(PICKLESCOPE_TEST_DATA "/ui/") + name;
}

inline QJsonObject readJson(const QString& name)
{
    QFile f(dataPath(name));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

inline bool loaderBuiltIn()
{
    auto r = core::loadFile(dataPath(QStringLiteral("shared_cycle.pkl")).toStdString());
    return r.ok() || r.error().message.find("not built in") == std::string::npos;
}

} // namespace uitest

#define UITEST_REQUIRE_LOADER()                                                                    \
    do {                                                                                           \
        if (!uitest::loaderBuiltIn())                                                              \
            QSKIP("core::loadFile is not in this build yet");                                      \
    } while (false)
