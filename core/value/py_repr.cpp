#include "core/value/py_repr.h"

#include "core/pickle/text_decoding.h"

#include <charconv>
#include <cmath>
#include <string>

namespace core {

namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::string_view kEllipsis = "\xE2\x80\xA6"; // …

template <typename F> std::string floatTextOf(F value, bool addDot0)
{
    if (std::isnan(value))
        return "nan";
    if (std::isinf(value))
        return value > 0 ? "inf" : "-inf";
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
    return formatShort(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)), addDot0);
}

} // namespace

// ---- UTF-8 / WTF-8 ------------------------------------------------------------------------------

// Next code point of UTF-8 (WTF-8 surrogates decode as themselves); U+FFFD on a bad byte.
char32_t nextCodePoint(std::string_view s, std::size_t& i)
{
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
        ++i;
        return c;
    }
    std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (len == 0 || i + len > s.size()) {
        ++i;
        return 0xFFFD;
    }
    char32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (std::size_t k = 1; k < len; ++k) {
        const auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xC0) != 0x80) {
            ++i;
            return 0xFFFD;
        }
        cp = (cp << 6) | (cc & 0x3F);
    }
    i += len;
    return cp;
}

// Truncates `text` to about maxChars code points, adding '…'.
std::string truncatedText(std::string text, std::size_t maxChars)
{
    if (maxChars == 0)
        return text;
    std::size_t chars = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
            if (chars == maxChars) {
                text.resize(i);
                text += kEllipsis;
                return text;
            }
            ++chars;
        }
    }
    return text;
}

// ---- floats -------------------------------------------------------------------------------------

// Python's format_float_short in 'r' mode from a shortest scientific rendering "d.ddde±XX".
std::string formatShort(std::string_view sci, bool addDot0)
{
    std::string out;
    if (!sci.empty() && sci.front() == '-') {
        out.push_back('-');
        sci.remove_prefix(1);
    }
    const auto e = sci.find('e');
    std::string digits;
    for (char c : sci.substr(0, e))
        if (c != '.')
            digits.push_back(c);
    int exp = 0;
    std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+' ? 1 : 0), sci.data() + sci.size(), exp);
    const int decpt = exp + 1;
    const int n = static_cast<int>(digits.size());
    if (decpt <= -4 || decpt > 16) {
        out.push_back(digits[0]);
        if (n > 1) {
            out.push_back('.');
            out.append(digits, 1);
        }
        out.push_back('e');
        out.push_back(exp < 0 ? '-' : '+');
        const int a = exp < 0 ? -exp : exp;
        if (a < 10)
            out.push_back('0');
        out += std::to_string(a);
    } else if (decpt <= 0) {
        out += "0.";
        out.append(static_cast<std::size_t>(-decpt), '0');
        out += digits;
    } else if (decpt >= n) {
        out += digits;
        out.append(static_cast<std::size_t>(decpt - n), '0');
        if (addDot0)
            out += ".0";
    } else {
        out.append(digits, 0, static_cast<std::size_t>(decpt));
        out.push_back('.');
        out.append(digits, static_cast<std::size_t>(decpt));
    }
    return out;
}

std::string floatText(double value, bool addDot0)
{
    return floatTextOf(value, addDot0);
}

std::string floatText(float value, bool addDot0)
{
    return floatTextOf(value, addDot0);
}

std::string floatText(long double value, bool addDot0)
{
    return floatTextOf(value, addDot0);
}

// ---- Python text helpers ------------------------------------------------------------------------

std::string pyStrRepr(std::string_view s, std::size_t maxChars)
{
    bool single = false, dbl = false;
    for (char c : s) {
        single |= c == '\'';
        dbl |= c == '"';
        if (single && dbl)
            break;
    }
    const char quote = pythonReprQuote(single, dbl);
    std::string out;
    out.push_back(quote);
    std::size_t chars = 0;
    for (std::size_t i = 0; i < s.size();) {
        if (maxChars != 0 && chars >= maxChars) {
            out += kEllipsis;
            return out;
        }
        const char32_t c = nextCodePoint(s, i);
        ++chars;
        appendPythonReprChar(out, c, quote);
    }
    out.push_back(quote);
    return out;
}

// bytearray's repr escapes a single quote even inside double quotes (a CPython quirk).
std::string pyBytesRepr(std::string_view data, std::size_t maxChars, bool alwaysEscapeSingleQuote)
{
    bool single = false, dbl = false;
    for (char c : data) {
        single |= c == '\'';
        dbl |= c == '"';
    }
    const char quote = (single && !dbl) ? '"' : '\'';
    std::string out = "b";
    out.push_back(quote);
    std::size_t chars = 0;
    for (char ch : data) {
        if (maxChars != 0 && chars >= maxChars) {
            out += kEllipsis;
            return out;
        }
        ++chars;
        const auto c = static_cast<unsigned char>(ch);
        if (ch == quote || ch == '\\' || (alwaysEscapeSingleQuote && ch == '\'')) {
            out.push_back('\\');
            out.push_back(ch);
        } else if (ch == '\t') {
            out += "\\t";
        } else if (ch == '\n') {
            out += "\\n";
        } else if (ch == '\r') {
            out += "\\r";
        } else if (c < 0x20 || c >= 0x7F) {
            appendHexEscape(out, 'x', c, 2);
        } else {
            out.push_back(ch);
        }
    }
    out.push_back(quote);
    return out;
}

std::string pyFloatRepr(double value)
{
    return floatText(value, true);
}

std::string pyFloat32Repr(float value)
{
    return floatText(value, true);
}

} // namespace core
