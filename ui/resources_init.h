#pragma once

namespace ui {

// Registers the icons (and the embedded sample checkpoint) of the static ui library. Idempotent.
void initResources();

} // namespace ui
