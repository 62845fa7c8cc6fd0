#include "core/value/known_type_repr.h"

#include "core/numpy/numpy_dtype.h"
#include "core/pickle/text_decoding.h"
#include "core/torch/element_decode.h"
#include "core/value/py_repr.h"
#include "core/value/value_access.h"
#include "core/value/value_text.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace core {

namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::string_view kEllipsis = "\xE2\x80\xA6"; // …

// ---- graph access helpers -----------------------------------------------------------------------

// Bytes of a Bytes/ByteArray value, or of a str whose code points all fit in a byte (Python 2
// and protocol-0 pickles carry binary state as latin-1 text).
std::optional<std::string> binaryOf(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id))
        return std::nullopt;
    const ValueKind k = g.kind(id);
    if (k == ValueKind::Bytes || k == ValueKind::ByteArray)
        return std::string(g.text(id));
    if (k == ValueKind::Str) {
        const std::string_view s = g.text(id);
        std::string out;
        for (std::size_t i = 0; i < s.size();) {
            const char32_t c = nextCodePoint(s, i);
            if (c > 0xFF)
                return std::nullopt;
            out.push_back(static_cast<char>(c));
        }
        return out;
    }
    return std::nullopt;
}

// The "instance dict" of an object's state: the dict itself, or the slot dict / dict of a
// (dict-or-None, slotstate) pair.
ValueId stateAttribute(const ValueGraph& g, ValueId state, std::string_view name)
{
    if (!g.valid(state))
        return kNullValue;
    if (g.kind(state) == ValueKind::Dict)
        return dictGet(g, state, name);
    if (g.kind(state) == ValueKind::Tuple && g.items(state).size() == 2) {
        const ValueId found = dictGet(g, g.items(state)[0], name);
        return isNull(found) ? dictGet(g, g.items(state)[1], name) : found;
    }
    return kNullValue;
}

// ---- datetime -----------------------------------------------------------------------------------

std::string twoArgs(std::string_view cls, std::initializer_list<long> values)
{
    std::string out(cls);
    out.push_back('(');
    bool first = true;
    for (long v : values) {
        if (!first)
            out += ", ";
        first = false;
        out += std::to_string(v);
    }
    out.push_back(')');
    return out;
}

std::string timedeltaRepr(long days, long seconds, long micros)
{
    std::string out = "datetime.timedelta(";
    std::string parts;
    auto add = [&](const char* name, long v) {
        if (v == 0)
            return;
        if (!parts.empty())
            parts += ", ";
        parts += name;
        parts.push_back('=');
        parts += std::to_string(v);
    };
    add("days", days);
    add("seconds", seconds);
    add("microseconds", micros);
    out += parts.empty() ? std::string("0") : parts;
    out.push_back(')');
    return out;
}

std::string reprTimedelta(const ValueGraph& g, ValueId id)
{
    const auto a = objectArgs(g, id);
    if (a == nullptr || a->size() > 3)
        return {};
    long v[3] = { 0, 0, 0 };
    for (std::size_t i = 0; i < a->size(); ++i) {
        const auto n = intOf(g, (*a)[i]);
        if (!n)
            return {};
        v[i] = static_cast<long>(*n);
    }
    // Pickles hold the normalised triple; normalise anyway as the constructor would
    // (timedelta(0, 0, 16553357) is timedelta(seconds=16, microseconds=553357)).
    auto floorDiv
        = [](long x, long y) { return x / y - ((x % y != 0) && ((x < 0) != (y < 0)) ? 1 : 0); };
    long seconds = 0, days = 0;
    if (__builtin_add_overflow(v[1], floorDiv(v[2], 1000000), &seconds)
        || __builtin_add_overflow(v[0], floorDiv(seconds, 86400), &days))
        return {};
    const long micros = v[2] - floorDiv(v[2], 1000000) * 1000000;
    seconds -= floorDiv(seconds, 86400) * 86400;
    if (days > 999999999 || days < -999999999)
        return {}; // CPython: OverflowError
    return timedeltaRepr(days, seconds, micros);
}

std::string reprTzinfo(const ValueGraph& g, ValueId id);

std::string reprTimezone(const ValueGraph& g, ValueId id)
{
    const auto a = objectArgs(g, id);
    if (a == nullptr || a->empty() || a->size() > 2)
        return {};
    const ValueId offset = (*a)[0];
    if (g.kind(offset) != ValueKind::Object || className(g, offset) != "datetime.timedelta")
        return {};
    const std::string delta = reprTimedelta(g, offset);
    if (delta.empty())
        return {};
    if (a->size() == 1) {
        if (delta == "datetime.timedelta(0)")
            return "datetime.timezone.utc";
        return "datetime.timezone(" + delta + ")";
    }
    const auto name = strOf(g, (*a)[1]);
    if (!name)
        return {};
    return "datetime.timezone(" + delta + ", " + pyStrRepr(*name) + ")";
}

std::string reprTzinfo(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id) || g.kind(id) != ValueKind::Object)
        return {};
    const std::string cls = className(g, id);
    if (cls == "datetime.timezone")
        return reprTimezone(g, id);
    if (cls == "zoneinfo.ZoneInfo._unpickle") {
        const auto a = objectArgs(g, id);
        if (a != nullptr && !a->empty())
            if (const auto key = strOf(g, (*a)[0]))
                return "zoneinfo.ZoneInfo(key=" + pyStrRepr(*key) + ")";
    }
    return {};
}

// Appends ", tzinfo=..." / ", fold=1" as CPython's datetime/time reprs do (fold first).
bool appendTzFold(const ValueGraph& g, std::span<const ValueId> a, bool fold, std::string& out)
{
    if (fold)
        out += ", fold=1";
    if (a.size() >= 2 && g.kind(a[1]) != ValueKind::None) {
        const std::string tz = reprTzinfo(g, a[1]);
        if (tz.empty())
            return false;
        out += ", tzinfo=" + tz;
    }
    return true;
}

void appendClock(std::string& out, int hour, int minute, int second, long micros)
{
    out += std::to_string(hour) + ", " + std::to_string(minute);
    if (second != 0 || micros != 0)
        out += ", " + std::to_string(second);
    if (micros != 0)
        out += ", " + std::to_string(micros);
}

int daysInMonth(int year, int month)
{
    static constexpr int kDays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        return 29;
    return kDays[month - 1];
}

std::string reprDateLike(const ValueGraph& g, ValueId id, std::string_view cls)
{
    const auto a = objectArgs(g, id);
    if (a == nullptr || a->empty())
        return {};
    const auto state = binaryOf(g, (*a)[0]);
    if (!state) {
        // datetime.date(1999, 12, 31) pickled with int arguments (e.g. by hand or other picklers).
        if (cls == "datetime.date" && a->size() == 3) {
            const auto y = intOf(g, (*a)[0]), m = intOf(g, (*a)[1]), d = intOf(g, (*a)[2]);
            if (y && m && d && *m >= 1 && *m <= 12 && *y >= 1 && *y <= 9999 && *d >= 1
                && *d <= daysInMonth(static_cast<int>(*y), static_cast<int>(*m)))
                return twoArgs("datetime.date",
                    { static_cast<long>(*y), static_cast<long>(*m), static_cast<long>(*d) });
        }
        return {};
    }
    const auto* b = reinterpret_cast<const unsigned char*>(state->data());
    const std::size_t n = state->size();
    if (cls == "datetime.date") {
        if (n != 4 || a->size() != 1)
            return {};
        const int year = b[0] * 256 + b[1], month = b[2], day = b[3];
        if (month < 1 || month > 12 || year < 1 || day < 1 || day > daysInMonth(year, month))
            return {};
        return twoArgs("datetime.date", { year, month, day });
    }
    if (cls == "datetime.datetime") {
        if (n != 10 || a->size() > 2)
            return {};
        const int year = b[0] * 256 + b[1], month = b[2] & 0x7F, day = b[3];
        const bool fold = (b[2] & 0x80) != 0;
        const int hour = b[4], minute = b[5], second = b[6];
        const long micros = (long(b[7]) << 16) | (long(b[8]) << 8) | b[9];
        if (month < 1 || month > 12 || year < 1 || day < 1 || day > daysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59 || micros > 999999)
            return {};
        std::string out = "datetime.datetime(" + std::to_string(year) + ", " + std::to_string(month)
            + ", " + std::to_string(day) + ", ";
        appendClock(out, hour, minute, second, micros);
        if (!appendTzFold(g, *a, fold, out))
            return {};
        out.push_back(')');
        return out;
    }
    if (cls == "datetime.time") {
        if (n != 6 || a->size() > 2)
            return {};
        const int hour = b[0] & 0x7F, minute = b[1], second = b[2];
        const bool fold = (b[0] & 0x80) != 0;
        const long micros = (long(b[3]) << 16) | (long(b[4]) << 8) | b[5];
        if (hour > 23 || minute > 59 || second > 59 || micros > 999999)
            return {};
        std::string out = "datetime.time(";
        appendClock(out, hour, minute, second, micros);
        if (!appendTzFold(g, *a, fold, out))
            return {};
        out.push_back(')');
        return out;
    }
    return {};
}

// ---- array.array --------------------------------------------------------------------------------

struct MachineFormat {
    int size;
    bool isSigned;
    bool isFloat;
    bool bigEndian;
    bool isText;
};

std::optional<MachineFormat> machineFormat(std::int64_t code)
{
    if (code < 0 || code > 21)
        return std::nullopt;
    if (code <= 1)
        return MachineFormat { 1, code == 1, false, false, false };
    if (code <= 13) {
        const int group = static_cast<int>((code - 2) / 4); // 0: 16, 1: 32, 2: 64 bits
        const int within = static_cast<int>((code - 2) % 4);
        return MachineFormat { 2 << group, within >= 2, false, (within % 2) == 1, false };
    }
    if (code <= 17)
        return MachineFormat { code <= 15 ? 4 : 8, true, true, (code % 2) == 1, false };
    return MachineFormat { code <= 19 ? 2 : 4, false, false, (code % 2) == 1, true };
}

// Native (x86-64 Linux) machine format of a typecode, as array pickles them at protocol < 3.
std::optional<MachineFormat> nativeFormat(char typecode)
{
    // By typecode: size, signedness; 'f'/'d' are floats, 'u'/'w' text (Py_UCS4).
    constexpr std::string_view kCodes = "bBuwhHiIlqLQfd";
    constexpr std::string_view kSizes = "11442244888848";
    constexpr std::string_view kSigned = "10001010110011";
    const std::size_t at = kCodes.find(typecode);
    if (at == std::string_view::npos)
        return std::nullopt;
    return MachineFormat { kSizes[at] - '0', kSigned[at] == '1', typecode == 'f' || typecode == 'd',
        false, typecode == 'u' || typecode == 'w' };
}

// The typecode array._array_reconstructor gives (CPython, x86-64 Linux): the pickled one when
// its native format is the machine format, else the last of b B h H i I l L q Q whose native
// size and signedness match (format 8, signed 32-bit, is 'i' even when pickled as a 32-bit 'l';
// 64-bit is 'q'), 'f'/'d' for floats, 'u' for text.
char reconstructedTypecode(char typecode, const MachineFormat& f)
{
    if (const auto native = nativeFormat(typecode); native && !f.bigEndian && native->size == f.size
        && native->isSigned == f.isSigned && native->isFloat == f.isFloat
        && native->isText == f.isText)
        return typecode;
    if (f.isText)
        return 'u';
    if (f.isFloat)
        return f.size == 4 ? 'f' : 'd';
    char found = typecode;
    for (const char candidate : { 'b', 'B', 'h', 'H', 'i', 'I', 'l', 'L', 'q', 'Q' }) {
        const auto native = nativeFormat(candidate);
        if (native && native->size == f.size && native->isSigned == f.isSigned)
            found = candidate; // CPython's loop keeps the last match: 'q', not 'l'
    }
    return found;
}

constexpr std::size_t kMaxArrayReprItems = 10000;

std::string arrayFromBytes(char typecode, const MachineFormat& f, std::string_view data)
{
    std::string out = "array('";
    out.push_back(typecode);
    out.push_back('\'');
    if (f.size <= 0 || data.size() % static_cast<std::size_t>(f.size) != 0)
        return {};
    const std::size_t count = data.size() / static_cast<std::size_t>(f.size);
    if (count == 0)
        return out + ")";
    auto word = [&](std::size_t i) {
        std::uint64_t u = 0;
        for (int k = 0; k < f.size; ++k) {
            const int byteIndex = f.bigEndian ? k : f.size - 1 - k;
            u = (u << 8)
                | static_cast<unsigned char>(data[i * static_cast<std::size_t>(f.size)
                    + static_cast<std::size_t>(byteIndex)]);
        }
        return u;
    };
    if (f.isText) {
        std::string text;
        for (std::size_t i = 0; i < count; ++i) {
            std::uint64_t cp = word(i);
            if (f.size == 2 && cp >= 0xD800 && cp < 0xDC00 && i + 1 < count) { // UTF-16 pair
                const std::uint64_t lo = word(i + 1);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    ++i;
                }
            }
            if (cp > 0x10FFFF)
                return {};
            appendUtf8(text, static_cast<char32_t>(cp));
        }
        return out + ", " + pyStrRepr(text) + ")";
    }
    out += ", [";
    for (std::size_t i = 0; i < count; ++i) {
        if (i > 0)
            out += ", ";
        if (i == kMaxArrayReprItems) {
            out += kEllipsis;
            break;
        }
        const std::uint64_t u = word(i);
        if (f.isFloat) {
            double v;
            if (f.size == 4) {
                float fl;
                const auto u32 = static_cast<std::uint32_t>(u);
                std::memcpy(&fl, &u32, 4);
                v = fl;
            } else {
                std::memcpy(&v, &u, 8);
            }
            out += pyFloatRepr(v);
        } else if (f.isSigned) {
            const int shift = 64 - 8 * f.size;
            out += std::to_string(static_cast<std::int64_t>(u << shift) >> shift);
        } else {
            out += std::to_string(u);
        }
    }
    return out + "])";
}

std::string reprArray(const ValueGraph& g, ValueId id)
{
    const ObjectRecord& o = g.object(id);
    const auto a = seqOf(g, o.args);
    if (a == nullptr)
        return {};
    if (isGlobal(g, o.callable, "array", "_array_reconstructor")) {
        if (a->size() != 4 || !isGlobal(g, (*a)[0], "array", "array"))
            return {};
        const auto tc = strOf(g, (*a)[1]);
        const auto code = intOf(g, (*a)[2]);
        const auto data = binaryOf(g, (*a)[3]);
        if (!tc || tc->size() != 1 || !code || !data)
            return {};
        const auto f = machineFormat(*code);
        if (!f)
            return {};
        return arrayFromBytes(reconstructedTypecode((*tc)[0], *f), *f, *data);
    }
    // array.array(typecode[, list | str | bytes])
    if (a->empty() || a->size() > 2)
        return {};
    const auto tc = strOf(g, (*a)[0]);
    if (!tc || tc->size() != 1)
        return {};
    const char typecode = (*tc)[0];
    const auto native = nativeFormat(typecode);
    if (!native)
        return {};
    std::string out = "array('";
    out.push_back(typecode);
    out.push_back('\'');
    if (a->size() == 1)
        return out + ")";
    const ValueId init = (*a)[1];
    const ValueKind k = g.kind(init);
    if (k == ValueKind::Bytes) // Python 2: the machine bytes
        return arrayFromBytes(typecode, *native, g.text(init));
    if (k == ValueKind::Str) {
        if (!native->isText) // py2 str loaded as text: its latin-1 bytes
            return binaryOf(g, init) ? arrayFromBytes(typecode, *native, *binaryOf(g, init))
                                     : std::string();
        const std::string_view s = g.text(init);
        return s.empty() ? out + ")" : out + ", " + pyStrRepr(s) + ")";
    }
    if (k != ValueKind::List)
        return {};
    const auto& items = g.items(init);
    if (items.empty())
        return out + ")";
    if (native->isText) { // a list of 1-char strings
        std::string text;
        for (ValueId item : items) {
            const auto s = strOf(g, item);
            if (!s)
                return {};
            text += *s;
        }
        return out + ", " + pyStrRepr(text) + ")";
    }
    out += ", [";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0)
            out += ", ";
        if (i == kMaxArrayReprItems) {
            out += kEllipsis;
            break;
        }
        const ValueKind ik = g.kind(items[i]);
        if (native->isFloat) {
            if (ik == ValueKind::Float)
                out += pyFloatRepr(g.floatValue(items[i]));
            else if (ik == ValueKind::Int)
                out += pyFloatRepr(static_cast<double>(g.intValue(items[i])));
            else
                return {};
        } else if (ik == ValueKind::Int || ik == ValueKind::BigInt) {
            out += g.intDecimal(items[i]);
        } else {
            return {};
        }
    }
    return out + "])";
}

// ---- numpy scalars ------------------------------------------------------------------------------

// numpy.dtype(...) object -> (kind char, size, byteorder char).
struct NumpyType {
    char kind = 0; // 'f', 'i', 'u', 'b'
    int size = 0;
    char order = '<';
};

std::optional<NumpyType> numpyDtype(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id) || g.kind(id) != ValueKind::Object)
        return std::nullopt;
    const std::string cls = className(g, id);
    if (cls != "numpy.dtype")
        return std::nullopt;
    const auto a = objectArgs(g, id);
    if (a == nullptr || a->empty())
        return std::nullopt;
    const auto spec = strOf(g, (*a)[0]);
    if (!spec || spec->size() < 2)
        return std::nullopt;
    NumpyType t;
    t.kind = (*spec)[0];
    int size = 0;
    const auto r = std::from_chars(spec->data() + 1, spec->data() + spec->size(), size);
    if (r.ec != std::errc() || r.ptr != spec->data() + spec->size())
        return std::nullopt;
    t.size = size;
    const ValueId state = g.object(id).state;
    if (const auto s = seqOf(g, state); s != nullptr && s->size() >= 2)
        if (const auto order = strOf(g, (*s)[1]); order && order->size() == 1)
            t.order = (*order)[0];
    if (t.order == '=')
        t.order = '<';
    return t;
}

double halfToDouble(std::uint16_t h)
{
    return core::torch::halfToFloat(h);
}

// numpy's repr of a float16: the shortest decimal that rounds back to the same half.
std::string float16Repr(std::uint16_t h)
{
    const double v = halfToDouble(h);
    if (std::isnan(v) || std::isinf(v) || v == 0)
        return pyFloatRepr(v);
    const std::uint16_t magnitude = h & 0x7FFF;
    const double a = std::fabs(v);
    const double below = halfToDouble(static_cast<std::uint16_t>(magnitude - 1));
    const double above = magnitude >= 0x7BFF
        ? 65520.0 * 2 - a
        : halfToDouble(static_cast<std::uint16_t>(magnitude + 1));
    const double lo = (a + below) / 2, hi = (a + above) / 2;
    const bool even = (magnitude & 1) == 0;
    for (int digits = 1; digits <= 17; ++digits) {
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.*e", digits - 1, a);
        const double candidate = std::strtod(buf, nullptr);
        if ((candidate > lo && candidate < hi) || (even && (candidate == lo || candidate == hi))) {
            std::string text = formatShort(buf, true);
            // %.*e may leave trailing zeros in the mantissa; formatShort keeps digits as given.
            return (h & 0x8000) != 0 ? "-" + text : text;
        }
    }
    return pyFloatRepr(v);
}

// Scalars whose repr the dtype model gives: complex, longdouble, datetime64, timedelta64,
// str_, bytes_. Empty for the others (handled below) and for data that does not fit.
std::string reprNumpyScalarKinds(const ValueGraph& g, ValueId dtype, ValueId dataId)
{
    const auto d = numpy::dtypeFromValue(g, dtype);
    const auto data = binaryOf(g, dataId);
    if (!d || !data || d->structured() || d->node().subBase != numpy::kNoNode
        || data->size() != d->node().itemSize)
        return {};
    const numpy::DTypeNode& n = d->node();
    const auto* p = reinterpret_cast<const std::byte*>(data->data());
    const bool big = n.byteOrder == '>';
    const std::string unit = n.unit.empty()
        ? std::string()
        : (n.unitCount != 1 ? std::to_string(n.unitCount) : std::string()) + n.unit;
    switch (n.kind) {
    case 'f':
        return n.itemSize == 16 ? floatText(numpy::readLongDouble(p, big), false) : std::string();
    case 'c':
        if (n.itemSize == 8)
            return pyComplexRepr(static_cast<float>(numpy::readFloat(p, 4, big)),
                static_cast<float>(numpy::readFloat(p + 4, 4, big)));
        if (n.itemSize == 16)
            return pyComplexRepr(numpy::readFloat(p, 8, big), numpy::readFloat(p + 8, 8, big));
        return pyComplexRepr(numpy::readLongDouble(p, big), numpy::readLongDouble(p + 16, big));
    case 'M': {
        const std::int64_t v = numpy::readInt(p, 8, big);
        std::string text = "numpy.datetime64('" + numpy::datetimeAsString(v, n) + "'";
        if (v != numpy::kNaT && n.unitCount != 1)
            text += ",'" + unit + "'";
        return text + ")";
    }
    case 'm': {
        const std::int64_t v = numpy::readInt(p, 8, big);
        std::string text
            = "numpy.timedelta64(" + (v == numpy::kNaT ? std::string("'NaT'") : std::to_string(v));
        if (!unit.empty())
            text += ",'" + unit + "'";
        return text + ")";
    }
    case 'U':
        return pyStrRepr(numpy::ucs4ToUtf8(std::span<const std::byte>(p, data->size()), big));
    case 'S':
        return pyBytesRepr(numpy::stripNuls(*data));
    case 'V':
        return "void(" + pyBytesRepr(*data) + ")";
    default:
        return {};
    }
}

std::string reprNumpyScalar(const ValueGraph& g, ValueId id)
{
    const auto a = objectArgs(g, id);
    if (a == nullptr || a->size() != 2)
        return {};
    if (std::string other = reprNumpyScalarKinds(g, (*a)[0], (*a)[1]); !other.empty())
        return other;
    const auto t = numpyDtype(g, (*a)[0]);
    const auto data = binaryOf(g, (*a)[1]);
    if (!t || !data || static_cast<int>(data->size()) != t->size)
        return {};
    std::uint64_t u = 0;
    for (int k = 0; k < t->size && k < 8; ++k) {
        const int byteIndex = t->order == '>' ? k : t->size - 1 - k;
        u = (u << 8) | static_cast<unsigned char>((*data)[static_cast<std::size_t>(byteIndex)]);
    }
    switch (t->kind) {
    case 'b':
        return t->size == 1 ? (u != 0 ? "True" : "False") : std::string();
    case 'i':
        if (t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8) {
            const int shift = 64 - 8 * t->size;
            return std::to_string(static_cast<std::int64_t>(u << shift) >> shift);
        }
        return {};
    case 'u':
        return (t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8) ? std::to_string(u)
                                                                              : std::string();
    case 'f':
        if (t->size == 8) {
            double d;
            std::memcpy(&d, &u, 8);
            return pyFloatRepr(d);
        }
        if (t->size == 4) {
            float f;
            const auto u32 = static_cast<std::uint32_t>(u);
            std::memcpy(&f, &u32, 4);
            return pyFloat32Repr(f);
        }
        if (t->size == 2)
            return float16Repr(static_cast<std::uint16_t>(u));
        return {};
    default:
        return {};
    }
}

// ---- others -------------------------------------------------------------------------------------

std::string reprUuid(const ValueGraph& g, ValueId id)
{
    const ValueId value = stateAttribute(g, g.object(id).state, "int");
    if (!g.valid(value))
        return {};
    std::array<unsigned char, 16> be {}; // big-endian 128 bits
    if (g.kind(value) == ValueKind::Int) {
        if (g.intValue(value) < 0)
            return {};
        const auto u = static_cast<std::uint64_t>(g.intValue(value));
        for (int i = 0; i < 8; ++i)
            be[static_cast<std::size_t>(15 - i)] = static_cast<unsigned char>(u >> (8 * i));
    } else if (g.kind(value) == ValueKind::BigInt) {
        const auto bytes = g.bigIntBytes(value);
        if (bytes.empty() || (static_cast<unsigned char>(bytes.back()) & 0x80) != 0)
            return {};
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            const auto b = static_cast<unsigned char>(bytes[i]);
            if (i >= 16) {
                if (b != 0)
                    return {};
                continue;
            }
            be[15 - i] = b;
        }
    } else {
        return {};
    }
    std::string hex;
    for (std::size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            hex.push_back('-');
        hex.push_back(kHex[be[i] >> 4]);
        hex.push_back(kHex[be[i] & 0xF]);
    }
    return "UUID('" + hex + "')";
}

std::string reprPath(const ValueGraph& g, ValueId id, std::string_view cls)
{
    const auto a = objectArgs(g, id);
    if (a == nullptr)
        return {};
    const bool windows = cls.find("Windows") != std::string_view::npos;
    const char sep = windows ? '\\' : '/';
    std::string joined;
    for (std::size_t i = 0; i < a->size(); ++i) {
        const auto part = strOf(g, (*a)[i]);
        if (!part)
            return {};
        if (!joined.empty() && joined.back() != sep && joined.back() != ':')
            joined.push_back(sep);
        joined += *part;
    }
    if (joined.empty())
        joined = ".";
    if (windows)
        for (char& c : joined)
            if (c == '\\')
                c = '/';
    const auto dot = cls.rfind('.');
    return std::string(cls.substr(dot + 1)) + "(" + pyStrRepr(joined) + ")";
}

// repr of a scalar argument (None, int, str, ...) or empty.
std::string argRepr(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id) || !isScalarKind(g.kind(id)))
        return {};
    return scalarRepr(g, id);
}

std::string reprRangeSlice(const ValueGraph& g, ValueId id, bool isRange)
{
    const auto a = objectArgs(g, id);
    if (a == nullptr || a->empty() || a->size() > 3)
        return {};
    std::vector<std::string> parts;
    for (ValueId v : *a) {
        if (isRange && g.kind(v) != ValueKind::Int && g.kind(v) != ValueKind::BigInt
            && g.kind(v) != ValueKind::Bool)
            return {};
        std::string r = argRepr(g, v);
        if (r.empty())
            return {};
        parts.push_back(std::move(r));
    }
    if (isRange) {
        if (parts.size() == 1)
            parts.insert(parts.begin(), "0");
        if (parts.size() == 3 && parts[2] == "1")
            parts.pop_back();
        return "range(" + parts[0] + ", " + parts[1]
            + (parts.size() == 3 ? ", " + parts[2] : std::string()) + ")";
    }
    while (parts.size() < 3)
        parts.insert(parts.size() == 1 ? parts.begin() : parts.end(), "None");
    return "slice(" + parts[0] + ", " + parts[1] + ", " + parts[2] + ")";
}

std::string reprTorchSize(const ValueGraph& g, ValueId id)
{
    const auto a = objectArgs(g, id);
    if (a == nullptr || a->size() != 1)
        return {};
    const auto dims = seqOf(g, (*a)[0]);
    if (dims == nullptr)
        return {};
    std::string out = "torch.Size([";
    for (std::size_t i = 0; i < dims->size(); ++i) {
        const auto n = intOf(g, (*dims)[i]);
        if (!n)
            return {};
        if (i > 0)
            out += ", ";
        out += std::to_string(*n);
    }
    return out + "])";
}

std::string reprTorchDevice(const ValueGraph& g, ValueId id)
{
    const auto a = objectArgs(g, id);
    if (a == nullptr || a->empty() || a->size() > 2)
        return {};
    const auto type = strOf(g, (*a)[0]);
    if (!type)
        return {};
    std::string kind(*type);
    std::optional<std::int64_t> index;
    if (a->size() == 2 && g.kind((*a)[1]) != ValueKind::None) {
        index = intOf(g, (*a)[1]);
        if (!index)
            return {};
    } else if (const auto colon = kind.find(':'); colon != std::string::npos) {
        std::int64_t n = 0;
        const auto r = std::from_chars(kind.data() + colon + 1, kind.data() + kind.size(), n);
        if (r.ec != std::errc() || r.ptr != kind.data() + kind.size())
            return {};
        index = n;
        kind.resize(colon);
    }
    std::string out = "device(type=" + pyStrRepr(kind);
    if (index)
        out += ", index=" + std::to_string(*index);
    return out + ")";
}

std::string reprDecimal(const ValueGraph& g, ValueId id)
{
    const auto a = objectArgs(g, id);
    if (a == nullptr || a->size() != 1)
        return {};
    const auto text = strOf(g, (*a)[0]);
    if (!text)
        return {};
    return "Decimal(" + pyStrRepr(*text) + ")";
}

// How a known class's repr is made (its class name given).
using KnownRepr = std::string (*)(const ValueGraph& g, ValueId id, std::string_view cls);

template <std::string (*Repr)(const ValueGraph&, ValueId)>
std::string withoutClass(const ValueGraph& g, ValueId id, std::string_view)
{
    return Repr(g, id);
}

std::string reprRangeOrSlice(const ValueGraph& g, ValueId id, std::string_view cls)
{
    return reprRangeSlice(g, id, cls == "builtins.range");
}

std::string reprDType(const ValueGraph& g, ValueId id, std::string_view)
{
    const auto d = numpy::dtypeFromValue(g, id);
    return d ? d->repr() : std::string();
}

// The classes displayRepr decodes.
const std::pair<std::string_view, KnownRepr> kKnownReprs[]
    = { { "datetime.datetime", reprDateLike }, { "datetime.date", reprDateLike },
          { "datetime.time", reprDateLike }, { "datetime.timedelta", withoutClass<reprTimedelta> },
          { "datetime.timezone", withoutClass<reprTimezone> },
          { "zoneinfo.ZoneInfo._unpickle", withoutClass<reprTzinfo> },
          { "decimal.Decimal", withoutClass<reprDecimal> },
          { "array.array", withoutClass<reprArray> },
          { "numpy.core.multiarray.scalar", withoutClass<reprNumpyScalar> },
          { "numpy._core.multiarray.scalar", withoutClass<reprNumpyScalar> },
          { "numpy.dtype", reprDType }, { "builtins.range", reprRangeOrSlice },
          { "builtins.slice", reprRangeOrSlice }, { "uuid.UUID", withoutClass<reprUuid> },
          { "pathlib.PosixPath", reprPath }, { "pathlib.WindowsPath", reprPath },
          { "pathlib.PurePosixPath", reprPath }, { "pathlib.PureWindowsPath", reprPath },
          { "pathlib.Path", reprPath }, { "torch.Size", withoutClass<reprTorchSize> },
          { "torch.device", withoutClass<reprTorchDevice> } };

} // namespace

std::string numpyScalarType(const ValueGraph& g, ValueId id)
{
    const auto a = objectArgs(g, id);
    if (a == nullptr || a->size() != 2)
        return {};
    if (const auto d = numpy::dtypeFromValue(g, (*a)[0]); d && !d->structured()) {
        switch (d->node().kind) {
        case 'M':
            return "numpy.datetime64";
        case 'm':
            return "numpy.timedelta64";
        case 'U':
            return "numpy.str_";
        case 'S':
            return "numpy.bytes_";
        case 'V':
            return "numpy.void";
        default:
            break;
        }
    }
    const auto t = numpyDtype(g, (*a)[0]);
    if (!t)
        return {};
    switch (t->kind) {
    case 'b':
        return "numpy.bool_";
    case 'i':
        return "numpy.int" + std::to_string(t->size * 8);
    case 'u':
        return "numpy.uint" + std::to_string(t->size * 8);
    case 'f':
        return "numpy.float" + std::to_string(t->size * 8);
    case 'c':
        return "numpy.complex" + std::to_string(t->size * 8);
    default:
        return {};
    }
}

bool isNumpyScalarCall(const std::string& cls)
{
    return cls == "numpy.core.multiarray.scalar" || cls == "numpy._core.multiarray.scalar";
}

std::string displayRepr(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id) || g.kind(id) != ValueKind::Object)
        return {};
    const std::string cls = className(g, id);
    for (const auto& [name, repr] : kKnownReprs)
        if (cls == name)
            return repr(g, id, cls);
    return {};
}

} // namespace core
