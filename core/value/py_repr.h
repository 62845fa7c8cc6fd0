#pragma once

// Python's repr() of str, bytes, float and complex, and the text pieces they are made of, as
// CPython writes them (shortest round-trip floats in Python's layout, str.isprintable() rules
// for escapes, '…' where a repr is cut short). Shared by the value texts (core/value/value_text),
// the JSON export and the CLI.

#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>

namespace core {

// repr(str) of UTF-8 (or WTF-8) text; stops after about maxChars output characters and ends
// with '…' (0: no limit).
std::string pyStrRepr(std::string_view utf8, std::size_t maxChars = 0);
// repr(bytes): b'...'.
std::string pyBytesRepr(
    std::string_view bytes, std::size_t maxChars = 0, bool alwaysEscapeSingleQuote = false);
// repr(float) / repr(numpy.float32): shortest round trip, Python's layout.
std::string pyFloatRepr(double value);
std::string pyFloat32Repr(float value);
// repr(complex): pyComplexRepr below the pieces it uses.

// ---- the pieces -----------------------------------------------------------------------------

// Next code point of UTF-8 (WTF-8 surrogates decode as themselves); U+FFFD on a bad byte.
char32_t nextCodePoint(std::string_view s, std::size_t& i);
// `text` cut to about maxChars characters with '…' appended (0: no limit).
std::string truncatedText(std::string text, std::size_t maxChars);
// Python's format_float_short in 'r' mode from a shortest scientific rendering "d.ddde±XX";
// addDot0: "1.0" rather than "1".
std::string formatShort(std::string_view sci, bool addDot0);
// Shortest round-trip text of a double / float / long double ("nan", "inf", "-inf" included).
std::string floatText(double value, bool addDot0);
std::string floatText(float value, bool addDot0);
std::string floatText(long double value, bool addDot0);

// Python's repr of a complex: (1+2j), 2j, (-0-1j); parts in F's own precision (numpy's
// complex64 repr uses float parts, clongdouble long double ones).
template <typename F> std::string pyComplexRepr(F real, F imag)
{
    auto part = [](F v, bool sign) {
        std::string s = floatText(v, false);
        if (sign && s[0] != '-')
            s.insert(s.begin(), '+');
        return s;
    };
    if (real == 0 && !std::signbit(real))
        return part(imag, false) + "j";
    return "(" + part(real, false) + part(imag, true) + "j)";
}

} // namespace core
