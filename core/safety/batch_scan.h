#pragma once

// Scanning many files: paths are walked (folders, optionally recursively), every file whose
// content the loader reads (a pickle, a torch archive: the loader's own format detection) is
// loaded and scanned on a pool of threads, the others are counted as skipped. Symlink loops and
// unreadable files become entries with an error, never a failure of the batch. Results come back
// in walk order (arguments in order, folder entries sorted by name), whatever the thread timing.

#include "core/pickle/pickle_machine.h"
#include "core/safety/safety_report.h"

#include <QByteArray>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace core::safety {

enum class FileStatus : std::uint8_t {
    Scanned, // loaded (or, when its container could not be opened, its bytes walked) and scanned
    Skipped, // not a format the loader reads
    Error, // could not be read: permissions, a symlink loop, a broken link
};

struct FileScan {
    std::string path; // as walked: the argument, or argument + "/" + names below it
    std::string uri; // relative to BatchOptions::baseDir, '/'-separated, percent-encoded
    FileStatus status = FileStatus::Skipped;
    std::string format; // "pickle", "torch-zip", ... (Scanned only)
    SafetyReport report; // Scanned only
    // Error: why the file could not be read. Scanned: the load error of a malformed file (its
    // report covers what could be walked), empty when the file loaded whole.
    std::string error;
    // Per report.globals[i]: bytes of its opcode with its argument (0 when the pickle holding it
    // is not at its offset in the file, i.e. an inflated zip entry).
    std::vector<std::uint32_t> opcodeLengths;
    // Pickle streams whose bytes are not at their offsets in the file (inflated zip entries):
    // offsets in them are not byte offsets of the file.
    std::vector<std::string> inflatedPickles;

    bool malformed() const { return status == FileStatus::Error || !error.empty(); }
};

struct BatchSummary {
    std::size_t scanned = 0, dangerous = 0, unknown = 0, clean = 0, skipped = 0, errors = 0;
};

struct BatchResult {
    std::vector<FileScan> files; // walk order; skipped files included
    BatchSummary summary;
};

struct BatchOptions {
    bool recursive = false; // descend into sub-folders (a folder's own files are always scanned)
    unsigned jobs = 0; // worker threads; 0: the number of cores
    LoadOptions load;
    std::string baseDir; // URIs are relative to it; empty: the current directory
};

// Walks `paths` and scans every readable file. A file named directly is scanned (or skipped by
// content) like one found in a folder.
BatchResult scanPaths(const std::vector<std::string>& paths, const BatchOptions& options = {});

// The JSON form of a batch: {"files":[{"path","verdict","globals":[...]},...],"summary":{...}}.
// Skipped files are only counted. Indented (4 spaces), UTF-8; bytes of names that are not UTF-8
// become \ufffd escapes.
QByteArray batchToJson(const BatchResult& result);

// Scans one file as scanPaths does (path and uri set by the caller).
FileScan scanFile(const std::string& path, const LoadOptions& options = {});

// Whether `bytes` are something the loader reads: a format its detection names (torch archives
// and whatever it learns), or a pickle program (it starts with PROTO, or its opcodes run to STOP).
bool isScannable(std::span<const std::byte> bytes);

// "a b/c.pkl" -> "a%20b/c.pkl": RFC 3986 unreserved characters and '/' pass, the rest is %XX.
std::string percentEncodePath(std::string_view path);

} // namespace core::safety
