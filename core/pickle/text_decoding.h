#pragma once

// The text codecs the unpickling machine needs, as CPython applies them: UTF-8 with
// surrogatepass, Latin-1, Python 2 string literals (escape_decode), raw-unicode-escape, float
// literals. Output text is UTF-8 (WTF-8 when lone surrogates occur).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace core {

// Where pickletools and _pickle.c read a text argument differently (the codecs themselves are
// the same).
enum class TextRules : std::uint8_t {
    // _pickle.c (pickle.load): STRING needs the same quote at both ends of 2+ bytes; its
    // escape_decode'd bytes then go through the load's encoding.
    Unpickler,
    // pickletools.dis: read_stringnl strips a quote found at both ends (a lone quote passes) with
    // its own error words; stringnl arguments (STRING, and GLOBAL / INST / PERSID's
    // stringnl_noescape lines) are escape_decode'd, then decoded as ASCII.
    Pickletools,
};

// Valid UTF-8 (no overlongs, <= U+10FFFF). With allowSurrogates, encoded U+D800..U+DFFF pass
// (and set `surrogates`). On failure `badPos` is the offending byte.
bool validateUtf8(
    std::string_view text, bool allowSurrogates, bool& surrogates, std::size_t& badPos);
// The same decoder into code points (`out` replaced), failing as bytes.decode('utf-8'[,
// 'surrogatepass']) does: `problem` is Python's message ("'utf-8' codec can't decode byte 0xc3 in
// position 1: invalid continuation byte"). out == nullptr: check only.
bool decodeUtf8(
    std::string_view text, bool allowSurrogates, std::u32string* out, std::string& problem);

// Latin-1 bytes -> UTF-8.
void decodeLatin1(std::string_view bytes, std::string& out);

// Python's codec names (any case, '-', '_' or ' ': "iso-8859-1", "cp1252", "shift_jis",
// "latin-1", "euc_jp", "utf_16_le") -> the glibc iconv name ("ISO-8859-1", "CP1252",
// "SHIFT_JIS"); empty when iconv has no such codec.
std::string iconvCodecName(std::string_view pythonName);
// Python's normalised codec name: lower case, runs of '-' and ' ' as '_' ("Latin-1" -> "latin_1").
std::string normalizeCodecName(std::string_view name);
// bytes.decode(codec) through iconv (codec: an iconv name): UTF-8 out, or false with Python's
// message ("'cp1252' codec can't decode byte 0x81 in position 3").
bool decodeWithCodec(
    std::string_view bytes, const std::string& iconvName, std::string& out, std::string& problem);

// _codecs.encode(text, encoding) for latin-1 family / utf-8 / ascii; false when the encoding is
// not one of these or a character does not fit.
bool encodeLatin1(std::string_view utf8, std::string_view encoding, std::string& out);

// codecs.escape_decode: a Python 2 string literal's body, escapes decoded to bytes. With
// TextRules::Pickletools the bytes must then be ASCII ("'ascii' codec can't decode byte 0x..").
bool escapeDecode(std::string_view body, std::string& out, std::string& problem,
    TextRules rules = TextRules::Unpickler);

// STRING's argument: a quoted Python 2 literal ('...' or "..."), unquoted as `rules` say, then
// escapeDecode.
bool decodeStringLiteral(std::string_view line, std::string& out, std::string& problem,
    TextRules rules = TextRules::Unpickler);

// UNICODE's argument: raw-unicode-escape (\uXXXX, \UXXXXXXXX; other bytes are Latin-1), into
// UTF-8 (WTF-8 when it holds lone surrogates) or into code points. `problem`: Python's message.
bool decodeRawUnicodeEscape(
    std::string_view line, std::string& out, bool& surrogates, std::string& problem);
bool decodeRawUnicodeEscape(std::string_view line, std::u32string& out, std::string& problem);

// FLOAT's argument as _pickle.c parses it: no surrounding blanks, no '_', inf/nan accepted,
// overflow refused.
bool parsePythonFloat(std::string_view text, double& out);

// GET / PUT's text index as int(text, 10) reads it (surrounding ASCII whitespace, a sign, digits
// with single '_' between them): its magnitude, or nullopt when it is not that syntax or beyond
// 64 bits; `negative` set for a '-' sign.
std::optional<std::uint64_t> parseDecimalIndex(std::string_view text, bool& negative);

// "0x" and two lowercase hex digits, as Python's codec errors name a byte ("0xff").
std::string hexByteText(unsigned char b);

// `text` without the ASCII whitespace int() and float() strip from both ends (" \t\n\r\v\f").
std::string_view trimPythonSpace(std::string_view text);

// Short printable rendering of raw argument bytes for error messages.
std::string printable(std::string_view text, std::size_t maxChars = 40);

// Value of a hex digit, or -1.
int hexValue(char c);

// Appends code point cp as UTF-8 (surrogates as 3-byte WTF-8).
void appendUtf8(std::string& out, char32_t cp);

// ---- Python's str.__repr__, shared by the disassembler (pickletools' text) and value text ----

// Whether Python's str.isprintable() holds for one code point (repr() leaves it unescaped).
bool pythonIsPrintable(char32_t codePoint);
// The quote repr() puts around a str or bytes: ' unless the text holds ' and no ".
inline char pythonReprQuote(bool hasSingle, bool hasDouble)
{
    return hasSingle && !hasDouble ? '"' : '\'';
}
// Appends one code point as repr() writes it between `quote`s: \\, \t, \n, \r, \xNN for other
// controls and unprintable Latin-1, \uNNNN, \UNNNNNNNN, printable text as UTF-8.
void appendPythonReprChar(std::string& out, char32_t c, char quote);
// Appends "\" prefix and `digits` lowercase hex digits of value (\xNN, \uNNNN, \UNNNNNNNN).
void appendHexEscape(std::string& out, char prefix, std::uint32_t value, int digits);

} // namespace core
