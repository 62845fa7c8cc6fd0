#include "core/safety/scanned_load.h"

#include "core/formats/detect_format.h"
#include "core/loader.h"
#include "core/safety/opcode_scan.h"
#include "core/value/byte_source.h"

#include <QFileInfo>

#include <new>
#include <optional>
#include <system_error>
#include <thread>

namespace core::safety {

namespace {

// Below this the scan is cheaper than starting a thread: it runs after the load.
constexpr std::size_t kThreadMinBytes = 64 * 1024;

} // namespace

Result<ScannedDocument> loadAndScan(
    std::shared_ptr<ByteSource> source, const LoadOptions& options, LoadObserver* observer)
{
    PS_TRY(prefetchForLoad(*source, observer));
    const std::span<const std::byte> bytes = source->bytes();
    const bool plain = bytes.size() >= kThreadMinBytes
        && !isContainerFormat(detectFormat(bytes, source->path()));

    // The scan thread reads only `bytes` (kept mapped by `keep` until it is joined: a failed load
    // drops its document, and the source with it) and writes only `prescan`; the load on this
    // thread never touches either, nor does the scan touch the graph.
    const std::shared_ptr<ByteSource> keep = source;
    std::optional<Prescan> prescan;
    bool prescanFailed = false;
    std::jthread scanner; // joined on every way out, an exception's included
    if (plain) {
        try {
            scanner = std::jthread([bytes, &prescan, &prescanFailed] {
                try {
                    prescan.emplace(prescanStacked(bytes));
                } catch (const std::bad_alloc&) {
                    prescanFailed = true; // scan() walks the bytes itself, as without a prescan
                }
            });
        } catch (const std::system_error&) {
            // No thread to be had: scan() walks the bytes after the load.
        }
    }
    auto loaded = loadSource(std::move(source), options, observer);
    if (scanner.joinable())
        scanner.join();
    if (!loaded.ok())
        return loaded.takeError();
    ScannedDocument out;
    out.doc = std::move(loaded).value();
    try {
        out.report = scan(*out.doc, prescan && !prescanFailed ? &*prescan : nullptr);
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::LimitExceeded, 0, "out of memory while scanning");
    }
    return out;
}

Result<ScannedDocument> loadAndScan(
    const std::string& path, const LoadOptions& options, LoadObserver* observer)
{
    // A folder holding a sharded index or a distributed checkpoint opens as that checkpoint.
    std::string file = path;
    if (QFileInfo(QString::fromStdString(path)).isDir()) {
        file = checkpointInFolder(path);
        if (file.empty())
            return makeError(ErrorCode::Unsupported, 0,
                "a folder without a *.index.json or a distributed checkpoint's .metadata");
    }
    PS_ASSIGN(auto source, ByteSource::mapFile(file));
    return loadAndScan(std::move(source), options, observer);
}

} // namespace core::safety
