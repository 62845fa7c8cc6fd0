// picklescope-cli: look inside pickles and PyTorch checkpoints without running Python.

#include "app/cli/cli_command.h"
#include "core/remote/http_source.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace {

void printUsage(std::FILE* out)
{
    std::fprintf(out, "usage: picklescope-cli COMMAND FILE [options]\n\ncommands:\n");
    for (const auto& [name, command] : cli::commands()) {
        if (command.synopsis.size() > 48) // the summary on a line of its own, indented
            std::fprintf(
                out, "  %s\n  %-48s %s\n", command.synopsis.c_str(), "", command.summary.c_str());
        else
            std::fprintf(out, "  %-48s %s\n", command.synopsis.c_str(), command.summary.c_str());
    }
    std::fprintf(out,
        "\nload options (every command):\n"
        "  --encoding NAME   how Python 2 str payloads are decoded: ASCII (default), latin1, bytes,\n"
        "                    or any codec name Python knows (utf-8, cp1252, shift_jis, iso-8859-1...)\n"
        "  --no-fix-imports                keep Python 2 module names as written\n"
        "  --max-stack N, --max-memo N, --max-values N, --max-bytes N   load limits\n"
        "  --filter QUERY                  info, json, tree, diff: only what the query selects\n"
        "                                  (dtype:float16 shape:[*,4096] numel:>1e6 name:*attn* "
        "...)\n"
        "\nremote files: FILE may be an http:// or https:// URL (read with Range requests)\n"
        "  --header 'Name: value'          an extra request header, sent to the URL's host only\n"
        "                                  (repeatable; credentials otherwise from ~/.netrc)\n"
        "  --cache-limit MIB               fetched tensor bytes kept in memory (default 256)\n"
        "  --ca-file PEM                   https: also trust these certificates\n"
        "  --download                      a server without range support: download the file\n"
        "                                  into the cache folder and open the copy\n"
        "\nexit codes: 0 success, 1 malformed or unsupported input, 2 usage error,\n"
        "            3 (scan) dangerous content found, 4 (diff) differences found\n");
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
        printUsage(argc < 2 ? stderr : stdout);
        return argc < 2 ? cli::ExitUsage : cli::ExitOk;
    }
    if (std::strcmp(argv[1], "--version") == 0) {
        std::printf("picklescope-cli %s\n", PICKLESCOPE_VERSION);
        return cli::ExitOk;
    }
    const auto& table = cli::commands();
    const auto found = table.find(argv[1]);
    if (found == table.end()) {
        std::fprintf(stderr, "picklescope-cli: unknown command '%s' (see --help)\n", argv[1]);
        return cli::ExitUsage;
    }
    const cli::Command& command = found->second;
    // --header 'Name: value' (repeatable) for URLs: taken out before the command's parser.
    core::remote::HttpOptions http;
    std::vector<char*> rest(argv, argv + argc);
    for (std::size_t i = 2; i < rest.size();) {
        std::string arg = rest[i];
        std::string value;
        std::size_t used = 0;
        if (arg == "--download") { // a server without range support: download, then open
            http.downloadWithoutRanges = true;
            http.downloadProgress = [](std::uint64_t received, std::uint64_t total) {
                if (received == total)
                    std::fprintf(stderr,
                        "picklescope-cli: no range support: downloaded the whole file (%llu "
                        "bytes)\n",
                        static_cast<unsigned long long>(received));
                return true;
            };
            rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i));
            continue;
        }
        std::string name;
        for (const char* option : { "--header", "--cache-limit", "--ca-file" }) {
            if (arg == option && i + 1 < rest.size()) {
                name = option;
                value = rest[i + 1];
                used = 2;
            } else if (arg.rfind(std::string(option) + "=", 0) == 0) {
                name = option;
                value = arg.substr(std::strlen(option) + 1);
                used = 1;
            }
        }
        if (name.empty()) {
            ++i;
            continue;
        }
        rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i),
            rest.begin() + static_cast<std::ptrdiff_t>(i + used));
        if (name == "--ca-file") {
            http.caFile = value;
            continue;
        }
        if (name == "--cache-limit") {
            char* end = nullptr;
            const unsigned long long mib = std::strtoull(value.c_str(), &end, 10);
            if (value.empty() || *end != '\0' || mib == 0 || mib > (1ull << 30)) {
                std::fprintf(stderr, "picklescope-cli: --cache-limit needs a size in MiB\n");
                return cli::ExitUsage;
            }
            http.cacheLimit = std::uint64_t(mib) << 20;
            continue;
        }
        const auto colon = value.find(':');
        if (colon == std::string::npos || colon == 0) {
            std::fprintf(stderr, "picklescope-cli: --header needs 'Name: value'\n");
            return cli::ExitUsage;
        }
        const auto start = value.find_first_not_of(' ', colon + 1);
        http.headers.emplace_back(value.substr(0, colon),
            start == std::string::npos ? std::string() : value.substr(start));
    }
    argc = static_cast<int>(rest.size());
    argv = rest.data();
    core::remote::installUrlOpener(std::move(http));

    cli::Args args;
    args.command = command.name;
    auto takesValue = [&](const std::string& name) {
        for (const auto& list : { command.valueOptions, cli::commonValueOptions() })
            for (const auto& option : list)
                if (option == name)
                    return true;
        return false;
    };
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::printf("usage: picklescope-cli %s\n  %s\n", command.synopsis.c_str(), command.summary.c_str());
            return cli::ExitOk;
        }
        if (arg.size() > 1 && arg[0] == '-' && arg != "-") {
            std::string value;
            const auto eq = arg.find('=');
            if (eq != std::string::npos) {
                value = arg.substr(eq + 1);
                arg = arg.substr(0, eq);
            } else if (takesValue(arg)) {
                if (i + 1 >= argc) {
                    std::fprintf(stderr, "picklescope-cli %s: option %s needs a value\n", command.name.c_str(), arg.c_str());
                    return cli::ExitUsage;
                }
                value = argv[++i];
            }
            args.options[arg] = value;
        } else {
            args.positionals.push_back(arg);
        }
    }
    if (args.positionals.empty()) {
        std::fprintf(stderr, "usage: picklescope-cli %s\n", command.synopsis.c_str());
        return cli::ExitUsage;
    }
    return command.run(args);
}
