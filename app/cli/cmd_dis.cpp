// picklescope-cli dis FILE [--member NAME] [--json]: the opcode listing of a pickle, as
// `python3 -m pickletools FILE` prints it (byte-identical for valid pickles), or as JSON.

#include "app/cli/cli_command.h"
#include "core/export/json_stream.h"
#include "core/formats/detect_format.h"
#include "core/pickle/disassembler.h"
#include "core/value/byte_source.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

void writeAll(std::string_view text)
{
    std::fflush(stdout);
    const char* p = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        const ssize_t n = ::write(STDOUT_FILENO, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; // closed pipe (dis FILE | head): nothing more to do
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

// stdout through writeAll (a closed pipe ends the output quietly).
class StdoutSink : public core::JsonSink {
public:
    bool write(std::string_view text) override
    {
        writeAll(text);
        return true;
    }
};

void writeJsonRecord(core::JsonStream& json, const core::OpRecord& rec)
{
    json.beginObject()
        .member("offset", rec.offset)
        .member("length", rec.length)
        .member("opcode", static_cast<unsigned>(rec.info->op))
        .member("name", rec.info->name);
    json.key("arg");
    if (rec.hasArg())
        json.value(rec.argText);
    else
        json.null();
    json.member("stack_depth", rec.stackDepth).member("mark_depth", rec.markDepth).key("memo");
    if (rec.memoIndex >= 0)
        json.value(rec.memoIndex);
    else
        json.null();
    if (rec.markAt >= 0)
        json.member("mark_at", rec.markAt);
    json.endObject();
}

int runDis(const cli::Args& args)
{
    const std::string& path = args.positionals.front();
    auto mapped = core::ByteSource::mapFile(path);
    if (!mapped.ok()) {
        std::fprintf(stderr, "picklescope-cli: %s: %s\n", path.c_str(), mapped.error().toString().c_str());
        return cli::ExitMalformed;
    }
    std::shared_ptr<core::ByteSource> source = mapped.value();
    if (auto fetched = core::prefetchForLoad(*source); !fetched.ok()) { // a URL: what dis reads
        std::fprintf(
            stderr, "picklescope-cli: %s: %s\n", path.c_str(), fetched.error().toString().c_str());
        return cli::ExitMalformed;
    }
    std::span<const std::byte> bytes = source->bytes();
    std::uint64_t base = 0; // absolute offset of the program in the file
    std::string streamName = path;
    std::shared_ptr<core::Document> doc;

    if (args.has("--member") || core::isContainerFormat(core::detectFormat(bytes, path))) {
        int exitCode = cli::ExitOk;
        doc = cli::openDocument(args, exitCode);
        if (!doc)
            return exitCode;
        const core::PickleStream* stream = nullptr;
        if (args.has("--member")) {
            const std::string wanted = args.get("--member");
            for (const auto& candidate : doc->pickles) {
                const auto slash = candidate.name.rfind('/');
                const std::string tail = slash == std::string::npos ? candidate.name : candidate.name.substr(slash + 1);
                if (candidate.name == wanted || tail == wanted) {
                    stream = &candidate;
                    break;
                }
            }
            if (stream == nullptr) {
                std::fprintf(stderr, "picklescope-cli dis: %s: no pickle named '%s' (pickles:", path.c_str(),
                    wanted.c_str());
                for (const auto& candidate : doc->pickles)
                    std::fprintf(stderr, " %s", candidate.name.c_str());
                std::fprintf(stderr, ")\n");
                return cli::ExitUsage;
            }
        } else if (!doc->pickles.empty() && doc->mainPickle < doc->pickles.size()) {
            stream = &doc->pickles[doc->mainPickle];
        }
        if (stream == nullptr) {
            if (doc->error)
                cli::printDocumentError(*doc);
            else
                std::fprintf(stderr, "picklescope-cli dis: %s: no pickle found in the file\n", path.c_str());
            return cli::ExitMalformed;
        }
        bytes = stream->bytes;
        base = stream->inflated ? 0 : stream->offset;
        streamName = stream->name;
    }

    // Streamed: records are rendered as they come into a fixed buffer written out when full, so
    // memory stays flat whatever the size of the program.
    const bool json = args.has("--json");
    constexpr std::size_t kChunk = 1 << 16; // stays in L2 between writes
    std::string out;
    std::vector<char> buffer(kChunk);
    std::size_t used = 0;
    auto flush = [&] {
        writeAll({ buffer.data(), used });
        used = 0;
    };
    // One record per line (indent 2, each record on one line), as before.
    StdoutSink sink;
    core::JsonStream jsonOut(sink, { .indent = 2, .spaced = true, .lineDepth = 1 });
    if (json)
        jsonOut.beginArray();
    const core::Disassembly dis = core::disassemble(bytes, base, [&](const core::OpRecord& rec) {
        if (json) {
            writeJsonRecord(jsonOut, rec);
        } else {
            // A line can be longer than a chunk (deep MARK indentation): the buffer grows, and
            // the room left is measured against its real size.
            const std::size_t bound = core::pickletoolsLineBound(rec);
            if (buffer.size() - used < bound) {
                flush();
                if (bound > buffer.size())
                    buffer.resize(bound);
            }
            used = static_cast<std::size_t>(core::writePickletoolsLine(buffer.data() + used, rec, base) - buffer.data());
        }
    });
    flush();
    if (json) {
        jsonOut.endArray();
        (void)jsonOut.finish();
    } else {
        core::appendPickletoolsTrailer(out, dis, base);
        writeAll(out);
    }
    if (dis.error) {
        std::fprintf(stderr, "picklescope-cli dis: %s: %s\n", streamName.c_str(), dis.error->toString().c_str());
        return cli::ExitMalformed;
    }
    return cli::ExitOk;
}

} // namespace

PS_CLI_COMMAND({ "dis", "dis FILE [--member NAME] [--json]",
    "opcode listing, as python3 -m pickletools prints it (--json: one object per opcode)",
    {
        { { "member" }, "NAME",
            "the archive's pickle to list (default: the main one), by full name or by the name "
            "after the last /" },
        { { "json" }, "", "one JSON object per opcode instead of pickletools' text" },
    },
    runDis })
