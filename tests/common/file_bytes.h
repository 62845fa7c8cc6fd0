#pragma once

// A whole file's bytes for tests that hand raw bytes to the core (empty when it cannot be read).

#include <QByteArray>
#include <QFile>
#include <QString>

#include <cstddef>
#include <vector>

namespace testing {

inline std::vector<std::byte> readFileBytes(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QByteArray data = file.readAll();
    const auto* begin = reinterpret_cast<const std::byte*>(data.constData());
    return std::vector<std::byte>(begin, begin + data.size());
}

} // namespace testing
