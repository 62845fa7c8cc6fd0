#pragma once

// Test helpers for comparing JSON as text (exact integers, numbers as the writer printed them)
// and for the generators' number strings ("nan", "inf", "-inf", Python reprs).

#include <QByteArray>
#include <QJsonValue>
#include <QString>

#include <cmath>

namespace testing {

// The balanced JSON text starting at `from` (an array, object, string or scalar).
inline QByteArray balancedJson(const QByteArray& text, qsizetype from)
{
    int depth = 0;
    bool inString = false, escape = false;
    for (qsizetype i = from; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (escape)
                escape = false;
            else if (c == '\\')
                escape = true;
            else if (c == '"') {
                inString = false;
                if (depth == 0)
                    return text.mid(from, i + 1 - from);
            }
            continue;
        }
        if (depth == 0 && (c == ',' || c == '}' || c == ']'))
            return text.mid(from, i - from); // the end of a scalar
        if (c == '"')
            inString = true;
        else if (c == '[' || c == '{')
            ++depth;
        else if (c == ']' || c == '}') {
            if (--depth == 0)
                return text.mid(from, i + 1 - from);
        }
    }
    return {};
}

// A number written by a generator as text: a Python repr, "nan", "inf" or "-inf".
inline double numberText(const QJsonValue& v)
{
    const QString s = v.toString();
    if (s == QLatin1String("nan"))
        return NAN;
    if (s == QLatin1String("inf"))
        return INFINITY;
    if (s == QLatin1String("-inf"))
        return -INFINITY;
    return s.toDouble();
}

} // namespace testing
