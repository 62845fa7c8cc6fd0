#!/usr/bin/env bash
# Renders the application icon's 256 px PNG (installed to hicolor/256x256/apps) from its SVG.
# Needs rsvg-convert (Debian: librsvg2-bin). The PNG is committed; rerun after editing the SVG.
set -euo pipefail
cd "$(dirname "$0")"
rsvg-convert -w 256 -h 256 icons/picklescope.svg -o icons/picklescope-256.png
