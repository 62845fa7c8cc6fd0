#include "core/formats/detect_format.h"

#include "core/torch/legacy_reader.h"
#include "core/torch/tar_archive.h"
#include "core/torch/zip_archive.h"

#include <QDir>
#include <QFileInfo>

#include <algorithm>
#include <cstring>

namespace core {

namespace {

bool endsWith(std::string_view text, std::string_view tail)
{
    return text.size() >= tail.size() && text.substr(text.size() - tail.size()) == tail;
}

std::string lowerBaseName(std::string_view path)
{
    const auto slash = path.find_last_of('/');
    std::string name(slash == std::string_view::npos ? path : path.substr(slash + 1));
    std::transform(name.begin(), name.end(), name.begin(),
        [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return name;
}

bool startsWith(std::span<const std::byte> bytes, std::string_view magic)
{
    return bytes.size() >= magic.size()
        && std::memcmp(bytes.data(), magic.data(), magic.size()) == 0;
}

bool contains(std::span<const std::byte> bytes, std::string_view needle)
{
    const std::string_view hay(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return hay.find(needle) != std::string_view::npos;
}

// safetensors: an 8-byte little-endian header length, then the JSON header's '{'. The length's
// top two bytes are zero for any real header (a pickle or text file never has that shape).
bool looksLikeSafetensors(std::span<const std::byte> bytes)
{
    if (bytes.size() < 9 || bytes[8] != std::byte { '{' })
        return false;
    return bytes[6] == std::byte { 0 } && bytes[7] == std::byte { 0 };
}

// A JSON object whose text names a weight_map (Hugging Face's *.index.json).
bool looksLikeShardIndex(std::span<const std::byte> bytes)
{
    std::size_t i = 0;
    while (i < bytes.size() && std::isspace(std::to_integer<unsigned char>(bytes[i])) != 0)
        ++i;
    if (i >= bytes.size() || bytes[i] != std::byte { '{' })
        return false;
    return contains(
        bytes.first(std::min<std::size_t>(bytes.size(), std::size_t(64) << 20)), "\"weight_map\"");
}

FileFormat zipFormat(std::span<const std::byte> bytes, std::string_view name)
{
    auto zip = torch::ZipArchive::open(bytes);
    if (!zip.ok())
        return endsWith(name, ".npz") ? FileFormat::Npz : FileFormat::TorchZip;
    const auto& entries = zip->entries();
    if (entries.empty())
        return endsWith(name, ".npz") ? FileFormat::Npz : FileFormat::TorchZip;
    const bool allNpy = std::all_of(entries.begin(), entries.end(),
        [](const torch::ZipEntry& e) { return endsWith(e.name, ".npy"); });
    if (allNpy)
        return FileFormat::Npz;
    if (!zip->prefix().empty()
        && (zip->find(zip->prefix() + "/constants.pkl") != nullptr
            || zip->find(zip->prefix() + "/bytecode.pkl") != nullptr))
        return FileFormat::TorchScript;
    return FileFormat::TorchZip;
}

} // namespace

std::string_view joblibCompression(std::span<const std::byte> bytes)
{
    if (bytes.size() < 2)
        return {};
    const auto b0 = std::to_integer<unsigned char>(bytes[0]);
    const auto b1 = std::to_integer<unsigned char>(bytes[1]);
    if (b0 == 0x78 && (b1 == 0x01 || b1 == 0x5e || b1 == 0x9c || b1 == 0xda))
        return "zlib";
    if (b0 == 0x1f && b1 == 0x8b)
        return "gzip";
    if (startsWith(bytes, "BZh"))
        return "bz2";
    if (startsWith(bytes,
            std::string_view("\xfd"
                             "7zXZ\0",
                6)))
        return "xz";
    if (b0 == 0x5d && b1 == 0x00)
        return "lzma";
    if (startsWith(bytes, std::string_view("\x04\x22\x4d\x18", 4)))
        return "lz4";
    return {};
}

FileFormat detectFormat(std::span<const std::byte> bytes, std::string_view fileName)
{
    const std::string name = lowerBaseName(fileName);
    if (startsWith(bytes, "PK\x03\x04") || startsWith(bytes, "PK\x05\x06"))
        return zipFormat(bytes, name);
    if (startsWith(bytes, "\x93NUMPY"))
        return FileFormat::Npy;
    if (looksLikeSafetensors(bytes))
        return FileFormat::Safetensors;
    if (torch::looksLikeTar(bytes))
        return FileFormat::TorchTar;
    if (torch::startsWithLegacyMagic(bytes))
        return FileFormat::TorchLegacy;
    if (!joblibCompression(bytes).empty())
        return FileFormat::Joblib;
    if (looksLikeShardIndex(bytes))
        return FileFormat::ShardedIndex;
    // Tie-breaks by name for what the bytes alone leave open.
    if (name == ".metadata")
        return FileFormat::DistributedCheckpoint;
    if (endsWith(name, ".safetensors"))
        return FileFormat::Safetensors; // too short or damaged: the reader says what is wrong
    if (endsWith(name, ".npy"))
        return FileFormat::Npy;
    if (endsWith(name, ".index.json"))
        return FileFormat::ShardedIndex;
    if (endsWith(name, ".joblib")
        || contains(bytes.first(std::min<std::size_t>(bytes.size(), std::size_t(1) << 20)),
            "NumpyArrayWrapper")
        || contains(bytes.first(std::min<std::size_t>(bytes.size(), std::size_t(1) << 20)),
            "NDArrayWrapper"))
        return FileFormat::Joblib;
    return FileFormat::Pickle;
}

bool isContainerFormat(FileFormat format)
{
    return format != FileFormat::Pickle;
}

std::string checkpointInFolder(const std::string& folder)
{
    const QDir dir(QString::fromStdString(folder));
    if (!dir.exists())
        return {};
    const QStringList indexes
        = dir.entryList({ QStringLiteral("*.index.json") }, QDir::Files, QDir::Name);
    if (!indexes.isEmpty())
        return dir.filePath(indexes.front()).toStdString();
    if (QFileInfo::exists(dir.filePath(QStringLiteral(".metadata")))
        && !dir.entryList({ QStringLiteral("*.distcp") }, QDir::Files).isEmpty())
        return dir.filePath(QStringLiteral(".metadata")).toStdString();
    return {};
}

} // namespace core
