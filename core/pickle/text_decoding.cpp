#include "core/pickle/text_decoding.h"

#include <QChar>

#include <charconv>
#include <cmath>
#include <cstdint>

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

bool validateUtf8(std::string_view text, bool allowSurrogates, bool& surrogates, std::size_t& badPos)
{
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        // Fast path over ASCII, 8 bytes at a time.
        while (i + 8 <= n) {
            std::uint64_t chunk;
            __builtin_memcpy(&chunk, s + i, 8);
            if ((chunk & 0x8080808080808080ull) != 0)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        const unsigned char c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        char32_t cp = 0;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            badPos = i;
            return false;
        }
        if (len > n - i) {
            badPos = i;
            return false;
        }
        for (std::size_t k = 1; k < len; ++k) {
            if ((s[i + k] & 0xC0) != 0x80) {
                badPos = i;
                return false;
            }
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
            badPos = i;
            return false;
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            if (!allowSurrogates) {
                badPos = i;
                return false;
            }
            surrogates = true;
        }
        i += len;
    }
    return true;
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
    const bool latin1 = enc == "latin1" || enc == "latin-1" || enc == "iso-8859-1" || enc == "iso8859-1" || enc == "l1";
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

bool decodeStringLiteral(std::string_view line, std::string& out, std::string& problem)
{
    if (line.size() < 2 || line.front() != line.back() || (line.front() != '\'' && line.front() != '"')) {
        problem = "the STRING opcode argument must be quoted";
        return false;
    }
    const std::string_view body = line.substr(1, line.size() - 2);
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
        case '\n': break;
        case '\\': out.push_back('\\'); break;
        case '\'': out.push_back('\''); break;
        case '"': out.push_back('"'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 't': out.push_back('\t'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 'v': out.push_back('\v'); break;
        case 'a': out.push_back('\a'); break;
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
            unsigned value = static_cast<unsigned>(e - '0');
            for (int k = 0; k < 2 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7'; ++k)
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
    return true;
}

bool decodeRawUnicodeEscape(std::string_view line, std::string& out, bool& surrogates, std::string& problem)
{
    out.clear();
    out.reserve(line.size());
    std::size_t i = 0;
    while (i < line.size()) {
        const char c = line[i];
        if (c != '\\') {
            appendUtf8(out, static_cast<unsigned char>(c));
            ++i;
            continue;
        }
        // A run of backslashes: only an odd count followed by u/U starts an escape.
        std::size_t run = 0;
        while (i + run < line.size() && line[i + run] == '\\')
            ++run;
        const std::size_t after = i + run;
        const bool escape = (run % 2 == 1) && after < line.size() && (line[after] == 'u' || line[after] == 'U');
        const std::size_t literal = escape ? run - 1 : run;
        out.append(literal, '\\');
        i += literal;
        if (!escape)
            continue;
        const std::size_t digits = line[after] == 'u' ? 4 : 8;
        if (after + 1 + digits > line.size()) {
            problem = std::string("'rawunicodeescape' codec can't decode bytes in position ") + std::to_string(i)
                + ": truncated \\" + line[after] + "XXXX escape";
            return false;
        }
        char32_t cp = 0;
        for (std::size_t k = 0; k < digits; ++k) {
            const int h = hexValue(line[after + 1 + k]);
            if (h < 0) {
                problem = std::string("'rawunicodeescape' codec can't decode bytes in position ") + std::to_string(i)
                    + ": truncated \\" + line[after] + "XXXX escape";
                return false;
            }
            cp = cp * 16 + static_cast<char32_t>(h);
        }
        if (cp > 0x10FFFF) {
            problem = "'rawunicodeescape' codec can't decode bytes in position " + std::to_string(i)
                + ": \\Uxxxxxxxx out of range";
            return false;
        }
        if (cp >= 0xD800 && cp <= 0xDFFF)
            surrogates = true;
        appendUtf8(out, cp);
        i = after + 1 + digits;
    }
    return true;
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
            const char c = (a[i] >= 'A' && a[i] <= 'Z') ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
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
    switch (QChar::category(static_cast<char32_t>(c))) {
    case QChar::Other_Control:
    case QChar::Other_Format:
    case QChar::Other_Surrogate:
    case QChar::Other_PrivateUse:
    case QChar::Other_NotAssigned:
    case QChar::Separator_Line:
    case QChar::Separator_Paragraph:
    case QChar::Separator_Space: return false;
    default: return true;
    }
}

void appendHexEscape(std::string& out, char prefix, std::uint32_t value, int digits)
{
    static constexpr char kHexDigits[] = "0123456789abcdef";
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
