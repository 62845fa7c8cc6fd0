#pragma once

// picklescope-cli: one file per command (cmd_<name>.cpp) that registers itself with
// PS_CLI_COMMAND; a shared argument parser; the exit codes of DESIGN.md.

#include "core/loader.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cli {

enum ExitCode { ExitOk = 0, ExitMalformed = 1, ExitUsage = 2, ExitDangerous = 3 };

// Parsed arguments: positionals in order, options by name ("--depth" -> "3"; flags -> "").
struct Args {
    std::string command;
    std::vector<std::string> positionals;
    std::map<std::string, std::string> options;

    bool has(const std::string& name) const { return options.count(name) != 0; }
    std::string get(const std::string& name, const std::string& fallback = {}) const;
};

struct Command {
    std::string name;
    std::string synopsis; // "info FILE [--stats]"
    std::string summary; // one line for --help
    std::vector<std::string> valueOptions; // options that take a value ("--depth", "-o")
    std::function<int(const Args&)> run;
};

bool registerCommand(Command command);
const std::map<std::string, Command>& commands();

// Load options shared by every command: --encoding ASCII|latin1|bytes, --no-fix-imports,
// --max-stack N, --max-memo N, --max-values N, --max-bytes N. Returns false (after printing
// the problem) on a bad value.
bool loadOptionsFrom(const Args& args, core::LoadOptions& out);
// The value options every command accepts (for the parser).
const std::vector<std::string>& commonValueOptions();

// Loads FILE (the first positional). Returns nullptr (after printing one line, exitCode set)
// when it cannot be opened. A document with `error` set is returned with its partial graph;
// printDocumentError() prints that error as one line on stderr.
std::shared_ptr<core::Document> openDocument(const Args& args, int& exitCode);
void printDocumentError(const core::Document& doc);
// For a document read from a damaged file (doc.recovered: a checkpoint cut short): one
// "warning:" line per warning or error diagnostic on stderr, after a line saying that the
// content is partial and how many storages have no data.
void printRecoveryWarnings(const core::Document& doc);

} // namespace cli

#define PS_CLI_CONCAT_INNER(a, b) a##b
#define PS_CLI_CONCAT(a, b) PS_CLI_CONCAT_INNER(a, b)
#define PS_CLI_COMMAND(...)                                                                        \
    namespace {                                                                                    \
    [[maybe_unused]] const bool PS_CLI_CONCAT(registered_, __LINE__)                               \
        = ::cli::registerCommand(__VA_ARGS__);                                                     \
    }
