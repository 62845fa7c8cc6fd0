#include "core/safety/batch_scan.h"

#include "core/export/json_stream.h"
#include "core/formats/detect_format.h"

#include "core/pickle/opcodes.h"
#include "core/safety/opcode_scan.h"
#include "core/safety/scanned_load.h"
#include "core/torch/torch_reader.h"
#include "core/value/byte_source.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <new>
#include <set>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <utility>

#include <sys/stat.h>

namespace core::safety {

namespace fs = std::filesystem;

namespace {

struct DirKey {
    std::uint64_t dev = 0, ino = 0;
    bool operator<(const DirKey& o) const { return dev != o.dev ? dev < o.dev : ino < o.ino; }
    bool operator==(const DirKey& o) const { return dev == o.dev && ino == o.ino; }
};

bool dirKey(const std::string& path, DirKey& out)
{
    struct stat st { };
    if (::stat(path.c_str(), &st) != 0)
        return false;
    out = { static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino) };
    return true;
}

std::string joinPath(const std::string& dir, const std::string& name)
{
    if (dir.empty() || dir.back() == '/')
        return dir + name;
    return dir + "/" + name;
}

// Walks the arguments into `out`: files to scan (status Skipped until scanned) and entries
// with an error. Iterative: one frame per open folder, the ancestor chain for loop detection.
class Walker {
public:
    Walker(bool recursive, std::vector<FileScan>& out)
        : m_recursive(recursive)
        , m_out(out)
    {
    }

    void walkArgument(const std::string& path)
    {
        std::error_code ec;
        const fs::file_status status = fs::status(path, ec);
        if (ec) {
            addError(path, describe(path, ec));
            return;
        }
        if (fs::is_directory(status)) {
            walkFolder(path);
            return;
        }
        addFile(path);
    }

private:
    struct Frame {
        std::string path;
        DirKey key;
        std::vector<std::pair<std::string, bool>> entries; // name, is a symlink
        std::size_t next = 0;
    };

    void walkFolder(const std::string& root)
    {
        std::vector<Frame> stack;
        if (!open(root, stack))
            return;
        while (!stack.empty()) {
            Frame& top = stack.back();
            if (top.next >= top.entries.size()) {
                stack.pop_back();
                continue;
            }
            const auto [name, symlink] = top.entries[top.next++];
            const std::string path = joinPath(top.path, name);
            std::error_code ec;
            const fs::file_status status = fs::status(path, ec);
            if (ec) {
                addError(path, describe(path, ec));
                continue;
            }
            if (fs::is_directory(status)) {
                if (!m_recursive)
                    continue;
                DirKey key;
                if (!dirKey(path, key)) {
                    addError(path, "cannot read the folder");
                    continue;
                }
                const bool loop = std::any_of(stack.begin(), stack.end(),
                    [&](const Frame& frame) { return frame.key == key; });
                if (loop) {
                    addError(path, "symlink loop: it leads back to a folder that contains it");
                    continue;
                }
                if (m_seen.count(key) != 0)
                    continue; // a second link to a folder already walked
                open(path, stack);
                continue;
            }
            if (fs::is_regular_file(status) || (symlink && fs::exists(status)))
                addFile(path);
            // sockets, fifos, devices: not files to read
        }
    }

    bool open(const std::string& path, std::vector<Frame>& stack)
    {
        Frame frame;
        frame.path = path;
        if (!dirKey(path, frame.key)) {
            addError(path, "cannot read the folder");
            return false;
        }
        m_seen.insert(frame.key);
        std::error_code ec;
        fs::directory_iterator it(path, ec);
        if (ec) {
            addError(path, "cannot read the folder: " + ec.message());
            return false;
        }
        for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
            std::error_code linkEc;
            const bool symlink = it->is_symlink(linkEc);
            frame.entries.emplace_back(it->path().filename().string(), symlink);
        }
        if (ec)
            addError(path, "cannot list the folder: " + ec.message());
        std::sort(frame.entries.begin(), frame.entries.end());
        stack.push_back(std::move(frame));
        return true;
    }

    static std::string describe(const std::string& path, const std::error_code& ec)
    {
        if (ec == std::errc::too_many_symbolic_link_levels)
            return "symlink loop: the link resolves to itself";
        std::error_code linkEc;
        if (ec == std::errc::no_such_file_or_directory && fs::is_symlink(path, linkEc))
            return "broken symlink";
        return "cannot read: " + ec.message();
    }

    void addFile(const std::string& path)
    {
        FileScan file;
        file.path = path;
        m_out.push_back(std::move(file));
    }

    void addError(const std::string& path, std::string message)
    {
        FileScan file;
        file.path = path;
        file.status = FileStatus::Error;
        file.error = std::move(message);
        m_out.push_back(std::move(file));
    }

    bool m_recursive;
    std::vector<FileScan>& m_out;
    std::set<DirKey> m_seen;
};

std::uint32_t opcodeLength(const GlobalUse& use, std::span<const std::byte> fileBytes)
{
    if (use.opcode == "GLOBAL" || use.opcode == "INST")
        return static_cast<std::uint32_t>(
            3 + std::min<std::size_t>(use.pickledModule.size() + use.pickledName.size(), 1u << 30));
    if (use.opcode == "EXT" && use.offset < fileBytes.size()) {
        switch (static_cast<std::uint8_t>(fileBytes[use.offset])) {
        case 0x82:
            return 2; // EXT1
        case 0x83:
            return 3; // EXT2
        case 0x84:
            return 5; // EXT4
        default:
            return 1;
        }
    }
    return 1; // STACK_GLOBAL, OBJ
}

void fillLengths(FileScan& file, const Document* doc, std::span<const std::byte> fileBytes)
{
    std::unordered_set<std::string> inflated;
    if (doc != nullptr)
        for (const PickleStream& stream : doc->pickles)
            if (stream.inflated && inflated.insert(stream.name).second)
                file.inflatedPickles.push_back(stream.name);
    file.opcodeLengths.reserve(file.report.globals.size());
    for (const GlobalUse& use : file.report.globals)
        file.opcodeLengths.push_back(
            inflated.count(use.pickle) != 0 ? 0 : opcodeLength(use, fileBytes));
}

} // namespace

bool isScannable(std::span<const std::byte> bytes)
{
    if (bytes.empty())
        return false;
    if (detectFormat(bytes) != FileFormat::Pickle) // every container the loader reads
        return true;
    const auto first = static_cast<std::uint8_t>(bytes[0]);
    if (first == 0x80)
        return bytes.size() >= 2 && static_cast<std::uint8_t>(bytes[1]) <= 5;
    if (opcodeInfo(first) == nullptr)
        return false;
    // Protocol 0/1: no header. A program that runs to STOP is a pickle; so is one that calls a
    // global before it breaks (pickle.load runs the call before it meets the damage).
    const OpcodeScan scan = scanOpcodes(bytes, 0);
    if (scan.stopped)
        return true;
    return std::any_of(scan.globals.begin(), scan.globals.end(),
        [](const RawGlobal& global) { return !global.uses.empty(); });
}

std::string percentEncodePath(std::string_view path)
{
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(path.size());
    for (const char c : path) {
        const auto u = static_cast<unsigned char>(c);
        const bool plain = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z')
            || (u >= '0' && u <= '9') || c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
        if (plain) {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHex[u >> 4]);
            out.push_back(kHex[u & 15]);
        }
    }
    return out;
}

FileScan scanFile(const std::string& path, const LoadOptions& options)
{
    FileScan file;
    file.path = path;
    auto mapped = ByteSource::mapFile(path);
    if (!mapped.ok()) {
        file.status = FileStatus::Error;
        file.error = "cannot read: " + mapped.error().message;
        return file;
    }
    std::shared_ptr<ByteSource> source = std::move(mapped).value();
    const std::span<const std::byte> bytes = source->bytes();
    if (!isScannable(bytes)) {
        file.status = FileStatus::Skipped;
        return file;
    }
    file.status = FileStatus::Scanned;
    const std::string name = fs::path(path).filename().string();
    try {
        auto loaded = loadAndScan(source, options);
        if (loaded.ok()) {
            ScannedDocument& scanned = loaded.value();
            file.format = std::string(fileFormatName(scanned.doc->format));
            file.report = std::move(scanned.report);
            if (scanned.doc->error)
                file.error = scanned.doc->error->toString();
            fillLengths(file, scanned.doc.get(), bytes);
            return file;
        }
        // The container could not be opened: walk its raw bytes as pickles, as `scan FILE` does.
        file.error = loaded.error().toString();
        file.format = "pickle";
        file.report = scanBytes(bytes, name);
        fillLengths(file, nullptr, bytes);
    } catch (const std::bad_alloc&) {
        file.status = FileStatus::Error;
        file.error = "out of memory while scanning";
    }
    return file;
}

BatchResult scanPaths(const std::vector<std::string>& paths, const BatchOptions& options)
{
    BatchResult result;
    Walker walker(options.recursive, result.files);
    for (const std::string& path : paths)
        walker.walkArgument(path);

    std::error_code ec;
    fs::path base = options.baseDir.empty() ? fs::current_path(ec) : fs::path(options.baseDir);
    base = fs::absolute(base, ec).lexically_normal();
    for (FileScan& file : result.files) {
        const fs::path absolute = fs::absolute(fs::path(file.path), ec).lexically_normal();
        fs::path relative = absolute.lexically_relative(base);
        if (relative.empty())
            relative = fs::path(file.path).lexically_normal();
        file.uri = percentEncodePath(relative.generic_string());
    }

    std::vector<std::size_t> todo;
    for (std::size_t i = 0; i < result.files.size(); ++i)
        if (result.files[i].status != FileStatus::Error)
            todo.push_back(i);
    unsigned jobs = options.jobs != 0 ? options.jobs : std::thread::hardware_concurrency();
    jobs = std::max(1u, std::min<unsigned>(jobs, static_cast<unsigned>(todo.size())));
    std::atomic<std::size_t> next { 0 };
    auto work = [&] {
        for (std::size_t k = next.fetch_add(1); k < todo.size(); k = next.fetch_add(1)) {
            FileScan& file = result.files[todo[k]];
            FileScan scanned = scanFile(file.path, options.load);
            scanned.uri = std::move(file.uri);
            file = std::move(scanned);
        }
    };
    {
        std::vector<std::jthread> pool;
        for (unsigned i = 1; i < jobs; ++i) {
            try {
                pool.emplace_back(work);
            } catch (const std::system_error&) {
                break; // fewer threads: this one does the rest
            }
        }
        work();
    }

    // The count each verdict of a scanned file adds to (Verdict's order: safe, unknown, dangerous).
    static constexpr std::size_t BatchSummary::*kByVerdict[]
        = { &BatchSummary::clean, &BatchSummary::unknown, &BatchSummary::dangerous };
    BatchSummary& s = result.summary;
    for (const FileScan& file : result.files) {
        if (file.status == FileStatus::Skipped) {
            ++s.skipped;
            continue;
        }
        if (file.malformed())
            ++s.errors; // unreadable, or scanned as far as it loaded
        if (file.status == FileStatus::Scanned) {
            ++s.scanned;
            ++(s.*kByVerdict[static_cast<std::size_t>(file.report.verdict)]);
        }
    }
    return result;
}

QByteArray batchToJson(const BatchResult& result)
{
    StringJsonSink sink;
    JsonStream out(sink, { .indent = 4 });
    out.beginObject().key("files").beginArray();
    for (const FileScan& file : result.files) {
        if (file.status == FileStatus::Skipped)
            continue;
        out.beginObject().member("path", file.path);
        if (file.status == FileStatus::Error) {
            out.member("verdict", "error").member("error", file.error).endObject();
            continue;
        }
        out.member("verdict", verdictName(file.report.verdict)).member("format", file.format);
        if (!file.error.empty())
            out.member("error", file.error);
        out.key("globals").beginArray();
        for (std::size_t i = 0; i < file.report.globals.size(); ++i) {
            const GlobalUse& use = file.report.globals[i];
            out.beginObject()
                .member("module", use.module)
                .member("name", use.name)
                .member("verdict", verdictName(use.verdict))
                .member("reason", use.reason)
                .member("opcode", use.opcode)
                .member("pickle", use.pickle)
                .member("offset", use.offset);
            if (i < file.opcodeLengths.size() && file.opcodeLengths[i] != 0)
                out.member("length", file.opcodeLengths[i]);
            out.member("path", use.path).endObject();
        }
        out.endArray().key("findings").beginArray();
        for (const Finding& f : file.report.findingDetails) {
            out.beginObject()
                .member("verdict", verdictName(f.verdict))
                .member("pickle", f.pickle)
                .member("offset", f.offset)
                .member("message", f.message)
                .endObject();
        }
        out.endArray().endObject();
    }
    const BatchSummary& s = result.summary;
    out.endArray().key("summary").beginObject();
    out.member("scanned", s.scanned)
        .member("dangerous", s.dangerous)
        .member("unknown", s.unknown)
        .member("clean", s.clean)
        .member("skipped", s.skipped)
        .member("errors", s.errors);
    out.endObject().endObject();
    (void)out.finish(); // a string sink never refuses bytes
    return QByteArray::fromStdString(sink.take());
}

} // namespace core::safety
