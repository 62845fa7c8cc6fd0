#include "core/pickle/text_decoding.h"

#include "core/value/py_repr.h"

#include <QChar>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iconv.h>
#include <optional>

namespace core {

void appendUtf8(std::string& out, char32_t cp)
{
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// Where a UTF-8 decode failed, as CPython reports it: the bad sequence's first byte, its length
// (the lead byte and the valid continuation bytes after it) and the reason.
struct Utf8Failure {
    std::size_t position = 0;
    std::size_t length = 1;
    const char* reason = "";
};

// The one UTF-8 decoder: CPython's checks in CPython's order, put(cp) for every code point.
template <typename Put>
bool scanUtf8(
    std::string_view text, bool allowSurrogates, bool& surrogates, Utf8Failure& failure, Put&& put)
{
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    std::size_t i = 0;
    auto fail = [&](const char* why, std::size_t length = 1) {
        failure = { i, length, why };
        return false;
    };
    while (i < n) {
        // Fast path over ASCII, 8 bytes at a time.
        std::size_t run = i;
        while (run + 8 <= n) {
            std::uint64_t chunk;
            __builtin_memcpy(&chunk, s + run, 8);
            if ((chunk & 0x8080808080808080ull) != 0)
                break;
            run += 8;
        }
        for (; i < run; ++i)
            put(static_cast<char32_t>(s[i]));
        if (i >= n)
            break;
        const unsigned char c = s[i];
        if (c < 0x80) {
            put(static_cast<char32_t>(c));
            ++i;
            continue;
        }
        std::size_t len = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0)
                lo = 0xA0;
            if (c == 0xED && !allowSurrogates)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0)
                lo = 0x90;
            if (c == 0xF4)
                hi = 0x8F;
        } else {
            return fail("invalid start byte");
        }
        if (n - i < 2)
            return fail("unexpected end of data");
        if (s[i + 1] < lo || s[i + 1] > hi)
            return fail("invalid continuation byte");
        for (std::size_t k = 2; k < len; ++k) {
            if (k >= n - i)
                return fail("unexpected end of data", k);
            if ((s[i + k] & 0xC0) != 0x80)
                return fail("invalid continuation byte", k);
        }
        char32_t cp = len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
        for (std::size_t k = 1; k < len; ++k)
            cp = (cp << 6) | (s[i + k] & 0x3F);
        if (cp >= 0xD800 && cp <= 0xDFFF)
            surrogates = true;
        put(cp);
        i += len;
    }
    return true;
}

// raw-unicode-escape: \uXXXX and \UXXXXXXXX after an odd run of backslashes, every other byte
// is its Latin-1 code point. put(cp) for every code point; `problem` as Python words it.
template <typename Put>
bool scanRawUnicodeEscape(std::string_view line, std::string& problem, Put&& put)
{
    auto failAt = [&](std::size_t start, std::size_t end, const char* reason) {
        problem = "'rawunicodeescape' codec can't decode bytes in position " + std::to_string(start)
            + "-" + std::to_string(end - 1) + ": " + reason;
        return false;
    };
    std::size_t i = 0;
    while (i < line.size()) {
        const char c = line[i];
        if (c != '\\') {
            put(static_cast<char32_t>(static_cast<unsigned char>(c)));
            ++i;
            continue;
        }
        // A run of backslashes: only an odd count followed by u/U starts an escape.
        std::size_t run = 0;
        while (i + run < line.size() && line[i + run] == '\\')
            ++run;
        const std::size_t after = i + run;
        const bool escape
            = (run % 2 == 1) && after < line.size() && (line[after] == 'u' || line[after] == 'U');
        const std::size_t literal = escape ? run - 1 : run;
        for (std::size_t k = 0; k < literal; ++k)
            put(U'\\');
        i += literal;
        if (!escape)
            continue;
        const bool big = line[after] == 'U';
        const std::size_t digits = big ? 8 : 4;
        char32_t cp = 0;
        std::size_t end = after + 1;
        for (; end < line.size() && end < after + 1 + digits; ++end) {
            const int h = hexValue(line[end]);
            if (h < 0)
                break;
            cp = cp * 16 + static_cast<char32_t>(h);
        }
        if (end != after + 1 + digits)
            return failAt(
                i, end, big ? "truncated \\UXXXXXXXX escape" : "truncated \\uXXXX escape");
        if (cp > 0x10FFFF)
            return failAt(i, end, "\\Uxxxxxxxx out of range");
        put(cp);
        i = end;
    }
    return true;
}

} // namespace

bool validateUtf8(
    std::string_view text, bool allowSurrogates, bool& surrogates, std::size_t& badPos)
{
    Utf8Failure failure;
    if (scanUtf8(text, allowSurrogates, surrogates, failure, [](char32_t) {}))
        return true;
    badPos = failure.position;
    return false;
}

bool decodeUtf8(
    std::string_view text, bool allowSurrogates, std::u32string* out, std::string& problem)
{
    bool surrogates = false;
    Utf8Failure f;
    if (out != nullptr)
        out->clear();
    const bool ok = out != nullptr
        ? scanUtf8(text, allowSurrogates, surrogates, f, [out](char32_t cp) { out->push_back(cp); })
        : scanUtf8(text, allowSurrogates, surrogates, f, [](char32_t) {});
    if (ok)
        return true;
    if (f.length == 1)
        problem = "'utf-8' codec can't decode byte "
            + hexByteText(static_cast<unsigned char>(text[f.position])) + " in position "
            + std::to_string(f.position);
    else
        problem = "'utf-8' codec can't decode bytes in position " + std::to_string(f.position) + "-"
            + std::to_string(f.position + f.length - 1);
    problem += std::string(": ") + f.reason;
    return false;
}

void decodeLatin1(std::string_view bytes, std::string& out)
{
    out.reserve(out.size() + bytes.size());
    for (char c : bytes)
        appendUtf8(out, static_cast<unsigned char>(c));
}

bool encodeLatin1(std::string_view utf8, std::string_view encoding, std::string& out)
{
    std::string enc;
    for (char c : encoding)
        enc.push_back(c == '_' ? '-' : static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
    if (enc == "utf-8" || enc == "utf8") {
        out.assign(utf8);
        return true;
    }
    const bool latin1 = enc == "latin1" || enc == "latin-1" || enc == "iso-8859-1"
        || enc == "iso8859-1" || enc == "l1";
    const bool ascii = enc == "ascii" || enc == "us-ascii";
    if (!latin1 && !ascii)
        return false;
    const auto* s = reinterpret_cast<const unsigned char*>(utf8.data());
    for (std::size_t i = 0; i < utf8.size();) {
        const unsigned char c = s[i];
        char32_t cp;
        if (c < 0x80) {
            cp = c;
            i += 1;
        } else if ((c & 0xE0) == 0xC0 && i + 1 < utf8.size()) {
            cp = (char32_t(c & 0x1F) << 6) | (s[i + 1] & 0x3F);
            i += 2;
        } else {
            return false;
        }
        if (cp > (ascii ? 0x7Fu : 0xFFu))
            return false;
        out.push_back(static_cast<char>(cp));
    }
    return true;
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool escapeDecode(std::string_view body, std::string& out, std::string& problem, TextRules rules)
{
    out.clear();
    out.reserve(body.size());
    for (std::size_t i = 0; i < body.size(); ++i) {
        const char c = body[i];
        if (c != '\\') {
            out.push_back(c);
            continue;
        }
        if (i + 1 >= body.size()) {
            problem = "Trailing \\ in string";
            return false;
        }
        const char e = body[++i];
        switch (e) {
        case '\n':
            break;
        case '\\':
            out.push_back('\\');
            break;
        case '\'':
            out.push_back('\'');
            break;
        case '"':
            out.push_back('"');
            break;
        case 'b':
            out.push_back('\b');
            break;
        case 'f':
            out.push_back('\f');
            break;
        case 't':
            out.push_back('\t');
            break;
        case 'n':
            out.push_back('\n');
            break;
        case 'r':
            out.push_back('\r');
            break;
        case 'v':
            out.push_back('\v');
            break;
        case 'a':
            out.push_back('\a');
            break;
        case '0':
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7': {
            unsigned value = static_cast<unsigned>(e - '0');
            for (int k = 0;
                 k < 2 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7'; ++k)
                value = value * 8 + static_cast<unsigned>(body[++i] - '0');
            out.push_back(static_cast<char>(value & 0xFF));
            break;
        }
        case 'x': {
            const int hi = i + 1 < body.size() ? hexValue(body[i + 1]) : -1;
            const int lo = i + 2 < body.size() ? hexValue(body[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                problem = "invalid \\x escape at position " + std::to_string(i - 1);
                return false;
            }
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
            break;
        }
        default:
            out.push_back('\\');
            out.push_back(e);
            break;
        }
    }
    if (rules == TextRules::Pickletools) { // then .decode("ascii")
        for (std::size_t i = 0; i < out.size(); ++i) {
            const auto b = static_cast<unsigned char>(out[i]);
            if (b >= 0x80) {
                problem = "'ascii' codec can't decode byte " + hexByteText(b) + " in position "
                    + std::to_string(i) + ": ordinal not in range(128)";
                return false;
            }
        }
    }
    return true;
}

bool decodeStringLiteral(
    std::string_view line, std::string& out, std::string& problem, TextRules rules)
{
    if (rules == TextRules::Unpickler) {
        if (line.size() < 2 || line.front() != line.back()
            || (line.front() != '\'' && line.front() != '"')) {
            problem = "the STRING opcode argument must be quoted";
            return false;
        }
        return escapeDecode(line.substr(1, line.size() - 2), out, problem, rules);
    }
    // pickletools.read_stringnl: '"' is tried first, then "'"; a lone quote is both ends.
    for (const char q : { '"', '\'' }) {
        if (line.empty() || line.front() != q)
            continue;
        if (line.back() != q) {
            problem = "strinq quote " + pyBytesRepr(std::string_view(&q, 1))
                + " not found at both ends of " + pyBytesRepr(line);
            return false;
        }
        return escapeDecode(
            line.size() >= 2 ? line.substr(1, line.size() - 2) : std::string_view {}, out, problem,
            rules);
    }
    problem = "no string quotes around " + pyBytesRepr(line);
    return false;
}

bool decodeRawUnicodeEscape(
    std::string_view line, std::string& out, bool& surrogates, std::string& problem)
{
    out.clear();
    out.reserve(line.size());
    return scanRawUnicodeEscape(line, problem, [&](char32_t cp) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            surrogates = true;
        appendUtf8(out, cp);
    });
}

bool decodeRawUnicodeEscape(std::string_view line, std::u32string& out, std::string& problem)
{
    out.clear();
    return scanRawUnicodeEscape(line, problem, [&](char32_t cp) { out.push_back(cp); });
}

bool parsePythonFloat(std::string_view text, double& out)
{
    if (text.empty())
        return false;
    bool negative = false;
    std::string_view body = text;
    if (body.front() == '+' || body.front() == '-') {
        negative = body.front() == '-';
        body.remove_prefix(1);
    }
    if (body.empty())
        return false;
    auto lowerEquals = [](std::string_view a, std::string_view b) {
        if (a.size() != b.size())
            return false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            const char c
                = (a[i] >= 'A' && a[i] <= 'Z') ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
            if (c != b[i])
                return false;
        }
        return true;
    };
    if (lowerEquals(body, "inf") || lowerEquals(body, "infinity")) {
        out = negative ? -HUGE_VAL : HUGE_VAL;
        return true;
    }
    if (lowerEquals(body, "nan")) {
        out = negative ? -std::nan("") : std::nan("");
        return true;
    }
    // digits [. digits] [e [sign] digits], at least one mantissa digit.
    std::size_t i = 0, mantissa = 0;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9')
        ++i, ++mantissa;
    if (i < body.size() && body[i] == '.') {
        ++i;
        while (i < body.size() && body[i] >= '0' && body[i] <= '9')
            ++i, ++mantissa;
    }
    if (mantissa == 0)
        return false;
    bool negativeExponent = false;
    if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
        ++i;
        if (i < body.size() && (body[i] == '+' || body[i] == '-'))
            negativeExponent = body[i++] == '-';
        std::size_t expDigits = 0;
        while (i < body.size() && body[i] >= '0' && body[i] <= '9')
            ++i, ++expDigits;
        if (expDigits == 0)
            return false;
    }
    if (i != body.size())
        return false;
    double value = 0;
    const auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), value);
    if (ec == std::errc::result_out_of_range) {
        if (!negativeExponent)
            return false; // OverflowError in CPython
        value = 0.0;
    } else if (ec != std::errc() || ptr != body.data() + body.size()) {
        return false;
    }
    out = negative ? -value : value;
    return true;
}

std::string hexByteText(unsigned char b)
{
    std::string out = "0x";
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0xF]);
    return out;
}

std::string_view trimPythonSpace(std::string_view text)
{
    constexpr std::string_view kSpace = " \t\n\r\v\f";
    const std::size_t first = text.find_first_not_of(kSpace);
    if (first == std::string_view::npos)
        return text.substr(text.size());
    return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

std::optional<std::uint64_t> parseDecimalIndex(std::string_view text, bool& negative)
{
    text = trimPythonSpace(text);
    if (text.empty())
        return std::nullopt;
    negative = text.front() == '-';
    if (text.front() == '+' || text.front() == '-')
        text.remove_prefix(1);
    if (text.empty() || text.front() == '_' || text.back() == '_'
        || text.find("__") != std::string_view::npos)
        return std::nullopt;
    std::string digits;
    if (text.find('_') != std::string_view::npos) {
        for (char c : text)
            if (c != '_')
                digits.push_back(c);
        text = digits;
    }
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

std::string printable(std::string_view text, std::size_t maxChars)
{
    std::string out;
    for (char c : text) {
        if (out.size() >= maxChars) {
            out += "...";
            break;
        }
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f && c != '\\' && c != '\'') {
            out.push_back(c);
        } else {
            static const char* digits = "0123456789abcdef";
            out += "\\x";
            out.push_back(digits[u >> 4]);
            out.push_back(digits[u & 15]);
        }
    }
    return out;
}

bool pythonIsPrintable(char32_t c)
{
    if (c == ' ')
        return true;
    if (c < 0x7F)
        return c > 0x20;
    if (c > 0x10FFFF)
        return false;
    // The categories str.isprintable() rejects (Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs).
    constexpr auto bit = [](QChar::Category category) { return std::uint64_t(1) << category; };
    constexpr std::uint64_t kUnprintable = bit(QChar::Other_Control) | bit(QChar::Other_Format)
        | bit(QChar::Other_Surrogate) | bit(QChar::Other_PrivateUse) | bit(QChar::Other_NotAssigned)
        | bit(QChar::Separator_Line) | bit(QChar::Separator_Paragraph)
        | bit(QChar::Separator_Space);
    return ((kUnprintable >> QChar::category(static_cast<char32_t>(c))) & 1) == 0;
}

void appendHexEscape(std::string& out, char prefix, std::uint32_t value, int digits)
{
    out.push_back('\\');
    out.push_back(prefix);
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
        out.push_back(kHexDigits[(value >> shift) & 0xF]);
}

void appendPythonReprChar(std::string& out, char32_t c, char quote)
{
    if (c == static_cast<char32_t>(quote) || c == '\\') {
        out.push_back('\\');
        out.push_back(static_cast<char>(c));
    } else if (c == '\t') {
        out.append("\\t");
    } else if (c == '\n') {
        out.append("\\n");
    } else if (c == '\r') {
        out.append("\\r");
    } else if (c < 0x20 || c == 0x7F) {
        appendHexEscape(out, 'x', c, 2);
    } else if (c < 0x7F) {
        out.push_back(static_cast<char>(c));
    } else if (pythonIsPrintable(c)) {
        appendUtf8(out, c);
    } else if (c <= 0xFF) {
        appendHexEscape(out, 'x', c, 2);
    } else if (c <= 0xFFFF) {
        appendHexEscape(out, 'u', c, 4);
    } else {
        appendHexEscape(out, 'U', c, 8);
    }
}

} // namespace core

// ---- any codec, through glibc's iconv ---------------------------------------------------------

namespace core {

namespace {

// One open converter per thread and codec, reused (iconv_open is far slower than a short decode).
struct IconvCache {
    std::string name;
    iconv_t cd = reinterpret_cast<iconv_t>(-1);
    IconvCache() = default;
    IconvCache(const IconvCache&) = delete;
    IconvCache& operator=(const IconvCache&) = delete;
    ~IconvCache()
    {
        if (cd != reinterpret_cast<iconv_t>(-1))
            iconv_close(cd);
    }
    iconv_t get(const std::string& codec)
    {
        if (codec != name) {
            if (cd != reinterpret_cast<iconv_t>(-1))
                iconv_close(cd);
            cd = iconv_open("UTF-8", codec.c_str());
            name = codec;
        }
        if (cd != reinterpret_cast<iconv_t>(-1))
            iconv(cd, nullptr, nullptr, nullptr, nullptr); // reset the shift state
        return cd;
    }
};

bool iconvKnows(const std::string& name)
{
    const iconv_t cd = iconv_open("UTF-8", name.c_str());
    if (cd == reinterpret_cast<iconv_t>(-1))
        return false;
    iconv_close(cd);
    return true;
}

} // namespace

std::string normalizeCodecName(std::string_view name)
{
    std::string out;
    for (char c : name) {
        if (c == '-' || c == ' ' || c == '_') {
            if (!out.empty() && out.back() != '_')
                out.push_back('_');
            continue;
        }
        out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
    }
    while (!out.empty() && out.back() == '_')
        out.pop_back();
    return out;
}

std::string iconvCodecName(std::string_view pythonName)
{
    const std::string n = normalizeCodecName(pythonName);
    if (n.empty())
        return {};
    // Python's aliases (encodings/aliases.py) whose iconv name is spelled differently
    static const std::pair<std::string_view, std::string_view> kAliases[] = {
        { "latin_1", "ISO-8859-1" },
        { "latin1", "ISO-8859-1" },
        { "l1", "ISO-8859-1" },
        { "iso8859_1", "ISO-8859-1" },
        { "iso_8859_1", "ISO-8859-1" },
        { "8859", "ISO-8859-1" },
        { "cp819", "ISO-8859-1" },
        { "latin", "ISO-8859-1" },
        { "latin2", "ISO-8859-2" },
        { "l2", "ISO-8859-2" },
        { "latin3", "ISO-8859-3" },
        { "latin4", "ISO-8859-4" },
        { "cyrillic", "ISO-8859-5" },
        { "arabic", "ISO-8859-6" },
        { "greek", "ISO-8859-7" },
        { "hebrew", "ISO-8859-8" },
        { "latin5", "ISO-8859-9" },
        { "latin6", "ISO-8859-10" },
        { "latin7", "ISO-8859-13" },
        { "latin8", "ISO-8859-14" },
        { "latin9", "ISO-8859-15" },
        { "l9", "ISO-8859-15" },
        { "latin10", "ISO-8859-16" },
        { "ascii", "ASCII" },
        { "us_ascii", "ASCII" },
        { "646", "ASCII" },
        { "utf_8", "UTF-8" },
        { "utf8", "UTF-8" },
        { "u8", "UTF-8" },
        { "utf", "UTF-8" },
        { "utf_16", "UTF-16" },
        { "utf16", "UTF-16" },
        { "utf_16_le", "UTF-16LE" },
        { "utf_16le", "UTF-16LE" },
        { "utf_16_be", "UTF-16BE" },
        { "utf_16be", "UTF-16BE" },
        { "utf_32", "UTF-32" },
        { "utf32", "UTF-32" },
        { "utf_32_le", "UTF-32LE" },
        { "utf_32le", "UTF-32LE" },
        { "utf_32_be", "UTF-32BE" },
        { "utf_32be", "UTF-32BE" },
        { "utf_7", "UTF-7" },
        { "utf7", "UTF-7" },
        { "shift_jis", "SHIFT_JIS" },
        { "sjis", "SHIFT_JIS" },
        { "s_jis", "SHIFT_JIS" },
        { "shiftjis", "SHIFT_JIS" },
        { "csshiftjis", "SHIFT_JIS" },
        { "shift_jis_2004", "SHIFT_JISX0213" },
        { "shift_jisx0213", "SHIFT_JISX0213" },
        { "cp932", "CP932" },
        { "ms932", "CP932" },
        { "mskanji", "CP932" },
        { "ms_kanji", "CP932" },
        { "euc_jp", "EUC-JP" },
        { "eucjp", "EUC-JP" },
        { "ujis", "EUC-JP" },
        { "u_jis", "EUC-JP" },
        { "euc_kr", "EUC-KR" },
        { "euckr", "EUC-KR" },
        { "gb2312", "GB2312" },
        { "gbk", "GBK" },
        { "cp936", "GBK" },
        { "ms936", "GBK" },
        { "gb18030", "GB18030" },
        { "big5", "BIG5" },
        { "big5_tw", "BIG5" },
        { "big5hkscs", "BIG5-HKSCS" },
        { "iso2022_jp", "ISO-2022-JP" },
        { "iso_2022_jp", "ISO-2022-JP" },
        { "koi8_r", "KOI8-R" },
        { "koi8_u", "KOI8-U" },
        { "mac_roman", "MACINTOSH" },
        { "macroman", "MACINTOSH" },
        { "mac_cyrillic", "MAC-CYRILLIC" },
        { "maccyrillic", "MAC-CYRILLIC" },
        { "cp1252", "CP1252" },
        { "windows_1252", "CP1252" },
        { "ibm437", "CP437" },
        { "437", "CP437" },
    };
    std::string candidate;
    for (const auto& [alias, iconvName] : kAliases)
        if (n == alias) {
            candidate = std::string(iconvName);
            break;
        }
    if (candidate.empty()) {
        // iso8859_N / iso_8859_N -> ISO-8859-N; windows_NNNN / cpNNNN -> CPNNNN; else the name
        // itself with '-' for '_'
        if (n.rfind("iso8859_", 0) == 0)
            candidate = "ISO-8859-" + n.substr(8);
        else if (n.rfind("iso_8859_", 0) == 0)
            candidate = "ISO-8859-" + n.substr(9);
        else if (n.rfind("windows_", 0) == 0)
            candidate = "CP" + n.substr(8);
        else {
            for (char c : n)
                candidate.push_back(
                    c == '_' ? '-' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c));
        }
    }
    return iconvKnows(candidate) ? candidate : std::string();
}

bool decodeWithCodec(
    std::string_view bytes, const std::string& iconvName, std::string& out, std::string& problem)
{
    thread_local IconvCache cache;
    const iconv_t cd = cache.get(iconvName);
    if (cd == reinterpret_cast<iconv_t>(-1)) {
        problem = "unknown encoding: " + iconvName;
        return false;
    }
    out.clear();
    std::string buffer(bytes.size() * 4 + 16, '\0');
    char* in = const_cast<char*>(bytes.data()); // iconv's signature; the input is not written
    std::size_t inLeft = bytes.size();
    std::size_t done = 0;
    for (;;) {
        char* outPtr = buffer.data() + done;
        std::size_t outLeft = buffer.size() - done;
        const std::size_t r = inLeft == 0 ? iconv(cd, nullptr, nullptr, &outPtr, &outLeft)
                                          : iconv(cd, &in, &inLeft, &outPtr, &outLeft);
        done = static_cast<std::size_t>(outPtr - buffer.data());
        if (r != static_cast<std::size_t>(-1)) {
            if (inLeft == 0)
                break;
            continue;
        }
        if (errno == E2BIG) {
            buffer.resize(buffer.size() * 2);
            continue;
        }
        const std::size_t position = bytes.size() - inLeft;
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x",
            static_cast<unsigned>(static_cast<unsigned char>(bytes[position])));
        problem = "'" + iconvName + "' codec can't decode byte " + hex + " in position "
            + std::to_string(position)
            + (errno == EINVAL ? ": incomplete multibyte sequence"
                               : ": illegal multibyte sequence");
        return false;
    }
    out.assign(buffer.data(), done);
    return true;
}

} // namespace core
