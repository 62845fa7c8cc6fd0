#pragma once

// Names of enumerators from one table each (in enumerator order), and sets of enumerators as bit
// masks, instead of a switch per enum.

#include <array>
#include <cstddef>
#include <cstdint>
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

// Sets of enumerators (values below 64) as bit masks: inSet(enumSet(A, B), x).
template <typename Enum> constexpr std::uint64_t enumBit(Enum value)
{
    return std::uint64_t(1) << static_cast<unsigned>(value);
}
template <typename... Enums> constexpr std::uint64_t enumSet(Enums... values)
{
    return (enumBit(values) | ...);
}
template <typename Enum> constexpr bool inSet(std::uint64_t set, Enum value)
{
    return static_cast<unsigned>(value) < 64 && (set & enumBit(value)) != 0;
}

} // namespace core
