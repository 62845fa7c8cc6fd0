#pragma once

// Shared by the ui tests: fixture paths and the facts the generator captured from CPython.

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

} // namespace uitest
