#pragma once

// What a remote ByteSource reads its bytes through (an HTTP client lives outside the core, in
// core/remote/, so that the core links QtCore only). A fetcher is called with the source's lock
// held, from whichever thread needs the bytes; it blocks until every request is filled.

#include "core/result.h"

#include <cstddef>
#include <cstdint>
#include <span>

namespace core {

class RangeFetcher {
public:
    virtual ~RangeFetcher() = default;

    struct Request {
        std::uint64_t offset = 0; // absolute offset in the remote file
        std::span<std::byte> into; // exactly into.size() bytes are wanted
    };
    // Fills every request (the fetcher may run them concurrently). All or an Error whose offset
    // is the first byte that could not be had.
    virtual Result<void> fetch(std::span<const Request> requests) = 0;
};

} // namespace core
