// picklescope-cli: look inside pickles and PyTorch checkpoints without running Python.

#include "app/cli/cli_command.h"
#include "core/remote/http_plugin.h"

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include <dlfcn.h>
#include <unistd.h>

namespace {

// How this run reads URLs (its options), for the HTTP plugin.
core::remote::HttpOptions& httpOptions()
{
    static core::remote::HttpOptions options;
    return options;
}

// Where the HTTP plugin is: beside the executable (the build tree), else where it is installed
// (PICKLESCOPE_HTTP_PLUGIN_DIR, relative to the executable's folder).
std::vector<std::string> httpPluginPaths()
{
    char exe[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    std::string dir = n > 0 ? std::string(exe, static_cast<std::size_t>(n)) : std::string();
    dir = dir.substr(0, dir.find_last_of('/') + 1);
    return { dir + PICKLESCOPE_HTTP_PLUGIN_NAME,
        dir + PICKLESCOPE_HTTP_PLUGIN_DIR "/" PICKLESCOPE_HTTP_PLUGIN_NAME };
}

// The URL opener until the first URL is opened: loads the HTTP plugin (core/remote/http_plugin.h),
// which installs core/remote's opener in this one's place, and opens the URL with it.
core::Result<std::shared_ptr<core::ByteSource>> openUrlThroughPlugin(const std::string& url)
{
    static std::mutex mutex;
    static bool installed = false;
    {
        const std::lock_guard lock(mutex);
        std::string why;
        for (const std::string& path : httpPluginPaths()) {
            if (installed)
                break;
            void* plugin = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
            if (plugin == nullptr) {
                if (why.empty() || ::access(path.c_str(), F_OK) == 0)
                    why = ::dlerror();
                continue;
            }
            const auto install = reinterpret_cast<PicklescopeHttpInstall>(
                ::dlsym(plugin, PICKLESCOPE_HTTP_PLUGIN_ENTRY));
            if (install == nullptr) {
                why = path + " has no " PICKLESCOPE_HTTP_PLUGIN_ENTRY;
                continue;
            }
            install(&httpOptions());
            installed = true;
        }
        if (!installed)
            return core::makeError(core::ErrorCode::Io, 0,
                "cannot open " + url + ": the HTTP plugin does not load (" + why + ")");
    }
    return core::ByteSource::mapFile(url); // now through the plugin's opener
}

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
    if (!httpOptionsFrom(args, httpOptions()))
        return cli::ExitUsage;
    core::ByteSource::setUrlOpener(&openUrlThroughPlugin);
    return command->run(args);
}
