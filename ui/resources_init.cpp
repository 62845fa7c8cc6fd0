#include "ui/resources_init.h"

#include <QtGlobal>

// Q_INIT_RESOURCE cannot be used inside a namespace.
static void initUiResources()
{
    Q_INIT_RESOURCE(picklescope);
#if PICKLESCOPE_HAS_SAMPLE
    Q_INIT_RESOURCE(sample);
#endif
}

namespace ui {

void initResources()
{
    static const bool done = [] {
        initUiResources();
        return true;
    }();
    (void)done;
}

} // namespace ui
