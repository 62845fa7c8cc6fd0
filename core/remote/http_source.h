#pragma once

// Remote files over HTTP(S): a core::ByteSource whose pages are fetched on demand with Range
// requests (QtNetwork, on a thread of its own; the core's readers stay synchronous and block on
// each fetch). This is its own library, core_remote, so that `core` links QtCore only.
//
// Traffic: only to the URL the user gives (and where its redirects lead; credentials and extra
// headers go to the named host only). No proxy. Nothing is logged.

#include "core/result.h"
#include "core/value/byte_source.h"

#include <functional>
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
    // https: PEM certificates trusted besides the system's (a server with its own CA).
    std::string caFile;
    int transferTimeoutMs = 20000; // a request that receives nothing for this long fails
    int retries = 2; // a request whose connection fails is resumed this many times
    int maxInFlight = 6; // concurrent requests of one fetch (Qt opens up to 6 connections a host)
    int maxRedirects = 10;
    // Fetched bytes kept in memory (ByteSource::RemoteOptions::cacheLimit).
    std::uint64_t cacheLimit = ByteSource::kDefaultCacheLimit;
    bool guardUnfetched = false;
    // A server without range support: download the whole file (downloadUrl) into the cache folder
    // and open the copy, instead of failing.
    bool downloadWithoutRanges = false;
    // Progress of such a download (bytes so far, total or 0); returns false to cancel.
    std::function<bool(std::uint64_t, std::uint64_t)>
        downloadProgress; // tests: unfetched pages unreadable (ByteSource::RemoteOptions)
};

// Opens `url` (http:// or https://): one request learns the size and checks that the server
// serves byte ranges. Errors: not found / refused / no range support (with the file size).
Result<std::shared_ptr<ByteSource>> openUrl(
    const std::string& url, const HttpOptions& options = {});

// Downloads the whole of `url` (a plain GET, redirects followed as for ranges, headers and
// credentials to the named host only) into `path`; progress(received, total) may cancel by
// returning false (the partial file is removed). Runs its own event loop on the calling thread.
Result<void> downloadUrl(const std::string& url, const std::string& path,
    const HttpOptions& options = {},
    const std::function<bool(std::uint64_t, std::uint64_t)>& progress = {});

// Where downloads go: <cache folder>/downloads/<hash of the URL>-<file name>.
std::string downloadPath(const std::string& url);

// Makes ByteSource::mapFile (and so every loader entry point) open URLs with `options`. The first
// URL opened creates a QCoreApplication when there is none (the CLI: it opens on its main thread).
// Installing again replaces the options for URLs opened from then on.
void installUrlOpener(HttpOptions options);
// The options installed (a copy): what a download the window starts uses too.
HttpOptions installedUrlOptions();

// "user:pass" for `host` from a netrc file (machine / default entries); empty when none.
std::string netrcCredentials(const std::string& netrcPath, const std::string& host);

} // namespace core::remote
