#!/usr/bin/env bash
# Sets up, builds and starts PickleScope. With no FILE it opens the bundled sample checkpoint.
# Usage: scripts/run.sh [FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh gui
scripts/build.sh dev
app=build/dev/app/picklescope
if [ ! -x "$app" ]; then
  echo "run: the GUI was not built; showing the sample with picklescope-cli instead" >&2
  exec build/dev/app/picklescope-cli info "${1:-resources/samples/sample_checkpoint.pt}"
fi
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "run: no display found; starting under Xvfb and saving a screenshot to build/picklescope-shot.png" >&2
  exec scripts/screenshot.sh "${1:-resources/samples/sample_checkpoint.pt}" "" build/picklescope-shot.png
fi
# With no FILE, open the bundled sample checkpoint (the app itself starts on its start page).
[ "$#" -gt 0 ] || set -- resources/samples/sample_checkpoint.pt
exec "$app" "$@"
