#pragma once

// Numbers for people: counts with thousands separators and byte sizes in binary units, as the
// CLI and the panes print them.

#include <cstdint>
#include <string>

namespace core {

// 1,235,496
std::string withThousands(std::uint64_t value);
// "512 B", "4.7 MiB", "1.0 GiB" (one decimal from KiB on)
std::string humanBytes(std::uint64_t bytes);

} // namespace core
