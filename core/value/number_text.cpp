#include "core/value/number_text.h"

#include <cstdio>

namespace core {

std::string withThousands(std::uint64_t v)
{
    const std::string digits = std::to_string(v);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out.push_back(',');
        out.push_back(digits[i]);
    }
    return out;
}

std::string humanBytes(std::uint64_t v)
{
    static const char* const kUnits[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double x = static_cast<double>(v);
    int u = 0;
    while (x >= 1024 && u < 4) {
        x /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", x, kUnits[u]);
    return buf;
}

} // namespace core
