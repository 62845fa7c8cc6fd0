#include "core/export/export_context.h"

#include <string>

namespace core {

Error exportCancelled()
{
    return makeError(ErrorCode::Cancelled, 0, "export cancelled");
}

Error exportWriteFailed()
{
    return makeError(ErrorCode::Io, 0, "could not write the JSON output");
}

void ExportContext::intValue(ValueId id)
{
    if (g.kind(id) != ValueKind::Int) {
        out.value(g.intDecimal(id));
        return;
    }
    const std::int64_t v = g.intValue(id);
    const bool small = v > -(std::int64_t(1) << 53) && v < (std::int64_t(1) << 53);
    if (small || options.plain)
        out.value(v);
    else
        out.value(std::to_string(v));
}

void ExportContext::wide(numpy::Int128 v)
{
    char buf[48];
    char* end = buf + sizeof buf;
    char* p = end;
    const bool negative = v < 0;
    numpy::UInt128 u = negative ? static_cast<numpy::UInt128>(0) - static_cast<numpy::UInt128>(v)
                                : static_cast<numpy::UInt128>(v);
    do {
        *--p = static_cast<char>('0' + static_cast<int>(u % 10));
        u /= 10;
    } while (u != 0);
    if (negative)
        *--p = '-';
    const std::string_view digits(p, static_cast<std::size_t>(end - p));
    const numpy::Int128 limit = numpy::Int128(1) << 53;
    if (!options.plain && (v >= limit || v <= -limit))
        out.value(digits);
    else
        out.raw(digits);
}

void ExportContext::bytesValue(std::string_view bytes)
{
    out.beginObject().member(options.plain ? "$type" : "type", "bytes").key("base64");
    out.base64(bytes).endObject();
}

bool ExportContext::plainScalar(ValueId id)
{
    switch (g.kind(id)) {
    case ValueKind::None:
        out.null();
        return true;
    case ValueKind::Bool:
        out.boolean(g.boolValue(id));
        return true;
    case ValueKind::Int:
    case ValueKind::BigInt:
        intValue(id);
        return true;
    case ValueKind::Float:
        out.value(g.floatValue(id));
        return true;
    case ValueKind::Str:
        out.value(g.text(id));
        return true;
    case ValueKind::Bytes:
        bytesValue(g.text(id));
        return true;
    default:
        return false;
    }
}

void ExportContext::pair(double re, double im)
{
    out.beginArray().value(re).value(im).endArray();
}

} // namespace core
