#include "core/value/document.h"

#include "core/value/enum_name.h"

namespace core {

std::string_view fileFormatName(FileFormat format)
{
    switch (format) {
    case FileFormat::Pickle: return "pickle";
    case FileFormat::TorchZip: return "torch-zip";
    case FileFormat::TorchLegacy: return "torch-legacy";
    case FileFormat::TorchTar: return "torch-tar";
    case FileFormat::TorchScript: return "torchscript";
    case FileFormat::Safetensors: return "safetensors";
    case FileFormat::Npy: return "npy";
    case FileFormat::Npz: return "npz";
    case FileFormat::Joblib: return "joblib";
    case FileFormat::ShardedIndex: return "sharded";
    case FileFormat::DistributedCheckpoint: return "torch-distributed";
    }
    return "pickle";
}

std::string_view severityName(Severity severity)
{
    constexpr std::array<std::string_view, 3> kNames { "info", "warning", "error" };
    return enumName(severity, kNames, "warning");
}

} // namespace core
