#include "core/value/document.h"

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
    switch (severity) {
    case Severity::Info: return "info";
    case Severity::Warning: return "warning";
    case Severity::Error: return "error";
    }
    return "warning";
}

} // namespace core
