#pragma once

// picklescope-cli opens URLs through core/remote's HTTP source built as a plugin
// (picklescope-cli-http.so), loaded when it opens its first URL: QtNetwork and what it pulls in
// (Kerberos, libproxy, brotli, ...) cost every other command about a millisecond and 2 MB at
// start-up. The plugin calls back into the executable for the core's own functions.

#include "core/remote/http_source.h"

// The plugin's one entry point (looked up by name with dlsym): core::remote::installUrlOpener.
#define PICKLESCOPE_HTTP_PLUGIN_ENTRY "picklescope_http_install"
extern "C" {
using PicklescopeHttpInstall = void (*)(const core::remote::HttpOptions* options);
}
