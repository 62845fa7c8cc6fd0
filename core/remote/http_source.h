#pragma once

// Remote files over HTTP(S): a core::ByteSource whose pages are fetched on demand with Range
// requests (QtNetwork, on a thread of its own; the core's readers stay synchronous and block on
// each fetch). This is its own library, core_remote, so that `core` links QtCore only.
//
// Traffic: only to the URL the user gives (and where its redirects lead; credentials and extra
// headers go to the named host only). No proxy. Nothing is logged.

#include "core/result.h"
#include "core/value/byte_source.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace core::remote {

struct HttpOptions {
    // Extra request headers ("Authorization: Bearer …"), sent to the URL's own host only.
    std::vector<std::pair<std::string, std::string>> headers;
    // Basic credentials for the URL's host from this netrc file; empty: ~/.netrc (if present).
    std::string netrcPath;
    bool useNetrc = true;
    int transferTimeoutMs = 20000; // a request that receives nothing for this long fails
    int retries = 2; // a request whose connection fails is resumed this many times
    int maxInFlight = 6; // concurrent requests of one fetch (Qt opens up to 6 connections a host)
    int maxRedirects = 10;
    // Fetched bytes kept in memory (ByteSource::RemoteOptions::cacheLimit).
    std::uint64_t cacheLimit = ByteSource::kDefaultCacheLimit;
    bool guardUnfetched = false; // tests: unfetched pages unreadable (ByteSource::RemoteOptions)
};

// Opens `url` (http:// or https://): one request learns the size and checks that the server
// serves byte ranges. Errors: not found / refused / no range support (with the file size).
Result<std::shared_ptr<ByteSource>> openUrl(
    const std::string& url, const HttpOptions& options = {});

// Makes ByteSource::mapFile (and so every loader entry point) open URLs with `options`. The first
// URL opened creates a QCoreApplication when there is none (the CLI: it opens on its main thread).
void installUrlOpener(HttpOptions options);

// "user:pass" for `host` from a netrc file (machine / default entries); empty when none.
std::string netrcCredentials(const std::string& netrcPath, const std::string& host);

} // namespace core::remote
