#include "core/export/json_stream.h"

#include "core/value/value_text.h"

#include <QIODevice>
#include <QtGlobal>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ostream>

namespace core {

bool FileJsonSink::write(std::string_view text)
{
    return text.empty() || std::fwrite(text.data(), 1, text.size(), m_file) == text.size();
}

bool StreamJsonSink::write(std::string_view text)
{
    m_stream.write(text.data(), static_cast<std::streamsize>(text.size()));
    return static_cast<bool>(m_stream);
}

bool IoDeviceJsonSink::write(std::string_view text)
{
    std::size_t done = 0;
    while (done < text.size()) {
        const qint64 n
            = m_device.write(text.data() + done, static_cast<qint64>(text.size() - done));
        if (n <= 0)
            return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

JsonStream::JsonStream(JsonSink& sink, JsonStyle style)
    : m_sink(sink)
    , m_style(style)
    , m_buffer(new char[kBufferSize])
    , m_spacedColon(style.spaced || style.indent > 0)
{
}

void JsonStream::flush()
{
    if (!m_failed)
        m_failed = !m_sink.write(std::string_view(m_buffer.get(), m_used));
    m_used = 0;
}

void JsonStream::putLong(std::string_view text)
{
    flush();
    if (text.size() <= kBufferSize) {
        std::memcpy(m_buffer.get(), text.data(), text.size());
        m_used = text.size();
    } else if (!m_failed) {
        m_failed = !m_sink.write(text);
    }
}

void JsonStream::newline(std::size_t levels)
{
    put('\n');
    const auto limit = static_cast<std::size_t>(std::max(m_style.indentLimit, 0));
    for (std::size_t n = std::min(levels, limit) * static_cast<std::size_t>(m_style.indent);
         n > 0;) {
        static constexpr std::string_view kSpaces = "                                ";
        const std::size_t k = std::min(n, kSpaces.size());
        put(kSpaces.substr(0, k));
        n -= k;
    }
}

JsonStream& JsonStream::open(char bracket, JsonLayout layout)
{
    beforeValue();
    put(bracket);
    const bool lines = layout == JsonLayout::OnePerLine
        || (m_style.indent > 0 && static_cast<int>(m_levels.size()) < m_style.lineDepth);
    m_levels.push_back({ true, lines });
    return *this;
}

JsonStream& JsonStream::close(char bracket)
{
    Q_ASSERT(!m_levels.empty() && !m_afterKey);
    const Level level = m_levels.back();
    m_levels.pop_back();
    if (level.lines && !level.first)
        newline(m_levels.size());
    put(bracket);
    return *this;
}

template <typename Number> void JsonStream::number(Number value)
{
    beforeValue();
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, value);
    put(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
}

JsonStream& JsonStream::signedValue(std::int64_t value)
{
    number(value);
    return *this;
}

JsonStream& JsonStream::unsignedValue(std::uint64_t value)
{
    number(value);
    return *this;
}

JsonStream& JsonStream::value(double number)
{
    beforeValue();
    if (std::isnan(number))
        put("\"nan\"");
    else if (std::isinf(number))
        put(number > 0 ? "\"inf\"" : "\"-inf\"");
    else
        put(pyFloatRepr(number));
    return *this;
}

JsonStream& JsonStream::boolean(bool flag)
{
    beforeValue();
    put(flag ? "true" : "false");
    return *this;
}

JsonStream& JsonStream::null()
{
    beforeValue();
    put("null");
    return *this;
}

JsonStream& JsonStream::raw(std::string_view json)
{
    beforeValue();
    put(json);
    return *this;
}

JsonStream& JsonStream::base64(std::string_view data)
{
    static constexpr char kB64[]
        = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    auto byte = [&](std::size_t i) { return std::uint32_t(static_cast<unsigned char>(data[i])); };
    beforeValue();
    put('"');
    std::size_t i = 0;
    for (; data.size() - i >= 3; i += 3) {
        const std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        const char chunk[4]
            = { kB64[(v >> 18) & 63], kB64[(v >> 12) & 63], kB64[(v >> 6) & 63], kB64[v & 63] };
        put(std::string_view(chunk, 4));
    }
    const std::size_t rest = data.size() - i;
    if (rest > 0) {
        const std::uint32_t v = (byte(i) << 16) | (rest == 2 ? byte(i + 1) << 8 : 0);
        const char chunk[4] = { kB64[(v >> 18) & 63], kB64[(v >> 12) & 63],
            rest == 2 ? kB64[(v >> 6) & 63] : '=', '=' };
        put(std::string_view(chunk, 4));
    }
    put('"');
    return *this;
}

Result<void> JsonStream::finish()
{
    Q_ASSERT(m_levels.empty());
    put('\n');
    if (!m_failed)
        m_failed = !m_sink.write(std::string_view(m_buffer.get(), m_used));
    m_used = 0;
    if (m_failed)
        return makeError(ErrorCode::Io, 0, "could not write the JSON output");
    return {};
}

} // namespace core
