// libFuzzer target: the PyTorch container readers (zip, legacy stacked pickles, tar) directly.
// An input the detector does not recognise is forced through one reader chosen by its first
// byte, so that every reader sees malformed containers too.

#include "core/formats/detect_format.h"
#include "core/torch/torch_reader.h"
#include "core/value/byte_source.h"

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
    std::optional<core::FileFormat> format = core::detectFormat(bytes);
    if (*format != core::FileFormat::TorchZip && *format != core::FileFormat::TorchLegacy
        && *format != core::FileFormat::TorchTar && *format != core::FileFormat::TorchScript) {
        if (size == 0)
            return 0;
        static constexpr core::FileFormat kForced[] = { core::FileFormat::TorchZip,
            core::FileFormat::TorchLegacy, core::FileFormat::TorchTar };
        format = kForced[data[0] % 3];
    }
    core::Document doc;
    doc.source = core::ByteSource::fromBytes(bytes, "fuzz.pt");
    doc.fileName = "fuzz.pt";
    doc.format = *format;
    const core::Result<void> result
        = core::torch::loadArchive(doc, *format, core::LoadOptions {}, nullptr);
    return result.ok() && doc.graph.size() == SIZE_MAX ? 1 : 0;
}
