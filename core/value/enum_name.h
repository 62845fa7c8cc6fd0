#pragma once

// Names of enumerators from one table each (in enumerator order) instead of a switch per enum.

#include <array>
#include <cstddef>
#include <string_view>

namespace core {

// names[value], or `fallback` for a value past the table.
template <typename Enum, std::size_t N>
constexpr std::string_view enumName(
    Enum value, const std::array<std::string_view, N>& names, std::string_view fallback)
{
    const auto at = static_cast<std::size_t>(value);
    return at < N ? names[at] : fallback;
}

} // namespace core
