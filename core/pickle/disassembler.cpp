#include "core/pickle/disassembler.h"

#include "core/pickle/byte_reader.h"
#include "core/pickle/opcode_argument.h"
#include "core/pickle/text_decoding.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <unordered_set>

namespace core {

namespace {

// Python refuses int <-> decimal string conversions of more digits than this (3.11's default
// sys.get_int_max_str_digits()).
constexpr std::size_t kMaxStrDigits = 4300;

constexpr char kHex[] = "0123456789abcdef";

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

void appendDecimal(std::string& out, std::uint64_t value)
{
    char buf[24];
    const auto result = std::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, result.ptr);
}

void appendSigned(std::string& out, std::int64_t value)
{
    char buf[24];
    const auto result = std::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, result.ptr);
}

// repr() of a str given as code points.
void appendStrRepr(std::string& out, std::u32string_view text)
{
    bool single = false, dbl = false;
    for (char32_t c : text) {
        single |= c == '\'';
        dbl |= c == '"';
    }
    const char quote = pythonReprQuote(single, dbl);
    out.push_back(quote);
    for (char32_t c : text)
        appendPythonReprChar(out, c, quote);
    out.push_back(quote);
}

// repr() of a str made of printable ASCII only (the common case): no decoding needed.
bool appendPlainAsciiRepr(std::string& out, std::string_view text)
{
    bool single = false, dbl = false;
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7F || c == '\\')
            return false;
        single |= c == '\'';
        dbl |= c == '"';
    }
    if (single && dbl)
        return false;
    const char quote = single ? '"' : '\'';
    out.push_back(quote);
    out.append(text);
    out.push_back(quote);
    return true;
}

// repr() of bytes: b'...'. bytearray's repr differs in one point: it escapes a single quote even
// inside double quotes (bytearray(b"\'")).
void appendBytesRepr(std::string& out, std::string_view data, bool bytearray = false)
{
    const char alwaysEscaped = bytearray ? '\'' : '\\';
    const bool single = data.find('\'') != std::string_view::npos;
    const bool dbl = single && data.find('"') != std::string_view::npos;
    const char quote = (single && !dbl) ? '"' : '\'';
    const std::size_t old = out.size();
    out.resize(old + data.size() * 4 + 3);
    char* const begin = out.data() + old;
    char* p = begin;
    *p++ = 'b';
    *p++ = quote;
    for (char ch : data) {
        const auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c < 0x7F) {
            if (ch == quote || ch == '\\' || ch == alwaysEscaped)
                *p++ = '\\';
            *p++ = ch;
        } else if (ch == '\t') {
            *p++ = '\\';
            *p++ = 't';
        } else if (ch == '\n') {
            *p++ = '\\';
            *p++ = 'n';
        } else if (ch == '\r') {
            *p++ = '\\';
            *p++ = 'r';
        } else {
            *p++ = '\\';
            *p++ = 'x';
            *p++ = kHex[c >> 4];
            *p++ = kHex[c & 0xF];
        }
    }
    *p++ = quote;
    out.resize(old + static_cast<std::size_t>(p - begin));
}

// Python's repr(float): shortest round-trip digits, exponent form when the decimal point
// position is <= -4 or > 16 (float_repr_style 'short').
void appendFloatRepr(std::string& out, double value)
{
    if (std::isnan(value)) {
        out += "nan";
        return;
    }
    if (std::isinf(value)) {
        out += value > 0 ? "inf" : "-inf";
        return;
    }
    char sci[40];
    const auto r = std::to_chars(sci, sci + sizeof sci, value, std::chars_format::scientific);
    const char* s = sci;
    char buf[48];
    char* p = buf;
    if (*s == '-') {
        *p++ = '-';
        ++s;
    }
    char digits[24];
    int ndigits = 0;
    while (s < r.ptr && *s != 'e') {
        if (*s != '.')
            digits[ndigits++] = *s;
        ++s;
    }
    int exponent = 0;
    ++s; // 'e'
    const bool negativeExp = s < r.ptr && *s == '-';
    if (s < r.ptr && (*s == '-' || *s == '+'))
        ++s;
    std::from_chars(s, r.ptr, exponent);
    if (negativeExp)
        exponent = -exponent;
    while (ndigits > 1 && digits[ndigits - 1] == '0')
        --ndigits;
    const int decpt = exponent + 1; // value = 0.DIGITS * 10^decpt
    if (decpt <= -4 || decpt > 16) {
        *p++ = digits[0];
        if (ndigits > 1) {
            *p++ = '.';
            std::memcpy(p, digits + 1, static_cast<std::size_t>(ndigits - 1));
            p += ndigits - 1;
        }
        *p++ = 'e';
        const int e = decpt - 1;
        *p++ = e < 0 ? '-' : '+';
        const int mag = e < 0 ? -e : e;
        if (mag < 10)
            *p++ = '0';
        p = std::to_chars(p, buf + sizeof buf, mag).ptr;
    } else if (decpt <= 0) {
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -decpt; ++i)
            *p++ = '0';
        std::memcpy(p, digits, static_cast<std::size_t>(ndigits));
        p += ndigits;
    } else if (decpt >= ndigits) {
        std::memcpy(p, digits, static_cast<std::size_t>(ndigits));
        p += ndigits;
        for (int i = ndigits; i < decpt; ++i)
            *p++ = '0';
        *p++ = '.';
        *p++ = '0';
    } else {
        std::memcpy(p, digits, static_cast<std::size_t>(decpt));
        p += decpt;
        *p++ = '.';
        std::memcpy(p, digits + decpt, static_cast<std::size_t>(ndigits - decpt));
        p += ndigits - decpt;
    }
    out.append(buf, p);
}

struct Failure {
    ErrorCode code = ErrorCode::Ok;
    std::string message;
};

// The text codecs (core/pickle/text_decoding) with pickletools' rules, their failure as a Failure.
bool utf8Arg(std::string_view data, std::u32string* out, Failure& failure)
{
    std::string problem;
    if (decodeUtf8(data, true, out, problem)) // pickletools: str(data, 'utf-8', 'surrogatepass')
        return true;
    failure = { ErrorCode::BadArgument, std::move(problem) };
    return false;
}

bool rawUnicodeEscapeArg(std::string_view data, std::u32string& out, Failure& failure)
{
    std::string problem;
    if (decodeRawUnicodeEscape(data, out, problem))
        return true;
    failure = { ErrorCode::BadArgument, std::move(problem) };
    return false;
}

// read_stringnl: escape_decode then .decode("ascii"); the quotes stripped first when quoted.
bool decodeStringnl(
    std::string_view data, bool quoted, std::u32string& out, std::string& scratch, Failure& failure)
{
    std::string problem;
    const bool ok = quoted ? decodeStringLiteral(data, scratch, problem, TextRules::Pickletools)
                           : escapeDecode(data, scratch, problem, TextRules::Pickletools);
    if (!ok) {
        failure = { ErrorCode::BadArgument, std::move(problem) };
        return false;
    }
    out.assign(scratch.begin(), scratch.end()); // ASCII: bytes are code points
    return true;
}

std::string bytesReprText(std::string_view data)
{
    std::string out;
    appendBytesRepr(out, data);
    return out;
}

// Refuses a number literal as int() / float() word it ("<what>b'...'"): false.
bool refuseLiteral(Failure& failure, const char* what, std::string_view data)
{
    failure = { ErrorCode::BadArgument, what + bytesReprText(data) };
    return false;
}

// int(data) for bytes, base 10, normalised to Python's repr. Fails as int() does.
bool parsePythonInt(std::string_view data, std::string& out, Failure& failure)
{
    auto invalid
        = [&] { return refuseLiteral(failure, "invalid literal for int() with base 10: ", data); };
    const std::string_view trimmed = trimPythonSpace(data);
    std::size_t b = static_cast<std::size_t>(trimmed.data() - data.data()), e = b + trimmed.size();
    bool negative = false;
    if (b < e && (data[b] == '+' || data[b] == '-')) {
        negative = data[b] == '-';
        ++b;
    }
    if (b >= e || !isDigit(data[b]) || !isDigit(data[e - 1]))
        return invalid();
    std::string digits;
    digits.reserve(e - b);
    for (std::size_t i = b; i < e; ++i) {
        const char c = data[i];
        if (isDigit(c))
            digits.push_back(c);
        else if (c == '_' && isDigit(data[i - 1]) && i + 1 < e && isDigit(data[i + 1]))
            continue;
        else
            return invalid();
    }
    if (digits.size() > kMaxStrDigits) {
        failure = { ErrorCode::LimitExceeded,
            "Exceeds the limit (4300 digits) for integer string conversion: value has "
                + std::to_string(digits.size()) + " digits" };
        return false;
    }
    std::size_t first = digits.find_first_not_of('0');
    out.clear();
    if (first == std::string::npos) {
        out = "0";
        return true;
    }
    if (negative)
        out.push_back('-');
    out.append(digits, first, std::string::npos);
    return true;
}

// The integer value of a normalised decimal text when it fits int64.
bool smallInt(const std::string& text, std::int64_t& value)
{
    const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

bool equalsNoCase(std::string_view text, std::string_view lower)
{
    if (text.size() != lower.size())
        return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
        if (c != lower[i])
            return false;
    }
    return true;
}

// float(data) for bytes.
bool parsePythonFloat(std::string_view data, double& value, Failure& failure)
{
    auto invalid
        = [&] { return refuseLiteral(failure, "could not convert string to float: ", data); };
    const std::string_view trimmed = trimPythonSpace(data);
    std::size_t b = static_cast<std::size_t>(trimmed.data() - data.data()), e = b + trimmed.size();
    std::string text;
    text.reserve(e - b);
    for (std::size_t i = b; i < e; ++i) {
        const char c = data[i];
        if (c == '_') {
            if (i == b || i + 1 >= e || !isDigit(data[i - 1]) || !isDigit(data[i + 1]))
                return invalid();
            continue;
        }
        text.push_back(c);
    }
    bool negative = false;
    std::string_view body = text;
    if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
        negative = body[0] == '-';
        body.remove_prefix(1);
    }
    if (equalsNoCase(body, "inf") || equalsNoCase(body, "infinity")) {
        value = negative ? -HUGE_VAL : HUGE_VAL;
        return true;
    }
    if (equalsNoCase(body, "nan")) {
        value = std::nan("");
        return true;
    }
    // digits [. digits] [e [sign] digits], at least one mantissa digit.
    std::size_t i = 0, mantissaDigits = 0;
    long long leadingExponent = 0; // decimal magnitude of the mantissa
    bool seenNonZero = false;
    while (i < body.size() && isDigit(body[i])) {
        if (body[i] != '0')
            seenNonZero = true;
        if (seenNonZero)
            ++leadingExponent;
        ++mantissaDigits;
        ++i;
    }
    if (i < body.size() && body[i] == '.') {
        ++i;
        while (i < body.size() && isDigit(body[i])) {
            if (!seenNonZero) {
                if (body[i] != '0')
                    seenNonZero = true;
                else
                    --leadingExponent;
            }
            ++mantissaDigits;
            ++i;
        }
    }
    if (mantissaDigits == 0)
        return invalid();
    long long exponent = 0;
    if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
        ++i;
        bool expNegative = false;
        if (i < body.size() && (body[i] == '+' || body[i] == '-')) {
            expNegative = body[i] == '-';
            ++i;
        }
        if (i >= body.size() || !isDigit(body[i]))
            return invalid();
        while (i < body.size() && isDigit(body[i])) {
            if (exponent < 100000000)
                exponent = exponent * 10 + (body[i] - '0');
            ++i;
        }
        if (expNegative)
            exponent = -exponent;
    }
    if (i != body.size())
        return invalid();
    double parsed = 0;
    const auto result = std::from_chars(
        body.data(), body.data() + body.size(), parsed, std::chars_format::general);
    if (result.ec == std::errc::result_out_of_range) {
        parsed = (seenNonZero && leadingExponent + exponent > 0) ? HUGE_VAL : 0.0;
    } else if (result.ec != std::errc() || result.ptr != body.data() + body.size()) {
        return invalid();
    }
    value = negative ? -parsed : parsed;
    return true;
}

// pickle.decode_long: little-endian two's complement to decimal text.
bool decodeLong(std::string_view data, std::string& out, Failure& failure)
{
    out.clear();
    if (data.empty()) {
        out = "0";
        return true;
    }
    const auto* s = reinterpret_cast<const unsigned char*>(data.data());
    const bool negative = (s[data.size() - 1] & 0x80) != 0;
    // Drop sign-extension bytes.
    std::size_t n = data.size();
    const unsigned char fill = negative ? 0xFF : 0x00;
    while (n > 1 && s[n - 1] == fill && ((s[n - 2] & 0x80) == (fill & 0x80)))
        --n;
    if (n > 1800) { // at least 2^14392: beyond 4300 decimal digits
        failure = { ErrorCode::LimitExceeded,
            "Exceeds the limit (4300 digits) for integer string conversion; use "
            "sys.set_int_max_str_digits() to "
            "increase the limit" };
        return false;
    }
    // Magnitude as 32-bit limbs (little-endian).
    std::vector<std::uint32_t> limbs((n + 3) / 4 + 1, 0);
    for (std::size_t i = 0; i < n; ++i)
        limbs[i / 4] |= static_cast<std::uint32_t>(s[i]) << (8 * (i % 4));
    if (negative) {
        // Sign-extend the top limb, then negate (two's complement).
        for (std::size_t i = n; i < limbs.size() * 4; ++i)
            limbs[i / 4] |= 0xFFu << (8 * (i % 4));
        std::uint64_t carry = 1;
        for (auto& limb : limbs) {
            const std::uint64_t v
                = static_cast<std::uint64_t>(static_cast<std::uint32_t>(~limb)) + carry;
            limb = static_cast<std::uint32_t>(v);
            carry = v >> 32;
        }
    }
    while (limbs.size() > 1 && limbs.back() == 0)
        limbs.pop_back();
    std::vector<std::uint32_t> chunks; // base 1e9, little-endian
    while (!(limbs.size() == 1 && limbs[0] == 0)) {
        std::uint64_t rem = 0;
        for (std::size_t i = limbs.size(); i-- > 0;) {
            const std::uint64_t cur = (rem << 32) | limbs[i];
            limbs[i] = static_cast<std::uint32_t>(cur / 1000000000u);
            rem = cur % 1000000000u;
        }
        chunks.push_back(static_cast<std::uint32_t>(rem));
        while (limbs.size() > 1 && limbs.back() == 0)
            limbs.pop_back();
    }
    if (chunks.empty()) {
        out = "0";
        return true;
    }
    std::string digits;
    appendDecimal(digits, chunks.back());
    for (std::size_t i = chunks.size() - 1; i-- > 0;) {
        char buf[16];
        const auto r = std::to_chars(buf, buf + sizeof buf, chunks[i]);
        digits.append(9 - static_cast<std::size_t>(r.ptr - buf), '0');
        digits.append(buf, r.ptr);
    }
    if (digits.size() > kMaxStrDigits) {
        failure = { ErrorCode::LimitExceeded,
            "Exceeds the limit (4300 digits) for integer string conversion; use "
            "sys.set_int_max_str_digits() to "
            "increase the limit" };
        return false;
    }
    if (negative)
        out.push_back('-');
    out += digits;
    return true;
}

// pickletools' memo: keys are ints (bools fold onto 0 and 1); big keys kept as text.
class Memo {
public:
    bool contains(std::int64_t key) const
    {
        if (key >= 0 && static_cast<std::uint64_t>(key) < m_dense.size())
            return m_dense[static_cast<std::size_t>(key)] != 0;
        return m_sparse.count(key) != 0;
    }
    void insert(std::int64_t key)
    {
        if (key >= 0 && key < kDenseLimit) {
            if (static_cast<std::size_t>(key) >= m_dense.size())
                m_dense.resize(
                    std::max<std::size_t>(static_cast<std::size_t>(key) + 1, m_dense.size() * 2),
                    0);
            m_dense[static_cast<std::size_t>(key)] = 1;
        } else {
            m_sparse.insert(key);
        }
        ++m_size;
    }
    bool containsBig(const std::string& key) const { return m_big.count(key) != 0; }
    void insertBig(const std::string& key)
    {
        m_big.insert(key);
        ++m_size;
    }
    std::size_t size() const { return m_size; }

private:
    static constexpr std::int64_t kDenseLimit = 1 << 20;
    std::vector<std::uint8_t> m_dense;
    std::unordered_set<std::int64_t> m_sparse;
    std::unordered_set<std::string> m_big;
    std::size_t m_size = 0;
};

struct ArgResult {
    bool isInt = false; // integer argument (memo key for PUT/GET)
    bool bigInt = false; // isInt, but beyond int64: key in `text` form
    std::int64_t intValue = 0;
};

class Walker {
public:
    Walker(std::span<const std::byte> bytes, std::uint64_t base,
        const DisassembleOptions& options = {})
        : m_reader(bytes, base)
        , m_maxPayload(options.maxArgPayload)
    {
    }

    Disassembly run(const OpRecordSink* sink);

private:
    bool readArg(const OpcodeInfo& info, OpRecord& rec, ArgResult& arg, Failure& failure);
    Failure readFailure(ArgKind kind) const;
    std::string_view view(std::span<const std::byte> s) const
    {
        return { reinterpret_cast<const char*>(s.data()), s.size() };
    }

    ByteReader m_reader;
    std::size_t m_maxPayload = SIZE_MAX;
    std::u32string m_scratch;
    std::string m_text;
};

// pickletools' words for a failed argument read (the reader's sticky failure).
Failure Walker::readFailure(ArgKind kind) const
{
    const ReadFailure& f = m_reader.failure();
    const std::string name(argKindName(kind));
    if (f.status == ReadStatus::BadLength) {
        if (argFixedSigned(kind))
            return { ErrorCode::BadArgument,
                name + " byte count < 0: " + std::to_string(static_cast<std::int64_t>(f.wanted)) };
        return { ErrorCode::BadArgument,
            name + " byte count > sys.maxsize: " + std::to_string(f.wanted) };
    }
    switch (f.part) {
    case ReadPart::Line:
        return { ErrorCode::Truncated,
            std::string("no newline found when trying to read ")
                + (kind == ArgKind::Unicodestringnl ? "unicodestringnl" : "stringnl") };
    case ReadPart::Payload:
        if (kind == ArgKind::Long1 || kind == ArgKind::Long4)
            return { ErrorCode::Truncated, "not enough data in stream to read " + name };
        return { ErrorCode::Truncated,
            "expected " + std::to_string(f.wanted) + " bytes in a " + name + ", but only "
                + std::to_string(f.remaining) + " remain" };
    case ReadPart::Fixed:
        break;
    }
    std::string fixed = name; // the argument itself, or the length prefix of a counted one
    if (argForm(kind) == ArgForm::Counted)
        fixed = argFixedSize(kind) == 1 ? "uint1"
            : argFixedSize(kind) == 8   ? "uint8"
            : argFixedSigned(kind)      ? "int4"
                                        : "uint4";
    return { ErrorCode::Truncated, "not enough data in stream to read " + fixed };
}

bool Walker::readArg(const OpcodeInfo& info, OpRecord& rec, ArgResult& arg, Failure& failure)
{
    const ArgKind kind = info.arg;
    if (kind == ArgKind::None)
        return true;
    std::string& text = rec.argText;
    auto setInt = [&](std::int64_t v) {
        arg.isInt = true;
        arg.intValue = v;
        appendSigned(text, v);
        return true;
    };
    if (kind == ArgKind::StringnlNoescapePair) {
        // Two noescape lines, each decoded before the next is read (pickletools' order of errors).
        const OpcodeInfo& line = opcodeInfo(Op::PersId); // a stringnl_noescape argument
        auto first = readArgument<ArgKind::StringnlNoescape>(m_reader, line);
        if (!first.ok()) {
            failure = readFailure(kind);
            return false;
        }
        std::u32string joined;
        if (!decodeStringnl(first->line, false, joined, m_text, failure))
            return false;
        auto second = readArgument<ArgKind::StringnlNoescape>(m_reader, line);
        if (!second.ok()) {
            failure = readFailure(kind);
            return false;
        }
        if (!decodeStringnl(second->line, false, m_scratch, m_text, failure))
            return false;
        joined.push_back(' ');
        joined += m_scratch;
        appendStrRepr(text, joined);
        return true;
    }
    RawArg a;
    if (!readArgumentInto(m_reader, info, a)) {
        failure = readFailure(kind);
        return false;
    }
    if (info.form == ArgForm::Counted) {
        rec.argOffset = m_reader.absolute(m_reader.pos() - a.payload.size());
        rec.argLength = a.payload.size();
    }
    switch (kind) {
    case ArgKind::None:
    case ArgKind::StringnlNoescapePair:
        return true;
    case ArgKind::Uint1:
    case ArgKind::Uint2:
    case ArgKind::Int4:
    case ArgKind::Uint4:
        return setInt(a.asSigned());
    case ArgKind::Uint8:
        arg.isInt = true;
        arg.intValue = a.value > static_cast<std::uint64_t>(INT64_MAX) ? -1 : a.asSigned();
        appendDecimal(text, a.value);
        return true;
    case ArgKind::Float8:
        appendFloatRepr(text, a.asDouble());
        return true;
    case ArgKind::DecimalnlShort:
    case ArgKind::DecimalnlLong: {
        std::string_view line = a.line;
        if (kind == ArgKind::DecimalnlShort && (line == "00" || line == "01")) {
            arg.isInt = true;
            arg.intValue = line == "01" ? 1 : 0;
            text = line == "01" ? "True" : "False";
            return true;
        }
        if (kind == ArgKind::DecimalnlLong && !line.empty() && line.back() == 'L')
            line.remove_suffix(1);
        if (!parsePythonInt(line, m_text, failure))
            return false;
        arg.isInt = true;
        arg.bigInt = !smallInt(m_text, arg.intValue);
        text = m_text;
        return true;
    }
    case ArgKind::Floatnl: {
        double v = 0;
        if (!parsePythonFloat(a.line, v, failure))
            return false;
        appendFloatRepr(text, v);
        return true;
    }
    case ArgKind::Stringnl:
        if (!decodeStringnl(a.line, true, m_scratch, m_text, failure))
            return false;
        appendStrRepr(text, m_scratch);
        return true;
    case ArgKind::StringnlNoescape:
    case ArgKind::Unicodestringnl: {
        if (a.line.find('\\') == std::string_view::npos && appendPlainAsciiRepr(text, a.line))
            return true;
        const bool decoded = kind == ArgKind::StringnlNoescape
            ? decodeStringnl(a.line, false, m_scratch, m_text, failure)
            : rawUnicodeEscapeArg(a.line, m_scratch, failure);
        if (!decoded)
            return false;
        appendStrRepr(text, m_scratch);
        return true;
    }
    case ArgKind::Long1:
    case ArgKind::Long4:
        if (!decodeLong(a.payloadText(), m_text, failure))
            return false;
        text = m_text;
        return true;
    case ArgKind::String1:
    case ArgKind::String4:
    case ArgKind::Bytes1:
    case ArgKind::Bytes4:
    case ArgKind::Bytes8:
    case ArgKind::Bytearray8:
    case ArgKind::Unicodestring1:
    case ArgKind::Unicodestring4:
    case ArgKind::Unicodestring8:
        break;
    }
    std::string_view payload = a.payloadText();
    // A payload over maxArgPayload is shown by its start (the walk still checks all of it).
    const bool shortened = payload.size() > m_maxPayload;
    const std::size_t fullSize = payload.size();
    auto note = [&] {
        if (shortened)
            text += " ... (" + std::to_string(fullSize) + " bytes)";
    };
    switch (kind) {
    case ArgKind::String1:
    case ArgKind::String4: // latin-1 decoded
        if (shortened)
            payload = payload.substr(0, m_maxPayload);
        if (!appendPlainAsciiRepr(text, payload)) {
            m_scratch.clear();
            for (char c : payload)
                m_scratch.push_back(static_cast<unsigned char>(c));
            appendStrRepr(text, m_scratch);
        }
        note();
        return true;
    case ArgKind::Bytes1:
    case ArgKind::Bytes4:
    case ArgKind::Bytes8:
        appendBytesRepr(text, shortened ? payload.substr(0, m_maxPayload) : payload);
        note();
        return true;
    case ArgKind::Bytearray8:
        text = "bytearray(";
        appendBytesRepr(text, shortened ? payload.substr(0, m_maxPayload) : payload, true);
        text.push_back(')');
        note();
        return true;
    default:
        if (shortened) {
            if (!utf8Arg(payload, nullptr, failure))
                return false;
            std::size_t cut = m_maxPayload;
            while (cut > 0 && (static_cast<unsigned char>(payload[cut]) & 0xC0) == 0x80)
                --cut;
            payload = payload.substr(0, cut);
        }
        if (!appendPlainAsciiRepr(text, payload)) {
            if (!utf8Arg(payload, &m_scratch, failure))
                return false;
            appendStrRepr(text, m_scratch);
        }
        note();
        return true;
    }
    return true;
}

bool isPut(Op op)
{
    return op == Op::Put || op == Op::BinPut || op == Op::LongBinPut;
}
bool isGet(Op op)
{
    return op == Op::Get || op == Op::BinGet || op == Op::LongBinGet;
}

Disassembly Walker::run(const OpRecordSink* sink)
{
    Disassembly d;
    OpRecord rec; // reused: its argText keeps its capacity from one opcode to the next
    std::vector<std::uint8_t> stack; // 1 = markobject
    std::size_t marksInStack = 0;
    std::vector<std::uint64_t> markstack;
    Memo memo;
    int maxproto = -1;
    if (sink == nullptr)
        d.records.reserve(std::min<std::size_t>(m_reader.size() / 4 + 8, 1024));

    auto fail = [&](ErrorCode code, std::uint64_t offset, std::string message) {
        d.error = makeError(code, offset, std::move(message));
    };

    for (;;) {
        const std::size_t pos = m_reader.pos();
        const std::uint64_t at = m_reader.absolute(pos);
        std::uint8_t byte = 0;
        if (m_reader.u8(byte) != ReadStatus::Ok) {
            fail(ErrorCode::EndOfInput, at, "pickle exhausted before seeing STOP");
            break;
        }
        const OpcodeInfo* info = opcodeInfo(byte);
        if (info == nullptr) {
            std::string code = "b'";
            if (byte >= 0x20 && byte < 0x7F && byte != '\\' && byte != '\'')
                code.push_back(static_cast<char>(byte));
            else if (byte == '\\' || byte == '\'') {
                code.push_back('\\');
                code.push_back(static_cast<char>(byte));
            } else if (byte == '\t' || byte == '\n' || byte == '\r')
                code += byte == '\t' ? "\\t" : byte == '\n' ? "\\n" : "\\r";
            else
                appendHexEscape(code, 'x', byte, 2);
            code.push_back('\'');
            fail(ErrorCode::UnknownOpcode, at, "opcode " + code + " unknown");
            break;
        }
        rec.offset = at;
        rec.info = info;
        rec.memoIndex = -1;
        rec.markAt = -1;
        rec.argText.clear();
        rec.argOffset = 0;
        rec.argLength = 0;
        rec.stackDepth = static_cast<std::int32_t>(stack.size() - marksInStack);
        rec.markDepth = static_cast<std::int32_t>(markstack.size());
        ArgResult arg;
        Failure failure;
        if (!readArg(*info, rec, arg, failure)) {
            if (failure.code == ErrorCode::LimitExceeded
                && (info->arg == ArgKind::Long1 || info->arg == ArgKind::Long4))
                d.danglingOffset = at; // pickletools read the int, then repr() refused it
            fail(failure.code, at, std::string(info->name) + ": " + failure.message);
            break;
        }
        rec.length
            = static_cast<std::uint32_t>(std::min<std::size_t>(m_reader.pos() - pos, UINT32_MAX));
        maxproto = std::max<int>(maxproto, info->proto);
        const Op op = info->op;

        // MARK handling, as pickletools: ops that pop to a mark, and POP of a mark.
        std::size_t numtopop = static_cast<std::size_t>(info->stack.pops);
        const char* errormsg = nullptr;
        ErrorCode errorCode = ErrorCode::Ok;
        if (info->stack.popsMark || (op == Op::Pop && !stack.empty() && stack.back() == 1)) {
            if (!markstack.empty()) {
                rec.markAt = static_cast<std::int64_t>(markstack.back());
                markstack.pop_back();
                while (!stack.empty() && stack.back() != 1)
                    stack.pop_back();
                if (stack.empty()) {
                    // pickletools' own IndexError: its MARK was consumed as an ordinary item.
                    d.danglingOffset = at;
                    fail(ErrorCode::MarkError, at,
                        std::string(info->name) + ": the MARK at " + std::to_string(rec.markAt)
                            + " is no longer on the stack (list index out of range)");
                    break;
                }
                stack.pop_back();
                --marksInStack;
                numtopop = info->stack.popsMark ? static_cast<std::size_t>(info->stack.pops) : 0;
            } else {
                rec.markAt = kMarkMissing;
                errormsg = "no MARK exists on stack";
                errorCode = ErrorCode::MarkError;
            }
        }

        // Memo checks.
        std::string memoMessage;
        if (isPut(op) || op == Op::Memoize) {
            bool defined;
            if (op == Op::Memoize) {
                rec.memoIndex = static_cast<std::int64_t>(memo.size());
                defined = memo.contains(rec.memoIndex);
            } else {
                rec.memoIndex = arg.bigInt ? -1 : arg.intValue;
                defined = arg.bigInt ? memo.containsBig(rec.argText) : memo.contains(arg.intValue);
            }
            if (defined) {
                memoMessage = "memo key " + (op == Op::Memoize ? std::string("None") : rec.argText)
                    + " already defined";
                errorCode = ErrorCode::BadArgument;
            } else if (stack.empty()) {
                errormsg = "stack is empty -- can't store into memo";
                errorCode = ErrorCode::StackUnderflow;
            } else if (stack.back() == 1) {
                errormsg = "can't store markobject in the memo";
                errorCode = ErrorCode::MarkError;
            } else if (op == Op::Memoize || !arg.bigInt) {
                memo.insert(op == Op::Memoize ? rec.memoIndex : arg.intValue);
            } else {
                memo.insertBig(rec.argText);
            }
        } else if (isGet(op)) {
            rec.memoIndex = arg.bigInt ? -1 : arg.intValue;
            const bool found
                = arg.bigInt ? memo.containsBig(rec.argText) : memo.contains(arg.intValue);
            if (!found) {
                memoMessage = "memo key " + rec.argText + " has never been stored into";
                errorCode = ErrorCode::MemoMiss;
            }
        }

        if (sink != nullptr)
            (*sink)(rec);
        else
            d.records.push_back(rec);
        if (errormsg != nullptr || !memoMessage.empty()) {
            fail(errorCode, at,
                std::string(info->name) + ": "
                    + (errormsg != nullptr ? std::string(errormsg) : memoMessage));
            break;
        }
        if (stack.size() < numtopop) {
            fail(ErrorCode::StackUnderflow, at,
                std::string(info->name) + ": tries to pop " + std::to_string(numtopop)
                    + " items from stack with only " + std::to_string(stack.size()) + " items");
            break;
        }
        for (std::size_t i = 0; i < numtopop; ++i) {
            marksInStack -= stack.back();
            stack.pop_back();
        }
        if (info->stack.pushesMark) {
            markstack.push_back(rec.offset);
            stack.push_back(1);
            ++marksInStack;
        } else {
            for (int i = 0; i < info->stack.pushes; ++i)
                stack.push_back(0);
        }
        if (op == Op::Stop) {
            d.stopped = true;
            if (!stack.empty())
                fail(ErrorCode::BadValue, at,
                    "STOP: stack not empty after STOP: "
                        + std::to_string(stack.size() - marksInStack) + " item(s) and "
                        + std::to_string(marksInStack) + " MARK(s) left");
            break;
        }
    }
    d.highestProtocol = maxproto;
    d.endOffset = m_reader.absolute(m_reader.pos());
    return d;
}

} // namespace

std::string pythonFloatRepr(double value)
{
    std::string out;
    appendFloatRepr(out, value);
    return out;
}

Disassembly disassemble(std::span<const std::byte> bytes, std::uint64_t baseOffset)
{
    Walker walker(bytes, baseOffset);
    return walker.run(nullptr);
}

Disassembly disassemble(
    std::span<const std::byte> bytes, std::uint64_t baseOffset, const OpRecordSink& sink)
{
    Walker walker(bytes, baseOffset);
    return walker.run(&sink);
}

Disassembly disassemble(std::span<const std::byte> bytes, std::uint64_t baseOffset,
    const OpRecordSink& sink, const DisassembleOptions& options)
{
    Walker walker(bytes, baseOffset, options);
    return walker.run(&sink);
}

std::size_t pickletoolsLineBound(const OpRecord& rec)
{
    return 80 + static_cast<std::size_t>(rec.markDepth) * 4 + rec.info->name.size()
        + rec.argText.size();
}

void appendPickletoolsLine(std::string& out, const OpRecord& rec, std::uint64_t baseOffset)
{
    const std::size_t old = out.size();
    out.resize(old + pickletoolsLineBound(rec));
    char* const end = writePickletoolsLine(out.data() + old, rec, baseOffset);
    out.resize(static_cast<std::size_t>(end - out.data()));
}

namespace {

// Small copies inline: most pieces of a line are a few bytes, where a libc call costs more than
// the copy.
inline char* copyInto(char* p, const char* src, std::size_t n)
{
    if (n > 32) {
        std::memcpy(p, src, n);
        return p + n;
    }
    for (std::size_t i = 0; i < n; ++i)
        p[i] = src[i];
    return p + n;
}

constexpr char kDigitPairs[]
    = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";

// Decimal digits of v at p, right-aligned in `width` columns (spaces before).
inline char* writeDecimal(char* p, std::uint64_t v, std::size_t width = 0)
{
    char tmp[20];
    std::size_t pos = sizeof tmp;
    while (v >= 100) {
        const std::size_t pair = static_cast<std::size_t>(v % 100) * 2;
        v /= 100;
        tmp[--pos] = kDigitPairs[pair + 1];
        tmp[--pos] = kDigitPairs[pair];
    }
    if (v >= 10) {
        const std::size_t pair = static_cast<std::size_t>(v) * 2;
        tmp[--pos] = kDigitPairs[pair + 1];
        tmp[--pos] = kDigitPairs[pair];
    } else {
        tmp[--pos] = static_cast<char>('0' + v);
    }
    const std::size_t n = sizeof tmp - pos;
    for (std::size_t i = n; i < width; ++i)
        *p++ = ' ';
    for (std::size_t i = pos; i < sizeof tmp; ++i)
        *p++ = tmp[i];
    return p;
}

} // namespace

char* writePickletoolsLine(char* p, const OpRecord& rec, std::uint64_t baseOffset)
{
    // The hot loop of `picklescope-cli dis`: raw pointer writes into reserved space.
    const std::string_view name = rec.info->name;
    const std::size_t indent = static_cast<std::size_t>(rec.markDepth) * 4;
    p = writeDecimal(p, rec.offset - baseOffset, 5); // "%5d: "
    *p++ = ':';
    *p++ = ' ';
    // "%-4s " of repr(opcode.code)[1:-1]
    const auto code = static_cast<std::uint8_t>(rec.info->op);
    if (code >= 0x20 && code < 0x7F) {
        *p++ = static_cast<char>(code);
        p = copyInto(p, "    ", 4);
    } else {
        *p++ = '\\';
        *p++ = 'x';
        *p++ = kHex[code >> 4];
        *p++ = kHex[code & 0xF];
        *p++ = ' ';
    }
    for (std::size_t i = 0; i < indent; ++i)
        *p++ = ' ';
    p = copyInto(p, name.data(), name.size());
    const bool hasArg = rec.info->arg != ArgKind::None;
    const bool memoize = rec.info->op == Op::Memoize;
    if (hasArg || memoize || rec.markAt != -1) {
        for (std::size_t i = name.size(); i < 10; ++i)
            *p++ = ' ';
        if (hasArg) {
            *p++ = ' ';
            p = copyInto(p, rec.argText.data(), rec.argText.size());
        }
        if (memoize) {
            p = copyInto(p, " (as ", 5);
            p = writeDecimal(p, static_cast<std::uint64_t>(rec.memoIndex));
            *p++ = ')';
        } else if (rec.markAt == kMarkMissing) {
            p = copyInto(p, " no MARK exists on stack", 24);
        } else if (rec.markAt >= 0) {
            p = copyInto(p, " (MARK at ", 10);
            p = writeDecimal(p, static_cast<std::uint64_t>(rec.markAt) - baseOffset);
            *p++ = ')';
        }
    }
    *p++ = '\n';
    return p;
}

void appendPickletoolsTrailer(std::string& out, const Disassembly& dis, std::uint64_t baseOffset)
{
    if (dis.danglingOffset) {
        const std::string number = std::to_string(*dis.danglingOffset - baseOffset);
        if (number.size() < 5)
            out.append(5 - number.size(), ' ');
        out += number + ": ";
    }
    if (dis.stopped) {
        out.append("highest protocol among opcodes = ");
        out += std::to_string(dis.highestProtocol);
        out.push_back('\n');
    }
}

std::string renderPickletools(const Disassembly& dis, std::uint64_t baseOffset)
{
    std::string out;
    out.reserve(dis.records.size() * 40 + 64);
    for (const OpRecord& rec : dis.records)
        appendPickletoolsLine(out, rec, baseOffset);
    appendPickletoolsTrailer(out, dis, baseOffset);
    return out;
}

} // namespace core
