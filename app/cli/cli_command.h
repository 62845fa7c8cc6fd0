#pragma once

// picklescope-cli: one file per command (cmd_<name>.cpp), a shared argument parser and the
// exit codes of DESIGN.md.

#include "core/loader.h"

#include <map>
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

// Load options shared by every command: --encoding ASCII|latin1|bytes, --no-fix-imports,
// --max-stack, --max-memo, --max-values, --max-bytes. Returns false (and prints) on a bad value.
bool loadOptionsFrom(const Args& args, core::LoadOptions& out);

// Loads FILE (the first positional) or prints the one-line error. Returns nullptr on failure,
// with `exitCode` set. A document with `error` set is returned (partial graph) and the caller
// decides; printDocumentError() prints it.
std::shared_ptr<core::Document> openDocument(const Args& args, int& exitCode);
void printDocumentError(const core::Document& doc, const std::string& path);

int cmdInfo(const Args& args);
int cmdDis(const Args& args);
int cmdJson(const Args& args);
int cmdScan(const Args& args);
int cmdTree(const Args& args);

} // namespace cli
