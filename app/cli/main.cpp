// picklescope-cli: look inside pickles and PyTorch checkpoints without running Python.

#include "app/cli/cli_command.h"
#include "core/remote/http_source.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

// --header, --cache-limit, --ca-file, --download: how a URL is read. Returns false after
// printing what is wrong.
bool httpOptionsFrom(const cli::Args& args, core::remote::HttpOptions& http)
{
    if (args.has("--download")) { // a server without range support: download, then open
        http.downloadWithoutRanges = true;
        http.downloadProgress = [](std::uint64_t received, std::uint64_t total) {
            if (received == total)
                std::fprintf(stderr,
                    "picklescope-cli: no range support: downloaded the whole file (%llu bytes)\n",
                    static_cast<unsigned long long>(received));
            return true;
        };
    }
    if (args.has("--ca-file"))
        http.caFile = args.get("--ca-file");
    if (args.has("--cache-limit")) {
        const std::string value = args.get("--cache-limit");
        char* end = nullptr;
        const unsigned long long mib = std::strtoull(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || mib == 0 || mib > (1ull << 30)) {
            std::fprintf(stderr, "picklescope-cli: --cache-limit needs a size in MiB\n");
            return false;
        }
        http.cacheLimit = std::uint64_t(mib) << 20;
    }
    for (const std::string& value : args.values("--header")) {
        const auto colon = value.find(':');
        if (colon == std::string::npos || colon == 0) {
            std::fprintf(stderr, "picklescope-cli: --header needs 'Name: value'\n");
            return false;
        }
        const auto start = value.find_first_not_of(' ', colon + 1);
        http.headers.emplace_back(value.substr(0, colon),
            start == std::string::npos ? std::string() : value.substr(start));
    }
    return true;
}

const cli::Command* findCommand(const char* name)
{
    const auto& table = cli::commands();
    const auto found = table.find(name);
    if (found == table.end()) {
        std::fprintf(stderr, "picklescope-cli: unknown command '%s' (see --help)\n", name);
        return nullptr;
    }
    return &found->second;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
        std::fputs(cli::programHelp().c_str(), argc < 2 ? stderr : stdout);
        return argc < 2 ? cli::ExitUsage : cli::ExitOk;
    }
    if (std::strcmp(argv[1], "--version") == 0) {
        std::printf("picklescope-cli %s\n", PICKLESCOPE_VERSION);
        return cli::ExitOk;
    }
    if (std::strcmp(argv[1], "help") == 0) { // help [COMMAND]
        if (argc == 2) {
            std::fputs(cli::programHelp().c_str(), stdout);
            return cli::ExitOk;
        }
        const cli::Command* command = argc == 3 ? findCommand(argv[2]) : nullptr;
        if (argc > 3)
            std::fprintf(stderr, "usage: picklescope-cli help [COMMAND]\n");
        if (command == nullptr)
            return cli::ExitUsage;
        std::fputs(cli::commandHelp(*command).c_str(), stdout);
        return cli::ExitOk;
    }
    const cli::Command* command = findCommand(argv[1]);
    if (command == nullptr)
        return cli::ExitUsage;

    cli::Args args;
    std::string error;
    switch (cli::parseArguments(
        *command, std::vector<std::string>(argv + 2, argv + argc), args, error)) {
    case cli::ParseOutcome::Help:
        std::fputs(cli::commandHelp(*command).c_str(), stdout);
        return cli::ExitOk;
    case cli::ParseOutcome::UsageError:
        std::fprintf(stderr, "picklescope-cli %s: %s\n", command->name.c_str(), error.c_str());
        return cli::ExitUsage;
    case cli::ParseOutcome::Run:
        break;
    }
    if (args.positionals.empty()) {
        std::fprintf(stderr, "usage: picklescope-cli %s\n", command->synopsis.c_str());
        return cli::ExitUsage;
    }
    core::remote::HttpOptions http;
    if (!httpOptionsFrom(args, http))
        return cli::ExitUsage;
    core::remote::installUrlOpener(std::move(http));
    return command->run(args);
}
