// picklescope-cli scan FILE [--json]: every global the file imports, classified; anomalies;
// what torch.load(weights_only=True) would refuse. Exit 0 when nothing dangerous was found
// (unknown globals are listed), 3 when something dangerous was, 1 when the file is malformed
// and nothing dangerous was seen before the error.
//
// picklescope-cli scan PATH... [--recursive] [--jobs N] [--format text|json|sarif]
// [--fail-on dangerous|unknown]: many files (folders walked, in parallel), one line per file or
// the batch JSON / SARIF 2.1.0 of core/safety. Exit 3 when a file is dangerous (or unknown with
// --fail-on unknown), else 1 when a file could not be read or is malformed, else 0.

#include "app/cli/cli_command.h"
#include "core/export/json_stream.h"
#include "core/safety/batch_scan.h"
#include "core/safety/safety_report.h"
#include "core/safety/sarif_writer.h"
#include "core/safety/scanned_load.h"
#include "core/value/byte_source.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace {

using core::safety::GlobalUse;
using core::safety::SafetyReport;
using core::safety::Verdict;

std::string verdictLabel(Verdict verdict)
{
    switch (verdict) {
    case Verdict::Safe:
        return "safe";
    case Verdict::Unknown:
        return "unknown";
    case Verdict::Dangerous:
        return "DANGEROUS";
    }
    return "unknown";
}

std::string printable(std::string_view text)
{
    std::string out;
    for (const char c : text)
        out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
    return out;
}

std::string whereText(const GlobalUse& use, bool haveGraph)
{
    std::string text = use.pickle + " byte " + std::to_string(use.offset);
    if (use.reachable)
        text
            += "  " + (use.path.empty() ? std::string("(the result itself)") : printable(use.path));
    else if (haveGraph)
        text += "  (consumed while loading: not in the result)";
    if (!use.useOffsets.empty()) {
        text += "  called at byte";
        for (std::size_t i = 0; i < use.useOffsets.size() && i < 3; ++i)
            text += (i ? ", " : " ") + std::to_string(use.useOffsets[i]);
        if (use.useOffsets.size() > 3)
            text += ", ...";
    }
    return text;
}

void printText(const std::string& fileName, const core::Document* doc, const SafetyReport& report,
    const std::string& loadError)
{
    std::printf("file: %s", printable(fileName).c_str());
    if (doc != nullptr)
        std::printf(" (%s, protocol %d)", std::string(core::fileFormatName(doc->format)).c_str(),
            doc->protocol);
    std::printf(", %zu pickle(s) scanned\n", report.picklesScanned);
    std::printf("verdict: %s: %zu dangerous, %zu unknown, %zu safe global use(s)\n",
        report.verdict == Verdict::Dangerous     ? "DANGEROUS"
            : report.verdict == Verdict::Unknown ? "unknown content (review)"
                                                 : "safe",
        report.dangerousCount, report.unknownCount, report.safeCount);
    if (!loadError.empty())
        std::printf("load error: %s\n", printable(loadError).c_str());
    if (doc != nullptr && doc->pickles.empty() && loadError.empty())
        std::printf("no code possible: this %s file holds no pickle\n",
            std::string(core::fileFormatName(doc->format)).c_str());

    // Group the uses by global, worst first, then by first offset.
    struct Group {
        const GlobalUse* first = nullptr;
        std::vector<const GlobalUse*> uses;
    };
    std::map<std::string, Group> groups;
    std::vector<std::string> order;
    for (const GlobalUse& use : report.globals) {
        const std::string key = use.module + "." + use.name;
        auto [it, fresh] = groups.emplace(key, Group {});
        if (fresh) {
            it->second.first = &use;
            order.push_back(key);
        }
        if (use.verdict > it->second.first->verdict)
            it->second.first = &use;
        it->second.uses.push_back(&use);
    }
    std::stable_sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
        return groups[a].first->verdict > groups[b].first->verdict;
    });
    if (!order.empty())
        std::printf("\nglobals:\n");
    for (const std::string& key : order) {
        const Group& group = groups[key];
        const GlobalUse& g = *group.first;
        std::string written;
        if (g.pickledModule != g.module || g.pickledName != g.name)
            written = "  (written as " + printable(g.pickledModule + "." + g.pickledName) + ")";
        std::printf("  %-9s  %s%s\n", verdictLabel(g.verdict).c_str(), printable(key).c_str(),
            written.c_str());
        std::printf("             %s%s\n", printable(g.reason).c_str(),
            g.weightsOnlyAllowed ? "; torch weights_only allows it" : "");
        for (std::size_t i = 0; i < group.uses.size() && i < 5; ++i)
            std::printf("             at %s %s\n", group.uses[i]->opcode.c_str(),
                whereText(*group.uses[i], doc != nullptr).c_str());
        if (group.uses.size() > 5)
            std::printf("             ... and %zu more use(s)\n", group.uses.size() - 5);
    }
    if (!report.findings.empty()) {
        std::printf("\nfindings:\n");
        for (const std::string& finding : report.findings)
            std::printf("  %s\n", printable(finding).c_str());
    }
    if (!report.anomalies.empty()) {
        std::printf("\nanomalies:\n");
        for (const auto& anomaly : report.anomalies)
            std::printf("  %s: %s\n", std::string(core::severityName(anomaly.severity)).c_str(),
                printable(anomaly.message).c_str());
    }
    if (!report.errors.empty()) {
        std::printf("\nnot fully read:\n");
        for (const std::string& error : report.errors)
            std::printf("  %s\n", printable(error).c_str());
    }
    std::printf("\ntorch.load(weights_only=True):\n");
    if (report.weightsOnlyBlockers.empty()) {
        std::printf("  every global is on torch 2.x's allowlist\n");
    } else {
        std::printf("  would refuse (torch names them one at a time):\n");
        for (const std::string& blocker : report.weightsOnlyBlockers) {
            Verdict verdict = Verdict::Unknown;
            for (const GlobalUse& use : report.globals)
                if ((use.module == "builtins" ? use.name : use.module + "." + use.name) == blocker)
                    verdict = std::max(verdict, use.verdict);
            std::printf(
                "    %-9s  %s\n", verdictLabel(verdict).c_str(), printable(blocker).c_str());
        }
    }
    if (!report.addSafeGlobalsLine.empty())
        std::printf("  to allow the ones judged safe:\n    %s\n",
            printable(report.addSafeGlobalsLine).c_str());
    for (const std::string& note : report.weightsOnlyNotes)
        std::printf("  note: %s\n", printable(note).c_str());
    if (!report.weightsOnlyBlockers113.empty()) {
        std::string list;
        for (const std::string& b : report.weightsOnlyBlockers113)
            list += (list.empty() ? "" : ", ") + b;
        std::printf("  torch 1.13 would refuse: %s\n", printable(list).c_str());
    }
}

void printJson(const std::string& fileName, const core::Document* doc, const SafetyReport& report,
    const std::string& loadError)
{
    core::FileJsonSink sink(stdout);
    core::JsonStream json(sink, { .indent = 0, .spaced = true });
    auto list = [&json](std::string_view name, const std::vector<std::string>& items) {
        json.key(name).beginArray();
        for (const std::string& item : items)
            json.value(item);
        json.endArray();
    };
    json.beginObject().member("picklescope", 1);
    json.key("file").beginObject().member("name", fileName);
    if (doc != nullptr)
        json.member("format", core::fileFormatName(doc->format)).member("protocol", doc->protocol);
    json.endObject();
    json.member("verdict", core::safety::verdictName(report.verdict));
    if (doc != nullptr && doc->pickles.empty() && loadError.empty())
        json.key("no_code_possible").boolean(true);
    json.key("counts")
        .beginObject()
        .member("safe", report.safeCount)
        .member("unknown", report.unknownCount)
        .member("dangerous", report.dangerousCount)
        .endObject();
    json.key("globals").beginArray();
    for (const GlobalUse& g : report.globals) {
        json.beginObject()
            .member("module", g.module)
            .member("name", g.name)
            .member("pickled", g.pickledModule + "." + g.pickledName)
            .member("opcode", g.opcode)
            .member("verdict", core::safety::verdictName(g.verdict))
            .member("reason", g.reason)
            .member("pickle", g.pickle)
            .member("offset", g.offset);
        if (g.reachable)
            json.member("path", g.path);
        json.key("called").boolean(g.calledOrInstantiated);
        json.key("uses").beginArray();
        for (const auto use : g.useOffsets)
            json.value(use);
        json.endArray();
        json.key("weights_only").boolean(g.weightsOnlyAllowed);
        json.key("weights_only_1_13").boolean(g.weightsOnly113Allowed);
        json.endObject();
    }
    json.endArray();
    json.key("findings").beginArray();
    for (const auto& f : report.findingDetails)
        json.beginObject()
            .member("verdict", core::safety::verdictName(f.verdict))
            .member("pickle", f.pickle)
            .member("offset", f.offset)
            .member("message", f.message)
            .endObject();
    json.endArray();
    json.key("anomalies").beginArray();
    for (const auto& a : report.anomalies)
        json.beginObject()
            .member("severity", core::severityName(a.severity))
            .member("offset", a.offset)
            .member("message", a.message)
            .endObject();
    json.endArray();
    json.key("weights_only").beginObject();
    list("blockers", report.weightsOnlyBlockers);
    json.member("add_safe_globals", report.addSafeGlobalsLine);
    list("notes", report.weightsOnlyNotes);
    list("blockers_1_13", report.weightsOnlyBlockers113);
    json.endObject();
    list("errors", report.errors);
    if (!loadError.empty())
        json.member("load_error", loadError);
    json.endObject();
    (void)json.finish(); // a closed stdout: nothing more to say
}

// One line per file, the worst globals under it, a summary line.
void printBatchText(const core::safety::BatchResult& result)
{
    using core::safety::FileStatus;
    for (const core::safety::FileScan& file : result.files) {
        if (file.status == FileStatus::Skipped)
            continue;
        if (file.status == FileStatus::Error) {
            std::printf("%-9s  %s: %s\n", "error", printable(file.path).c_str(),
                printable(file.error).c_str());
            continue;
        }
        const SafetyReport& report = file.report;
        std::printf("%-9s  %s (%s)", verdictLabel(report.verdict).c_str(),
            printable(file.path).c_str(), file.format.c_str());
        if (report.dangerousCount + report.unknownCount > 0)
            std::printf(": %zu dangerous, %zu unknown global use(s)", report.dangerousCount,
                report.unknownCount);
        std::printf("\n");
        if (!file.error.empty())
            std::printf("             malformed: %s\n", printable(file.error).c_str());
        for (const GlobalUse& use : report.globals) {
            if (use.verdict == Verdict::Safe)
                continue;
            std::printf("             %-9s  %s: %s (%s at byte %llu%s)\n",
                verdictLabel(use.verdict).c_str(), printable(use.module + "." + use.name).c_str(),
                printable(use.reason).c_str(), printable(use.pickle).c_str(),
                static_cast<unsigned long long>(use.offset),
                use.path.empty() ? "" : (", " + printable(use.path)).c_str());
        }
        for (const auto& finding : report.findingDetails)
            if (finding.verdict != Verdict::Safe)
                std::printf("             %-9s  %s (%s at byte %llu)\n",
                    verdictLabel(finding.verdict).c_str(), printable(finding.message).c_str(),
                    printable(finding.pickle).c_str(),
                    static_cast<unsigned long long>(finding.offset));
    }
    const core::safety::BatchSummary& s = result.summary;
    std::printf("summary: %zu scanned (%zu dangerous, %zu unknown, %zu clean), %zu skipped, %zu "
                "error(s)\n",
        s.scanned, s.dangerous, s.unknown, s.clean, s.skipped, s.errors);
}

int runBatch(const cli::Args& args, const core::LoadOptions& load, const std::string& format)
{
    core::safety::BatchOptions options;
    options.load = load;
    options.recursive = args.has("--recursive") || args.has("-r");
    if (args.has("--jobs")) {
        const std::string text = args.get("--jobs");
        unsigned jobs = 0;
        const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), jobs);
        if (ec != std::errc() || ptr != text.data() + text.size() || jobs == 0 || jobs > 1024) {
            std::fprintf(stderr, "picklescope-cli: --jobs needs a number from 1 to 1024\n");
            return cli::ExitUsage;
        }
        options.jobs = jobs;
    }
    const std::string failOn = args.get("--fail-on", "dangerous");
    if (failOn != "dangerous" && failOn != "unknown") {
        std::fprintf(stderr, "picklescope-cli: --fail-on must be dangerous or unknown\n");
        return cli::ExitUsage;
    }
    const core::safety::BatchResult result = core::safety::scanPaths(args.positionals, options);
    if (format == "json") {
        const QByteArray json = core::safety::batchToJson(result);
        std::fwrite(json.constData(), 1, static_cast<std::size_t>(json.size()), stdout);
    } else if (format == "sarif") {
        const QByteArray sarif = core::safety::toSarif(result, PICKLESCOPE_VERSION);
        std::fwrite(sarif.constData(), 1, static_cast<std::size_t>(sarif.size()), stdout);
    } else {
        printBatchText(result);
    }
    for (const core::safety::FileScan& file : result.files)
        if (file.malformed())
            std::fprintf(
                stderr, "picklescope-cli: %s: %s\n", file.path.c_str(), file.error.c_str());
    const core::safety::BatchSummary& s = result.summary;
    if (s.dangerous > 0 || (failOn == "unknown" && s.unknown > 0))
        return cli::ExitDangerous;
    if (s.errors > 0)
        return cli::ExitMalformed;
    return cli::ExitOk;
}

int runScan(const cli::Args& args)
{
    core::LoadOptions options;
    if (!cli::loadOptionsFrom(args, options))
        return cli::ExitUsage;
    const std::string format = args.get("--format", "text");
    if (format != "text" && format != "json" && format != "sarif") {
        std::fprintf(stderr, "picklescope-cli: --format must be text, json or sarif\n");
        return cli::ExitUsage;
    }
    if (args.has("--json") && args.has("--format")) {
        std::fprintf(stderr, "picklescope-cli: --json is the one-file report; use --format\n");
        return cli::ExitUsage;
    }
    // One file, no batch option: the detailed report of one file (--json its JSON form).
    std::error_code ec;
    const bool batch = args.positionals.size() > 1 || format != "text" || args.has("--recursive")
        || args.has("-r") || std::filesystem::is_directory(args.positionals.front(), ec);
    if (batch)
        return runBatch(args, options, args.has("--json") ? std::string("json") : format);
    const std::string failOn = args.get("--fail-on", "dangerous");
    if (failOn != "dangerous" && failOn != "unknown") {
        std::fprintf(stderr, "picklescope-cli: --fail-on must be dangerous or unknown\n");
        return cli::ExitUsage;
    }
    const std::string& path = args.positionals.front();
    auto loaded = core::safety::loadAndScan(path, options);
    SafetyReport report;
    std::shared_ptr<core::Document> doc;
    std::string loadError;
    std::string fileName
        = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
    if (loaded.ok()) {
        doc = std::move(loaded.value().doc);
        report = std::move(loaded.value().report);
        if (doc->error)
            loadError = doc->error->toString();
    } else {
        if (loaded.error().code == core::ErrorCode::Io) {
            std::fprintf(stderr, "picklescope-cli: %s: %s\n", path.c_str(),
                loaded.error().toString().c_str());
            return cli::ExitMalformed;
        }
        // The container could not be read: still walk the raw bytes as pickles, so that
        // whatever opcodes are there get classified.
        loadError = loaded.error().toString();
        auto source = core::ByteSource::mapFile(path);
        if (!source.ok()) {
            std::fprintf(stderr, "picklescope-cli: %s: %s\n", path.c_str(),
                source.error().toString().c_str());
            return cli::ExitMalformed;
        }
        // A URL: the raw walk needs the whole file (up to 256 MiB; beyond, the load error stands).
        const auto& raw = *source.value();
        if (raw.isRemote()
            && (raw.size() > (std::uint64_t(256) << 20) || !raw.ensure(0, raw.size()).ok())) {
            std::fprintf(stderr, "picklescope-cli: %s: %s\n", path.c_str(), loadError.c_str());
            return cli::ExitMalformed;
        }
        report = core::safety::scanBytes(raw.bytes(), fileName);
    }
    if (args.has("--json"))
        printJson(fileName, doc.get(), report, loadError);
    else
        printText(fileName, doc.get(), report, loadError);
    if (report.verdict == Verdict::Dangerous
        || (failOn == "unknown" && report.verdict == Verdict::Unknown))
        return cli::ExitDangerous;
    if (!loadError.empty()) {
        std::fprintf(stderr, "picklescope-cli: %s: %s\n", fileName.c_str(), loadError.c_str());
        return cli::ExitMalformed;
    }
    return cli::ExitOk;
}

} // namespace

PS_CLI_COMMAND({ "scan",
    "scan PATH... [--recursive] [--jobs N] [--format text|json|sarif] "
    "[--fail-on dangerous|unknown] [--json]",
    "safety report: every global classified (exit 0 nothing dangerous, 3 dangerous, 1 malformed); "
    "one FILE: the detailed report (--json as JSON), else one line per file",
    {
        { { "r", "recursive" }, "", "scan the files in folders and their subfolders" },
        { { "jobs" }, "N", "files scanned in parallel, 1 to 1024" },
        { { "format" }, "FORMAT", "text, json or sarif: the report of many files" },
        { { "fail-on" }, "VERDICT", "dangerous (default) or unknown: what exits 3" },
        { { "json" }, "", "one file: its detailed report as JSON" },
    },
    runScan })
