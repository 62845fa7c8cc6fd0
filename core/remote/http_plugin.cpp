#include "core/remote/http_plugin.h"

extern "C" __attribute__((visibility("default"))) void picklescope_http_install(
    const core::remote::HttpOptions* options)
{
    core::remote::installUrlOpener(*options);
}
