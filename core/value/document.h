#pragma once

// A loaded file: its bytes, the value graph built from it, the pickle streams it holds and what
// went wrong on the way. Immutable once built; shared as std::shared_ptr<const Document>.

#include "core/result.h"
#include "core/value/byte_source.h"
#include "core/value/value_graph.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace core {

enum class FileFormat : std::uint8_t {
    Pickle,
    TorchZip,
    TorchLegacy,
    TorchTar,
    TorchScript,
    Safetensors,
    Npy,
    Npz,
    Joblib,
    ShardedIndex, // a Hugging Face *.index.json (weight_map) and its shards
    DistributedCheckpoint, // torch.distributed.checkpoint: .metadata + __R_S.distcp files
};
std::string_view fileFormatName(FileFormat format); // "pickle", "torch-zip", ...

enum class Severity : std::uint8_t { Info, Warning, Error };
std::string_view severityName(Severity severity);

struct Diagnostic {
    Severity severity = Severity::Warning;
    std::uint64_t offset = 0;
    std::string message;
};

// One pickle program inside the file: the whole file for a plain pickle, "data.pkl" or
// "constants.pkl" in a zip, the five pickles of a legacy checkpoint, ...
struct PickleStream {
    std::string name; // "data.pkl", "constants.pkl", "pickle", "magic number", ...
    std::uint64_t offset = 0; // absolute file offset of its first byte (for inflated entries: 0)
    std::span<const std::byte> bytes; // the program's bytes (mapped or inflated)
    ValueId root = kNullValue; // what it unpickled to (kNullValue if it failed)
    int protocol = 0; // highest PROTO seen
    bool inflated = false; // bytes are not at `offset` in the file (DEFLATE zip entry)
};

// Other entries of an archive (zip records, tar members) listed for the user.
struct ArchiveEntry {
    std::string name;
    std::uint64_t offset = 0; // data offset in the file
    std::uint64_t size = 0; // uncompressed size
    std::uint64_t compressedSize = 0;
    bool compressed = false;
};

// One file of a sharded checkpoint (a shard named by the index, a .distcp file).
struct ShardFile {
    std::string name; // as the index names it (relative to the index's folder)
    std::uint64_t size = 0; // bytes on disk (0 when missing)
    bool found = false;
    std::string error; // why it could not be read (missing, malformed), empty when it was
    std::uint64_t tensors = 0; // tensors the checkpoint takes from it
};

struct Document {
    std::shared_ptr<ByteSource> source;
    std::string fileName; // base name
    FileFormat format = FileFormat::Pickle;
    int protocol = 0; // of the main pickle
    ValueGraph graph;
    ValueId root = kNullValue; // what the user sees at the top
    std::vector<PickleStream> pickles; // pickles[mainPickle] is the main program
    std::size_t mainPickle = 0;
    std::vector<ArchiveEntry> entries;
    std::vector<Diagnostic> diagnostics;
    // Set when loading stopped on an error: the graph holds what was built before it.
    std::optional<Error> error;
    // Read from a damaged container (an archive cut short, its zip directory missing): what
    // could be read is in the graph, storages whose bytes are missing have bytesFound false,
    // and the diagnostics say what was lost and where. `error` is set only if the main pickle
    // itself is cut.
    bool recovered = false;

    // Format-level key/value facts, in file order: safetensors' __metadata__, a sharded
    // index's metadata, ... (File tab; JSON "file":{"metadata":{...}}).
    std::vector<std::pair<std::string, std::string>> fileMetadata;
    // The files of a sharded or distributed checkpoint (File tab; JSON "file":{"shards":[...]}).
    std::vector<ShardFile> shards;

    const PickleStream& main() const { return pickles.at(mainPickle); }
};

} // namespace core
