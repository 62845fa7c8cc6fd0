// Linked only while core/pickle/disassembler.cpp does not exist yet (see ui/CMakeLists.txt).
#include "core/pickle/disassembler.h"

namespace core {

Disassembly disassemble(std::span<const std::byte>, std::uint64_t baseOffset)
{
    Disassembly dis;
    dis.error = makeError(ErrorCode::Unsupported, baseOffset, "the disassembler is not built in");
    dis.endOffset = baseOffset;
    return dis;
}

std::string renderPickletools(const Disassembly&, std::uint64_t) { return {}; }

} // namespace core
