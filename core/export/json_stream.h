#pragma once

// The one JSON stream writer: begin/end object and array, key, value. Commas, indentation and
// newlines come from the structure as it is written (never from re-scanning the output), strings
// are escaped as the export always has (UTF-8 kept, lone surrogates of WTF-8 text as \udXXX,
// bytes that are not UTF-8 as \ufffd), and output streams through a small buffer into a
// JsonSink, so memory stays flat. Every JSON output of the core and the CLI writes through it:
// the value export (json_writer), `scan --json`, `dis --json`, batch scan, SARIF and diff.

#include "core/result.h"

#include <array>
#include <climits>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

class QIODevice;

namespace core {

// Where the text goes. write() returns false on an I/O error (the export stops with Error::Io).
class JsonSink {
public:
    virtual ~JsonSink() = default;
    virtual bool write(std::string_view text) = 0;
};

class FileJsonSink : public JsonSink {
public:
    explicit FileJsonSink(std::FILE* file)
        : m_file(file)
    {
    }
    bool write(std::string_view text) override;

private:
    std::FILE* m_file;
};

class StreamJsonSink : public JsonSink {
public:
    explicit StreamJsonSink(std::ostream& stream)
        : m_stream(stream)
    {
    }
    bool write(std::string_view text) override;

private:
    std::ostream& m_stream;
};

class IoDeviceJsonSink : public JsonSink {
public:
    explicit IoDeviceJsonSink(QIODevice& device)
        : m_device(device)
    {
    }
    bool write(std::string_view text) override;

private:
    QIODevice& m_device;
};

class StringJsonSink : public JsonSink {
public:
    bool write(std::string_view text) override
    {
        m_text.append(text);
        return true;
    }
    const std::string& text() const { return m_text; }
    std::string take() { return std::move(m_text); }

private:
    std::string m_text;
};

namespace detail {
// ASCII bytes a JSON string holds as they are (not a control, quote or backslash).
inline constexpr auto kJsonVerbatim = [] {
    std::array<bool, 256> table {};
    for (int c = 0x20; c < 0x80; ++c)
        table[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
    return table;
}();
} // namespace detail

// JSON string of UTF-8 / WTF-8 text: lone surrogates as \udXXX, bytes that are not UTF-8 as
// \ufffd. `put` takes a string_view or a char.
template <typename Put> void putJsonString(Put&& put, std::string_view s)
{
    static constexpr char kHex[] = "0123456789abcdef";
    // Most text (keys, names) needs no escape: one scan, one put.
    std::size_t i = 0;
    while (i < s.size() && detail::kJsonVerbatim[static_cast<unsigned char>(s[i])])
        ++i;
    put('"');
    if (i == s.size()) {
        put(s);
        put('"');
        return;
    }
    std::size_t run = 0; // start of the pending verbatim run
    auto flushRun = [&](std::size_t end) {
        if (end > run)
            put(s.substr(run, end - run));
    };
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            ++i;
            continue;
        }
        if (c >= 0x80) {
            // Validate one sequence; surrogates (ED A0..BF xx) and bad bytes are escaped.
            const std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
            bool ok = len != 0 && i + len <= s.size();
            for (std::size_t k = 1; ok && k < len; ++k)
                ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
            if (ok && !(c == 0xED && static_cast<unsigned char>(s[i + 1]) >= 0xA0)) {
                i += len;
                continue;
            }
            flushRun(i);
            std::uint32_t unit = 0xFFFD;
            std::size_t step = 1;
            if (ok) { // a surrogate
                unit = ((c & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6)
                    | (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
                step = 3;
            }
            char esc[6] = { '\\', 'u', kHex[(unit >> 12) & 0xF], kHex[(unit >> 8) & 0xF],
                kHex[(unit >> 4) & 0xF], kHex[unit & 0xF] };
            put(std::string_view(esc, 6));
            i += step;
            run = i;
            continue;
        }
        flushRun(i);
        switch (c) {
        case '"':
            put("\\\"");
            break;
        case '\\':
            put("\\\\");
            break;
        case '\n':
            put("\\n");
            break;
        case '\r':
            put("\\r");
            break;
        case '\t':
            put("\\t");
            break;
        case '\b':
            put("\\b");
            break;
        case '\f':
            put("\\f");
            break;
        default: {
            char esc[6] = { '\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF] };
            put(std::string_view(esc, 6));
        }
        }
        ++i;
        run = i;
    }
    flushRun(s.size());
    put('"');
}

struct JsonStyle {
    // Spaces per level; 0: one line.
    int indent = 0;
    // One-line parts use ", " and ": " (Python's json.dumps default) instead of "," and ":".
    bool spaced = false;
    // Containers opened at this depth or deeper stay on one line (spaced) even when indenting.
    int lineDepth = INT_MAX;
    // Indentation stops growing after this many levels (deep documents stay linear in size).
    int indentLimit = INT_MAX;
};

// How a container lays out its elements: as the style says, or each on its own line (without
// indentation when the style has none), e.g. one record per line in a one-line document.
enum class JsonLayout : std::uint8_t { Style, OnePerLine };

// The structural tokens, for writers that queue them on a worklist.
enum class JsonToken : std::uint8_t { BeginObject, EndObject, BeginArray, EndArray };

class JsonStream {
public:
    explicit JsonStream(JsonSink& sink, JsonStyle style = {});

    JsonStream& beginObject(JsonLayout layout = JsonLayout::Style) { return open('{', layout); }
    JsonStream& endObject() { return close('}'); }
    JsonStream& beginArray(JsonLayout layout = JsonLayout::Style) { return open('[', layout); }
    JsonStream& endArray() { return close(']'); }
    JsonStream& key(std::string_view name);
    JsonStream& token(JsonToken t)
    {
        switch (t) {
        case JsonToken::BeginObject:
            return beginObject();
        case JsonToken::EndObject:
            return endObject();
        case JsonToken::BeginArray:
            return beginArray();
        case JsonToken::EndArray:
            break;
        }
        return endArray();
    }

    JsonStream& value(std::string_view text);
    JsonStream& value(const char* text) { return value(std::string_view(text)); }
    JsonStream& value(const std::string& text) { return value(std::string_view(text)); }
    template <std::integral T>
    requires(!std::same_as<T, bool>) JsonStream& value(T number)
    {
        if constexpr (std::is_signed_v<T>)
            return signedValue(number);
        else
            return unsignedValue(number);
    }
    JsonStream& value(double number); // shortest round trip; "nan", "inf", "-inf" as strings
    JsonStream& boolean(bool flag);
    JsonStream& null();
    // Already-formed JSON text, written as one value.
    JsonStream& raw(std::string_view json);
    // A JSON string of the standard base64 (RFC 4648, padded) of `bytes`, encoded as it streams.
    JsonStream& base64(std::string_view bytes);

    // [v, …]: value(v) of every element of `items`.
    template <typename Range> JsonStream& array(const Range& items)
    {
        beginArray();
        for (const auto& v : items)
            value(v);
        return endArray();
    }

    // key(name).value(v)
    template <typename T> JsonStream& member(std::string_view name, const T& v)
    {
        key(name);
        return value(v);
    }

    // Depth of open containers.
    std::size_t depth() const { return m_levels.size(); }
    // The sink refused bytes (finish() reports it as Error::Io); long writers poll this to stop.
    bool failed() const { return m_failed; }
    // Ends the text with a newline and writes out what is buffered; Error::Io when the sink
    // refused bytes. Every container must be closed.
    Result<void> finish();

private:
    struct Level {
        bool first = true;
        bool lines = false; // elements on their own lines
    };
    JsonStream& signedValue(std::int64_t number);
    JsonStream& unsignedValue(std::uint64_t number);
    template <typename Number> void number(Number value);
    void beforeValue();
    JsonStream& open(char bracket, JsonLayout layout);
    JsonStream& close(char bracket);
    void newline(std::size_t levels);
    // Output goes into a fixed buffer that is written to the sink whenever it fills.
    void put(std::string_view text)
    {
        if (text.size() > kBufferSize - m_used) {
            putLong(text);
            return;
        }
        if (!text.empty())
            std::memcpy(m_buffer.get() + m_used, text.data(), text.size());
        m_used += text.size();
    }
    void put(char c)
    {
        if (m_used == kBufferSize)
            flush();
        m_buffer[m_used++] = c;
    }
    void putLong(std::string_view text);
    void putString(std::string_view s);
    void flush();

    static constexpr std::size_t kBufferSize = std::size_t(1) << 16;

    JsonSink& m_sink;
    JsonStyle m_style;
    std::vector<Level> m_levels;
    std::unique_ptr<char[]> m_buffer;
    std::size_t m_used = 0;
    bool m_spacedColon = false; // ": " instead of ":"
    bool m_afterKey = false;
    bool m_failed = false;
};

// The hot path, inline: every value and key goes through these.

// Before a value or a key: the comma after the previous element, then the element's own line.
inline void JsonStream::beforeValue()
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

// A JSON string; text that needs no escape (most keys and names) is copied in one go.
inline void JsonStream::putString(std::string_view s)
{
    std::size_t i = 0;
    while (i < s.size() && detail::kJsonVerbatim[static_cast<unsigned char>(s[i])])
        ++i;
    if (i == s.size() && s.size() + 2 <= kBufferSize - m_used) {
        char* out = m_buffer.get() + m_used;
        out[0] = '"';
        if (!s.empty()) // an empty view may hold a null pointer, which memcpy must not get
            std::memcpy(out + 1, s.data(), s.size());
        out[s.size() + 1] = '"';
        m_used += s.size() + 2;
        return;
    }
    putJsonString([this](auto part) { put(part); }, s);
}

inline JsonStream& JsonStream::key(std::string_view name)
{
    beforeValue();
    putString(name);
    put(':');
    if (m_spacedColon)
        put(' ');
    m_afterKey = true;
    return *this;
}

inline JsonStream& JsonStream::value(std::string_view text)
{
    beforeValue();
    putString(text);
    return *this;
}

} // namespace core
