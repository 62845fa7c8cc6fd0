// A stand-in for `picklescope-cli info` used by bench_torch.py while the CLI command is not
// built: loads a file with core::loadFile, lists the tensors (dtype, shape, bytes) and, with
// --stats, streams statistics over every tensor. Built by bench_torch.py with g++ against
// libcore.a; not part of the CMake build.

#include "core/loader.h"
#include "core/torch/tensor_view.h"

#include <chrono>
#include <cstdio>
#include <cstring>

using namespace core;

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: torch_info_driver FILE [--stats]\n");
        return 2;
    }
    const bool stats = argc > 2 && std::strcmp(argv[2], "--stats") == 0;
    auto loaded = loadFile(argv[1]);
    if (!loaded.ok()) {
        std::fprintf(stderr, "%s\n", loaded.error().toString().c_str());
        return 1;
    }
    std::shared_ptr<const Document> doc = loaded.value();
    if (doc->error) {
        std::fprintf(stderr, "%s\n", doc->error->toString().c_str());
        return 1;
    }
    const ValueGraph& g = doc->graph;
    std::uint64_t tensors = 0, elements = 0, bytes = 0;
    double checksum = 0;
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < g.size(); ++i) {
        const ValueId id { static_cast<std::uint32_t>(i) };
        if (g.kind(id) != ValueKind::Tensor)
            continue;
        const TensorRecord& t = g.tensor(id);
        std::uint64_t n = 1;
        for (auto s : t.shape)
            n *= static_cast<std::uint64_t>(s);
        ++tensors;
        elements += n;
        bytes += n * dtypeSize(t.dtype);
        if (stats) {
            auto view = torch::TensorView::open(doc, id);
            if (!view.ok())
                continue;
            auto st = view->stats();
            if (st.ok())
                checksum += st->sum;
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("format %s, %zu values, %llu tensors, %llu elements, %llu bytes\n", fileFormatName(doc->format).data(),
        g.size(), static_cast<unsigned long long>(tensors), static_cast<unsigned long long>(elements),
        static_cast<unsigned long long>(bytes));
    if (stats)
        std::printf("stats: checksum %.6g in %.3f s = %.2f GB/s\n", checksum, seconds, bytes / seconds / 1e9);
    return 0;
}
