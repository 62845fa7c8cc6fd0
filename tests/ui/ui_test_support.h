#pragma once

// Shared by the ui tests: fixture paths and the facts the generator captured from CPython.

#include "core/loader.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>
#include <QTemporaryDir>

#include <algorithm>

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

// A protocol-4 pickle of one list of `count` BININTs appended in batches of 1,000: about 5 bytes
// per item, so 6 M items make a 30 MB file.
inline QString writeBigPickle(const QTemporaryDir& dir, int count)
{
    QByteArray data;
    data.reserve(count * 5 + count / 1000 * 2 + 16);
    data += QByteArray::fromHex("8004"); // PROTO 4
    data += ']'; // EMPTY_LIST
    for (int i = 0; i < count; i += 1000) {
        data += '('; // MARK
        for (int j = i; j < std::min(count, i + 1000); ++j) {
            data += 'J'; // BININT
            const quint32 v = quint32(j);
            data += char(v & 0xff);
            data += char((v >> 8) & 0xff);
            data += char((v >> 16) & 0xff);
            data += char((v >> 24) & 0xff);
        }
        data += 'e'; // APPENDS
    }
    data += '.'; // STOP
    const QString path = dir.filePath(QStringLiteral("big.pkl"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size())
        return {};
    return path;
}

} // namespace uitest
