#pragma once

// picklescope-cli: one file per command (cmd_<name>.cpp) that registers itself with
// PS_CLI_COMMAND, naming the options it accepts; one parser (QCommandLineParser over those
// options and the global ones) and one help text made from the same tables; the exit codes of
// DESIGN.md.

#include "core/loader.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cli {

enum ExitCode { ExitOk = 0, ExitMalformed = 1, ExitUsage = 2, ExitDangerous = 3 };

// One option: its names without dashes ({"o", "output"}: -o and --output), the name of the
// value it takes ("" for a flag) and one line for the help.
struct Option {
    std::vector<std::string> names;
    std::string valueName;
    std::string description;

    std::string spelling() const; // "-o, --output OUT"
};

// Parsed arguments: positionals in order, options by every name they have, with dashes
// ("--depth" -> {"3"}; "-o" and "--output" both present when either was given; flags -> {""}).
struct Args {
    std::string command;
    std::vector<std::string> positionals;
    std::map<std::string, std::vector<std::string>> options;

    bool has(const std::string& name) const { return options.count(name) != 0; }
    // The value given last (an option given twice: the second wins, as QCommandLineParser does).
    std::string get(const std::string& name, const std::string& fallback = {}) const;
    // Every value of a repeatable option, in order (--header).
    std::vector<std::string> values(const std::string& name) const;
};

struct Command {
    std::string name;
    std::string synopsis; // "info FILE [--stats]"
    std::string summary; // one line for --help
    std::vector<Option> options; // what this command accepts besides the global options
    std::function<int(const Args&)> run;
};

bool registerCommand(Command command);
const std::map<std::string, Command>& commands();

// The options of every command, by section of the help: the load options (--encoding,
// --no-fix-imports, --max-*), the remote-file options (--header, --cache-limit, --ca-file,
// --download) and -h/--help.
struct OptionSection {
    std::string title;
    std::vector<Option> options;
};
const std::vector<OptionSection>& globalOptions();
// --filter QUERY, for the commands that take it (info, json, tree, diff).
const Option& filterOption();

// Parses the arguments after the command name with QCommandLineParser over the command's
// options and the global ones. Help: -h/--help was given (print commandHelp). UsageError: an
// unknown option, a missing or unexpected value; `error` holds one line naming it.
enum class ParseOutcome { Run, Help, UsageError };
ParseOutcome parseArguments(const Command& command, const std::vector<std::string>& arguments,
    Args& out, std::string& error);

// The help texts: every command with its synopsis, summary and options, then the global
// options; or one command's.
std::string programHelp();
std::string commandHelp(const Command& command);

// Load options shared by every command: --encoding ASCII|latin1|bytes, --no-fix-imports,
// --max-stack N, --max-memo N, --max-values N, --max-bytes N. Returns false (after printing
// the problem) on a bad value.
bool loadOptionsFrom(const Args& args, core::LoadOptions& out);

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
