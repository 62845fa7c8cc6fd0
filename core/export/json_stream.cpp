#include "core/export/json_stream.h"

#include "core/value/value_text.h"

#include <QIODevice>
#include <QtGlobal>

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

void appendJsonString(std::string& out, std::string_view utf8)
{
    putJsonString([&out](auto part) { out += part; }, utf8);
}

void appendJsonDouble(std::string& out, double v)
{
    if (std::isnan(v))
        out += "\"nan\"";
    else if (std::isinf(v))
        out += v > 0 ? "\"inf\"" : "\"-inf\"";
    else
        out += pyFloatRepr(v);
}

namespace {

constexpr std::size_t kBufferSize = std::size_t(1) << 16;

} // namespace

JsonStream::JsonStream(JsonSink& sink, JsonStyle style)
    : m_sink(sink)
    , m_style(style)
{
    m_buffer.reserve(kBufferSize + 1024);
}

void JsonStream::put(std::string_view text)
{
    m_buffer.append(text);
}

void JsonStream::put(char c)
{
    m_buffer.push_back(c);
}

void JsonStream::flushIfFull()
{
    if (m_buffer.size() < kBufferSize || m_failed)
        return;
    m_failed = !m_sink.write(m_buffer);
    m_buffer.clear();
}

void JsonStream::newline(std::size_t levels)
{
    put('\n');
    m_buffer.append(levels * static_cast<std::size_t>(m_style.indent), ' ');
}

// Before a value or a key: the comma after the previous element, then the element's own line.
void JsonStream::beforeValue()
{
    if (m_afterKey) {
        m_afterKey = false;
        return;
    }
    if (m_levels.empty())
        return;
    Level& level = m_levels.back();
    if (!level.first)
        put(',');
    if (level.lines)
        newline(m_levels.size());
    else if (!level.first && (m_style.spaced || m_style.indent > 0))
        put(' ');
    level.first = false;
}

JsonStream& JsonStream::open(char bracket)
{
    beforeValue();
    put(bracket);
    const bool lines = m_style.indent > 0 && static_cast<int>(m_levels.size()) < m_style.lineDepth;
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
    flushIfFull();
    return *this;
}

JsonStream& JsonStream::key(std::string_view name)
{
    beforeValue();
    putJsonString([this](auto part) { put(part); }, name);
    put(m_style.spaced || m_style.indent > 0 ? ": " : ":");
    m_afterKey = true;
    return *this;
}

JsonStream& JsonStream::value(std::string_view text)
{
    beforeValue();
    putJsonString([this](auto part) { put(part); }, text);
    flushIfFull();
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
    appendJsonDouble(m_buffer, number);
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
    flushIfFull();
    return *this;
}

Result<void> JsonStream::finish()
{
    Q_ASSERT(m_levels.empty());
    put('\n');
    if (!m_failed)
        m_failed = !m_sink.write(m_buffer);
    m_buffer.clear();
    if (m_failed)
        return makeError(ErrorCode::Io, 0, "could not write the JSON output");
    return {};
}

} // namespace core
