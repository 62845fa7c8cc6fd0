#pragma once

// The one format detector: the loader, the CLI and the tests all ask it. Chosen by magic bytes;
// the file name only breaks ties (a JSON file is a sharded index when it has a weight_map; a
// plain pickle is a joblib file when it names joblib's array wrappers).

#include "core/value/document.h"

#include <span>
#include <string>
#include <string_view>

namespace core {

// The format of `bytes` (the whole mapped file). `fileName` (a path or a base name) is used only
// as a tie-break. Anything unrecognised is FileFormat::Pickle (the pickle machine then says what
// is wrong with it).
FileFormat detectFormat(std::span<const std::byte> bytes, std::string_view fileName = {});

// True for the container formats whose pickles live inside a container (zip, tar, legacy
// torch stream, compressed joblib, ...): everything but a plain pickle.
bool isContainerFormat(FileFormat format);

// A folder a user opened: the file to load instead (its *.index.json, or its .metadata for a
// distributed checkpoint), or an empty string when the folder is neither.
std::string checkpointInFolder(const std::string& folder);

// Compression of a joblib file by its magic bytes: "zlib", "gzip", "bz2", "xz", "lzma", "lz4",
// or empty when the bytes are not compressed.
std::string_view joblibCompression(std::span<const std::byte> bytes);

} // namespace core
