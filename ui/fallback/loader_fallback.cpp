// Linked only while core/loader.cpp does not exist yet (see ui/CMakeLists.txt).
#include "core/loader.h"

namespace core {

Result<std::shared_ptr<Document>> loadFile(const std::string& path, const LoadOptions&, LoadObserver*)
{
    return makeError(ErrorCode::Unsupported, 0, "the loader is not built in (" + path + ")");
}

Result<std::shared_ptr<Document>> loadSource(std::shared_ptr<ByteSource>, const LoadOptions&, LoadObserver*)
{
    return makeError(ErrorCode::Unsupported, 0, "the loader is not built in");
}

Result<ValueId> runPickle(Document&, PickleMachine&, std::string, std::span<const std::byte>, std::uint64_t, bool)
{
    return makeError(ErrorCode::Unsupported, 0, "the loader is not built in");
}

} // namespace core
