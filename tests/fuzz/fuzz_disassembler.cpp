// libFuzzer target: the disassembler (one OpRecord per opcode) and its pickletools rendering.

#include "core/pickle/disassembler.h"

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
    const core::Disassembly dis = core::disassemble(bytes, 0);
    const std::string text = core::renderPickletools(dis, 0);
    return text.size() == SIZE_MAX ? 1 : 0;
}
