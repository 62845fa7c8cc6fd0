#include "app/cli/cli_filter.h"

#include <cstdio>

namespace cli {

bool filterFrom(const Args& args, core::compare::ValueQuery& out)
{
    if (!args.has("--filter"))
        return true;
    auto parsed = core::compare::ValueQuery::parse(args.get("--filter"));
    if (!parsed.ok()) {
        std::fprintf(stderr, "picklescope-cli %s: --filter: %s\n", args.command.c_str(),
            parsed.error().message.c_str());
        return false;
    }
    out = std::move(parsed).value();
    return true;
}

} // namespace cli
